"""Packing scoring requests into padded forward passes whose shapes do not depend on partners.

The project's rule is that the same judge request gives the same bits whatever else it is
batched with. A row's floats depend on the shapes the kernels see: the attention kernels
split the keys by the padded length, and BLAS switches kernels for matrices of a few rows.
So every row is right-padded to a **bucket length** fixed by its own length alone, and rows
share a forward pass only with rows of the same bucket: a row always sees the same padded
length, whatever its partners. (Matrix products of many rows give each row the same floats
whatever the number of rows: measured in ``benchmarks/batch_invariance.py``.)

Rows are right-padded and no attention mask is passed: under causal attention a real token
never sees the padding after it, and with no mask every pass takes the same causal kernel
(a mask of padding would send padded and unpadded batches down different kernels).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["MIN_BUCKET", "bucket_length", "pad_right", "plan_batches"]

MIN_BUCKET = 16
"""The shortest bucket, and the bucket step up to 128 tokens."""


def bucket_length(length: int, limit: int) -> int:
    """The padded length of a row of ``length`` tokens: rounded up to a multiple of 16 up to
    128 tokens, then of an eighth of the next power of two (32 up to 256, 64 up to 512...),
    so padding adds at most 15 tokens to a short row and at most a quarter to a long one;
    never more than ``limit`` (the model's context).

    Example:
        >>> [bucket_length(n, 1024) for n in (1, 16, 17, 129, 1000)]
        [16, 16, 32, 160, 1024]
    """
    if length < 1:
        raise ValueError(f"a row has at least one token, got {length}")
    step = max(MIN_BUCKET, (1 << (length - 1).bit_length()) // 8)
    return min(-(-length // step) * step, max(limit, length))


def plan_batches(
    lengths: Sequence[int], max_tokens: int, limit: int
) -> list[tuple[int, list[int]]]:
    """Group indices of ``lengths`` into ``(bucket length, indices)`` passes.

    Rows of one pass share their bucket length; a pass holds at most
    ``max(1, max_tokens // bucket length)`` rows. Every index appears exactly once.

    Example:
        >>> plan_batches([5, 40, 12, 33], max_tokens=64, limit=1024)
        [(16, [0, 2]), (48, [1]), (48, [3])]
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    buckets: dict[int, list[int]] = {}
    for index, length in enumerate(lengths):
        buckets.setdefault(bucket_length(length, limit), []).append(index)
    passes = []
    for width in sorted(buckets):
        rows = max(1, max_tokens // width)
        members = buckets[width]
        passes += [(width, members[i : i + rows]) for i in range(0, len(members), rows)]
    return passes


def pad_right(rows: Sequence[Sequence[int]], pad_id: int, width: int, device: Any = "cpu") -> Any:
    """An int64 tensor of shape ``(len(rows), width)``: each row, then ``pad_id``."""
    import torch

    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    for r, row in enumerate(rows):
        ids[r, : len(row)] = torch.tensor(row, dtype=torch.long)
    return ids.to(device)
