"""Gymnasium spaces for text observations and judge-token actions.

Gymnasium's ``Text`` only contains strings drawn from a fixed charset (alphanumerics by
default), but an observation of a Xent game holds whatever the judge wrote: punctuation,
accents, emoji. ``UnicodeText`` contains any string up to a length in *characters*.
``TokenSequence`` holds variable-length moves as token ids of the judge's tokenizer.

Both spaces are non-array spaces: vector envs batch them as tuples, and
``AsyncVectorEnv`` needs ``shared_memory=False`` for them.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np
from gymnasium import spaces

__all__ = ["TokenSequence", "UnicodeText", "as_token_ids"]

_SAMPLE_CHARSET = string.ascii_letters + string.digits + string.punctuation + " éàü—’"


class UnicodeText(spaces.Text):
    """Any Unicode string of ``min_length`` to ``max_length`` characters.

    ``sample()`` draws from a small printable charset (random Unicode is not a useful
    sample), but ``contains`` accepts every character.

    Example:
        >>> UnicodeText(100).contains("Ünïcødé — ok ✓")
        True
    """

    def __init__(
        self,
        max_length: int,
        *,
        min_length: int = 0,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(max_length, min_length=min_length, charset=_SAMPLE_CHARSET, seed=seed)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"UnicodeText({self.min_length}, {self.max_length})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, UnicodeText)
            and self.min_length == other.min_length
            and self.max_length == other.max_length
        )


class TokenSequence(spaces.Sequence):
    """A move: between 0 and ``max_length`` token ids in ``[0, vocab_size)``.

    Samples are tuples of ints (like ``Sequence(Discrete(V))``); ``contains`` also accepts
    lists and 1-D integer arrays, the forms policies usually produce.

    Example:
        >>> space = TokenSequence(vocab_size=50257, max_length=10, seed=0)
        >>> len(space.sample()) <= 10
        True
    """

    def __init__(
        self, vocab_size: int, max_length: int, *, seed: int | np.random.Generator | None = None
    ) -> None:
        self.vocab_size = int(vocab_size)
        self.max_length = int(max_length)
        super().__init__(spaces.Discrete(self.vocab_size), seed=seed)

    def sample(self, mask: Any = None, probability: Any = None) -> tuple[int, ...]:
        if mask is not None or probability is not None:
            return super().sample(mask=mask, probability=probability)
        length = int(self.np_random.integers(1, self.max_length + 1))
        return tuple(int(t) for t in self.np_random.integers(0, self.vocab_size, size=length))

    def contains(self, x: Any) -> bool:
        ids = as_token_ids(x)
        return (
            ids is not None
            and len(ids) <= self.max_length
            and all(0 <= t < self.vocab_size for t in ids)
        )

    def __repr__(self) -> str:
        return f"TokenSequence(vocab_size={self.vocab_size}, max_length={self.max_length})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TokenSequence)
            and self.vocab_size == other.vocab_size
            and self.max_length == other.max_length
        )


def as_token_ids(x: Any) -> list[int] | None:
    """``x`` as a list of Python ints, or ``None`` when it is not a flat integer sequence.

    Accepts lists, tuples and 1-D integer numpy arrays; rejects strings, bytes, floats,
    booleans and nested sequences (the forms a buggy policy sends).
    """
    if isinstance(x, np.ndarray):
        if x.ndim != 1 or not (np.issubdtype(x.dtype, np.integer) or x.size == 0):
            return None
        return [int(t) for t in x]
    if not isinstance(x, (list, tuple)):
        return None
    ids = []
    for t in x:
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)):
            return None
        ids.append(int(t))
    return ids
