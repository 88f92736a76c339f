"""Playability filters and probes, on games whose verdict the maths fixes."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from xent_envs.generation import FilterConfig, GeneratedGame, evaluate, sample_game
from xent_envs.generation.filters import ensure_registered, profile_game
from xent_envs.generation.probes import (
    CountingJudge,
    RandomProbe,
    SearchProbe,
    TrivialProbe,
    quick_check,
    visible_texts,
)


def game(*lines: str) -> GeneratedGame:
    return GeneratedGame.from_lines(list(lines))


def verdicts(evaluation) -> dict[str, bool | None]:
    return {r.name: r.passed for r in evaluation.results}


def test_visible_texts_reads_the_observation_contract(tiny_judge):
    env = gym.make("xent/Contrast-v0", judge=tiny_judge).unwrapped
    obs, _ = env.reset(seed=0)
    texts = visible_texts(obs)
    assert set(texts) == {"s1", "s2"}
    assert texts["s1"] != texts["s2"] and all(len(t) > 40 and t in obs for t in texts.values())


def test_a_reward_that_no_move_changes_fails_varies_with_zero_spread(tiny_judge):
    constant = game("assign(s=story())", "elicit(x, 4)", "reward(xed(s | s))")
    evaluation = evaluate(constant, tiny_judge, maps=1, early_stop=False)
    got = verdicts(evaluation)
    assert got["static"] is False and got["varies"] is False
    assert evaluation.profile.maps[0].spread == 0.0
    # With early stop, the judge is never asked: the static rules already refuse it.
    assert [r.name for r in evaluate(constant, tiny_judge).results] == ["static"]


def test_a_game_the_empty_move_wins_fails_trivial(tiny_judge):
    # xent(x) >= 0 for every move and is 0 for the empty move: nothing beats it.
    shortest = game("elicit(x, 4)", "reward(nex(x))")
    evaluation = evaluate(shortest, tiny_judge, maps=2, early_stop=False)
    got = verdicts(evaluation)
    assert got["varies"] is True and got["trivial"] is False
    for run in evaluation.profile.maps:
        assert run.mean("empty") == 0.0
        assert run.mean("search-mixed-32") < 0.0
        assert max(run.returns["random"]) < 0.0


def test_a_constraint_no_move_can_pass_fails_completes(tiny_judge):
    impossible = game(
        "assign(s=story())", "elicit(x, 3)", "ensure(len(x) > 1000)", "reward(xed(s | x))"
    )
    evaluation = evaluate(impossible, tiny_judge, maps=1, early_stop=False)
    got = verdicts(evaluation)
    assert got["completes"] is False
    assert evaluation.result("completes").detail.startswith("the search's moves were refused")


def test_judge_cost_per_step_is_measured_and_bounded(tiny_judge):
    condense = game("assign(s=story())", "elicit(x, 6)", "reward(xed(s | x))")
    evaluation = evaluate(
        condense, tiny_judge, maps=1, early_stop=False, config=FilterConfig(max_requests=1)
    )
    cost = evaluation.result("cost")
    # xed(s | x) asks for xent(s) and xent(s | x): two requests, the story and move tokens.
    assert cost.passed is False and cost.detail.startswith("at most 2 judge requests")
    assert evaluate(condense, tiny_judge, maps=1, early_stop=False).result("cost").passed


def test_profiles_and_verdicts_are_reproducible(tiny_judge):
    candidate = sample_game(7)
    first = evaluate(candidate, tiny_judge, maps=2, seed=3, early_stop=False)
    second = evaluate(candidate, tiny_judge, maps=2, seed=3, early_stop=False)
    assert first.to_json()["results"] == second.to_json()["results"]
    assert [m.to_json() for m in first.profile.maps] == [m.to_json() for m in second.profile.maps]
    vector = first.profile.vector()
    assert vector.shape == (8,) and abs(np.linalg.norm(vector) - 1) < 1e-9


def test_quick_check_scores_blind_and_trivial_moves_in_one_batch(tiny_judge):
    meter = CountingJudge(tiny_judge)
    env = gym.make(ensure_registered(sample_game(4).definition()), judge=meter).unwrapped
    obs, info = env.reset(seed=1)
    calls = []
    original = env.score_actions
    env.score_actions = lambda actions: calls.append(len(actions)) or original(actions)
    scores = quick_check(env, obs, info, np.random.default_rng(0))
    assert calls == [len(scores)] and len(scores) >= 8 and all(np.isfinite(scores))


def test_search_probes_spend_their_budget_and_rank_best_first(tiny_judge):
    env = gym.make(ensure_registered(sample_game(4).definition()), judge=tiny_judge).unwrapped
    obs, info = env.reset(seed=1)
    for budget in (1, 4, 16):
        ranked = SearchProbe(budget).moves(env, obs, info, np.random.default_rng(0))
        assert 1 <= len(ranked) <= budget
        values = env.score_actions(ranked)
        assert values == sorted(values, reverse=True)
    assert TrivialProbe("empty").moves(env, obs, info, np.random.default_rng(0)) == [[]]
    repeat = TrivialProbe("repeat").moves(env, obs, info, np.random.default_rng(0))[0]
    assert len(set(repeat)) == 1 and len(repeat) == info["max_tokens"]
    move = RandomProbe().moves(env, obs, info, np.random.default_rng(0))[0]
    assert len(move) == info["max_tokens"]


def test_built_in_games_can_be_profiled(tiny_judge):
    from xent_envs.games import builtin_games

    condense = next(d for d in builtin_games() if d.name == "Condense")
    profile = profile_game(condense, tiny_judge, maps=1)
    assert profile.name == "Condense" and set(profile.means()) >= {"random", "empty"}


@pytest.mark.real_judge
def test_condense_is_playable_and_a_copy_game_is_not_on_the_real_judge(real_judge):
    from xent_envs.games import builtin_games
    from xent_envs.generation import from_builtin

    condense = from_builtin(next(d for d in builtin_games() if d.name == "Condense"))
    evaluation = evaluate(condense, real_judge, maps=1, early_stop=False)
    assert verdicts(evaluation)["skill"] and verdicts(evaluation)["varies"]
    # Predicting the story from the story itself: copying it is the best move.
    copy = game("assign(s=story())", "elicit(x, 16)", "reward(xed(s | x))")
    evaluation = evaluate(copy, real_judge, maps=1, early_stop=False)
    assert verdicts(evaluation)["trivial"] is False


def test_search_probe_settings_are_checked():
    from xent_envs.errors import ConfigError

    for bad in ({"budget": 0}, {"batch_size": 0}, {"pool": "dictionary"}):
        with pytest.raises(ConfigError, match="SearchProbe needs budget >= 1"):
            SearchProbe(**bad)
