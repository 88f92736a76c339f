"""Play every (game, map, agent) of an evaluation and save each map as soon as it ends.

All agents meet the same maps: map ``i`` of game ``g`` is reset with a seed derived stably
from ``(seed, g, i)`` (:func:`map_seed`), and the env draws its map from the eval split of
map seeds. A run is keyed by a hash of its whole configuration, judge fingerprint included
(:meth:`EvalConfig.key`); its results folder holds one file per map (see
:mod:`xent_envs.evaluation.store`), so an interrupted run restarts where it stopped and a
folder of another configuration is refused. An agent that raises is recorded as an error for
that map, and the run goes on; maps recorded as errors are played again when the run resumes.

Example:
    >>> from xent_envs.evaluation import EvalConfig, evaluate
    >>> config = EvalConfig(agents=("random", "search"), games=("Condense",), maps=2,
    ...                     judge="tiny-random-gpt2")
    >>> board = evaluate(config, "results/")                       # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from xent_envs.errors import ConfigError, UnknownNameError, XentError, did_you_mean
from xent_envs.evaluation.report import package_versions, write_reports
from xent_envs.evaluation.scoring import Leaderboard, leaderboard
from xent_envs.evaluation.store import ResultsStore
from xent_envs.judge.models import DEFAULT_JUDGE
from xent_envs.seeding import derive_seed

__all__ = ["SECRET_OPTIONS", "EvalConfig", "evaluate", "map_seed", "play_map"]

#: agent options never written to disk nor hashed (they do not change what is played)
SECRET_OPTIONS = frozenset({"api_key"})

AgentFactory = Callable[[], Any]


def map_seed(seed: int, game: str, index: int) -> int:
    """The reset seed of map ``index`` of ``game`` in a run seeded with ``seed``: a stable
    hash (the same on every machine and Python), below 2**63.

    >>> map_seed(0, "Condense", 0) == map_seed(0, "Condense", 0) != map_seed(0, "Condense", 1)
    True
    """
    return derive_seed("xent-eval", seed, game, index)


@dataclass(frozen=True)
class EvalConfig:
    """What an evaluation plays. Every field is part of the run's key.

    Attributes:
        agents: agent names (built-in names for ``agents.make_agent``, or keys of the
            ``agent_factories`` given to :func:`evaluate`).
        games: game names as ``xent_envs.list_games()`` gives them (empty: all of them).
        maps: maps per game.
        rounds: rounds per map (None: each game's default).
        seed: the run's seed; map seeds derive from it.
        judge: judge name, as ``load_judge`` takes.
        agent_options: per agent name, keyword options for its constructor.
        game_params: per game name, fixed game parameters.
        split: the map-seed split the env draws from (``"eval"``, ``"train"`` or None).
    """

    agents: tuple[str, ...]
    games: tuple[str, ...] = ()
    maps: int = 2
    rounds: int | None = None
    seed: int = 0
    judge: str = DEFAULT_JUDGE
    agent_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    game_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    split: str | None = "eval"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields, without secret options (API keys)."""
        data = asdict(self)
        data["agents"] = list(self.agents)
        data["games"] = list(self.games)
        data["agent_options"] = {
            name: {k: v for k, v in sorted(opts.items()) if k not in SECRET_OPTIONS}
            for name, opts in sorted(self.agent_options.items())
        }
        data["game_params"] = {
            g: dict(sorted(p.items())) for g, p in sorted(self.game_params.items())
        }
        return data

    def key(self, judge_fingerprint: Mapping[str, Any]) -> str:
        """Hash of the configuration and the judge's fingerprint (16 hex digits)."""
        blob = json.dumps({**self.to_json(), "judge_fingerprint": dict(judge_fingerprint)},
                          sort_keys=True, default=str)  # fmt: skip
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _jsonable(value: Any) -> Any:
    """A JSON-ready copy of an info value (Scores, tuples, numpy scalars...)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if hasattr(value, "to_json"):
        return _jsonable(value.to_json())
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return str(value)


def _error(where: str, exc: BaseException) -> dict[str, Any]:
    return {
        "where": where,
        "type": type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-4000:],
    }


def play_map(env: Any, agent: Any, seed: int) -> dict[str, Any]:
    """Play one episode of ``env`` with ``agent`` from ``reset(seed=seed)``; return its record.

    An exception raised by the agent (or a judge error of the env) ends the map with
    ``status: "error"`` and what was played so far; other exceptions propagate.
    """
    stats_before = dict(getattr(agent, "stats", {}))
    record: dict[str, Any] = {"seed": seed, "status": "ok", "steps": []}
    act_time = env_time = 0.0
    start = time.perf_counter()
    try:
        t0 = time.perf_counter()
        obs, info = env.reset(seed=seed)
        env_time += time.perf_counter() - t0
        record.update(
            instance_id=info.get("instance_id"),
            params=_jsonable(info.get("params")),
            judge=_jsonable(info.get("judge")),
        )
        try:
            agent.reset(env, seed=seed)
        except Exception as exc:  # an agent's failure is recorded, the run goes on
            record.update(status="error", error=_error("agent.reset", exc))
            return record
        done = False
        while not done:
            t0 = time.perf_counter()
            try:
                action = agent.act(obs, info)
            except Exception as exc:
                record.update(status="error", error=_error("agent.act", exc))
                break
            t1 = time.perf_counter()
            round_index = info.get("round")
            next_obs, reward, terminated, truncated, step_info = env.step(action)
            t2 = time.perf_counter()
            act_time += t1 - t0
            env_time += t2 - t1
            record["steps"].append(
                _jsonable(
                    {
                        "round": round_index,
                        "observation": obs,
                        "action": [int(a) for a in action],
                        "move": step_info.get("move"),
                        "reward": float(reward),
                        "reward_terms": step_info.get("reward_terms", []),
                        "token_rewards": step_info.get("token_rewards", []),
                        "invalid_action": bool(step_info.get("invalid_action", False)),
                        "reason": step_info.get("reason"),
                        "tokens": int(step_info.get("move_tokens", len(action))),
                        "act_seconds": t1 - t0,
                        "step_seconds": t2 - t1,
                        "agent": dict(getattr(agent, "last_details", {}) or {}),
                    }
                )
            )
            obs, info = next_obs, step_info
            done = terminated or truncated
            if truncated:
                record["truncation_reason"] = step_info.get("truncation_reason")
    except XentError as exc:  # a judge or game fault on this map: record it, go on
        record.update(status="error", error=_error("env", exc))

    steps = record["steps"]
    rounds: dict[int, dict[str, Any]] = {}
    for step in steps:
        slot = rounds.setdefault(
            step["round"], {"round": step["round"], "reward": 0.0, "steps": []}
        )
        slot["reward"] += step["reward"]
        slot["steps"].append(step)
    round_scores = (
        [float(s) for s in info.get("round_scores", [])] if record["status"] == "ok" else []
    )
    if not round_scores:
        round_scores = [r["reward"] for r in rounds.values()]
    for r, slot in rounds.items():
        if isinstance(r, int) and r < len(round_scores):
            slot["score"] = round_scores[r]
    record.pop("steps")
    record["rounds"] = list(rounds.values())
    record["round_scores"] = round_scores
    record["score"] = max(round_scores) if record["status"] == "ok" and round_scores else None
    record["moves"] = len(steps)
    record["tokens_used"] = sum(s["tokens"] for s in steps)
    record["timing"] = {
        "total_seconds": time.perf_counter() - start,
        "act_seconds": act_time,
        "env_seconds": env_time,
    }
    stats = dict(getattr(agent, "stats", {}))
    record["agent_stats"] = {
        k: v - stats_before.get(k, 0) if isinstance(v, (int, float)) else v
        for k, v in stats.items()
    }
    return record


def _resolve_games(names: tuple[str, ...]) -> list[Any]:
    """Game spaces by name (all of them when ``names`` is empty); an unknown name raises the
    registry's ``UnknownNameError``, which lists the valid ones."""
    import xent_envs

    if not names:
        return list(xent_envs.list_games())
    return [xent_envs.game_space(name) for name in names]


def evaluate(
    config: EvalConfig,
    out: str | Path,
    *,
    agent_factories: Mapping[str, AgentFactory] | None = None,
    resume: bool = True,
    progress: bool = True,
    reports: bool = True,
    log: Callable[[str], None] | None = None,
) -> Leaderboard:
    """Run (or resume) the evaluation ``config`` into the folder ``out``.

    Args:
        config: what to play.
        out: the results folder; maps already saved there by the same configuration are
            skipped.
        agent_factories: builders for agent names that are not built-in (or to override them).
        resume: False refuses a folder that already holds maps of this run.
        progress: show a tqdm progress bar.
        reports: write ``results.json``, ``report.md`` and ``leaderboard.png`` at the end.
        log: where to print notes (resumed maps, errors); default: nowhere.

    Returns:
        The leaderboard of every map saved in ``out``.

    Raises:
        UnknownNameError: an unknown agent or game (the message lists the valid ones).
        RunConflictError: ``out`` holds another configuration.
        WriteError: results cannot be saved (disk full); saved maps are kept.
        KeyboardInterrupt: passed on after the map in progress is dropped; every map saved
            before is kept and a rerun resumes.
    """
    import gymnasium as gym

    from xent_envs.judge import load_judge

    note = log or (lambda _msg: None)
    factories = dict(agent_factories or {})
    if not config.agents:
        raise UnknownNameError("no agent to evaluate; pass at least one agent name")
    from agents import AGENTS, make_agent

    unknown = [a for a in config.agents if a not in factories and a not in AGENTS]
    if unknown:
        valid = ", ".join([*AGENTS, *(f for f in factories if f not in AGENTS)])
        close = did_you_mean(unknown[0], [*AGENTS, *factories])
        hint = f" ({close})" if close else ""
        raise UnknownNameError(
            f"unknown agent {', '.join(map(repr, unknown))}{hint}; valid agents: {valid}"
        )
    spaces = _resolve_games(config.games)
    if config.maps < 1:
        raise ConfigError(f"maps must be at least 1, got {config.maps}")
    config_games = tuple(s.name for s in spaces)
    if config_games != config.games:
        config = EvalConfig(
            **{**asdict(config), "games": config_games, "agents": tuple(config.agents)}
        )

    judge = load_judge(config.judge)
    fingerprint = dict(judge.fingerprint)
    key = config.key(fingerprint)
    run = {
        "key": key,
        "config": {**config.to_json(), "judge_fingerprint": fingerprint},
        "versions": package_versions(),
    }
    store = ResultsStore(out)
    saved = store.open(key, run["config"], resume=resume)
    if saved:
        note(f"resuming run {key} in {store.folder}: {saved} maps already saved")

    units = [(s, i, a) for s in spaces for i in range(config.maps) for a in config.agents]
    todo = []
    for space, index, name in units:
        old = store.load(space.name, index, name)
        if old is None or old.get("status") != "ok":
            todo.append((space, index, name))

    agents: dict[str, Any] = {}
    envs: dict[str, Any] = {}
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(units), initial=len(units) - len(todo), unit="map", desc="eval")
    try:
        for space, index, name in todo:
            if name not in agents:
                options = dict(config.agent_options.get(name, {}))
                agents[name] = (
                    factories[name](**options) if name in factories else make_agent(name, **options)
                )
            if space.name not in envs:
                params = dict(config.game_params.get(space.name, {}))
                if config.rounds is not None:
                    params["rounds"] = config.rounds
                envs[space.name] = gym.make(
                    space.env_id, judge=config.judge, split=config.split, **params
                )
            seed = map_seed(config.seed, space.name, index)
            if bar is not None:
                bar.set_postfix_str(f"{space.name} #{index} {name}")
            record = play_map(envs[space.name], agents[name], seed)
            record = {"game": space.name, "map": index, "agent": name, "run": key, **record}
            store.save(record)
            if record["status"] == "error":
                err = record["error"]
                note(
                    f"{name} failed on {space.name} map {index} ({err['where']}): "
                    f"{err['type']}: {err['message']}"
                )
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        for agent in agents.values():
            close = getattr(agent, "close", None)
            if close is not None:
                close()
        for env in envs.values():
            env.close()

    records = [r for r in store.records() if r.get("run") == key]
    board = leaderboard(records, agents=config.agents, seed=config.seed)
    if reports:
        write_reports(store.folder, board, run, records)
    return board
