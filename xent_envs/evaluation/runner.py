"""Run, resume or grow an evaluation: every (game, map, agent) of an :class:`EvalConfig`
played once and saved as soon as it ends.

All agents meet the same maps: map ``i`` of game ``g`` is reset with a seed derived stably
from ``(seed, g, i)`` (:func:`~xent_envs.evaluation.config.map_seed`), the env draws it from
the eval side of the content split (``split="eval"`` by default: no eval map shares an
opening, a word, a motion or a document with a train map), and each agent is reset with the
same agent seed for that map. Map texts come from ``config.text_source`` (a map pool makes
the resets instant).
The results folder (:mod:`xent_envs.evaluation.store`) holds one file per map, so:

- an interrupted run restarts where it stopped; maps recorded as errors are played again;
- a run grows: more maps, another game or another agent reuse every map already saved
  (the keys are explained in :mod:`xent_envs.evaluation.config`);
- a folder of another run (judge, text source, seed, split, rounds) is refused, and so is an
  agent or game name reused with another definition;
- one evaluation writes to a folder at a time (a second one is refused, naming the first).

Example:
    >>> from xent_envs.evaluation import AgentSpec, EvalConfig, evaluate
    >>> agents = (AgentSpec("random"), AgentSpec("search", options={"budget": 12}))
    >>> config = EvalConfig(agents, games=("Condense",), maps=2, judge="tiny-random-gpt2")
    >>> board = evaluate(config, "results/")                       # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from xent_envs.errors import ConfigError, RunConflictError, UnknownNameError, unknown_name
from xent_envs.evaluation.agent import (
    Agent,
    AgentFactory,
    build_agent,
    check_agent_options,
    load_agent_factory,
)
from xent_envs.evaluation.config import EvalConfig, RunManifest, agent_seed
from xent_envs.evaluation.episode import play_map
from xent_envs.evaluation.records import MapRecord, MapSlot
from xent_envs.evaluation.report import RunSummary, package_versions, write_reports
from xent_envs.evaluation.scoring import (
    DEFAULT_BASELINE,
    NORMALISATIONS,
    Leaderboard,
    Normalisation,
    leaderboard,
)
from xent_envs.evaluation.store import ResultsStore
from xent_envs.maps import MapSource, resolve_text_source, source_token

__all__ = ["evaluate", "plan"]


def plan(config: EvalConfig, run_key: str) -> Iterator[MapSlot]:
    """Every map slot of ``config`` in playing order (game, then map, then agent), lazily:
    a run of many maps costs nothing before it plays them."""
    for game in config.games:
        for index in range(config.maps_of(game)):
            seed = config.seed_of(game, index)
            for spec in config.agents:
                yield MapSlot(
                    game=game,
                    map=index,
                    agent=spec.name,
                    seed=seed,
                    agent_seed=agent_seed(seed),
                    run=run_key,
                    key=config.map_key(run_key, game, index, spec.name),
                )


def _expected(config: EvalConfig, run_key: str) -> Callable[[MapRecord], MapSlot | None]:
    """For a saved record, the slot this configuration expects in its place (or None)."""
    agents = {spec.name for spec in config.agents}

    def expect(record: MapRecord) -> MapSlot | None:
        if record.game not in config.games or record.agent not in agents:
            return None
        if not 0 <= record.map < config.maps_of(record.game):
            return None
        seed = config.seed_of(record.game, record.map)
        key = config.map_key(run_key, record.game, record.map, record.agent)
        return MapSlot(record.game, record.map, record.agent, seed, agent_seed(seed), run_key, key)

    return expect


def _resolve_games(names: Sequence[str]) -> list[Any]:
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
    lock_timeout: float = 0.0,
    normalisation: Normalisation = "baseline",
    baseline: str | None = DEFAULT_BASELINE,
) -> Leaderboard:
    """Run (or resume, or grow) the evaluation ``config`` into the folder ``out``.

    Args:
        config: what to play.
        out: the results folder; maps already saved there for this run are reused.
        agent_factories: by agent name, a callable that builds the agent from its options;
            other agents are built from their ``source`` (an entry-point name of
            ``xent_envs.agents`` or ``package.module:Class``, see
            :mod:`xent_envs.evaluation.agent`).
        resume: False refuses a folder that already holds maps of this configuration.
        progress: show a tqdm progress bar.
        reports: write ``results.json``, ``report.md`` and ``leaderboard.png`` at the end.
        log: where to print notes (resumed maps, skipped files, errors); default: nowhere.
        lock_timeout: seconds to wait for another evaluation writing to ``out`` to finish.
        normalisation: how the leaderboard normalises maps: ``"baseline"`` (default) or
            ``"reference"`` (:mod:`~xent_envs.evaluation.scoring`); it changes no map played.
        baseline: the agent scored 0 on every map with ``"baseline"`` (when in the run).

    Returns:
        The leaderboard of the maps of ``config``.

    Raises:
        UnknownNameError: an unknown agent, game or game of ``game_params`` (the message
            lists the valid ones).
        ConfigError: an option an agent does not take, a bad game parameter.
        RunConflictError: ``out`` holds another run, or an agent or game of the same name
            played with another definition; ``RunLockedError`` when another evaluation is
            writing to ``out``.
        WriteError: results cannot be saved (disk full); saved maps are kept.
        KeyboardInterrupt: passed on after the map in progress is dropped; every map saved
            before is kept and a rerun resumes.
    """
    from xent_envs.judge import load_judge

    note = log or (lambda _msg: None)
    if normalisation not in NORMALISATIONS:
        raise ConfigError(
            f"unknown normalisation {normalisation!r}; expected one of {list(NORMALISATIONS)}"
        )
    spaces = {space.name: space for space in _resolve_games(config.games)}
    config = dataclasses.replace(config, games=tuple(spaces))
    for game in config.game_params:
        if game not in spaces:
            raise UnknownNameError(
                unknown_name("game", game, spaces, where=" in the game parameters")
            )
    given = dict(agent_factories or {})
    factories = {
        spec.name: given.get(spec.name) or load_agent_factory(spec.target) for spec in config.agents
    }
    for spec in config.agents:
        check_agent_options(factories[spec.name], spec.options, spec.name)

    judge = load_judge(config.judge)
    fingerprint = dict(judge.fingerprint)
    source = resolve_text_source(config.text_source)
    texts = source_token(source)
    run_key = config.run_key(fingerprint, texts)
    store = ResultsStore(out)
    with store.lock(lock_timeout):
        folder = store.open(RunManifest.of(config, fingerprint, texts))
        problems = folder.conflicts(config)
        if problems:
            raise RunConflictError(f"{store.folder}: " + "; ".join(problems))
        scan = store.scan(_expected(config, run_key))
        for path, reason in scan.skipped:
            note(f"not using {path}: {reason}")
        if scan.outside:
            note(
                f"{scan.outside} saved maps of other agents, games or map numbers are kept "
                "but not counted in this leaderboard"
            )
        if scan.records and not resume:
            raise RunConflictError(
                f"{store.folder} already holds {len(scan.records)} maps of this run; resume "
                "it, or use another --out folder"
            )
        records = dict(scan.records)
        done = {slot for slot, record in records.items() if record.status == "ok"}
        if records:
            note(f"resuming run {run_key} in {store.folder}: {len(done)} maps already saved")
        # Agents and games join run.json with their first saved map, so a run that stops
        # before playing (an option an agent refuses) does not reserve their names.
        grown = folder.grown(config)
        manifest_saved = grown == folder

        todo = (s for s in plan(config, run_key) if (s.game, s.map, s.agent) not in done)
        bar = None
        total = len(config.games) * config.maps * len(config.agents)
        if progress and len(done) < total:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, initial=len(done), unit="map", desc="eval")
        try:
            with contextlib.closing(_play(config, todo, spaces, factories, done, source)) as played:
                for record in played:
                    if not manifest_saved:
                        store.write_run(grown)
                        manifest_saved = True
                    store.save(record)
                    records[(record.game, record.map, record.agent)] = record
                    if record.error is not None:
                        err = record.error
                        note(
                            f"{record.agent} failed on {record.game} map {record.map} "
                            f"({err.where}): {err.type}: {err.message}"
                        )
                    if bar is not None:
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()

        order = {name: i for i, name in enumerate(config.games)}
        agent_order = {spec.name: i for i, spec in enumerate(config.agents)}
        ranked = sorted(
            records.values(), key=lambda r: (order[r.game], r.map, agent_order[r.agent])
        )
        board = leaderboard(
            ranked,
            agents=[s.name for s in config.agents],
            seed=config.seed,
            normalisation=normalisation,
            baseline=baseline,
        )
        if reports:
            summary = RunSummary(run_key, config, fingerprint, package_versions())
            write_reports(store.folder, board, summary, ranked, scan.skipped)
    return board


def _play(
    config: EvalConfig,
    todo: Iterator[MapSlot],
    spaces: Mapping[str, Any],
    factories: Mapping[str, AgentFactory],
    done: set[tuple[str, int, str]],
    source: MapSource,
) -> Generator[MapRecord, None, None]:
    """Play the slots of ``todo``, yielding each record as soon as its map ends.

    The agents and envs that have maps to play are built first, so a bad option or game
    parameter stops the run before any map; they are closed when the generator ends.
    """
    import gymnasium as gym

    pending_agents: set[str] = set()
    pending_games: set[str] = set()
    for game in config.games:
        for index in range(config.maps):
            for spec in config.agents:
                if (game, index, spec.name) not in done:
                    pending_agents.add(spec.name)
                    pending_games.add(game)
            if game in pending_games and len(pending_agents) == len(config.agents):
                break
    agents: dict[str, Agent] = {}
    envs: dict[str, Any] = {}
    try:
        for spec in config.agents:
            if spec.name in pending_agents:
                agents[spec.name] = build_agent(factories[spec.name], spec.options, spec.name)
        for game in config.games:
            if game in pending_games:
                envs[game] = gym.make(
                    spaces[game].env_id,
                    judge=config.judge,
                    split=config.split,
                    text_source=source,
                    **config.params_of(game),
                )
        for slot in todo:
            yield play_map(envs[slot.game], agents[slot.agent], slot)
    finally:
        for agent in agents.values():
            agent.close()
        for env in envs.values():
            env.close()
