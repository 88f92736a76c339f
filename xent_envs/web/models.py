"""The request bodies of the web API, as pydantic models: every field typed, bounded and
checked before a handler runs (strict types: ``"3"`` is not a number; unknown fields are
refused, so a typo is an error rather than a silent default).

Responses are plain JSON documents, described in ``docs/WEB.md``; their numbers go through
the evaluation's strict-JSON encoder (a non-finite score is the string ``"nan"``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xent_envs.evaluation.config import MAX_MAPS
from xent_envs.web.settings import (
    ECHO_OPPONENT,
    MAX_FOLDER_CHARS,
    MAX_INSTANCE_CHARS,
    MAX_MOVE_CHARS,
    MAX_REPLAY_MOVES,
)

__all__ = ["PLAYER_PATTERN", "CountRequest", "MoveRequest", "StartRequest"]

#: a player's name: its label on the leaderboard and in file names
PLAYER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
_SEED_LIMIT = 2**63

Move = Annotated[str, Field(max_length=MAX_MOVE_CHARS)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class StartRequest(_Request):
    """Start a game (``POST /api/play``).

    Exactly one of ``map``, ``seed``, ``instance`` and ``sampled`` says which map:

    - ``map``: map number ``n`` of the run in ``folder`` (the map every agent of that run
      played as map ``n``); the finished map is recorded there under ``player``;
    - ``seed``: practice on the map a fresh env draws after ``reset(seed=seed)``;
    - ``instance``: practice on the map an instance id names (``info["instance_id"]``);
    - ``sampled``: practice on the game the generation package samples with this seed.

    ``game`` is required with ``map`` and ``seed``. ``replay`` holds moves to play before
    the page takes over (a game resumed after the server restarted): every move the page
    sent, in order.
    """

    game: str | None = Field(None, min_length=1, max_length=100)
    map: int | None = Field(None, ge=0, lt=MAX_MAPS)
    seed: int | None = Field(None, ge=0, lt=_SEED_LIMIT)
    instance: str | None = Field(None, min_length=1, max_length=MAX_INSTANCE_CHARS)
    sampled: int | None = Field(None, ge=0, lt=_SEED_LIMIT)
    seat: str | None = Field(None, min_length=1, max_length=32)
    opponent: str = Field(ECHO_OPPONENT, min_length=1, max_length=64)
    folder: str | None = Field(None, min_length=1, max_length=MAX_FOLDER_CHARS)
    player: str = Field("human", pattern=PLAYER_PATTERN)
    replay: list[Move] = Field(default_factory=list, max_length=MAX_REPLAY_MOVES)
    take_over: bool = False

    @model_validator(mode="after")
    def _one_map(self) -> StartRequest:
        given = [n for n in ("map", "seed", "instance", "sampled") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(
                "say which map to play with exactly one of map, seed, instance and sampled"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if given[0] in ("map", "seed") and self.game is None:
            raise ValueError(f"a game is needed to play a map by {given[0]}")
        return self


class MoveRequest(_Request):
    """Play a move (``POST /api/play/{session}/move``).

    ``version`` is the version of the game the page showed when the move was typed: a move
    for a game that has moved on since (another tab played) is refused, not played.
    """

    text: Move
    version: int = Field(ge=0)


class CountRequest(_Request):
    """Count a draft move's judge tokens (``POST /api/play/{session}/count``)."""

    text: Move
