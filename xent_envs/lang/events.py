"""The event log of a running game: what was asked, moved, revealed, paid and refused.

Every event is a frozen dataclass with ``to_json()`` (``json.dumps`` ready) and
``event_from_json`` reads one back, so a whole game can be stored and replayed as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

from xent_envs.score import Score

__all__ = [
    "ElicitEvent",
    "EnsureFailedEvent",
    "Event",
    "GameOverEvent",
    "MoveEvent",
    "RevealEvent",
    "RewardEvent",
    "RoundEndEvent",
    "event_from_json",
]


class _JsonEvent:
    """JSON conversion shared by all events: fields as they are, ``Score`` via its own."""

    kind: ClassVar[str]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with a ``"kind"`` key naming the event."""
        data: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            data[f.name] = value.to_json() if isinstance(value, Score) else value
        return data


@dataclass(frozen=True)
class ElicitEvent(_JsonEvent):
    """A player was asked for a move."""

    kind: ClassVar[str] = "elicit"
    player: str
    register: str
    max_tokens: int
    line: int
    round: int


@dataclass(frozen=True)
class MoveEvent(_JsonEvent):
    """A player's move was stored: ``text`` as kept, ``tokens`` its judge tokens (at most the
    budget), ``cut`` whether it was cut to the budget."""

    kind: ClassVar[str] = "move"
    player: str
    register: str
    text: str
    cut: bool
    line: int
    round: int
    tokens: int = 0


@dataclass(frozen=True)
class RevealEvent(_JsonEvent):
    """Register values were shown to a player."""

    kind: ClassVar[str] = "reveal"
    player: str
    values: dict[str, str]
    line: int
    round: int


@dataclass(frozen=True)
class RewardEvent(_JsonEvent):
    """A player was paid ``score`` (its ``total`` in bits; per-token detail kept)."""

    kind: ClassVar[str] = "reward"
    player: str
    score: Score
    line: int
    round: int


@dataclass(frozen=True)
class EnsureFailedEvent(_JsonEvent):
    """A move failed an ``ensure``; ``failures`` counts consecutive failures of that line."""

    kind: ClassVar[str] = "ensure_failed"
    player: str
    line: int
    round: int
    failures: int
    feedback: str


@dataclass(frozen=True)
class RoundEndEvent(_JsonEvent):
    """A round finished with these per-player totals (bits)."""

    kind: ClassVar[str] = "round_end"
    round: int
    scores: dict[str, float]


@dataclass(frozen=True)
class GameOverEvent(_JsonEvent):
    """The game ended: ``reason`` is ``"finished"`` or ``"ensure_limit"``."""

    kind: ClassVar[str] = "game_over"
    reason: str
    message: str
    round: int


Event = (
    ElicitEvent
    | MoveEvent
    | RevealEvent
    | RewardEvent
    | EnsureFailedEvent
    | RoundEndEvent
    | GameOverEvent
)

_BY_KIND: dict[str, type[_JsonEvent]] = {
    cls.kind: cls
    for cls in (
        ElicitEvent,
        MoveEvent,
        RevealEvent,
        RewardEvent,
        EnsureFailedEvent,
        RoundEndEvent,
        GameOverEvent,
    )
}


def event_from_json(data: dict[str, Any]) -> Event:
    """The event that ``to_json`` gave ``data``.

    Raises:
        ValueError: for an unknown ``kind``.
    """
    cls = _BY_KIND.get(data.get("kind", ""))
    if cls is None:
        raise ValueError(
            f"unknown event kind {data.get('kind')!r}; expected one of {', '.join(_BY_KIND)}"
        )
    values = {k: v for k, v in data.items() if k != "kind"}
    if "score" in values:
        values["score"] = Score.from_json(values["score"])
    return cls(**values)  # type: ignore[return-value]
