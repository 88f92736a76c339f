"""Covering measures: choose k games that stand for a whole set of games.

A benchmark drawn from an archive should not spend its budget on redundant games. Two games
are redundant when agents score alike on them, so games are compared on their behavioural
profiles (``GameProfile.vector``: the probe panel's mean returns, centred and scaled to unit
length). The distance between two games is the Euclidean distance of their profile vectors,
``d(g, h) = |v(g) - v(h)|`` (0 for games the probes rank and space alike, at most 2).

Two selections of ``k`` games ``S`` from a set ``G`` are offered:

- **facility location** (default): maximise ``F(S) = sum over g in G of max over s in S of
  (2 - d(g, s))``: every game is represented by its most similar chosen game, and the chosen
  games are spread where the games are. Greedy selection reaches at least ``1 - 1/e`` of the
  best ``F`` (``F`` is monotone submodular).
- **k-centre**: minimise the covering radius ``r(S) = max over g of min over s of d(g, s)``:
  every game is within ``r`` of a chosen one. Greedy farthest-first selection (from the
  medoid) is within a factor 2 of the best radius.

``coverage`` reports both objectives for any selection, so selections can be compared.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from xent_envs.errors import ConfigError

__all__ = ["METHODS", "coverage", "distance_matrix", "facility_location", "k_centre", "select"]

METHODS = ("facility", "kcentre")
_MAX_DISTANCE = 2.0


def distance_matrix(vectors: Sequence[np.ndarray]) -> np.ndarray:
    """Pairwise Euclidean distances of profile vectors."""
    points = np.array([np.asarray(v, dtype=float) for v in vectors])
    if len(points) == 0:
        return np.zeros((0, 0))
    diff = points[:, None, :] - points[None, :, :]
    return np.sqrt((diff**2).sum(axis=-1))


def facility_location(distances: np.ndarray, k: int) -> list[int]:
    """Greedy facility location: ``k`` indices maximising ``sum_g max_s (2 - d(g, s))``.

    Ties go to the lowest index, so the selection is deterministic.
    """
    n = len(distances)
    similarity = _MAX_DISTANCE - distances
    chosen: list[int] = []
    best = np.zeros(n)
    for _ in range(min(k, n)):
        gains = np.maximum(similarity, best[None, :]).sum(axis=1) - best.sum()
        gains[chosen] = -np.inf
        pick = int(np.argmax(gains))
        chosen.append(pick)
        best = np.maximum(best, similarity[pick])
    return chosen


def k_centre(distances: np.ndarray, k: int) -> list[int]:
    """Greedy farthest-first k-centre, starting from the medoid (deterministic)."""
    n = len(distances)
    if n == 0 or k <= 0:
        return []
    chosen = [int(np.argmin(distances.sum(axis=1)))]
    nearest = distances[chosen[0]].copy()
    while len(chosen) < min(k, n):
        far = nearest.copy()
        far[chosen] = -np.inf
        pick = int(np.argmax(far))
        chosen.append(pick)
        nearest = np.minimum(nearest, distances[pick])
    return chosen


def select(distances: np.ndarray, k: int, method: str = "facility") -> list[int]:
    """``k`` indices chosen by ``method`` (``"facility"`` or ``"kcentre"``)."""
    if method == "facility":
        return facility_location(distances, k)
    if method == "kcentre":
        return k_centre(distances, k)
    raise ConfigError(f"unknown covering method {method!r}; expected one of {', '.join(METHODS)}")


def coverage(distances: np.ndarray, chosen: Sequence[int]) -> dict[str, float]:
    """How well ``chosen`` covers all games: the covering radius (k-centre objective), the
    mean distance of a game to its nearest chosen game, and the facility-location value as a
    share of its maximum (``2 n``)."""
    if len(distances) == 0 or not chosen:
        return {"radius": float("nan"), "mean_distance": float("nan"), "facility": 0.0}
    nearest = distances[:, list(chosen)].min(axis=1)
    return {
        "radius": float(nearest.max()),
        "mean_distance": float(nearest.mean()),
        "facility": float((_MAX_DISTANCE - nearest).sum() / (_MAX_DISTANCE * len(distances))),
    }
