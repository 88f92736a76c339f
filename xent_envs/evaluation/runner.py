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

Self-play: each :class:`~xent_envs.evaluation.config.Lineup` of the configuration plays every
game of the run on the same maps, through the game's PettingZoo AEC env, its agents seated
as it says (:func:`~xent_envs.evaluation.episode.play_lineup`). Its maps are saved, resumed
and grown like an agent's; the report adds a head-to-head table
(:mod:`~xent_envs.evaluation.headtohead`). Without ``games``, a run with lineups plays the
games that have every lineup's seats.

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
from xent_envs.evaluation.config import EvalConfig, Lineup, RunManifest, agent_seed
from xent_envs.evaluation.episode import play_lineup, play_map
from xent_envs.evaluation.headtohead import head_to_head
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
    """Every map slot of ``config`` in playing order (game, then map, then the agents that
    play alone, then the lineups), lazily: a run of many maps costs nothing before it plays
    them."""
    for game in config.games:
        for index in range(config.maps_of(game)):
            seed = config.seed_of(game, index)
            for player in config.players:
                yield MapSlot(
                    game=game,
                    map=index,
                    agent=player,
                    seed=seed,
                    agent_seed=agent_seed(seed),
                    run=run_key,
                    key=config.map_key(run_key, game, index, player),
                )


def _expected(config: EvalConfig, run_key: str) -> Callable[[MapRecord], MapSlot | None]:
    """For a saved record, the slot this configuration expects in its place (or None)."""
    agents = set(config.players)

    def expect(record: MapRecord) -> MapSlot | None:
        if record.game not in config.games or record.agent not in agents:
            return None
        if not 0 <= record.map < config.maps_of(record.game):
            return None
        seed = config.seed_of(record.game, record.map)
        key = config.map_key(run_key, record.game, record.map, record.agent)
        return MapSlot(record.game, record.map, record.agent, seed, agent_seed(seed), run_key, key)

    return expect


def _resolve_games(names: Sequence[str], lineups: Sequence[Lineup] = ()) -> list[Any]:
    """Game spaces by name (all of them when ``names`` is empty; with lineups, all that have
    every lineup's seats); an unknown name raises the registry's ``UnknownNameError``, which
    lists the valid ones.

    Raises:
        ConfigError: a game without a seat a lineup names (the message names its seats), or
            no game with the lineups' seats.
    """
    import xent_envs

    if names:
        spaces = [xent_envs.game_space(name) for name in names]
    else:
        spaces = [
            space
            for space in xent_envs.list_games()
            if all(set(lineup.seats) <= set(_seats(space)) for lineup in lineups)
        ]
        if not spaces:
            wanted = sorted({seat for lineup in lineups for seat in lineup.seats})
            several = [
                f"{space.name} ({', '.join(_seats(space))})"
                for space in xent_envs.list_games()
                if len(_seats(space)) > 1
            ]
            raise ConfigError(
                f"no game has the seats {', '.join(wanted)}; games with several seats: "
                f"{'; '.join(several) or '(none)'}"
            )
    for lineup in lineups:
        for space in spaces:
            seats = _seats(space)
            for seat in lineup.seats:
                if seat not in seats:
                    raise ConfigError(
                        f"lineup {lineup.label}: "
                        + unknown_name("seat", seat, seats, where=f" of {space.name}")
                    )
    return spaces


def _seats(space: Any) -> tuple[str, ...]:
    """The seats a game asks for moves, in order of first move."""
    from xent_envs.envs.match import seat_budgets

    return tuple(seat_budgets(space.program()))


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
    spaces = {space.name: space for space in _resolve_games(config.games, config.lineups)}
    config = dataclasses.replace(config, games=tuple(spaces))
    for game in config.game_params:
        if game not in spaces:
            raise UnknownNameError(
                unknown_name("game", game, spaces, where=" in the game parameters")
            )
    given = dict(agent_factories or {})
    seated = {spec.name: lineup for lineup in config.lineups for spec in lineup.seats.values()}
    factories = {}
    for spec in config.all_agents():
        try:
            factories[spec.name] = given.get(spec.name) or load_agent_factory(spec.target)
        except UnknownNameError as exc:
            if spec.name not in seated or spec in config.agents:
                raise
            raise UnknownNameError(f"lineup {seated[spec.name].label}: {exc}") from exc
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
        total = sum(config.maps_of(game) for game in config.games) * len(config.players)
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
        agent_order = {player: i for i, player in enumerate(config.players)}
        ranked = sorted(
            records.values(), key=lambda r: (order[r.game], r.map, agent_order[r.agent])
        )
        alone = [r for r in ranked if not r.is_lineup]
        board = leaderboard(
            alone,
            agents=[s.name for s in config.agents],
            seed=config.seed,
            normalisation=normalisation,
            baseline=baseline,
        )
        if reports:
            summary = RunSummary(run_key, config, fingerprint, package_versions())
            write_reports(
                store.folder,
                board,
                summary,
                ranked,
                scan.skipped,
                head_to_head=head_to_head(ranked, seed=config.seed),
            )
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
    parameter stops the run before any map; they are closed when the generator ends. An
    agent that plays alone and one seat of a lineup are built apart (each reset with its
    own env), one per (agent, seat) however many lineups seat it there.
    """
    import gymnasium as gym

    from xent_envs.multiagent import env as multiagent_env

    players = config.players
    lineups = {lineup.label for lineup in config.lineups}
    pending_players: set[str] = set()
    pending_games: dict[str, set[str]] = {"alone": set(), "lineup": set()}
    for game in config.games:
        for index in range(config.maps_of(game)):
            for player in players:
                if (game, index, player) not in done:
                    pending_players.add(player)
                    pending_games["lineup" if player in lineups else "alone"].add(game)
    agents: dict[str, Agent] = {}
    seated: dict[tuple[str, str], Agent] = {}
    envs: dict[str, Any] = {}
    tables: dict[str, Any] = {}
    try:
        for spec in config.agents:
            if spec.name in pending_players:
                agents[spec.name] = build_agent(factories[spec.name], spec.options, spec.name)
        for lineup in config.lineups:
            if lineup.label in pending_players:
                for seat, spec in lineup.seats.items():
                    if (spec.name, seat) not in seated:
                        built = build_agent(factories[spec.name], spec.options, spec.name)
                        seated[(spec.name, seat)] = built
        for game in config.games:
            if game in pending_games["alone"]:
                envs[game] = gym.make(
                    spaces[game].env_id,
                    judge=config.judge,
                    split=config.split,
                    text_source=source,
                    **config.params_of(game),
                )
            if game in pending_games["lineup"]:
                tables[game] = multiagent_env(
                    game,
                    judge=config.judge,
                    split=config.split,
                    text_source=source,
                    **config.params_of(game),
                )
        for slot in todo:
            if slot.agent in agents:
                yield play_map(envs[slot.game], agents[slot.agent], slot)
                continue
            lineup = config.lineup(slot.agent)
            yield play_lineup(
                tables[slot.game],
                {seat: seated[(spec.name, seat)] for seat, spec in lineup.seats.items()},
                slot,
                names={seat: spec.name for seat, spec in lineup.seats.items()},
            )
    finally:
        for agent in [*agents.values(), *seated.values()]:
            agent.close()
        for env in [*envs.values(), *tables.values()]:
            env.close()
