"""The record of one evaluated map, as frozen dataclasses that serialise to JSON and back.

A results folder holds one :class:`MapRecord` per (game, map, agent): what the agent saw and
played at every step of every round, what each move earned, and how long it took. Records
are written by the runner (:func:`~xent_envs.evaluation.episode.play_map`), read back with
checks by the store, and scored by :func:`~xent_envs.evaluation.scoring.leaderboard`; the
results page and the Ray backend read and write the same classes.

JSON layout of a map file (``maps/<game>/<map:04d>-<agent>.json``)::

    {"format": 2, "run": "<run key>", "key": "<map key>",
     "game": "Condense", "map": 0, "agent": "search", "seed": ..., "agent_seed": ...,
     "seats": {"black": "search"},            # seat -> agent of this run who played it
     "status": "ok",                          # or "error" (then "error" says why)
     "round_scores": [3.2, 4.1],              # the seat's total per round, in bits
     "seat_scores": {},                       # a lineup's map: every seat's round totals
     "rounds": [{"round": 0, "score": 3.2, "steps": [
         {"seat": "black", "round": 0, "observation": "...", "action": [464, 3797],
          "move": " the farm", "reward": 3.2,
          "reward_terms": [{"line": 3, "round": 0, "total": 3.2, "tokens": [...], "bits": [...]}],
          "invalid_action": false, "reason": null, "tokens": 2, "cut": false,
          "ensure_failed": false, "act_seconds": 0.8, "step_seconds": 0.1,
          "details": {"expected_reward": 3.2}}]}, ...],
     "instance_id": "Condense-v0#...", "params": {...}, "judge": {...fingerprint},
     "truncation_reason": null,
     "timing": {"total_seconds": ..., "act_seconds": ..., "env_seconds": ...},
     "agent_stats": {"moves": 2, ...},        # the agent's counters, change over this map
     "error": null,                           # or {"where", "type", "message", "traceback"}
     "score": 4.1, "moves": 2, "tokens_used": 5}   # derived, checked when read

Seats: ``seats`` maps every seat an agent of this run played to that agent; seats absent from
it were played by the env's own opponents. In a single-agent run it is ``{"black": agent}``.

Self-play: the map of a lineup (agents seated against each other, ``black=search,white=hf``)
is one record whose ``agent`` is the lineup's label; ``seats`` lists who sat where,
``seat_scores`` every seat's total per round (its map score is its best round), each step
names the ``seat`` that moved and carries what that seat earned until its next move, and
``agent_stats`` are keyed ``<seat>.<counter>``. Its ``round_scores`` are empty (``score`` is
None): a lineup's maps are read seat by seat (:mod:`~xent_envs.evaluation.headtohead`), not
ranked on the leaderboard.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from xent_envs.evaluation.config import RECORD_FORMAT
from xent_envs.evaluation.json_record import JsonRecord

__all__ = [
    "MapError",
    "MapRecord",
    "MapSlot",
    "RewardTerm",
    "RoundRecord",
    "StepRecord",
    "Timing",
]


@dataclass(frozen=True)
class RewardTerm(JsonRecord):
    """One ``reward`` line's payment to the seat in a step.

    Attributes:
        line: the program line that paid it.
        round: the round it was paid in (0-based).
        total: the bits paid.
        tokens: the scored tokens, and ``bits`` their share of ``total``.
    """

    line: int
    round: int
    total: float
    tokens: tuple[str, ...] = ()
    bits: tuple[float, ...] = ()


@dataclass(frozen=True)
class StepRecord(JsonRecord):
    """One move and what came of it.

    Attributes:
        seat: the player who moved (``"black"``).
        round: the round of the move (0-based).
        observation: what the agent saw before moving.
        action: the token ids it played.
        move: the text the judge read (after the env's cut); None when rejected.
        reward: bits the seat earned in this step (may be non-finite only in an error record).
        reward_terms: the payments behind ``reward``.
        invalid_action: the env rejected the action (nothing was played).
        reason: why it was rejected.
        tokens: tokens of the move that counted (after the env's cut).
        cut: the env cut the move to the budget.
        ensure_failed: the move failed an ``ensure`` and will be asked again.
        act_seconds: the agent's thinking time.
        step_seconds: the env's time for the step (judge included).
        details: what the agent said about the move (its ``last_details``).
    """

    seat: str
    round: int
    observation: str
    action: tuple[int, ...]
    move: str | None
    reward: float
    reward_terms: tuple[RewardTerm, ...] = ()
    invalid_action: bool = False
    reason: str | None = None
    tokens: int = 0
    cut: bool = False
    ensure_failed: bool = False
    act_seconds: float = 0.0
    step_seconds: float = 0.0
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def token_rewards(self) -> list[tuple[str, float]]:
        """(token, bits) over every term, in order: where the move earned its reward."""
        return [pair for term in self.reward_terms for pair in zip(term.tokens, term.bits)]


@dataclass(frozen=True)
class RoundRecord(JsonRecord):
    """The steps of one round and the seat's score for it (bits, as the env counts it)."""

    round: int
    score: float
    steps: tuple[StepRecord, ...] = ()


@dataclass(frozen=True)
class MapError(JsonRecord):
    """Why a map could not be scored.

    Attributes:
        where: ``"agent.reset"``, ``"agent.act"`` (the agent raised) or ``"env"`` (the env
            or the judge raised, or paid a non-finite reward).
        type: the exception's class name.
        message: its message.
        traceback: its formatted traceback (the last 4000 characters).
    """

    where: Literal["agent.reset", "agent.act", "env"]
    type: str
    message: str
    traceback: str = ""

    @classmethod
    def of(cls, where: Literal["agent.reset", "agent.act", "env"], exc: BaseException) -> MapError:
        """The error record of ``exc`` raised at ``where``."""
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(where, type(exc).__name__, str(exc), text[-4000:])


@dataclass(frozen=True)
class Timing(JsonRecord):
    """Wall-clock seconds of a map: in all, in the agent, in the env (judge included)."""

    total_seconds: float = 0.0
    act_seconds: float = 0.0
    env_seconds: float = 0.0


@dataclass(frozen=True)
class MapSlot(JsonRecord):
    """What a map record is keyed by: which map, which agent, with which seeds, in which run.

    Attributes:
        game: the game's name.
        map: the map's index in the run (0-based).
        agent: the agent's name in the run.
        seed: the env's reset seed (``map_seed(run seed, game, map)``).
        agent_seed: the agent's reset seed (``agent_seed(seed)``).
        run: the run key.
        key: the map key (``EvalConfig.map_key``).
    """

    game: str
    map: int
    agent: str
    seed: int
    agent_seed: int
    run: str = ""
    key: str = ""


@dataclass(frozen=True)
class MapRecord(JsonRecord):
    """One (game, map, agent) of a run, played to the end or to an error.

    ``score`` (the map's score: its best round, the reference benchmark's convention),
    ``moves`` and ``tokens_used`` are derived from the other fields; they are written to
    JSON for readers and checked when a record is read back.

    Attributes:
        format: :data:`~xent_envs.evaluation.config.RECORD_FORMAT` of the record.
        run, key, game, map, agent, seed, agent_seed: see :class:`MapSlot`.
        seats: seat -> the agent of this run who played it.
        status: ``"ok"`` (played to the end, or truncated by the game) or ``"error"``.
        round_scores: the seat's total per round, in bits (finite when ``ok``).
        seat_scores: a lineup's map: every seat's total per round (finite when ``ok``).
        rounds: the rounds played, with their steps.
        instance_id: the env's instance id (replays the map exactly).
        params: the game parameters of the map.
        judge: the judge's fingerprint.
        truncation_reason: why the env truncated the episode (ensure limit, step limit).
        timing: wall-clock seconds.
        agent_stats: the change of the agent's numeric ``stats`` over this map.
        error: what went wrong, when ``status == "error"``.
    """

    format: int
    run: str
    key: str
    game: str
    map: int
    agent: str
    seed: int
    agent_seed: int
    seats: Mapping[str, str]
    status: Literal["ok", "error"]
    round_scores: tuple[float, ...] = ()
    seat_scores: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    rounds: tuple[RoundRecord, ...] = ()
    instance_id: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    judge: Mapping[str, Any] = field(default_factory=dict)
    truncation_reason: str | None = None
    timing: Timing = field(default_factory=Timing)
    agent_stats: Mapping[str, float] = field(default_factory=dict)
    error: MapError | None = None
    score: float | None = field(init=False)
    moves: int = field(init=False)
    tokens_used: int = field(init=False)

    def __post_init__(self) -> None:
        if (self.status == "error") != (self.error is not None):
            raise ValueError("a record has an error exactly when its status is 'error'")
        if self.status == "ok" and not all(math.isfinite(s) for s in self.round_scores):
            raise ValueError(f"an 'ok' record needs finite round scores, got {self.round_scores}")
        if self.status == "ok" and not all(
            math.isfinite(s) for scores in self.seat_scores.values() for s in scores
        ):
            raise ValueError(f"an 'ok' record needs finite seat scores, got {self.seat_scores}")
        best = max(self.round_scores) if self.status == "ok" and self.round_scores else None
        object.__setattr__(self, "score", best)
        object.__setattr__(self, "moves", len(self.steps))
        object.__setattr__(self, "tokens_used", sum(s.tokens for s in self.steps))

    @classmethod
    def of(cls, slot: MapSlot, seats: Mapping[str, str], **fields: Any) -> MapRecord:
        """A record of ``slot`` (its keys and seeds) with the other ``fields``."""
        return cls(
            format=RECORD_FORMAT, run=slot.run, key=slot.key, game=slot.game, map=slot.map,
            agent=slot.agent, seed=slot.seed, agent_seed=slot.agent_seed, seats=dict(seats),
            **fields,
        )  # fmt: skip

    @property
    def slot(self) -> MapSlot:
        """The record's place in its run."""
        return MapSlot(
            self.game, self.map, self.agent, self.seed, self.agent_seed, self.run, self.key
        )

    @property
    def is_lineup(self) -> bool:
        """Whether this is the map of a lineup (its ``agent`` is a label such as
        ``black=search,white=hf``; an agent's own name never holds ``=``)."""
        return "=" in self.agent

    @property
    def steps(self) -> list[StepRecord]:
        """Every step, round after round."""
        return [step for rd in self.rounds for step in rd.steps]
