"""Is the suite measuring skill? Its scores checked against a ladder of agents of known strength.

A **ladder** is a list of agents whose true order is known, weakest first. The reference one
(``benchmarks/validity.py``) is ``random``, then ``SearchAgent`` with evaluation budgets 4, 16,
64, 256: budgets nest (a smaller budget evaluates a prefix of a larger one's candidates),
so on every map a rung's move is expected to earn at least what the rung below it earns. A game
measures skill only if its scores rank such a ladder in order; a game whose scores tie the
rungs (every move struck out to nothing, a refused move scored like a legal one) or invert
them does not.

:func:`evaluate_seed_sets` plays a configuration on several **seed sets** (resumable runs on
disjoint maps); from their map records this module computes:

- per game (all seed sets pooled), each rung's mean normalised score, Spearman's rho and
  Kendall's tau against the true order, and whether the game ranks the ladder **in order**
  (every rung strictly above the one below it); the fraction of games that do;
- **rank stability**: Kendall's tau between the rankings that two seed sets give, per game and
  overall (the leaderboard's mean over games);
- **maps needed**: the fewest maps per game at which two independent draws of that many maps
  (one from each seed set) rank the ladder with an expected tau of at least ``threshold``.

Scores are normalised as the leaderboard does (:mod:`~xent_envs.evaluation.scoring`, with the
ladder's first rung as the baseline), so what is checked is what the leaderboard shows.

Example:
    >>> ladder = ["random", "s1", "s4"]
    >>> report = validity_report([records_a, records_b], ladder)  # doctest: +SKIP
    >>> print(report.to_markdown())  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xent_envs.errors import ConfigError
from xent_envs.evaluation.agent import AgentFactory
from xent_envs.evaluation.config import EvalConfig
from xent_envs.evaluation.json_record import json_value
from xent_envs.evaluation.records import MapRecord
from xent_envs.evaluation.scoring import (
    MapTable,
    Normalisation,
    leaderboard,
    map_score,
    map_table,
)

#: numbers to rank: a sequence or a 1-D array
Floats = Sequence[float] | np.ndarray

__all__ = [
    "GameCheck",
    "LadderError",
    "RoundsPoint",
    "SeedSets",
    "Stability",
    "ValidityReport",
    "evaluate_seed_sets",
    "first_rounds",
    "kendall_tau",
    "rounds_study",
    "spearman_rho",
    "validity_report",
]


@dataclass(frozen=True)
class SeedSets:
    """The records of one configuration played on several disjoint seed sets.

    Attributes:
        records: per seed set, its map records.
        folders: per seed set, its results folder.
        seconds: per seed set, the wall time of this call (small when resumed).
    """

    records: tuple[tuple[MapRecord, ...], ...]
    folders: tuple[Path, ...]
    seconds: tuple[float, ...]


def evaluate_seed_sets(
    config: EvalConfig,
    out: str | Path,
    seed_sets: int,
    *,
    agent_factories: Mapping[str, AgentFactory] | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> SeedSets:
    """Play ``config`` on ``seed_sets`` disjoint sets of maps, each a resumable run in
    ``out/set-K`` with run seed ``config.seed + K - 1``.

    Map seeds are stable hashes of (run seed, game, map), so the sets share no map (the
    reports check it from the instance ids). Everything :func:`evaluate` does carries over:
    an interrupted call resumes where it stopped, failed maps are played again, more maps
    or agents reuse every map saved.

    Raises:
        KeyboardInterrupt: passed on after ``log`` says which sets are complete and how to
            resume; every map saved is kept.
        ConfigError: fewer than one seed set, or what :func:`evaluate` raises.
    """
    from xent_envs.evaluation.runner import evaluate
    from xent_envs.evaluation.store import ResultsStore

    if seed_sets < 1:
        raise ConfigError(f"seed_sets must be at least 1, got {seed_sets}")
    note = log or (lambda _msg: None)
    records, folders, seconds = [], [], []
    for k in range(seed_sets):
        folder = Path(out) / f"set-{k + 1}"
        seeded = dataclasses.replace(config, seed=config.seed + k)
        note(f"seed set {k + 1}/{seed_sets} (seed {seeded.seed}) -> {folder}")
        start = time.perf_counter()
        try:
            evaluate(
                seeded, folder, agent_factories=agent_factories, progress=progress,
                log=lambda msg: note(f"  {msg}"),
            )  # fmt: skip
        except KeyboardInterrupt:
            saved = len(ResultsStore(folder).map_files())
            done = f" (and seed sets 1-{k} are complete)" if k else ""
            note(
                f"Interrupted in seed set {k + 1}: {saved} maps of it are saved in {folder}"
                f"{done}; run the same command again to resume."
            )
            raise
        seconds.append(time.perf_counter() - start)
        data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        records.append(tuple(MapRecord.from_json(m) for m in data["maps"]))
        folders.append(folder)
    return SeedSets(tuple(records), tuple(folders), tuple(seconds))


def _ranks(values: Floats) -> np.ndarray:
    """Ranks from 1, ties sharing their mean rank."""
    x = np.asarray(values, dtype=float)
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and x[order[j + 1]] == x[order[i]]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman_rho(x: Floats, y: Floats) -> float:
    """Spearman's rank correlation (Pearson's on mean ranks); NaN when a side is constant.

    >>> spearman_rho([1, 2, 3, 4], [10, 20, 30, 40])
    1.0
    >>> spearman_rho([1, 2, 3], [3, 2, 1])
    -1.0
    """
    if len(x) != len(y):
        raise ValueError(f"spearman_rho needs sequences of one length, got {len(x)} and {len(y)}")
    rx, ry = _ranks(x), _ranks(y)
    dx, dy = rx - rx.mean(), ry - ry.mean()
    denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy) / denominator if denominator > 0 else math.nan


def kendall_tau(x: Floats, y: Floats) -> float:
    """Kendall's tau-b (ties counted as neither concordant nor discordant, and corrected
    for); NaN when a side is constant.

    >>> kendall_tau([1, 2, 3, 4], [1, 2, 4, 3])
    0.6666666666666666
    >>> round(kendall_tau([1, 2, 3], [1, 1, 2]), 4)
    0.8165
    """
    if len(x) != len(y):
        raise ValueError(f"kendall_tau needs sequences of one length, got {len(x)} and {len(y)}")
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    i, j = np.triu_indices(len(a), k=1)
    sx, sy = np.sign(a[i] - a[j]), np.sign(b[i] - b[j])
    n_x, n_y = np.count_nonzero(sx), np.count_nonzero(sy)
    if n_x == 0 or n_y == 0:
        return math.nan
    return float(np.sum(sx * sy)) / math.sqrt(n_x * n_y)


@dataclass(frozen=True)
class GameCheck:
    """How one game ranks the ladder.

    Attributes:
        game: the game.
        means: each rung's mean normalised score, in ladder order.
        bits: each rung's mean best-round score in bits.
        spearman: Spearman's rho between ``means`` and the true order.
        kendall: Kendall's tau-b between ``means`` and the true order.
        in_order: every rung scores strictly above the one below it.
        maps: maps scored (all seed sets); a map where no rung completed a round (every
            move refused, say) cannot be scored.
        flat_maps: maps where no rung beat the baseline.
        errors: maps a rung failed to play.
        inversions: adjacent rungs out of order or tied, as ``"s4 >= s16"``.
    """

    game: str
    means: tuple[float, ...]
    bits: tuple[float, ...]
    spearman: float
    kendall: float
    in_order: bool
    maps: int
    flat_maps: int
    errors: int
    inversions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stability:
    """Kendall's tau between the rankings of two seed sets, and the maps needed.

    Attributes:
        overall: tau between the two sets' overall rankings (mean over games).
        per_game: tau per game.
        maps_needed: fewest maps per game for an expected tau >= ``threshold``, per game and
            under ``"overall"``; None when even every map available falls short.
        curve: expected overall tau with n maps per game, for n = 1, 2, ...
        threshold: the tau aimed at.
        maps: maps per game available in the smaller set.
        shared_maps: maps (instance ids) found in both sets; 0 when they are disjoint.
    """

    overall: float
    per_game: Mapping[str, float]
    maps_needed: Mapping[str, int | None]
    curve: tuple[float, ...]
    threshold: float
    maps: int
    shared_maps: int = 0


@dataclass(frozen=True)
class LadderError:
    """A map a rung failed to play (it is played again when the run resumes)."""

    seed_set: int
    game: str
    map: int
    agent: str
    message: str


@dataclass(frozen=True)
class ValidityReport:
    """The answer to "does the suite rank a ladder of known strength in order, stably?".

    Attributes:
        ladder: the rungs, weakest first.
        games: the games checked.
        checks: one per game (seed sets pooled).
        fraction_in_order: share of ``games`` whose check is ``in_order``.
        overall: each rung's mean normalised score over games (pooled).
        stability: between the first two seed sets (None with one set).
        errors: maps a rung failed to play.
        seed_sets: how many seed sets were given.
        normalisation: the leaderboard normalisation used.
    """

    ladder: tuple[str, ...]
    games: tuple[str, ...]
    checks: tuple[GameCheck, ...]
    fraction_in_order: float
    overall: tuple[float, ...]
    stability: Stability | None
    errors: tuple[LadderError, ...] = ()
    seed_sets: int = 1
    normalisation: str = "baseline"
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Strict JSON (NaN as ``"nan"``)."""
        return dict(json_value(dataclasses.asdict(self)))

    def to_markdown(self) -> str:
        """The report as Markdown: the per-game table, the fraction in order, stability."""
        return _markdown(self)


def _pooled(sets: Sequence[Sequence[MapRecord]]) -> list[MapRecord]:
    """All sets' records as one run: set k's maps numbered after set k-1's."""
    out: list[MapRecord] = []
    offset = 0
    for records in sets:
        out += [dataclasses.replace(r, map=offset + r.map) for r in records]
        offset += max((r.map for r in records), default=-1) + 1
    return out


def _check_game(game: str, table: MapTable, records: Sequence[MapRecord]) -> GameCheck:
    ladder = table.agents
    matrix = table.normalised.get(game, np.zeros((0, len(ladder))))
    means = (
        tuple(float(v) for v in matrix.mean(axis=0)) if len(matrix) else (math.nan,) * len(ladder)
    )
    bits = []
    for agent in ladder:
        scores = [map_score(r) for r in records if r.game == game and r.agent == agent]
        played = [x for x in scores if x is not None]
        bits.append(float(np.mean(played)) if played else math.nan)
    true_order = list(range(len(ladder)))
    finite = all(math.isfinite(m) for m in means)
    inversions = tuple(
        f"{ladder[k]} >= {ladder[k + 1]}"
        for k in range(len(ladder) - 1)
        if not (finite and means[k] < means[k + 1])
    )
    return GameCheck(
        game=game,
        means=means,
        bits=tuple(bits),
        spearman=spearman_rho(means, true_order) if finite else math.nan,
        kendall=kendall_tau(means, true_order) if finite else math.nan,
        in_order=finite and not inversions,
        maps=len(matrix),
        flat_maps=sum(1 for g, _ in table.flat if g == game),
        errors=sum(1 for r in records if r.game == game and r.status == "error"),
        inversions=inversions,
    )


def _overall(means: Mapping[str, np.ndarray], width: int) -> np.ndarray:
    return np.mean(list(means.values()), axis=0) if means else np.full(width, math.nan)


def _tau_or_zero(x: Floats, y: Floats) -> float:
    """tau, counting an undefined one (a constant ranking) as no agreement."""
    tau = kendall_tau(x, y)
    return 0.0 if math.isnan(tau) else tau


def _stability(
    a: MapTable, b: MapTable, threshold: float, draws: int, seed: int, shared: int
) -> Stability:
    games = [g for g in a.games if g in b.games and len(a.normalised[g]) and len(b.normalised[g])]
    width = len(a.agents)
    ma, mb = a.game_means(), b.game_means()
    per_game = {g: kendall_tau(ma[g], mb[g]) for g in games}
    overall = kendall_tau(
        _overall({g: ma[g] for g in games}, width), _overall({g: mb[g] for g in games}, width)
    )
    available = min((min(len(a.normalised[g]), len(b.normalised[g])) for g in games), default=0)
    rng = np.random.default_rng(seed)
    game_curves: dict[str, list[float]] = {g: [] for g in games}
    curve: list[float] = []
    for n in range(1, available + 1):
        overall_taus: list[float] = []
        game_taus: dict[str, list[float]] = {g: [] for g in games}
        for _ in range(draws):
            da, db = {}, {}
            for g in games:
                rows_a, rows_b = a.normalised[g], b.normalised[g]
                da[g] = rows_a[rng.choice(len(rows_a), n, replace=False)].mean(axis=0)
                db[g] = rows_b[rng.choice(len(rows_b), n, replace=False)].mean(axis=0)
                game_taus[g].append(_tau_or_zero(da[g], db[g]))
            overall_taus.append(_tau_or_zero(_overall(da, width), _overall(db, width)))
        curve.append(float(np.mean(overall_taus)))
        for g in games:
            game_curves[g].append(float(np.mean(game_taus[g])))
    needed: dict[str, int | None] = {g: _first_at(game_curves[g], threshold) for g in games}
    needed["overall"] = _first_at(curve, threshold)
    return Stability(overall, per_game, needed, tuple(curve), threshold, available, shared)


def _first_at(curve: Sequence[float], threshold: float) -> int | None:
    """The first n (from 1) from which the curve stays at or above ``threshold``."""
    for n in range(1, len(curve) + 1):
        if all(v >= threshold - 1e-12 for v in curve[n - 1 :]):
            return n
    return None


def validity_report(
    sets: Sequence[Sequence[MapRecord]],
    ladder: Sequence[str],
    *,
    normalisation: Normalisation = "baseline",
    threshold: float = 0.9,
    draws: int = 200,
    seed: int = 0,
    meta: Mapping[str, Any] | None = None,
) -> ValidityReport:
    """Check the records of one or more seed sets against ``ladder`` (weakest first).

    Args:
        sets: per seed set, its map records (one per game, map and rung).
        ladder: the rungs, weakest first; the first is the normalisation's baseline.
        normalisation: as the leaderboard's (``"baseline"`` by default).
        threshold: the Kendall tau the maps-needed estimate aims at.
        draws: random draws of maps per map count in that estimate.
        seed: seed of those draws.
        meta: what was run (judge, budgets...), copied into the report.

    Raises:
        ConfigError: fewer than two rungs, a rung named twice, or no seed set.
    """
    ladder = tuple(ladder)
    if len(ladder) < 2 or len(set(ladder)) != len(ladder):
        raise ConfigError(f"a ladder needs at least two distinct rungs, got {list(ladder)}")
    if not sets:
        raise ConfigError("no seed set to check: give the records of at least one run")
    sets = [[r for r in records if r.agent in ladder] for records in sets]
    pooled = _pooled(sets)
    table = map_table(pooled, ladder, normalisation, ladder[0])
    checks = tuple(_check_game(g, table, pooled) for g in table.games)
    means = table.game_means()
    overall = tuple(float(v) for v in _overall(means, len(ladder)))
    errors = tuple(
        LadderError(k, r.game, r.map, r.agent, f"{r.error.type}: {r.error.message}")
        for k, records in enumerate(sets)
        for r in records
        if r.error is not None
    )
    stability = None
    if len(sets) >= 2:
        ids = [{r.instance_id for r in records if r.instance_id} for records in sets[:2]]
        a, b = (map_table(s, ladder, normalisation, ladder[0]) for s in sets[:2])
        stability = _stability(a, b, threshold, draws, seed, len(ids[0] & ids[1]))
    in_order = sum(1 for c in checks if c.in_order)
    return ValidityReport(
        ladder=ladder,
        games=table.games,
        checks=checks,
        fraction_in_order=in_order / len(checks) if checks else math.nan,
        overall=overall,
        stability=stability,
        errors=errors,
        seed_sets=len(sets),
        normalisation=normalisation,
        meta=dict(meta or {}),
    )


def _num(x: float | None, digits: int = 1) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def first_rounds(record: MapRecord, rounds: int) -> MapRecord:
    """``record`` as if its map had been played for its first ``rounds`` rounds only.

    A round is played before the next one is seen, so this is exactly what a run with
    fewer rounds would have recorded (its score is the best of those rounds); one run with
    many rounds answers "how many rounds are enough" for every smaller number. A failed map
    stays failed.
    """
    # A round the game cut short ends the episode: it is the last one, so a shorter run
    # either ends before it (truncation dropped) or keeps it (the record as it is).
    if record.status != "ok" or len(record.round_scores) <= rounds:
        return record
    return dataclasses.replace(
        record,
        round_scores=record.round_scores[:rounds],
        rounds=tuple(r for r in record.rounds if r.round < rounds),
        truncation_reason=None,
    )


@dataclass(frozen=True)
class RoundsPoint:
    """What ``rounds`` rounds per map buy and cost.

    Attributes:
        rounds: rounds per map.
        tau: Kendall's tau between the two seed sets' overall rankings of the agents.
        game_tau: the mean over games of the per-game tau.
        seconds_per_map: mean wall time of one map's moves, all agents together (their
            thinking and the env's steps; map texts and resets aside).
        scores: per seed set, each agent's leaderboard score.
    """

    rounds: int
    tau: float
    game_tau: float
    seconds_per_map: float
    scores: tuple[Mapping[str, float], ...]


def rounds_study(
    sets: Sequence[Sequence[MapRecord]], agents: Sequence[str], max_rounds: int
) -> list[RoundsPoint]:
    """For 1 to ``max_rounds`` rounds per map (see :func:`first_rounds`), how stable the
    ranking of ``agents`` is between the first two seed sets and what a map costs.

    Raises:
        ConfigError: fewer than two seed sets or agents.
    """
    if len(sets) < 2 or len(agents) < 2:
        raise ConfigError("a rounds study needs two seed sets and at least two agents")
    points = []
    for r in range(1, max_rounds + 1):
        cut = [[first_rounds(rec, r) for rec in records] for records in sets[:2]]
        boards = [leaderboard(records, agents, n_boot=1) for records in cut]
        overall = [[next(x.score for x in b.rows if x.agent == a) for a in agents] for b in boards]
        games = [g for g in boards[0].games if g in boards[1].games]
        per_game = [
            _tau_or_zero(*[[next(x.per_game[g] for x in b.rows if x.agent == a) for a in agents]
                           for b in boards])
            for g in games
        ]  # fmt: skip
        cost: dict[tuple[int, str, int], float] = {}
        for k, records in enumerate(cut):
            for rec in records:
                key = (k, rec.game, rec.map)
                cost[key] = cost.get(key, 0.0) + sum(
                    step.act_seconds + step.step_seconds for step in rec.steps
                )
        points.append(
            RoundsPoint(
                rounds=r,
                tau=_tau_or_zero(*overall),
                game_tau=float(np.mean(per_game)) if per_game else math.nan,
                seconds_per_map=float(np.mean(list(cost.values()))) if cost else math.nan,
                scores=tuple(dict(zip(agents, row)) for row in overall),
            )
        )
    return points


def _markdown(report: ValidityReport) -> str:
    ladder = report.ladder
    lines = ["# Validity: does the suite rank a ladder of known strength in order?", ""]
    for key, value in report.meta.items():
        lines.append(f"- {key}: {value}")
    lines += [
        f"- Ladder, weakest first: {' < '.join(f'`{r}`' for r in ladder)}",
        f"- Seed sets: {report.seed_sets}; normalisation: `{report.normalisation}` "
        f"(baseline `{ladder[0]}` = 0, best rung of each map = 100)",
        "",
        "## Per game: mean normalised score of each rung",
        "",
        "| Game | " + " | ".join(ladder) + " | Spearman | Kendall | In order | Maps |",
        "|---|" + "---:|" * len(ladder) + "---:|---:|---|---:|",
    ]
    for c in report.checks:
        verdict = "yes" if c.in_order else "**no**: " + ", ".join(c.inversions)
        if not c.maps:
            verdict = "**no**: no rung completed a round on any map"
        lines.append(
            f"| {c.game} | " + " | ".join(_num(m) for m in c.means)
            + f" | {_num(c.spearman, 2)} | {_num(c.kendall, 2)} | {verdict} | {c.maps} |"
        )  # fmt: skip
    lines.append("| **overall** | " + " | ".join(_num(m) for m in report.overall) + " | | | | |")
    n_in = sum(1 for c in report.checks if c.in_order)
    lines += [
        "",
        f"**{n_in} of {len(report.checks)} games ({_num(100 * report.fraction_in_order, 0)}%) "
        "rank the ladder in its true order** (every rung strictly above the one below).",
        "",
        "Mean best-round score in bits:",
        "",
        "| Game | " + " | ".join(ladder) + " | flat maps |",
        "|---|" + "---:|" * len(ladder) + "---:|",
    ]
    lines += [
        f"| {c.game} | " + " | ".join(_num(b, 2) for b in c.bits) + f" | {c.flat_maps} |"
        for c in report.checks
    ]
    s = report.stability
    if s is not None:
        lines += [
            "",
            "## Rank stability between seed sets 1 and 2",
            "",
            f"Kendall tau between the two sets' rankings of the ladder; maps needed: the fewest "
            f"maps per game for an expected tau >= {s.threshold} between two independent "
            f"draws (estimated from up to {s.maps} maps per set; '-' when more are needed).",
            "",
            "| Game | tau | maps needed |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| {g} | {_num(t, 2)} | {_num_int(s.maps_needed.get(g), s.maps)} |"
            for g, t in s.per_game.items()
        ]
        needed = _num_int(s.maps_needed.get("overall"), s.maps)
        lines.append(f"| **overall** | {_num(s.overall, 2)} | {needed} |")
        curve = ", ".join(f"{n}: {_num(t, 2)}" for n, t in enumerate(s.curve, 1))
        lines += ["", f"Expected overall tau by maps per game: {curve}."]
        if s.shared_maps:
            lines += ["", f"Warning: {s.shared_maps} maps appear in both seed sets."]
    if report.errors:
        lines += ["", "## Maps a rung failed to play (played again when the run resumes)", ""]
        lines += [
            f"- seed set {e.seed_set + 1}, {e.game} map {e.map}, `{e.agent}`: {e.message}"
            for e in report.errors
        ]
    return "\n".join(lines) + "\n"


def _num_int(value: int | None, available: int) -> str:
    return f"> {available}" if value is None else str(value)
