"""Leaderboard scores from map records (the reference Xent benchmark's convention).

1. A map's **raw score** for an agent is its best round, in bits (sum of its rewards in that
   round).
2. It is **normalised** by the best raw score any agent reached on that map:
   ``100 * max(0, score / best)``. The best agent on a map gets 100.
   - Scores below zero are clipped to 0: a move that made the text *less* predictable earns
     nothing, rather than a penalty unbounded below that would swamp the average.
   - A map where no agent scored above zero (``best <= 0``) has no meaningful ratio; it is left
     out of the normalised average for every agent (listed in ``unscored_maps``), and still
     counts in the raw bits.
   - A map an agent failed to play (its agent raised) counts 0 on a scored map, and is left
     out of its raw bits; ``errors`` counts them.
3. Normalised scores are **averaged over maps, then over games** (every game weighs the same),
   giving a number in [0, 100]. Raw bits are averaged the same way.
4. The **confidence interval** is a paired, stratified bootstrap over maps: maps are resampled
   with replacement within each game, the same draw for every agent, and the interval is the
   percentile range of the resulting averages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from xent_envs.evaluation.json_record import json_value
from xent_envs.evaluation.records import MapRecord

__all__ = ["AgentResult", "Leaderboard", "leaderboard", "normalise_map"]


def normalise_map(scores: Mapping[str, float | None]) -> dict[str, float] | None:
    """Normalised scores (0-100) of one map, or None when no agent scored above zero.

    ``None`` values (an agent that failed the map) get 0.

    >>> normalise_map({"a": 4.0, "b": 1.0, "c": -2.0, "d": None})
    {'a': 100.0, 'b': 25.0, 'c': 0.0, 'd': 0.0}
    >>> normalise_map({"a": -1.0, "b": 0.0}) is None
    True
    """
    played = [s for s in scores.values() if s is not None and math.isfinite(s)]
    best = max(played, default=None)
    if best is None or best <= 0:
        return None
    return {
        agent: 0.0 if s is None or not math.isfinite(s) else 100.0 * max(0.0, s / best)
        for agent, s in scores.items()
    }


@dataclass(frozen=True)
class AgentResult:
    """One leaderboard row."""

    agent: str
    score: float  # normalised, 0-100 (nan when no map could be scored)
    ci_low: float
    ci_high: float
    raw_bits: float  # mean best-round score in bits (nan when no map was played)
    maps: int  # maps played to the end
    errors: int  # maps where the agent raised
    seconds_per_move: float
    tokens_per_move: float
    per_game: dict[str, float] = field(default_factory=dict)
    per_game_bits: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Leaderboard:
    """Rows sorted best first, with the games and the maps left out of the normalised score."""

    rows: tuple[AgentResult, ...]
    games: tuple[str, ...]
    unscored_maps: tuple[tuple[str, int], ...]
    confidence: float

    def to_json(self) -> dict[str, Any]:
        """Strict JSON (a score that could not be computed is ``"nan"``)."""
        return {
            "rows": [json_value(asdict(r)) for r in self.rows],
            "games": list(self.games),
            "unscored_maps": [list(m) for m in self.unscored_maps],
            "confidence": self.confidence,
            "convention": "map score = best round; normalised 100*max(0, score/best) per map; "
            "mean over maps then games",
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
) -> Leaderboard:
    """Score map records: one per (game, map, agent); ``ok`` ones carry their ``score``.

    Args:
        records: the maps to score.
        agents: the agents to rank (default: every agent in ``records``), in tie order.
        confidence: level of the bootstrap interval.
        n_boot: bootstrap resamples.
        seed: seed of the bootstrap.
    """
    records = list(records)
    names = list(dict.fromkeys(agents if agents is not None else (r.agent for r in records)))
    games = list(dict.fromkeys(r.game for r in records))
    maps: dict[tuple[str, int], dict[str, float | None]] = {}
    for r in records:
        maps.setdefault((r.game, r.map), {})[r.agent] = r.score

    # per game: normalised matrix (scored maps x agents) and raw bits per agent
    norm: dict[str, np.ndarray] = {}
    bits: dict[str, dict[str, list[float]]] = {g: {a: [] for a in names} for g in games}
    unscored: list[tuple[str, int]] = []
    for (game, index), scores in sorted(maps.items()):
        for agent, s in scores.items():
            if s is not None and agent in bits[game]:
                bits[game][agent].append(float(s))
        full = {a: scores.get(a) for a in names}
        normed = normalise_map(full)
        if normed is None:
            unscored.append((game, index))
            continue
        row = np.array([[normed[a] for a in names]])
        norm[game] = row if game not in norm else np.vstack([norm[game], row])

    scored_games = [g for g in games if g in norm]
    per_game = {g: norm[g].mean(axis=0) for g in scored_games}
    overall = (
        np.mean([per_game[g] for g in scored_games], axis=0)
        if scored_games
        else np.full(len(names), math.nan)
    )
    low, high = _bootstrap([norm[g] for g in scored_games], len(names), confidence, n_boot, seed)

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
                seconds_per_move=act / moves if moves else math.nan,
                tokens_per_move=tokens / moves if moves else math.nan,
                per_game={g: float(per_game[g][j]) if g in per_game else math.nan for g in games},
                per_game_bits=game_bits,
            )
        )
    rows.sort(key=lambda r: (math.isnan(r.score), -r.score if not math.isnan(r.score) else 0.0))
    return Leaderboard(tuple(rows), tuple(games), tuple(unscored), confidence)


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
