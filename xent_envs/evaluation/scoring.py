"""Leaderboard scores from map records.

1. A map's **raw score** for an agent is its best *completed* round, in bits (the reference
   benchmark's convention; the sum of rounds is the RL return, not a leaderboard score)
   (:func:`map_score`). A round cut short by the game (the same ``ensure`` failed ten times
   in a row, or the step limit) is not completed: the env reports 0 bits for it, which would
   rank an agent that never made a legal move above one whose legal moves lost bits. A map
   with no completed round has **failed**, like a map whose agent raised.
2. Each map is **normalised**, so that every map weighs the same whatever its game pays.

   ``"baseline"`` (the default): ``100 * (score - base) / (best - base)``, clipped to
   ``[-100, 100]``, where ``best`` is the best score any agent reached on the map and ``base``
   the baseline agent's score (``random`` by default; when the baseline is not in the run or
   failed the map, the worst score any agent reached there). The best agent gets 100, an agent
   level with the baseline 0. Why this one:

   - it does not change when a game's bits are scaled or shifted (``a * bits + c``, ``a > 0``),
     so no game dominates the average by paying more, and the sign of the bits does not
     matter: maps where every agent scores below zero (Horizon, Synthesize) count like the
     others, where the reference normalisation had to drop them;
   - it is bounded: an agent far below the baseline loses at most 100 on a map, what the best
     agent gains there, so one map cannot swamp an average;
   - when no agent beat the baseline (``best - base`` below :data:`TIE_BITS`), the map has
     nothing to share out: agents level with the baseline get 0, those below it -100 (the
     limit of the ratio as ``best`` comes down to ``base``); ``flat_maps`` lists such maps.

   ``"reference"``: the reference engine's ``100 * score / |best|``, for numbers comparable
   with its site. It depends on the sign and offset of a game's bits, and a map whose best
   score is 0 cannot be normalised: it is left out (``unscored_maps``).

   A map an agent failed (its agent raised, no round completed, or no record) gets the
   lowest score the normalisation gives (-100 for ``"baseline"``; for ``"reference"`` the
   lowest score on the map, and at most 0), and is left out of its raw bits; ``errors`` and
   ``failed`` count them. A map that no agent could play is left out for everyone
   (``unscored_maps``).
3. Normalised scores are **averaged over maps, then over games** (every game weighs the same).
   Raw bits are averaged the same way.
4. **Rounds**: each round's score is normalised like the map's (same ``base`` and ``best``) and
   averaged the same way, giving per-round curves (``AgentResult.per_round``): how an agent's
   score moves as it sees its earlier rounds.
5. The **confidence interval** is a paired, stratified bootstrap over maps: maps are resampled
   with replacement within each game, the same draw for every agent, and the interval is the
   percentile range of the resulting averages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from xent_envs.errors import ConfigError
from xent_envs.evaluation.json_record import json_value
from xent_envs.evaluation.records import MapRecord

__all__ = [
    "DEFAULT_BASELINE",
    "NORMALISATIONS",
    "TIE_BITS",
    "AgentResult",
    "Leaderboard",
    "MapTable",
    "Normalisation",
    "completed_rounds",
    "leaderboard",
    "map_score",
    "map_table",
    "normalise_map",
]

Normalisation = Literal["baseline", "reference"]
#: the normalisations :func:`leaderboard` offers; the first is the default
NORMALISATIONS: tuple[str, ...] = ("baseline", "reference")
#: the agent whose score is 0 on every map by default (when it is in the run)
DEFAULT_BASELINE = "random"
#: score differences (bits) below this are ties: what batching changes in a judge's float32
TIE_BITS = 1e-6
_CONVENTIONS = {
    "baseline": "map score = best round; normalised per map 100*(score-base)/(best-base) "
    "clipped to [-100, 100] (base: the baseline agent, else the map's worst); mean over maps "
    "then games",
    "reference": "map score = best round; normalised per map 100*score/|best| (the reference "
    "engine's; maps whose best is 0 left out); mean over maps then games",
}


def completed_rounds(record: MapRecord) -> tuple[float, ...]:
    """The scores of the rounds ``record``'s agent completed: all of them, but the last when
    the game cut the episode short (the env still lists that round, with what it paid so
    far, usually 0). A failed map has none."""
    if record.status != "ok":
        return ()
    scores = tuple(record.round_scores)
    return scores[:-1] if record.truncation_reason is not None else scores


def map_score(record: MapRecord) -> float | None:
    """A map's score for the leaderboard: its best completed round, or None when the map
    failed (the agent raised, or no round was completed)."""
    scores = completed_rounds(record)
    return max(scores) if scores else None


def _check(normalisation: str) -> None:
    if normalisation not in NORMALISATIONS:
        raise ConfigError(
            f"unknown normalisation {normalisation!r}; expected one of {list(NORMALISATIONS)}"
        )


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


@dataclass(frozen=True)
class _Scale:
    """How one map's bits become normalised scores: ``transform`` for a played score,
    ``floor`` for a failed map."""

    normalisation: str
    base: float
    best: float

    @property
    def flat(self) -> bool:
        """No agent beat the baseline (``"baseline"`` only)."""
        return self.normalisation == "baseline" and self.best - self.base < TIE_BITS

    def transform(self, score: float) -> float:
        if self.normalisation == "reference":
            return 100.0 * score / abs(self.best)
        if self.flat:
            return 0.0 if score >= self.base - TIE_BITS else -100.0
        return float(np.clip(100.0 * (score - self.base) / (self.best - self.base), -100, 100))


def _scale(
    scores: Mapping[str, float | None], normalisation: str, baseline: str | None
) -> _Scale | None:
    """The scale of a map, or None when it cannot be normalised."""
    played = [s for s in scores.values() if _finite(s)]
    if not played:
        return None
    best = max(played)  # type: ignore[type-var]
    if normalisation == "reference":
        return None if best == 0 else _Scale(normalisation, 0.0, float(best))  # type: ignore[arg-type]
    base = scores.get(baseline) if baseline is not None else None
    if not _finite(base):
        base = min(played)  # type: ignore[type-var]
    return _Scale(normalisation, float(base), float(best))  # type: ignore[arg-type]


def normalise_map(
    scores: Mapping[str, float | None],
    normalisation: Normalisation = "baseline",
    baseline: str | None = DEFAULT_BASELINE,
) -> dict[str, float] | None:
    """Normalised scores of one map (see the module's docstring), or None when the map
    cannot be normalised (no agent played it; for ``"reference"``, its best score is 0).

    ``None`` values (an agent that failed the map) get the floor.

    >>> normalise_map({"random": -3.0, "a": 1.0, "b": -1.0, "c": -9.0, "d": None})
    {'random': 0.0, 'a': 100.0, 'b': 50.0, 'c': -100.0, 'd': -100.0}
    >>> normalise_map({"a": -4.0, "b": -2.0})  # no "random": the worst agent is the baseline
    {'a': 0.0, 'b': 100.0}
    >>> normalise_map({"random": 1.0, "a": 1.0, "b": 0.5})  # nobody beat the baseline
    {'random': 0.0, 'a': 0.0, 'b': -100.0}
    >>> normalise_map({"a": 4.0, "b": 1.0, "c": -2.0, "d": None}, "reference")
    {'a': 100.0, 'b': 25.0, 'c': -50.0, 'd': -50.0}
    >>> normalise_map({"a": -1.0, "b": 0.0}, "reference") is None
    True
    """
    _check(normalisation)
    scale = _scale(scores, normalisation, baseline)
    if scale is None:
        return None
    normed = {a: scale.transform(s) for a, s in scores.items() if s is not None and _finite(s)}
    floor = -100.0 if normalisation == "baseline" else min(0.0, *normed.values())
    return {agent: normed.get(agent, floor) for agent in scores}


@dataclass(frozen=True)
class MapTable:
    """Normalised scores of every map, per game, ready to average or resample.

    Attributes:
        agents: the columns, in order.
        games: the games, in order of first appearance.
        normalised: per game, a (maps x agents) array of normalised map scores.
        maps: per game, the map index of each row of ``normalised[game]``.
        rounds: per game, per round, a (maps x agents) array of normalised round scores,
            NaN where an agent did not play that round.
        unscored: (game, map) left out: nobody played them, or they cannot be normalised.
        flat: (game, map) counted, where no agent beat the baseline.
    """

    agents: tuple[str, ...]
    games: tuple[str, ...]
    normalised: Mapping[str, np.ndarray]
    maps: Mapping[str, tuple[int, ...]]
    rounds: Mapping[str, tuple[np.ndarray, ...]]
    unscored: tuple[tuple[str, int], ...]
    flat: tuple[tuple[str, int], ...]

    def game_means(self) -> dict[str, np.ndarray]:
        """Per game, the mean normalised score of each agent (games with a scored map)."""
        return {g: m.mean(axis=0) for g, m in self.normalised.items() if len(m)}


def map_table(
    records: Iterable[MapRecord],
    agents: Sequence[str],
    normalisation: Normalisation = "baseline",
    baseline: str | None = DEFAULT_BASELINE,
) -> MapTable:
    """Normalise every map of ``records`` (one record per game, map and agent) for ``agents``."""
    _check(normalisation)
    by_map: dict[tuple[str, int], dict[str, MapRecord]] = {}
    games: list[str] = []
    for r in records:
        by_map.setdefault((r.game, r.map), {})[r.agent] = r
        if r.game not in games:
            games.append(r.game)
    rows: dict[str, list[list[float]]] = {g: [] for g in games}
    indices: dict[str, list[int]] = {g: [] for g in games}
    round_rows: dict[str, list[list[list[float]]]] = {g: [] for g in games}
    unscored: list[tuple[str, int]] = []
    flat: list[tuple[str, int]] = []
    order = {g: i for i, g in enumerate(games)}
    for (game, index), mine in sorted(by_map.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])):
        scores = {a: (map_score(mine[a]) if a in mine else None) for a in agents}
        scale = _scale(scores, normalisation, baseline)
        normed = normalise_map(scores, normalisation, baseline)
        if scale is None or normed is None:
            unscored.append((game, index))
            continue
        if scale.flat:
            flat.append((game, index))
        rows[game].append([normed[a] for a in agents])
        indices[game].append(index)
        per_round: list[list[float]] = []
        for a in agents:
            rec = mine.get(a)
            played = completed_rounds(rec) if rec is not None else ()
            per_round.append([scale.transform(s) for s in played])
        round_rows[game].append(per_round)
    normalised = {
        g: np.array(rows[g], dtype=float).reshape(len(rows[g]), len(agents)) for g in games
    }
    rounds = {g: _round_arrays(round_rows[g], len(agents)) for g in games}
    return MapTable(
        tuple(agents), tuple(games), normalised,
        {g: tuple(indices[g]) for g in games}, rounds, tuple(unscored), tuple(flat),
    )  # fmt: skip


def _round_arrays(maps: list[list[list[float]]], n_agents: int) -> tuple[np.ndarray, ...]:
    """Per round, a (maps x agents) array (NaN where an agent has no such round)."""
    n_rounds = max((len(per_agent) for m in maps for per_agent in m), default=0)
    out = []
    for k in range(n_rounds):
        arr = np.full((len(maps), n_agents), math.nan)
        for i, m in enumerate(maps):
            for j, per_agent in enumerate(m):
                if k < len(per_agent):
                    arr[i, j] = per_agent[k]
        out.append(arr)
    return tuple(out)


@dataclass(frozen=True)
class AgentResult:
    """One leaderboard row.

    Attributes:
        agent: the agent's name in the run.
        score: mean normalised score over maps then games (nan when no map could be scored).
        ci_low, ci_high: its bootstrap interval.
        raw_bits: mean best-round score in bits (nan when no map was played).
        maps: maps played to the end; ``errors``: maps where the agent raised;
            ``failed``: maps played to the end without a completed round.
        seconds_per_move, tokens_per_move: the agent's cost.
        per_game: mean normalised score per game; ``per_game_bits`` the same in bits.
        per_round: mean normalised score of round 1, 2, ... (over maps, then games): the
            learning curve.
        per_round_best: the same for the best round so far (its last value is ``score``
            when every map was played to the end).
    """

    agent: str
    score: float
    ci_low: float
    ci_high: float
    raw_bits: float
    maps: int
    errors: int
    seconds_per_move: float
    tokens_per_move: float
    per_game: dict[str, float] = field(default_factory=dict)
    per_game_bits: dict[str, float] = field(default_factory=dict)
    per_round: tuple[float, ...] = ()
    per_round_best: tuple[float, ...] = ()
    failed: int = 0


@dataclass(frozen=True)
class Leaderboard:
    """Rows sorted best first, the games, and the maps left out or flat.

    Attributes:
        rows: one per agent, best first.
        games: the games scored.
        unscored_maps: (game, map) left out of the normalised score.
        confidence: level of the rows' intervals.
        normalisation: ``"baseline"`` or ``"reference"``.
        baseline: the baseline agent (``"baseline"``), or None when the worst agent of each
            map served (the named baseline was not in the run).
        flat_maps: (game, map) where no agent beat the baseline.
    """

    rows: tuple[AgentResult, ...]
    games: tuple[str, ...]
    unscored_maps: tuple[tuple[str, int], ...]
    confidence: float
    normalisation: str = "baseline"
    baseline: str | None = DEFAULT_BASELINE
    flat_maps: tuple[tuple[str, int], ...] = ()

    @property
    def convention(self) -> str:
        """One line: how the scores were computed."""
        text = _CONVENTIONS[self.normalisation]
        if self.normalisation == "baseline":
            text += f"; baseline: {self.baseline or 'the worst agent of each map'}"
        return text

    def to_json(self) -> dict[str, Any]:
        """Strict JSON (a score that could not be computed is ``"nan"``)."""
        return {
            "rows": [json_value(asdict(r)) for r in self.rows],
            "games": list(self.games),
            "unscored_maps": [list(m) for m in self.unscored_maps],
            "flat_maps": [list(m) for m in self.flat_maps],
            "confidence": self.confidence,
            "normalisation": self.normalisation,
            "baseline": self.baseline,
            "convention": self.convention,
        }


def _mean(values: Iterable[float]) -> float:
    vals = [v for v in values if not math.isnan(v)]
    return float(np.mean(vals)) if vals else math.nan


def leaderboard(
    records: Iterable[MapRecord],
    agents: Iterable[str] | None = None,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    normalisation: Normalisation = "baseline",
    baseline: str | None = DEFAULT_BASELINE,
) -> Leaderboard:
    """Score map records: one per (game, map, agent); ``ok`` ones carry their ``score``.

    Args:
        records: the maps to score.
        agents: the agents to rank (default: every agent in ``records``), in tie order.
        confidence: level of the bootstrap interval.
        n_boot: bootstrap resamples.
        seed: seed of the bootstrap.
        normalisation: ``"baseline"`` (default) or ``"reference"`` (module docstring).
        baseline: the agent scored 0 on every map (``"baseline"``); when it is not among
            ``agents``, the worst agent of each map is.

    Raises:
        ConfigError: an unknown normalisation.
    """
    _check(normalisation)
    records = list(records)
    names = list(dict.fromkeys(agents if agents is not None else (r.agent for r in records)))
    base_agent = baseline if baseline in names else None
    table = map_table(records, names, normalisation, base_agent)
    games = list(table.games)
    bits: dict[str, dict[str, list[float]]] = {g: {a: [] for a in names} for g in games}
    for r in records:
        score = map_score(r)
        if score is not None and r.agent in bits[r.game]:
            bits[r.game][r.agent].append(score)

    per_game = table.game_means()
    overall = (
        np.mean(list(per_game.values()), axis=0) if per_game else np.full(len(names), math.nan)
    )
    low, high = _bootstrap(
        [table.normalised[g] for g in per_game], len(names), confidence, n_boot, seed
    )
    curves = _round_curves(table)
    best_curves = _round_curves(table, best_so_far=True)

    rows = []
    for j, agent in enumerate(names):
        mine = [r for r in records if r.agent == agent]
        ok = [r for r in mine if r.status == "ok"]
        moves = sum(r.moves for r in ok)
        act = sum(r.timing.act_seconds for r in ok)
        tokens = sum(r.tokens_used for r in ok)
        game_bits = {g: _mean(bits[g][agent]) for g in games}
        rows.append(
            AgentResult(
                agent=agent,
                score=float(overall[j]),
                ci_low=float(low[j]),
                ci_high=float(high[j]),
                raw_bits=_mean(game_bits.values()),
                maps=len(ok),
                errors=sum(1 for r in mine if r.status == "error"),
                failed=sum(1 for r in ok if map_score(r) is None),
                seconds_per_move=act / moves if moves else math.nan,
                tokens_per_move=tokens / moves if moves else math.nan,
                per_game={g: float(per_game[g][j]) if g in per_game else math.nan for g in games},
                per_game_bits=game_bits,
                per_round=tuple(float(c[j]) for c in curves),
                per_round_best=tuple(float(c[j]) for c in best_curves),
            )
        )
    rows.sort(key=lambda r: (math.isnan(r.score), -r.score if not math.isnan(r.score) else 0.0))
    return Leaderboard(
        tuple(rows), tuple(games), table.unscored, confidence, normalisation, base_agent,
        table.flat,
    )  # fmt: skip


def _round_curves(table: MapTable, best_so_far: bool = False) -> list[np.ndarray]:
    """Per round, each agent's normalised round score (or best score up to that round)
    averaged over the maps it played, then over games."""
    n_rounds = max((len(r) for r in table.rounds.values()), default=0)
    per_game: dict[str, np.ndarray] = {}  # game -> (rounds x maps x agents), NaN: not played
    for game in table.games:
        rounds = table.rounds[game]
        n_maps = len(table.normalised[game])
        stack = np.full((n_rounds, n_maps, len(table.agents)), math.nan)
        for k, arr in enumerate(rounds):
            stack[k] = arr
        if best_so_far:
            stack = np.fmax.accumulate(stack, axis=0)  # a NaN round keeps the best before it
        per_game[game] = stack
    return [
        _nanmean_rows(
            [_nanmean_rows(list(stack[k])) for stack in per_game.values() if stack.shape[1]],
            len(table.agents),
        )
        for k in range(n_rounds)
    ]


def _nanmean_rows(rows: Sequence[np.ndarray], width: int = 0) -> np.ndarray:
    """Column means of ``rows`` ignoring NaN (NaN where a column has no number)."""
    if not len(rows):
        return np.full(width, math.nan)
    stacked = np.array(rows, dtype=float)
    counts = np.sum(~np.isnan(stacked), axis=0)
    return np.where(counts > 0, np.nansum(stacked, axis=0) / np.maximum(counts, 1), math.nan)


def _bootstrap(
    per_game: list[np.ndarray], n_agents: int, confidence: float, n_boot: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of the mean-over-games of per-game map means, resampling maps
    within each game (paired across agents)."""
    if not per_game:
        nan = np.full(n_agents, math.nan)
        return nan, nan
    rng = np.random.default_rng(seed)
    total = np.zeros((n_boot, n_agents))
    for matrix in per_game:
        idx = rng.integers(0, matrix.shape[0], size=(n_boot, matrix.shape[0]))
        total += matrix[idx].mean(axis=1)
    total /= len(per_game)
    alpha = (1.0 - confidence) / 2
    return np.quantile(total, alpha, axis=0), np.quantile(total, 1 - alpha, axis=0)
