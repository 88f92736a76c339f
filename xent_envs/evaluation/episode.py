"""Play one map and return its :class:`~xent_envs.evaluation.records.MapRecord`: with one agent
in its seat (:func:`play_map`, a Gymnasium env), or with a lineup of agents seated against
each other (:func:`play_lineup`, the PettingZoo AEC env of the game).

Whatever goes wrong on one map is recorded on that map and the run goes on: an agent that
raises (``where: "agent.reset" | "agent.act"``), a judge or game fault (an ``XentError`` from
the env), or a reward that is not a finite number (``NonFiniteReward``, which would
otherwise poison every average it enters). Only a bug of the env itself (an exception that
is not an ``XentError``) propagates.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from typing import Any

from xent_envs.envs.driver import MAX_MOVES_PER_DRIVE
from xent_envs.envs.opponents import echo_opponent
from xent_envs.errors import XentError
from xent_envs.evaluation.agent import Agent
from xent_envs.evaluation.json_record import json_value
from xent_envs.evaluation.records import (
    MapError,
    MapRecord,
    MapSlot,
    RewardTerm,
    RoundRecord,
    StepRecord,
    Timing,
)
from xent_envs.lang.names import MAIN_PLAYER
from xent_envs.spaces import as_token_ids

__all__ = ["play_lineup", "play_map"]


def play_map(env: Any, agent: Agent, slot: MapSlot) -> MapRecord:
    """Play the map ``slot`` of ``env`` with ``agent``: ``env.reset(seed=slot.seed)``,
    ``agent.reset(env, seed=slot.agent_seed)``, then moves until the episode ends.

    Args:
        env: a Gymnasium env of the game (its ``info`` as ``XentEnv`` gives it).
        agent: the player of the env's seat.
        slot: which map, with its seeds and keys (copied into the record).

    Returns:
        The map's record: ``status="ok"`` when the episode ended (terminated, or truncated by
        the game: ``truncation_reason`` says why), else ``"error"`` with what was played.
    """
    stats_before = _numbers(agent.stats)
    start = time.perf_counter()
    act_seconds = env_seconds = 0.0
    steps: list[StepRecord] = []
    seats: dict[str, str] = {}
    error: MapError | None = None
    truncation_reason: str | None = None
    info: dict[str, Any] = {}
    reset_info: dict[str, Any] = {}
    try:
        obs, info = env.reset(seed=slot.seed)
        reset_info = info
        env_seconds += time.perf_counter() - start
        seats[str(info.get("player", MAIN_PLAYER))] = slot.agent
        try:
            agent.reset(env, seed=slot.agent_seed)
        except Exception as exc:  # an agent's failure is recorded, the run goes on
            error = MapError.of("agent.reset", exc)
        done = error is not None
        while not done:
            seat = str(info.get("player", MAIN_PLAYER))
            seats[seat] = slot.agent
            t0 = time.perf_counter()
            try:
                action = agent.act(obs, info)
            except Exception as exc:
                error = MapError.of("agent.act", exc)
                break
            t1 = time.perf_counter()
            next_obs, reward, terminated, truncated, step_info = env.step(action)
            t2 = time.perf_counter()
            act_seconds += t1 - t0
            env_seconds += t2 - t1
            step = _step(seat, info, obs, action, float(reward), step_info, agent.last_details)
            step = dataclasses.replace(step, act_seconds=t1 - t0, step_seconds=t2 - t1)
            steps.append(step)
            obs, info = next_obs, step_info
            if not math.isfinite(step.reward):
                error = MapError(
                    "env",
                    "NonFiniteReward",
                    f"the env paid a non-finite reward ({step.reward}) for the move "
                    f"{step.move!r} in round {step.round + 1}; the map cannot be scored",
                )
                break
            done = bool(terminated or truncated)
            if truncated:
                truncation_reason = str(step_info.get("truncation_reason") or "truncated")
    except XentError as exc:  # a judge or game fault on this map: record it, go on
        error = MapError.of("env", exc)

    round_scores = tuple(float(s) for s in info.get("round_scores", ()))
    if error is None and not all(math.isfinite(s) for s in round_scores):
        error = MapError(
            "env", "NonFiniteReward", f"the env reported non-finite round scores {round_scores}"
        )
    stats_after = _numbers(agent.stats)
    return _record(
        slot,
        seats or {MAIN_PLAYER: slot.agent},
        steps,
        reset_info,
        error,
        round_scores=round_scores,
        truncation_reason=truncation_reason,
        timing=Timing(time.perf_counter() - start, act_seconds, env_seconds),
        agent_stats={k: v - stats_before.get(k, 0.0) for k, v in stats_after.items()},
    )


def play_lineup(
    env: Any, agents: Mapping[str, Agent], slot: MapSlot, names: Mapping[str, str]
) -> MapRecord:
    """Play the map ``slot`` of the multi-agent ``env`` with ``agents`` seated by seat.

    ``env.reset(seed=slot.seed)`` draws the map that the single-agent env draws for the same
    seed; each agent is reset with its seat's view of the env (``env.seat_env(seat)``: the
    judge and ``score_actions``) and ``slot.agent_seed``. Seats without an agent are played
    by ``echo_opponent``, as the single-agent env plays them.

    Args:
        env: a ``XentAECEnv`` of the game.
        agents: seat -> the agent who plays it.
        slot: which map (``slot.agent`` is the lineup's label).
        names: seat -> the agent's name in the run (the record's ``seats``).

    Returns:
        The map's record (see :mod:`~xent_envs.evaluation.records`, "Self-play"): each step's
        reward is what its seat earned from its move until its next one (PettingZoo's
        cumulative reward), with the reward lines behind it.
    """
    stats_before = {seat: _numbers(agent.stats) for seat, agent in agents.items()}
    start = time.perf_counter()
    act_seconds = 0.0
    steps: list[StepRecord] = []
    error: MapError | None = None
    truncation_reason: str | None = None
    reset_info: dict[str, Any] = {}
    # A seat's latest step stays open until it moves again: what it earns meanwhile is its.
    open_steps: dict[str, int] = {}  # seat -> index of its open step in ``steps``
    terms: dict[str, list[RewardTerm]] = {}

    def close(seat: str, reward: float) -> None:
        index = open_steps.pop(seat, None)
        if index is not None:
            paid = tuple(terms.pop(seat, []))
            steps[index] = dataclasses.replace(steps[index], reward=reward, reward_terms=paid)

    try:
        env.reset(seed=slot.seed)
        reset_info = dict(env.infos[env.agent_selection])
        for seat, player in agents.items():
            try:
                player.reset(env.seat_env(seat), seed=slot.agent_seed)
            except Exception as exc:  # an agent's failure is recorded, the run goes on
                error = MapError.of("agent.reset", exc)
                break
        limit = (env.seated.step_limit or MAX_MOVES_PER_DRIVE) + len(env.possible_agents)
        for seat in env.agent_iter(limit if error is None else 0):
            obs, reward, terminated, truncated, info = env.last()
            close(seat, float(reward))
            if terminated or truncated:
                if truncated:
                    truncation_reason = str(info.get("truncation_reason") or "truncated")
                env.step(None)
                continue
            agent = agents.get(seat)
            t0 = time.perf_counter()
            try:
                action = (
                    _opponent_move(env, seat, obs, info)
                    if agent is None
                    else agent.act(obs["text"], info)
                )
            except Exception as exc:
                error = MapError.of("agent.act", exc)
                break
            t1 = time.perf_counter()
            env.step(action)
            t2 = time.perf_counter()
            act_seconds += t1 - t0
            details = agent.last_details if agent is not None else {"policy": "echo_opponent"}
            step = _step(seat, info, obs["text"], action, 0.0, env.infos[seat], details)
            step = dataclasses.replace(step, act_seconds=t1 - t0, step_seconds=t2 - t1)
            open_steps[seat] = len(steps)
            steps.append(step)
            for other in env.agents:  # what this step paid each seat whose step is open
                if other in open_steps:
                    paid = env.infos[other].get("reward_terms", ())
                    terms.setdefault(other, []).extend(_term(t) for t in paid)
        if error is None and env.agents:
            error = MapError("env", "StepLimit", f"the game did not end within {limit} turns")
    except XentError as exc:  # a judge or game fault on this map: record it, go on
        error = MapError.of("env", exc)
    for seat in list(open_steps):  # an interrupted map: what was paid so far
        close(seat, math.fsum(t.total for t in terms.get(seat, [])))

    match = env.match
    seat_scores = {
        seat: tuple(float(s) for s in match.round_scores(seat)) for seat in env.possible_agents
    } if match is not None else {}  # fmt: skip
    flat = [s for scores in seat_scores.values() for s in scores]
    bad = next((s for s in steps if not math.isfinite(s.reward)), None)
    if error is None and (bad is not None or not all(math.isfinite(s) for s in flat)):
        error = MapError(
            "env", "NonFiniteReward", f"the env paid a non-finite reward: {seat_scores}"
        )
    agent_stats = {
        f"{seat}.{k}": v - stats_before[seat].get(k, 0.0)
        for seat, agent in agents.items()
        for k, v in _numbers(agent.stats).items()
    }
    total = time.perf_counter() - start
    return _record(
        slot,
        dict(names),
        steps,
        reset_info,
        error,
        seat_scores=seat_scores,
        truncation_reason=truncation_reason,
        timing=Timing(total, act_seconds, total - act_seconds),
        agent_stats=agent_stats,
    )


def _record(
    slot: MapSlot,
    seats: Mapping[str, str],
    steps: list[StepRecord],
    reset_info: Mapping[str, Any],
    error: MapError | None,
    *,
    round_scores: tuple[float, ...] = (),
    **fields: Any,
) -> MapRecord:
    """The record of a played map: steps grouped by round, the reset's facts, the status."""
    by_round: dict[int, list[StepRecord]] = {}
    for step_record in steps:
        by_round.setdefault(step_record.round, []).append(step_record)
    rounds = tuple(
        RoundRecord(
            r,
            round_scores[r] if 0 <= r < len(round_scores) else sum(s.reward for s in rs),
            tuple(rs),
        )
        for r, rs in by_round.items()
    )
    return MapRecord.of(
        slot,
        seats,
        status="error" if error else "ok",
        round_scores=round_scores,
        rounds=rounds,
        instance_id=_optional_str(reset_info.get("instance_id")),
        params=json_value(reset_info.get("params") or {}),
        judge=json_value(reset_info.get("judge") or {}),
        error=error,
        **fields,
    )


def _opponent_move(env: Any, seat: str, obs: Mapping[str, Any], info: Mapping[str, Any]) -> Any:
    """The move of a seat no agent plays: ``echo_opponent``'s, as the single-agent env plays
    it (the text of the longest register the seat sees), as token ids."""
    visible = dict(env.match.pending.visible)
    return env.judge.encode(echo_opponent(obs["text"], {**info, "visible": visible}))


def _step(
    seat: str,
    info: Mapping[str, Any],
    observation: str,
    action: Any,
    reward: float,
    step_info: Mapping[str, Any],
    details: Mapping[str, Any],
) -> StepRecord:
    """A step's record (timings aside), read from the env's ``info`` before and after it."""
    ids = as_token_ids(action)
    invalid = bool(step_info.get("invalid_action", False))
    return StepRecord(
        seat=seat,
        round=int(info.get("round", 0)),
        observation=str(observation),
        action=tuple(ids or ()),
        move=None if invalid else _optional_str(step_info.get("move")),
        reward=reward,
        reward_terms=tuple(_term(t) for t in step_info.get("reward_terms", ())),
        invalid_action=invalid,
        reason=_optional_str(step_info.get("reason")),
        tokens=0 if invalid else int(step_info.get("move_tokens", len(ids or ()))),
        cut=bool(step_info.get("cut", False)),
        ensure_failed=bool(step_info.get("ensure_failed", False)),
        details=json_value(dict(details or {})),
    )


def _term(term: Mapping[str, Any]) -> RewardTerm:
    return RewardTerm(
        line=int(term.get("line", 0)),
        round=int(term.get("round", 0)),
        total=float(term["total"]),
        tokens=tuple(str(t) for t in term.get("tokens", ())),
        bits=tuple(float(b) for b in term.get("bits", ())),
    )


def _numbers(stats: Mapping[str, Any]) -> dict[str, float]:
    return {
        str(k): float(v)
        for k, v in stats.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)
