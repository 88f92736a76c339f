"""Rollouts: moves scored as the env scores them, a whole batch in the waves of one move,
whole episodes of multi-round games, prefix rewards, opponents required."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
import torch

import xent_envs
from tests.rl.conftest import bound
from xent_envs.errors import ConfigError, UnknownNameError
from xent_envs.rl.policy import TokenTablePolicy
from xent_envs.rl.rollout import (
    collect_episodes,
    load_opponent,
    prefix_rewards,
    score_moves,
)

MOVES = [" a farmer", " the sea at night", "", " dog dog dog dog dog dog"]


def env_rewards(judge, instance_id, moves):
    """What ``XentEnv.step`` pays for each move, one env episode per move."""
    env = gym.make("xent/Condense-v0", judge=judge)
    out = []
    for move in moves:
        env.reset(options={"instance": instance_id})
        out.append(env.step(judge.encode(move))[1])
    return out


def test_score_moves_pays_what_the_env_pays(condense, tiny_judge):
    scores = score_moves(tiny_judge, [condense.id] * len(MOVES), MOVES)
    assert [s.reward for s in scores] == env_rewards(tiny_judge, condense.id, MOVES)
    assert scores[2].reward == 0.0  # the empty move tells the judge nothing


def test_a_batch_of_two_maps_is_judged_in_the_waves_of_one_move(condense, counting_judge):
    drawn = xent_envs.game_space("Condense").sample(
        np.random.default_rng(1), fixed={"budget": 4}, split="train"
    )
    other = bound(drawn, counting_judge)
    score_moves(counting_judge, [condense.id], MOVES[:1])  # maps made, baselines cached
    single = counting_judge.calls
    score_moves(counting_judge, [other.id], MOVES[:1])
    counting_judge.calls = 0
    ids = [condense.id, other.id] * 4
    scores = score_moves(counting_judge, ids, [m + "!" for m in MOVES * 2])
    assert counting_judge.calls == single == 1  # 8 completions, 2 maps: one merged wave
    assert all(math.isfinite(s.reward) for s in scores)


def test_episodes_of_a_multi_round_game_are_played_to_the_end(condense, tiny_judge):
    instance = xent_envs.game_space("Condense").sample(
        np.random.default_rng(0), fixed={"budget": 3, "rounds": 3}, split="train"
    )
    policy = TokenTablePolicy(tiny_judge, vocab=50, length=3)
    (group,) = collect_episodes(
        policy,
        [instance],
        group=4,
        judge=tiny_judge,
        seat="black",
        opponents={},
        generator=torch.Generator().manual_seed(0),
    )
    assert len(group) == 4 and all(len(e.turns) == 3 for e in group)
    env = gym.make("xent/Condense-v0", judge=tiny_judge)
    for episode in group:
        env.reset(options={"instance": bound(instance, tiny_judge).id})
        for turn in episode.turns:
            _, reward, terminated, _, info = env.step(turn.move)
            assert reward == turn.reward
        assert terminated and info["episode_return"] == episode.episode_return
        assert info["map_score"] == episode.map_score


def test_the_same_generator_seed_plays_the_same_episodes(condense, tiny_judge):
    policy = TokenTablePolicy(tiny_judge, vocab=50)

    def moves(seed):
        groups = collect_episodes(
            policy, [condense], group=3, judge=tiny_judge, seat="black", opponents={},
            generator=torch.Generator().manual_seed(seed),
        )  # fmt: skip
        return [t.move for e in groups[0] for t in e.turns]

    assert moves(1) == moves(1) != moves(2)


def test_prefix_rewards_score_every_prefix_of_a_move(condense, tiny_judge):
    from xent_envs.envs import Match, advance_all

    match = Match(condense, tiny_judge)
    advance_all([match], tiny_judge)
    policy = TokenTablePolicy(tiny_judge, vocab=50, first_id=300)
    completions = [(1, 2, 3), (1, 2, 7)]
    (a, b) = prefix_rewards([match, match], "black", policy, completions)
    expected = [s.reward for s in match.score_actions("black", [[], [301], [301, 302]])]
    assert list(a[:3]) == list(b[:3]) == expected
    assert a[3] == match.score_actions("black", [[301, 302, 303]])[0].reward
    assert match.pending_seat == "black" and len(match.machine.events) == 1  # untouched


def test_refused_moves_cost_the_penalty_and_are_asked_again(tiny_judge):
    instance = xent_envs.game_space("Lipogram").sample(
        np.random.default_rng(0), fixed={"budget": 3}, split="train"
    )
    judge = tiny_judge
    e_id = judge.encode("e")[0]
    policy = TokenTablePolicy(judge, vocab=1, first_id=e_id, length=1)  # always plays "e"
    (group,) = collect_episodes(
        policy, [instance], group=2, judge=judge, seat="black", opponents={},
        generator=torch.Generator().manual_seed(0), refusal_penalty=2.5,
    )  # fmt: skip
    episode = group[0]
    assert all(t.refused and t.reward == -2.5 for t in episode.turns)
    assert len(episode.turns) == 11 and episode.truncated  # the ensure limit ends it
    assert episode.episode_return == -2.5 * 11


def test_a_multi_seat_game_needs_an_opponent_for_every_other_seat(tiny_judge):
    instance = bound(xent_envs.game_space("Debate").sample(np.random.default_rng(0)), tiny_judge)
    with pytest.raises(ConfigError, match=r"nobody plays 'white'.*--opponent white=echo"):
        score_moves(tiny_judge, [instance.id], [" cars are loud"])
    echo = load_opponent("echo")
    (score,) = score_moves(tiny_judge, [instance.id], [" cars are loud"], opponents={"white": echo})
    env = gym.make(instance.env_id, judge=tiny_judge)
    env.reset(options={"instance": instance.id})
    assert score.reward == env.step(tiny_judge.encode(" cars are loud"))[1]


def test_opponents_by_name():
    assert load_opponent("echo")("obs", {"visible": {"a": "xy", "b": "xyz"}}) == "xyz"
    assert load_opponent("xent_envs.envs.opponents:echo_opponent") is load_opponent("echo")
    with pytest.raises(UnknownNameError, match=r"unknown opponent 'ecko'\. Did you mean 'echo'\?"):
        load_opponent("ecko")
