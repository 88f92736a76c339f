"""What the page shows of a running match, as JSON.

Moves and their rewards are shown in the layout of the evaluation's step records
(``StepRecord.to_json()``: ``seat``, ``round``, ``move``, ``reward``, ``reward_terms`` with
``tokens`` and ``bits`` per term, ``cut``, ``ensure_failed``, ``reason``), so one renderer on
the page draws the heatmaps of a game being played and of any map of a results folder.

While a game runs a seat sees only what the env shows it: the registers visible to it, its
own moves and the reward terms paid to it. Every seat's moves and rewards are shown once
the game is over.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from xent_envs.envs.match import Match
from xent_envs.lang import ElicitRequest
from xent_envs.lang.events import EnsureFailedEvent, Event, MoveEvent, RewardEvent

__all__ = ["match_view", "seat_steps"]


def _step(seat: str, round: int, move: str | None = None, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "seat": seat, "round": round, "move": move, "register": None, "tokens": 0,
        "cut": False, "reward": 0.0, "reward_terms": [], "ensure_failed": False, "reason": None,
    }  # fmt: skip
    base.update(fields)
    return base


def seat_steps(events: Sequence[Event], seat: str | None = None) -> list[dict[str, Any]]:
    """The moves of ``seat`` (of every seat when ``None``), each with the reward terms paid
    to its seat after it and before that seat's next move, and whether an ``ensure``
    refused it.

    >>> from xent_envs.lang.events import MoveEvent, RewardEvent
    >>> from xent_envs.score import Score
    >>> events = [MoveEvent("black", "x", " a cat", False, 2, 0, 2),
    ...           RewardEvent("black", Score(("A", " cat"), (1.5, -0.5)), 3, 0)]
    >>> step, = seat_steps(events, "black")
    >>> step["move"], step["reward"], step["reward_terms"][0]["bits"]
    (' a cat', 1.0, [1.5, -0.5])
    """
    steps: list[dict[str, Any]] = []
    last: dict[str, dict[str, Any]] = {}
    for ev in events:
        if seat is not None and getattr(ev, "player", None) != seat:
            continue
        if isinstance(ev, MoveEvent):
            last[ev.player] = _step(
                ev.player, ev.round, ev.text, register=ev.register, tokens=ev.tokens, cut=ev.cut
            )
            steps.append(last[ev.player])
        elif isinstance(ev, RewardEvent):
            if ev.player not in last:  # paid before moving: a step without a move
                last[ev.player] = _step(ev.player, ev.round)
                steps.append(last[ev.player])
            last[ev.player]["reward_terms"].append(
                {"line": ev.line, "round": ev.round, **ev.score.to_json()}
            )
        elif isinstance(ev, EnsureFailedEvent) and ev.player in last:
            last[ev.player].update(ensure_failed=True, reason=ev.feedback)
    for step in steps:
        step["reward"] = math.fsum(term["total"] for term in step["reward_terms"])
    return steps


def match_view(match: Match, seat: str) -> dict[str, Any]:
    """What ``seat`` sees of ``match`` now: rules, visible texts, the move asked of it (if
    any), its moves and rewards so far; once the game is over, every seat's moves too (the
    seats the game asks for moves: the zero-sum partner of a one-seat game is paid, but
    never plays)."""
    pending = match.pending
    asked = pending if isinstance(pending, ElicitRequest) and pending.player == seat else None
    rounds = match.round_scores(seat)
    over = match.over
    return {
        "game": match.space.name,
        "env_id": match.space.env_id,
        "instance_id": match.instance.id,
        "seat": seat,
        "seats": list(match.seats),
        "rules": match.space.rules(match.instance.param_dict),
        "round": match.machine.round,
        "rounds": match.machine.rounds,
        "register": asked.register if asked else None,
        "max_tokens": asked.max_tokens if asked else None,
        "visible": dict(asked.visible) if asked else {},
        "feedback": match.feedback(seat),
        "steps": seat_steps(match.machine.events, seat),
        "round_scores": rounds,
        "map_score": max(rounds) if rounds else None,
        "over": over.message if over is not None else None,
        "transcript": None
        if over is None
        else [step for step in seat_steps(match.machine.events) if step["seat"] in match.seats],
    }
