"""Head-to-head results of lineups (agents seated against each other): per game and lineup,
each seat's mean score with a bootstrap interval.

A seat's score on a map is its best round in bits (the suite's convention for a map), read
from the record's ``seat_scores``. The mean is over the maps the lineup played to the end
(maps where an agent raised are counted in ``errors``, not in the mean); the interval is the
percentile range of bootstrap means over those maps. Scores are raw bits, not normalised:
each seat of a game has its own scale, and a zero-sum pair's scores are each other's
negation, so the table reads directly as who won by how much.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from xent_envs.evaluation.json_record import json_value
from xent_envs.evaluation.records import MapRecord

__all__ = [
    "OPPONENT",
    "HeadToHead",
    "LineupResult",
    "SeatResult",
    "head_to_head",
    "head_to_head_markdown",
]

#: the name shown for a seat no agent of the lineup plays (the env's default opponent)
OPPONENT = "echo"


@dataclass(frozen=True)
class SeatResult:
    """One seat of a lineup on one game."""

    seat: str
    agent: str  # the agent seated there, or OPPONENT
    mean: float  # mean best-round score in bits (nan when no map was played to the end)
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class LineupResult:
    """A lineup's results on one game: every seat of the game, in the game's order."""

    game: str
    lineup: str
    seats: tuple[SeatResult, ...]
    maps: int  # maps played to the end
    errors: int  # maps where an agent or the env failed


@dataclass(frozen=True)
class HeadToHead:
    """Every (game, lineup) pairing of a run, in playing order."""

    rows: tuple[LineupResult, ...]
    confidence: float

    def to_json(self) -> dict[str, Any]:
        """Strict JSON (a mean that could not be computed is ``"nan"``)."""
        return {
            "rows": [json_value(asdict(row)) for row in self.rows],
            "confidence": self.confidence,
            "convention": "seat score = its best round in bits; mean over maps played to the "
            "end; percentile bootstrap interval over maps",
        }


def head_to_head(
    records: Iterable[MapRecord], confidence: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> HeadToHead:
    """The head-to-head table of the lineup records among ``records`` (others are ignored).

    >>> head_to_head([]).rows
    ()
    """
    groups: dict[tuple[str, str], list[MapRecord]] = {}
    for record in records:
        if record.is_lineup:
            groups.setdefault((record.game, record.agent), []).append(record)
    rng = np.random.default_rng(seed)
    rows = []
    for (game, label), group in groups.items():
        ok = [r for r in group if r.status == "ok" and r.seat_scores]
        seats = next((tuple(r.seat_scores) for r in ok), tuple(group[0].seats))
        agents = {seat: name for r in group for seat, name in r.seats.items()}
        results = []
        for seat in seats:
            values = np.array([max(r.seat_scores[seat], default=0.0) for r in ok])
            low, high = _interval(values, confidence, n_boot, rng)
            mean = float(values.mean()) if len(values) else math.nan
            results.append(SeatResult(seat, agents.get(seat, OPPONENT), mean, low, high))
        rows.append(LineupResult(game, label, tuple(results), len(ok), len(group) - len(ok)))
    return HeadToHead(tuple(rows), confidence)


def _interval(
    values: np.ndarray, confidence: float, n_boot: int, rng: np.random.Generator
) -> tuple[float, float]:
    if len(values) == 0:
        return math.nan, math.nan
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    alpha = (1.0 - confidence) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def head_to_head_markdown(table: HeadToHead) -> str:
    """The report's head-to-head section: one table per game, a row per lineup, a column
    per seat (``agent mean [low, high]``)."""
    if not table.rows:
        return ""
    level = round(table.confidence * 100)
    parts = [
        "## Head to head",
        "",
        "Each lineup plays the run's maps with its agents seated as shown (seats without an "
        f"agent: the env's `{OPPONENT}` opponent). A seat's score on a map is its best round in "
        f"bits; cells give the agent, its mean over the maps played to the end and a {level}% "
        "bootstrap interval over maps.",
    ]
    games = list(dict.fromkeys(row.game for row in table.rows))
    for game in games:
        rows = [row for row in table.rows if row.game == game]
        seats = list(dict.fromkeys(s.seat for row in rows for s in row.seats))
        parts += [
            "",
            f"### {game}",
            "",
            "| Lineup | " + " | ".join(seats) + " | Maps | Errors |",
            "|---|" + "---|" * len(seats) + "---:|---:|",
        ]
        for row in rows:
            cells = {s.seat: _cell(s) for s in row.seats}
            parts.append(
                f"| {row.lineup} | "
                + " | ".join(cells.get(seat, "-") for seat in seats)
                + f" | {row.maps} | {row.errors} |"
            )
    return "\n".join(parts) + "\n"


def _cell(result: SeatResult) -> str:
    if math.isnan(result.mean):
        return f"{result.agent} -"
    return f"{result.agent} {result.mean:+.2f} [{result.ci_low:+.2f}, {result.ci_high:+.2f}]"
