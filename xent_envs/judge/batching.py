"""Packing scoring requests into padded forward passes.

Requests are sorted by length and cut into groups whose padded size (rows times the longest
row) stays under a token cap, so padding is small and memory stays bounded whatever the batch.
Rows are right-padded: real tokens keep positions 0..n-1, so no position ids are needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["pad_right", "plan_batches"]


def plan_batches(lengths: Sequence[int], max_tokens: int) -> list[list[int]]:
    """Group indices of ``lengths`` so that ``len(group) * max(length in group) <= max_tokens``.

    Groups hold neighbours in length order (shortest first); a row longer than the cap gets a
    group of its own. Every index appears exactly once.

    Example:
        >>> plan_batches([5, 1, 4, 2], max_tokens=8)
        [[1, 3], [2], [0]]
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    groups: list[list[int]] = []
    current: list[int] = []
    for index in order:
        # Sorted ascending, so the newcomer is the longest row of the group.
        if current and (len(current) + 1) * lengths[index] > max_tokens:
            groups.append(current)
            current = []
        current.append(index)
    if current:
        groups.append(current)
    return groups


def pad_right(rows: Sequence[Sequence[int]], pad_id: int, device: Any = "cpu") -> tuple[Any, Any]:
    """``(input_ids, attention_mask)`` int64 tensors of shape ``(len(rows), longest)``."""
    import torch

    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, row in enumerate(rows):
        ids[r, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[r, : len(row)] = 1
    return ids.to(device), mask.to(device)
