"""Per-token cross-entropy scores: the one value type shared by the judge and the language.

A ``Score`` is a list of (token, bits) pairs. The judge produces them; game programs negate,
scale, add and compare them; rewards pay their total. Keeping the per-token detail all the way
to the reward lets the environment show *where* a move helped (``info["token_rewards"]``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Score"]


@dataclass(frozen=True)
class Score:
    """Cross-entropy of a text, token by token, in bits.

    Arithmetic follows the game language: ``-s``, ``k * s``, ``s + t`` and ``s - t``. Scores
    over the same tokens combine token by token (so ``xed`` keeps a per-token detail); scores
    over different tokens concatenate their detail, and the total is always the sum.
    """

    tokens: tuple[str, ...] = ()
    bits: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if len(self.tokens) != len(self.bits):
            raise ValueError(
                f"a Score needs one value per token: {len(self.tokens)} tokens, "
                f"{len(self.bits)} values"
            )

    @property
    def total(self) -> float:
        """The sum over tokens, in bits (exactly rounded)."""
        return math.fsum(self.bits)

    def __len__(self) -> int:
        return len(self.bits)

    def __neg__(self) -> Score:
        return Score(self.tokens, tuple(-b for b in self.bits))

    def __mul__(self, k: float) -> Score:
        if isinstance(k, bool) or not isinstance(k, (int, float)):
            return NotImplemented
        return Score(self.tokens, tuple(k * b for b in self.bits))

    __rmul__ = __mul__

    def __add__(self, other: Score) -> Score:
        if not isinstance(other, Score):
            return NotImplemented
        if self.tokens == other.tokens:
            return Score(self.tokens, tuple(a + b for a, b in zip(self.bits, other.bits)))
        return Score(self.tokens + other.tokens, self.bits + other.bits)

    def __sub__(self, other: Score) -> Score:
        if not isinstance(other, Score):
            return NotImplemented
        return self + (-other)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"total": ..., "tokens": [...], "bits": [...]}``."""
        return {"total": self.total, "tokens": list(self.tokens), "bits": list(self.bits)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Score:
        return cls(tuple(data["tokens"]), tuple(float(b) for b in data["bits"]))
