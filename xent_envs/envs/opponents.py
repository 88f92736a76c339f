"""Policies for the seats the agent does not play, in the single-agent view of a game.

An opponent is any callable ``(observation: str, info: dict) -> str | list[int]``: it gets the
seat's own observation and ``Match.info(seat)`` plus ``visible`` (the registers that seat may
read); ``player``, ``register`` and ``max_tokens`` describe the move asked. Pass them as
``gym.make(..., opponents={"white": policy})``. A text answer is played as it is, token ids
are decoded with the judge; either is cut to the budget by the language's rule. An answer
that is neither raises ``ConfigError`` (asking again would loop).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["Opponent", "echo_opponent"]

Opponent = Callable[[str, dict[str, Any]], "str | Sequence[int]"]


def echo_opponent(observation: str, info: dict[str, Any]) -> str:
    """The default baseline: answer with the longest text the seat can see.

    Deterministic and judge-free, yet on-topic, so a zero-sum game against it is neither
    trivial nor random; the machine cuts it to the seat's token budget. It is also the
    baseline that ``score_actions`` plays for the rest of a round after a non-final elicit.
    """
    visible = info.get("visible", {})
    return max(visible.values(), key=len) if visible else ""
