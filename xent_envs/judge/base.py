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

from xent_envs.errors import JudgeRequestError
from xent_envs.lang.codec import Codec, first_n_tokens, last_n_tokens
from xent_envs.score import Score

__all__ = ["Codec", "Judge", "clean_text", "first_n_tokens", "last_n_tokens"]


@runtime_checkable
class Judge(Codec, Protocol):
    """A fixed causal language model that scores texts in bits."""

    name: str
    vocab_size: int

    @property
    def fingerprint(self) -> dict[str, Any]:
        """JSON-ready identity of the judge: model, weights hash or revision, dtype, device,
        scoring convention. Recorded with every result so scores are never compared across
        judges."""
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


def clean_text(value: str | bytes) -> str:
    """A str that encodes to UTF-8: bytes are decoded with U+FFFD for invalid sequences, and
    lone surrogates in a str become U+FFFD (a valid surrogate pair becomes its character).

    Example:
        >>> clean_text("broken \\ud800 surrogate"), clean_text(b"caf\\xc3\\xa9 \\xff")
        ('broken \\ufffd surrogate', 'café \\ufffd')
    """
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        raise JudgeRequestError(f"a judge scores str (or UTF-8 bytes), got {type(value).__name__}")
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
