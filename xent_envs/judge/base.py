"""The Judge protocol: what every judge (real model, tiny test model) offers.

The interpreter never calls a judge. It asks for scores as ``(text, prefix)`` pairs; the
environment answers a whole batch of them with one ``score_batch`` call, which is where the
speed comes from (see DESIGN.md, "Data flow").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from xent_envs.score import Score

__all__ = ["Codec", "Judge", "first_n_tokens", "last_n_tokens"]


@runtime_checkable
class Codec(Protocol):
    """Text <-> judge token ids. The interpreter needs only this (for budgets and
    ``first_n_tokens``), never the model itself."""

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no start token)."""
        ...

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``."""
        ...


@runtime_checkable
class Judge(Codec, Protocol):
    """A fixed causal language model that scores texts in bits."""

    name: str
    vocab_size: int

    @property
    def fingerprint(self) -> dict[str, Any]:
        """JSON-ready identity of the judge: model, weights hash or revision, dtype, scoring
        convention. Recorded with every result so scores are never compared across judges."""
        ...

    def score_batch(self, requests: Sequence[tuple[str, str]]) -> list[Score]:
        """Per-token cross-entropy (bits) of each ``text`` given its ``prefix``."""
        ...

    def xent(self, text: str, prefix: str = "") -> Score:
        """One request; same numbers as ``score_batch([(text, prefix)])[0]``."""
        ...

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """Readable string of each token id (for per-token feedback)."""
        ...

    def generate(self, prompt: str, max_new_tokens: int, seed: int, **options: Any) -> str:
        """Sample a continuation of ``prompt`` from a generator seeded with ``seed`` alone."""
        ...


def first_n_tokens(codec: Codec, text: str, n: int) -> str:
    """``text`` cut to its first ``n`` tokens of ``codec``; unchanged when it has no more.

    Example:
        >>> from xent_envs.judge import load_judge
        >>> first_n_tokens(load_judge("tiny-random-gpt2"), "one two three", 2)
        'one two'
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    ids = codec.encode(text)
    return text if len(ids) <= n else codec.decode(ids[:n])


def last_n_tokens(codec: Codec, text: str, n: int) -> str:
    """``text`` cut to its last ``n`` tokens of ``codec``; unchanged when it has no more."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    ids = codec.encode(text)
    return text if len(ids) <= n else codec.decode(ids[len(ids) - n :] if n else [])
