"""Play one map with one agent and return its :class:`~xent_envs.evaluation.records.MapRecord`.

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

__all__ = ["play_map"]


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
    stats_after = _numbers(agent.stats)
    return MapRecord.of(
        slot,
        seats or {MAIN_PLAYER: slot.agent},
        status="error" if error else "ok",
        round_scores=round_scores,
        rounds=rounds,
        instance_id=_optional_str(reset_info.get("instance_id")),
        params=json_value(reset_info.get("params") or {}),
        judge=json_value(reset_info.get("judge") or {}),
        truncation_reason=truncation_reason,
        timing=Timing(time.perf_counter() - start, act_seconds, env_seconds),
        agent_stats={k: v - stats_before.get(k, 0.0) for k, v in stats_after.items()},
        error=error,
    )


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
