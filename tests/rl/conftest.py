"""Fixtures of the RL tests: a train-split Condense instance and a counting judge."""

from __future__ import annotations

import numpy as np
import pytest

import xent_envs
from xent_envs.envs.match import Match


def bound(instance, judge):
    """``instance`` bound to ``judge`` and the default text source, as a match plays it (its
    ``id`` is one ``GameInstance.from_id`` accepts: the id of a played map)."""
    return Match(instance, judge).instance


@pytest.fixture
def condense(tiny_judge):
    """A train-split Condense instance with a 4-token budget (its map made once)."""
    space = xent_envs.game_space("Condense")
    drawn = space.sample(np.random.default_rng(0), fixed={"budget": 4}, split="train")
    return bound(drawn, tiny_judge)


class CountingJudge:
    """The tiny judge, counting its ``score_batch`` calls (each call is one judge wave)."""

    def __init__(self, judge):
        self._judge = judge
        self.calls = 0

    def score_batch(self, items):
        self.calls += 1
        return self._judge.score_batch(items)

    def __getattr__(self, name):
        return getattr(self._judge, name)


@pytest.fixture
def counting_judge(tiny_judge):
    return CountingJudge(tiny_judge)
