"""Advantages: GRPO's as TRL computes them, and prefix credit's exact values."""

from __future__ import annotations

import doctest

import pytest
import torch

from xent_envs.rl import advantages
from xent_envs.rl.advantages import EPSILON, episode_advantages, prefix_advantages
from xent_envs.rl.rollout import Episode, Turn


def one_move(reward, prefix):
    return Episode("m", [Turn(None, tuple(range(len(prefix) - 1)), "", reward, False, prefix)])


def test_the_module_examples_hold():
    assert doctest.testmod(advantages).failed == 0


def test_episode_credit_is_trls_group_normalised_reward():
    returns = [3.0, -1.0, 0.5, 7.25]
    group = [one_move(r, (0.0, r)) for r in returns]
    got = [a[0][0] for a in episode_advantages(group)]
    r = torch.tensor(returns)
    want = ((r - r.mean()) / (r.std() + EPSILON)).tolist()  # trl: grpo_trainer, scale "group"
    assert got == pytest.approx(want, abs=1e-6)
    assert [a[0][0] for a in episode_advantages(group, scale=False)] == [
        0.5625,
        -3.4375,
        -1.9375,
        4.8125,
    ]


def test_episode_credit_spreads_over_every_turn_and_token():
    two_turns = Episode("m", [Turn(None, (1, 2), "", 1.0), Turn(None, (3,), "", 2.0)])
    nothing = Episode("m", [Turn(None, (1,), "", -1.0), Turn(None, (3, 4, 5), "", 0.0)])
    assert episode_advantages([two_turns, nothing], scale=False) == [
        [[2.0, 2.0], [2.0]],
        [[-2.0], [-2.0, -2.0, -2.0]],
    ]


def test_prefix_credit_gives_each_token_the_return_after_its_prefix():
    # Turn 1 earns 4 (its first token 1, its second 3), turn 2 earns 2 (its only token).
    a = Episode("m", [Turn(None, (1, 2), "", 4.0, False, (0.0, 1.0, 4.0)),
                      Turn(None, (5,), "", 2.0, False, (0.0, 2.0))])  # fmt: skip
    b = Episode("m", [Turn(None, (1, 3), "", 1.0, False, (0.0, 1.0, 1.0)),
                      Turn(None, (6,), "", 0.0, False, (0.0, 0.0))])  # fmt: skip
    # returns to go: a: [6, 5], [2]; b: [1, 0], [0]; group means: [3.5, 2.5], [1]
    assert prefix_advantages([a, b], scale=False) == [
        [[2.5, 2.5], [1.0]],
        [[-2.5, -2.5], [-1.0]],
    ]
    scaled = prefix_advantages([a, b])
    flat = [2.5, 2.5, 1.0, -2.5, -2.5, -1.0]
    std = torch.tensor(flat).std().item()
    assert scaled[0][0][0] == pytest.approx(2.5 / (std + EPSILON))


def test_prefix_credit_needs_prefix_rewards():
    with pytest.raises(ValueError, match="prefix_rewards"):
        prefix_advantages([Episode("m", [Turn(None, (1,), "", 1.0)])])
