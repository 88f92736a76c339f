"""The Judge protocol: what every judge (real model, tiny test model) offers.

A judge is first a ``Codec`` (the language's text <-> token ids protocol, with the token-window
helpers ``first_n_tokens``/``last_n_tokens``, re-exported here): the language owns it and
imports no judge (DESIGN.md, "Layout").

The interpreter never calls a judge. It asks for scores as ``(text, prefix)`` pairs; the
environment answers a whole batch of them with one ``score_batch`` call, which is where the
speed comes from (see DESIGN.md, "Data flow").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from xent_envs.lang.codec import Codec, first_n_tokens, last_n_tokens
from xent_envs.score import Score

__all__ = ["Codec", "Judge", "first_n_tokens", "last_n_tokens"]


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
