"""Policies for the seats the agent does not play, in the single-agent view of a game.

An opponent is any callable ``(observation: str, info: dict) -> str | list[int]``; ``info``
carries ``player``, ``register``, ``max_tokens`` and ``visible`` (the registers that seat
may read). Pass them as ``gym.make(..., opponents={"white": policy})``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["Opponent", "echo_opponent"]

Opponent = Callable[[str, dict[str, Any]], "str | Sequence[int]"]


def echo_opponent(observation: str, info: dict[str, Any]) -> str:
    """The default baseline: answer with the longest text the seat can see.

    Deterministic and judge-free, yet on-topic, so a zero-sum game against it is neither
    trivial nor random; the env cuts it to the seat's token budget.
    """
    visible = info.get("visible", {})
    return max(visible.values(), key=len) if visible else ""
