"""SearchAgent on an env whose best move is known."""

from __future__ import annotations

import itertools
import math

import pytest

from agents import AgentError
from agents.base import as_reward
from agents.search_agent import SearchAgent
from xent_envs.errors import ConfigError

from .conftest import TargetEnv


def test_search_finds_the_best_move_within_budget(target_env):
    env = target_env("cat")
    agent = SearchAgent(budget=60, batch_size=8, common_words=(), generate_tokens=8)
    agent.reset(env, seed=0)
    move = agent.act("a cat and a hat", {"max_tokens": 3})
    assert env.score_actions([move]) == [3.0]  # the best any 3-token move can earn
    assert agent.stats["evaluations"] <= 60
    assert max(env.batches) <= 8
    assert agent.last_details["evaluations"] == agent.stats["evaluations"]


def test_search_is_deterministic_per_seed(target_env):
    moves = []
    for _ in range(2):
        env = target_env("hat")
        agent = SearchAgent(budget=24)
        agent.reset(env, seed=3)
        moves.append(agent.act("the hat is on the mat", {"max_tokens": 4}))
    assert moves[0] == moves[1]
    assert len(moves[0]) <= 4


def test_search_respects_a_tiny_budget_and_one_token_moves(target_env):
    env = target_env("c")
    agent = SearchAgent(budget=5, batch_size=2)
    agent.reset(env, seed=0)
    move = agent.act("cat", {"max_tokens": 1})
    assert len(move) == 1 and agent.stats["evaluations"] <= 5


def test_search_needs_score_actions(codec):
    class NoScores:
        judge = codec
        unwrapped = property(lambda self: self)

    agent = SearchAgent()
    agent.reset(NoScores(), seed=0)
    with pytest.raises(AgentError, match="needs env.score_actions"):
        agent.act("text", {"max_tokens": 2})


def test_missing_rewards_rank_last():
    assert as_reward(None) == -math.inf
    assert as_reward(float("nan")) == -math.inf
    assert as_reward("2.5") == 2.5


class RefusingEnv(TargetEnv):
    """Moves with the letter ``x`` are refused (``-inf``); every legal move loses bits, so a
    refused move read as anything but the worst would win."""

    def score_actions(self, actions):
        self.batches.append(len(actions))
        refused = self.judge.encode("x")[0]
        return [-math.inf if refused in a else -0.5 * len(a) - 1.0 for a in actions]


def test_a_refused_move_is_never_chosen_over_a_legal_one():
    env = RefusingEnv()
    agent = SearchAgent(budget=40, batch_size=8, common_words=(), generate_tokens=8)
    agent.reset(env, seed=0)
    move = agent.act("xx xxx x xy", {"max_tokens": 3})
    assert env.score_actions([move]) == [-1.5]  # the best legal move: one token, not an x
    assert agent.last_details["expected_reward"] == -1.5
    assert "refused_moves" not in agent.stats


def test_when_every_candidate_is_refused_one_is_still_played():
    class AllRefused(TargetEnv):
        def score_actions(self, actions):
            return [-math.inf] * len(actions)

    agent = SearchAgent(budget=10, batch_size=5)
    agent.reset(AllRefused(), seed=0)
    move = agent.act("some text", {"max_tokens": 3})
    assert move and agent.last_details["expected_reward"] == -math.inf
    assert agent.stats["refused_moves"] == 1


def test_bad_budgets_are_config_errors():
    with pytest.raises(ConfigError, match="budget and batch_size must be at least 1, got budget=0"):
        SearchAgent(budget=0)


class LoggingEnv(TargetEnv):
    """Logs every candidate it scores, in order."""

    def __init__(self, target: str = "cat") -> None:
        super().__init__(target)
        self.scored: list[tuple[int, ...]] = []

    def score_actions(self, actions):
        self.scored.extend(tuple(a) for a in actions)
        return super().score_actions(actions)


@pytest.mark.parametrize("max_tokens", [1, 4])
def test_budgets_nest_so_more_budget_never_expects_less(max_tokens):
    """The ladder of the validity benchmark: a smaller budget evaluates a prefix of what a
    larger one evaluates, move after move, so the expected reward is monotone in the budget."""
    observation = "the quick brown fox jumps over the lazy dog while a cat naps on a warm mat"
    runs = {}
    for budget in (1, 4, 16, 64, 200):
        env = LoggingEnv("cat")
        agent = SearchAgent(budget=budget, batch_size=8)
        agent.reset(env, seed=5)
        moves = []
        for _ in range(2):  # a second move of the same map nests too
            start = len(env.scored)
            agent.act(observation, {"max_tokens": max_tokens})
            assert len(env.scored) - start == agent.last_details["evaluations"] <= budget
            moves.append((env.scored[start:], agent.last_details["expected_reward"]))
        runs[budget] = moves
    budgets = sorted(runs)
    for move in range(2):
        for small, large in itertools.pairwise(budgets):
            (seen, expected), (seen_large, expected_large) = runs[small][move], runs[large][move]
            assert seen_large[: len(seen)] == seen
            assert expected <= expected_large
    assert runs[1][0][1] < runs[200][0][1]  # and the budget does buy something here
