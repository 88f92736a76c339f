"""Text <-> judge token ids: the one thing the language needs from a model.

Move budgets, ``first_n_tokens`` and ``last_n_tokens`` count judge tokens, so the interpreter
needs the judge's tokenizer, never the model. The language owns this protocol; every judge
implements it (``xent_envs.judge.Judge`` extends ``Codec``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

__all__ = ["Codec", "cut_to_budget", "first_n_tokens", "last_n_tokens"]


@runtime_checkable
class Codec(Protocol):
    """Text <-> judge token ids (no start token)."""

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no start token)."""
        ...

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``."""
        ...


def cut_to_budget(codec: Codec, text: str, n: int) -> tuple[str, int]:
    """``(kept, tokens)``: ``first_n_tokens(codec, text, n)`` and how many tokens it holds.

    This is the language's rule for a move over budget (the reference engine's): the text
    itself when it fits, else the decoded first ``n`` tokens.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    ids = codec.encode(text)
    return (text, len(ids)) if len(ids) <= n else (codec.decode(ids[:n]), n)


def first_n_tokens(codec: Codec, text: str, n: int) -> str:
    """``text`` cut to its first ``n`` tokens of ``codec``; unchanged when it has no more.

    Example:
        >>> class Words:  # one token per word
        ...     def encode(self, text): return list(range(len(text.split())))
        ...     def decode(self, ids): return " ".join("one two three".split()[i] for i in ids)
        >>> first_n_tokens(Words(), "one two three", 2)
        'one two'
    """
    return cut_to_budget(codec, text, n)[0]


def last_n_tokens(codec: Codec, text: str, n: int) -> str:
    """``text`` cut to its last ``n`` tokens of ``codec``; unchanged when it has no more."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    ids = codec.encode(text)
    return text if len(ids) <= n else codec.decode(ids[len(ids) - n :] if n else [])
