"""Covering selections, on points whose best cover is known."""

from __future__ import annotations

import numpy as np
import pytest

from xent_envs.errors import ConfigError
from xent_envs.generation.covering import (
    coverage,
    distance_matrix,
    facility_location,
    k_centre,
    select,
)

# A cluster, a pair and an outlier on a line: 0, 0.1, 0.2, 0.3 | 1.0, 1.1 | 2.0.
POINTS = [np.array([x]) for x in (0.0, 0.1, 0.2, 0.3, 1.0, 1.1, 2.0)]
D = distance_matrix(POINTS)


def test_distances_are_euclidean():
    assert D[0, 4] == pytest.approx(1.0) and D[5, 6] == pytest.approx(0.9)
    assert np.allclose(D, D.T) and np.all(np.diag(D) == 0)


def test_facility_location_adds_the_game_that_brings_most_games_closer():
    # 0.3 is nearest to all; then 1.1 (brings 1.0, 1.1, 2.0 closer by 2.2 in all, against
    # 2.1 for 1.0 and 1.7 for 2.0); then the outlier (0.9, against 0.4 for 0.1).
    assert facility_location(D, 3) == [3, 5, 6]


def test_k_centre_starts_at_the_medoid_and_adds_the_farthest():
    assert k_centre(D, 3) == [3, 6, 5]


def test_coverage_reports_radius_mean_distance_and_facility_share():
    got = coverage(D, [3, 5, 6])
    assert got["radius"] == pytest.approx(0.3)
    assert got["mean_distance"] == pytest.approx(0.7 / 7)
    assert got["facility"] == pytest.approx(1 - 0.1 / 2)
    assert coverage(D, [3])["radius"] == pytest.approx(1.7)


def test_k_larger_than_the_pool_takes_everything_and_bad_methods_are_named():
    assert sorted(select(D, 10, "facility")) == list(range(7))
    assert sorted(select(D, 10, "kcentre")) == list(range(7))
    with pytest.raises(ConfigError, match="unknown covering method 'median'"):
        select(D, 2, "median")
