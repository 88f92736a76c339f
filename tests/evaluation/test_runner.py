"""The runner's pieces that need no real env: map seeds, run keys, playing one map."""

from __future__ import annotations

import pytest

from agents import Agent, AgentError
from xent_envs.errors import JudgeError
from xent_envs.evaluation.runner import EvalConfig, map_seed, play_map


class TwoRoundEnv:
    """Two rounds of one move each; a move earns its length in bits (round 2: minus 1)."""

    def __init__(self, fail_on_step: int | None = None) -> None:
        self.fail_on_step = fail_on_step

    def reset(self, seed=None):
        self.round, self.steps, self.scores = 0, 0, [0.0, 0.0]
        return f"obs {seed}", self._info()

    def _info(self, **extra):
        return {"round": self.round, "round_scores": list(self.scores), "max_tokens": 3,
                "instance_id": "fake#1", "params": {"p": 1}, "judge": {"model": "fake"}, **extra}  # fmt: skip

    def step(self, action):
        self.steps += 1
        if self.steps == self.fail_on_step:
            raise JudgeError("judge exploded")
        reward = float(len(action)) - self.round
        self.scores[self.round] += reward
        self.round += 1  # step info describes the state after the move, like XentEnv's
        info = self._info(move="m", move_tokens=len(action),
                          reward_terms=[{"total": reward}], token_rewards=[("m", reward)])  # fmt: skip
        return "next", reward, self.round == 2, False, info


class Fixed(Agent):
    name = "fixed"

    def __init__(self, moves, fail_at=None):
        super().__init__()
        self.moves, self.fail_at, self.calls = moves, fail_at, 0

    def act(self, observation, info):
        self.calls += 1
        if self.calls == self.fail_at:
            raise AgentError("no move today")
        self.count("moves")
        return self.moves[self.calls - 1]


def test_map_seed_is_stable_and_distinct():
    assert map_seed(0, "Condense", 0) == 2819013722795330170
    seeds = {map_seed(s, g, i) for s in (0, 1) for g in ("Condense", "Taboo") for i in range(3)}
    assert len(seeds) == 12 and all(0 <= s < 2**63 for s in seeds)


def test_run_key_covers_config_and_judge_but_not_secrets():
    base = EvalConfig(agents=("random",), games=("Condense",), judge="j")
    fp = {"model": "j", "weights_sha256": "aa"}
    assert base.key(fp) == EvalConfig(agents=("random",), games=("Condense",), judge="j").key(fp)
    assert base.key(fp) != base.key({**fp, "weights_sha256": "bb"})
    assert base.key(fp) != EvalConfig(
        agents=("random",), games=("Condense",), judge="j", maps=3
    ).key(fp)
    keyed = EvalConfig(
        agents=("openai",), agent_options={"openai": {"model": "m", "api_key": "s1"}}
    )
    other = EvalConfig(
        agents=("openai",), agent_options={"openai": {"model": "m", "api_key": "s2"}}
    )
    assert keyed.key(fp) == other.key(fp)
    assert "s1" not in str(keyed.to_json())


def test_play_map_records_rounds_and_best_round():
    record = play_map(TwoRoundEnv(), Fixed([[1, 2], [1, 2, 3]]), seed=5)
    assert record["status"] == "ok"
    assert record["round_scores"] == [2.0, 2.0]
    assert record["score"] == 2.0
    assert [r["round"] for r in record["rounds"]] == [0, 1]
    step = record["rounds"][1]["steps"][0]
    assert step["action"] == [1, 2, 3] and step["reward"] == 2.0 and step["tokens"] == 3
    assert step["observation"] == "next" and step["token_rewards"] == [["m", 2.0]]
    assert record["moves"] == 2 and record["tokens_used"] == 5
    assert record["agent_stats"] == {"moves": 2}
    assert record["instance_id"] == "fake#1" and record["judge"] == {"model": "fake"}
    assert set(record["timing"]) == {"total_seconds", "act_seconds", "env_seconds"}


def test_an_agent_that_raises_is_recorded_and_keeps_its_steps():
    record = play_map(TwoRoundEnv(), Fixed([[1], [1]], fail_at=2), seed=0)
    assert record["status"] == "error" and record["score"] is None
    assert record["error"]["where"] == "agent.act"
    assert record["error"]["type"] == "AgentError" and record["error"]["message"] == "no move today"
    assert record["moves"] == 1


def test_a_judge_error_is_recorded_as_an_env_error():
    record = play_map(TwoRoundEnv(fail_on_step=1), Fixed([[1], [1]]), seed=0)
    assert record["status"] == "error" and record["error"]["where"] == "env"


def test_other_exceptions_propagate():
    class Broken(TwoRoundEnv):
        def step(self, action):
            raise KeyError("a bug")

    with pytest.raises(KeyError):
        play_map(Broken(), Fixed([[1]]), seed=0)
