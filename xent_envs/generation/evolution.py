"""Evolutionary search of the game space: MAP-Elites over program descriptors.

Each generation makes ``population`` candidates: fresh samples (all of generation 0, then a
share ``sample_share``) and mutations of elites drawn uniformly from the archive. Every
candidate runs the playability filters (``evaluate``, early stop); a playable one gets its
fitness (``archive`` explains it) and enters its cell if the cell is empty or it beats the
elite there. Candidates already seen in an earlier generation are not drawn again.

The run lives in a folder and survives interruption:

- ``evolution.json``: the configuration, the judge's fingerprint, the archive and the history
  after the last complete generation, written atomically at the end of each generation;
- ``generation-<g>.json``: the candidates of the generation in progress evaluated so far,
  written atomically after each one, so an interrupted generation resumes where it stopped;
- ``archive.json`` and ``games/``: the archive and its elites' ``.xent`` and ``.toml`` files,
  exported after each generation for other tools (``xent-envs cover``, ``register_game``).

Everything is drawn from the run's seed, and a generation's candidates enter the archive in
their drawn order once all are evaluated, so a run resumed after an interruption ends with
exactly the archive of a run that never stopped. Running again with more ``generations``
extends a finished run; any other change of configuration (or of judge) is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from xent_envs.errors import ConfigError, RunConflictError, XentError
from xent_envs.files import atomic_write_json
from xent_envs.generation.archive import Archive, Elite, novelty, read_json
from xent_envs.generation.filters import FILTERS, Evaluation, FilterConfig, FilterResult, evaluate
from xent_envs.generation.game import GeneratedGame
from xent_envs.generation.grammar import Draw
from xent_envs.generation.mutation import from_builtin, mutate
from xent_envs.generation.sampler import DEFAULT_CONFIG, SamplerConfig, sample_game

__all__ = ["STATE_FILE", "EvolutionConfig", "evolve", "load_state"]

STATE_FILE = "evolution.json"
_FORMAT = "xent-evolution"
_VERSION = 1


@dataclass(frozen=True)
class EvolutionConfig:
    """What an evolution run does (all but ``generations`` must match to resume a run).

    Attributes:
        generations: generations to run in all (a larger number extends a finished run).
        population: candidates per generation.
        seed: the run's seed: candidates, mutations, map seeds and probes derive from it.
        maps: maps each candidate is probed on.
        sample_share: share of fresh samples among a generation's candidates (after the
            first generation, which is all samples).
        novelty_weight: weight of novelty in the fitness.
        builtins: add the built-in games (parameters at their defaults) to generation 0.
    """

    generations: int = 5
    population: int = 16
    seed: int = 0
    maps: int = 2
    sample_share: float = 0.25
    novelty_weight: float = 0.5
    builtins: bool = False

    def __post_init__(self) -> None:
        if self.generations < 0 or self.population < 1 or self.maps < 1:
            raise ConfigError(
                "generations must be >= 0, population and maps >= 1; got "
                f"{self.generations}, {self.population}, {self.maps}"
            )
        if not 0 <= self.sample_share <= 1:
            raise ConfigError(f"sample_share is a share in [0, 1], got {self.sample_share}")

    def identity(self) -> dict[str, Any]:
        """The fields a resumed run must share (all but ``generations``)."""
        return {k: v for k, v in asdict(self).items() if k != "generations"}


def load_state(folder: str | Path) -> dict[str, Any] | None:
    """The saved state of the run in ``folder`` (None for a new run).

    Raises:
        ConfigError: the state file is corrupted (not JSON, or not a run state).
    """
    path = Path(folder) / STATE_FILE
    if not path.exists():
        return None
    state = read_json(path)
    if not isinstance(state, dict) or state.get("format") != _FORMAT:
        raise ConfigError(f"{path}: not an evolution run state (format {_FORMAT!r} expected)")
    if state.get("version") != _VERSION:
        raise ConfigError(
            f"{path}: run state version {state.get('version')!r}; expected {_VERSION}"
        )
    for key in ("config", "sampler", "judge", "completed", "archive", "history", "seen"):
        if key not in state:
            raise ConfigError(f"{path}: the run state is corrupted (no {key!r})")
    return state


def evolve(
    config: EvolutionConfig,
    out: str | Path,
    judge: Any,
    *,
    sampler: SamplerConfig = DEFAULT_CONFIG,
    filters: FilterConfig | None = None,
    log: Callable[[str], None] | None = None,
) -> tuple[Archive, list[dict[str, Any]]]:
    """Run (or resume) an evolution in folder ``out``; return the archive and the history
    (one entry per generation: candidates, passes per filter, insertions, archive size and
    coverage, best fitness, seconds).

    Raises:
        RunConflictError: ``out`` holds a run of another configuration or judge.
        ConfigError: ``out`` holds a corrupted run state.
    """
    out = Path(out)
    filters = filters or FilterConfig()
    say = log or (lambda message: None)
    fingerprint = dict(judge.fingerprint)
    state = load_state(out)
    if state is None:
        archive, history, seen, done = Archive(), [], set(), 0
    else:
        _check_same_run(state, config, sampler, fingerprint, out)
        archive = Archive.from_json(state["archive"], str(out / STATE_FILE))
        history, seen, done = list(state["history"]), set(state["seen"]), int(state["completed"])
        say(f"resuming {out}: {done} generation(s) done, {len(archive)} elites")
    for generation in range(done, config.generations):
        start = time.perf_counter()
        candidates = _candidates(config, sampler, archive, seen, generation)
        evaluations = _evaluate_all(candidates, judge, config, filters, out, generation, say)
        before = archive.elites()
        inserted = passed = 0
        for game, evaluation in zip(candidates, evaluations):
            seen.add(game.digest)
            if not evaluation.passed or evaluation.profile is None:
                continue
            passed += 1
            playability = evaluation.profile.playability(filters.search)
            fresh = novelty(game, evaluation.profile, before)
            elite = Elite(
                game,
                evaluation,
                playability,
                fresh,
                playability + config.novelty_weight * fresh,
                generation,
            )
            inserted += archive.consider(elite)
        entry = _history_entry(generation, evaluations, passed, inserted, archive, start)
        history.append(entry)
        _save(out, config, sampler, fingerprint, generation + 1, archive, history, seen)
        say(
            f"generation {generation}: {passed}/{len(candidates)} playable, {inserted} new "
            f"elites, archive {len(archive)} ({100 * archive.coverage:.1f}% of cells)"
        )
    return archive, history


def _check_same_run(
    state: dict[str, Any],
    config: EvolutionConfig,
    sampler: SamplerConfig,
    fingerprint: dict[str, Any],
    out: Path,
) -> None:
    saved = dict(state["config"])
    mine = config.identity()
    differ = sorted(k for k in set(saved) | set(mine) if saved.get(k) != mine.get(k))
    if state["sampler"] != sampler.to_json():
        differ.append("sampler")
    if differ:
        raise RunConflictError(
            f"{out} holds an evolution run with other settings ({', '.join(differ)}: "
            f"{ {k: saved.get(k) for k in differ if k in saved} }); use another folder, or the "
            "same settings to resume it"
        )
    if state["judge"] != fingerprint:
        raise RunConflictError(
            f"{out} holds an evolution run scored by another judge ({state['judge']}); "
            "use another folder, or that judge to resume it"
        )


def _candidates(
    config: EvolutionConfig,
    sampler: SamplerConfig,
    archive: Archive,
    seen: set[str],
    generation: int,
) -> list[GeneratedGame]:
    """The candidates of ``generation``: a function of the seed, the generation and the
    archive as the previous generation left it."""
    draw = Draw(config.seed, "evolution", generation)
    elites = archive.elites()
    out: list[GeneratedGame] = []
    taken = set(seen)
    if generation == 0 and config.builtins:
        from xent_envs.games import builtin_games

        for definition in builtin_games():
            builtin = from_builtin(definition)
            if builtin.digest not in taken:
                taken.add(builtin.digest)
                out.append(builtin)
    goal = len(out) + config.population
    for _ in range(config.population * 20):  # duplicates are redrawn, a bounded number of times
        if len(out) >= goal:
            break
        child_seed = int(draw.rng.integers(0, 2**63 - 1))
        if not elites or draw.chance(config.sample_share):
            try:
                game: GeneratedGame | None = sample_game(child_seed, sampler)
            except XentError:  # a grammar bug: never expected, never fatal
                continue
        else:
            game = mutate(draw.pick(elites).game, child_seed).game
        if game is not None and game.digest not in taken:
            taken.add(game.digest)
            out.append(game)
    return out


def _evaluate_all(
    candidates: list[GeneratedGame],
    judge: Any,
    config: EvolutionConfig,
    filters: FilterConfig,
    out: Path,
    generation: int,
    say: Callable[[str], None],
) -> list[Evaluation]:
    """Evaluate the candidates, saving each result as it comes (``generation-<g>.json``) and
    reusing those an interrupted run already saved."""
    path = out / f"generation-{generation}.json"
    digests = [c.digest for c in candidates]
    done: dict[str, Any] = {}
    if path.exists():
        try:
            partial = read_json(path)
            if partial.get("candidates") == digests:
                done = dict(partial.get("results", {}))
                say(f"generation {generation}: reusing {len(done)} evaluated candidates")
            else:
                say(f"generation {generation}: {path.name} is from other candidates; ignored")
        except (ConfigError, AttributeError):
            say(f"generation {generation}: {path.name} is corrupted; evaluating again")
    results: list[Evaluation] = []
    for _index, game in enumerate(candidates):
        saved = done.get(game.digest)
        if saved is not None:
            try:
                results.append(Evaluation.from_json(saved))
                continue
            except (KeyError, TypeError, ValueError):
                pass  # a damaged record: evaluate again
        try:
            evaluation = evaluate(game, judge, maps=config.maps, seed=config.seed, config=filters)
        except (
            XentError
        ) as exc:  # a judge or game fault on this candidate: it fails, the run goes on
            evaluation = Evaluation(game.name, (FilterResult("error", False, str(exc)),))
        results.append(evaluation)
        done[game.digest] = evaluation.to_json()
        atomic_write_json(path, {"generation": generation, "candidates": digests, "results": done})
    return results


def _history_entry(
    generation: int,
    evaluations: list[Evaluation],
    passed: int,
    inserted: int,
    archive: Archive,
    start: float,
) -> dict[str, Any]:
    counts = {name: [0, 0] for name in FILTERS}
    for evaluation in evaluations:
        for result in evaluation.results:
            if result.name in counts and result.passed is not None:
                counts[result.name][1] += 1
                counts[result.name][0] += int(result.passed)
    elites = archive.elites()
    return {
        "generation": generation,
        "candidates": len(evaluations),
        "passed": passed,
        "inserted": inserted,
        "archive": len(archive),
        "coverage": archive.coverage,
        "filters": {name: {"passed": p, "run": n} for name, (p, n) in counts.items()},
        "best_fitness": max((e.fitness for e in elites), default=None),
        "mean_fitness": (sum(e.fitness for e in elites) / len(elites)) if elites else None,
        "seconds": time.perf_counter() - start,
    }


def _save(
    out: Path,
    config: EvolutionConfig,
    sampler: SamplerConfig,
    fingerprint: dict[str, Any],
    completed: int,
    archive: Archive,
    history: list[dict[str, Any]],
    seen: set[str],
) -> None:
    """Checkpoint a finished generation, then export the archive and its games."""
    state = {
        "format": _FORMAT,
        "version": _VERSION,
        "config": config.identity(),
        "generations": config.generations,
        "sampler": sampler.to_json(),
        "judge": fingerprint,
        "completed": completed,
        "archive": archive.to_json(),
        "history": history,
        "seen": sorted(seen),
    }
    atomic_write_json(out / STATE_FILE, state)
    archive.save(out / "archive.json")
    games = out / "games"
    keep = set()
    for elite in archive.elites():
        for path in elite.game.write(games):
            keep.add(path.name)
    for stale in games.glob("Gen_*"):
        if stale.name not in keep:
            stale.unlink()
    partial = out / f"generation-{completed - 1}.json"
    if partial.exists():
        partial.unlink()
