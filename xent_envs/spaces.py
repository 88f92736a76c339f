"""Gymnasium spaces for text observations and judge-token actions.

Gymnasium's ``Text`` only contains strings drawn from a fixed charset (alphanumerics by
default), but an observation of a Xent game holds whatever the judge wrote: punctuation,
accents, emoji. ``UnicodeText`` contains any string up to a length in *characters*.
``TokenSequence`` holds variable-length moves as token ids of the judge's tokenizer.

Both spaces are non-array spaces: vector envs batch them as tuples. ``AsyncVectorEnv``
passes observations through shared memory by default; ``UnicodeText`` registers its own
layout there (one int32 code point per character, -1 after the end), since Gymnasium's
``Text`` layout only holds its sample charset (a newline raised ``KeyError('\\n')``).
Actions never use shared memory, so ``TokenSequence`` needs none.
"""

from __future__ import annotations

import multiprocessing
import string
from collections.abc import Sequence
from types import ModuleType
from typing import Any, overload

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import (
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)

__all__ = [
    "SharedTexts",
    "TokenSequence",
    "UnicodeText",
    "as_token_ids",
    "codes_to_text",
    "text_to_codes",
]

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


@create_shared_memory.register(UnicodeText)
def _create_unicode_shared_memory(
    space: UnicodeText, n: int = 1, ctx: ModuleType = multiprocessing
) -> Any:
    return ctx.Array(np.dtype(np.int32).char, n * space.max_length)


@write_to_shared_memory.register(UnicodeText)
def _write_unicode_to_shared_memory(
    space: UnicodeText, index: int, value: str, shared_memory: Any
) -> None:
    size = space.max_length
    row = np.frombuffer(shared_memory.get_obj(), dtype=np.int32)[index * size : (index + 1) * size]
    row[:] = text_to_codes(value, size)


@read_from_shared_memory.register(UnicodeText)
def _read_unicode_from_shared_memory(
    space: UnicodeText, shared_memory: Any, n: int = 1
) -> SharedTexts:
    return SharedTexts(shared_memory, n, space.max_length)


class SharedTexts(Sequence[str]):
    """A live view of ``n`` texts in shared memory, as ``AsyncVectorEnv`` expects of
    ``read_from_shared_memory``: it reads the buffer once, at construction, and keeps the
    result as its observations (a view, for array spaces). A tuple of ``str`` read then would
    stay empty forever, so each text is decoded when accessed, and a copy (what the vector
    env hands out with its default ``copy=True``) is a plain tuple of the current texts.
    """

    def __init__(self, shared_memory: Any, n: int, max_length: int) -> None:
        self._rows = np.frombuffer(shared_memory.get_obj(), dtype=np.int32).reshape(n, max_length)

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...

    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(len(self))[index])
        return codes_to_text(self._rows[index])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (tuple, SharedTexts)) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> tuple[str, ...]:
        return tuple(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> tuple[str, ...]:
        return tuple(self)

    def __repr__(self) -> str:
        return f"SharedTexts({tuple(self)!r})"


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


def text_to_codes(text: str, length: int) -> np.ndarray:
    """``text`` as ``length`` int32 Unicode code points, ``-1`` after its end (a longer text is
    cut): the array form of a text, for shared memory and for array-only consumers.

    >>> text_to_codes("hé", 4).tolist()
    [104, 233, -1, -1]
    """
    codes = np.frombuffer(text[:length].encode("utf-32-le", "surrogatepass"), dtype="<i4")
    row = np.full(length, -1, dtype=np.int32)
    row[: len(codes)] = codes
    return row


def codes_to_text(codes: np.ndarray) -> str:
    """The text that :func:`text_to_codes` wrote into ``codes`` (up to the first ``-1``).

    >>> codes_to_text(text_to_codes("hé", 4))
    'hé'
    """
    row = np.asarray(codes)
    ends = np.flatnonzero(row < 0)
    length = int(ends[0]) if len(ends) else len(row)
    return row[:length].astype("<i4").tobytes().decode("utf-32-le", "surrogatepass")


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
