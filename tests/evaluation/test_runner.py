"""Playing one map (``play_map``) on a scripted env, and the lazy plan of a run."""

from __future__ import annotations

import math

import pytest

from agents import Agent, AgentError
from xent_envs.errors import JudgeError
from xent_envs.evaluation import EvalConfig, MapRecord, MapSlot, map_seed, plan, play_map
from xent_envs.evaluation.config import MAX_MAPS, agent_seed

SLOT = MapSlot(game="Fake", map=3, agent="fixed", seed=5, agent_seed=7, run="r", key="k")


class TwoRoundEnv:
    """Two rounds of one move each; a move earns its length in bits, minus 2 in round 2, so
    the rounds score differently (the best round is not the last one)."""

    def __init__(self, fail_on_step=None, rewards=None, truncate_on_step=None):
        self.fail_on_step = fail_on_step
        self.rewards = rewards
        self.truncate_on_step = truncate_on_step

    def reset(self, seed=None):
        self.seed, self.round, self.steps, self.scores = seed, 0, 0, [0.0, 0.0]
        return f"obs {seed}", self._info()

    def _info(self, **extra):
        return {"round": self.round, "round_scores": list(self.scores), "max_tokens": 3,
                "player": "black", "instance_id": f"fake#{self.seed}", "params": {"p": 1},
                "judge": {"model": "fake"}, **extra}  # fmt: skip

    def step(self, action):
        self.steps += 1
        if self.steps == self.fail_on_step:
            raise JudgeError("judge exploded")
        kept = list(action)[:3]
        reward = self.rewards[self.steps - 1] if self.rewards else float(len(kept) - 2 * self.round)
        self.scores[self.round] += reward
        truncated = self.steps == self.truncate_on_step
        if not truncated:
            self.round += 1  # step info describes the state after the move, like XentEnv's
        term = {
            "line": 2,
            "round": self.steps - 1,
            "total": reward,
            "tokens": ["m"],
            "bits": [reward],
        }
        info = self._info(move="m" * len(kept), move_tokens=len(kept), cut=len(action) > 3,
                          reward_terms=[term], token_rewards=[("m", reward)])  # fmt: skip
        if truncated:
            info["truncation_reason"] = "ensure failed 10 times"
        return "next", reward, self.round == 2, truncated, info


class Fixed(Agent):
    name = "fixed"

    def __init__(self, moves, fail_at=None):
        super().__init__()
        self.moves, self.fail_at, self.calls, self.seeds = moves, fail_at, 0, []

    def reset(self, env=None, seed=None):
        super().reset(env, seed)
        self.seeds.append(seed)

    def act(self, observation, info):
        self.calls += 1
        if self.calls == self.fail_at:
            raise AgentError("no move today")
        self.count("moves")
        self.last_details = {"expected_reward": -math.inf, "note": "n"}
        return self.moves[self.calls - 1]


def test_map_seed_is_stable_and_distinct():
    assert map_seed(0, "Condense", 0) == 2819013722795330170
    seeds = {map_seed(s, g, i) for s in (0, 1) for g in ("Condense", "Taboo") for i in range(3)}
    assert len(seeds) == 12 and all(0 <= s < 2**63 for s in seeds)
    assert agent_seed(2819013722795330170) != 2819013722795330170


def test_play_map_records_rounds_and_the_best_round():
    agent = Fixed([[1, 2, 3], [1, 2, 3, 4]])
    record = play_map(TwoRoundEnv(), agent, SLOT)
    assert record.status == "ok" and record.error is None
    assert record.round_scores == (3.0, 1.0)
    assert record.score == 3.0  # the best round, not the last one
    assert [r.round for r in record.rounds] == [0, 1]
    assert [r.score for r in record.rounds] == [3.0, 1.0]
    step = record.rounds[1].steps[0]
    assert step.action == (1, 2, 3, 4) and step.tokens == 3 and step.cut is True
    assert step.move == "mmm" and step.reward == 1.0 and step.seat == "black"
    assert step.observation == "next" and step.token_rewards == [("m", 1.0)]
    assert step.details == {"expected_reward": "-inf", "note": "n"}
    assert (record.moves, record.tokens_used) == (2, 6)
    assert record.agent_stats == {"moves": 2.0}
    assert record.instance_id == "fake#5" and record.judge == {"model": "fake"}
    assert record.seats == {"black": "fixed"}
    assert record.slot == SLOT


def test_the_env_and_the_agent_get_the_slot_seeds():
    env, agent = TwoRoundEnv(), Fixed([[1], [1]])
    play_map(env, agent, SLOT)
    assert env.seed == SLOT.seed and agent.seeds == [SLOT.agent_seed]


def test_an_agent_that_raises_is_recorded_and_keeps_its_steps():
    record = play_map(TwoRoundEnv(), Fixed([[1], [1]], fail_at=2), SLOT)
    assert record.status == "error" and record.score is None
    assert record.error.where == "agent.act"
    assert record.error.type == "AgentError" and record.error.message == "no move today"
    assert "no move today" in record.error.traceback
    assert record.moves == 1


def test_a_judge_error_is_recorded_as_an_env_error():
    record = play_map(TwoRoundEnv(fail_on_step=1), Fixed([[1], [1]]), SLOT)
    assert record.status == "error" and record.error.where == "env"
    assert record.error.type == "JudgeError"


def test_a_nan_reward_is_recorded_as_an_error_not_a_crash():
    record = play_map(TwoRoundEnv(rewards=[1.0, math.nan]), Fixed([[1], [1]]), SLOT)
    assert record.status == "error" and record.score is None
    assert record.error.type == "NonFiniteReward" and "(nan)" in record.error.message
    assert math.isnan(record.rounds[1].steps[0].reward)
    back = MapRecord.from_json(record.to_json())  # strict JSON, and back
    assert back.to_json() == record.to_json() and back.to_json()["rounds"][1]["score"] == "nan"


def test_a_truncated_episode_is_scored_on_what_was_played():
    record = play_map(TwoRoundEnv(truncate_on_step=1), Fixed([[1, 2]]), SLOT)
    assert record.status == "ok" and record.truncation_reason == "ensure failed 10 times"
    assert record.moves == 1 and record.score == 2.0


def test_other_exceptions_propagate():
    class Broken(TwoRoundEnv):
        def step(self, action):
            raise KeyError("a bug")

    with pytest.raises(KeyError):
        play_map(Broken(), Fixed([[1]]), SLOT)


def test_the_plan_is_lazy_and_keyed_per_slot():
    config = EvalConfig(agents=("a", "b"), games=("Condense", "Censor"), maps=MAX_MAPS)
    slots = plan(config, "run")
    first = [next(slots) for _ in range(3)]  # a run of 200,000 maps starts at once
    assert [(s.game, s.map, s.agent) for s in first] == [
        ("Condense", 0, "a"),
        ("Condense", 0, "b"),
        ("Condense", 1, "a"),
    ]
    assert first[0].seed == first[1].seed == map_seed(0, "Condense", 0)
    assert first[0].agent_seed == agent_seed(first[0].seed)
    assert first[0].key == config.map_key("run", "Condense", 0, "a") != first[1].key
