"""The TRL adapter: dataset rows of train-split instances, the reward function as TRL calls
it (and inside a real ``GRPOTrainer`` step), the multi-turn tool environment."""

from __future__ import annotations

import math

import pytest

from xent_envs.errors import ConfigError
from xent_envs.games import GameInstance, seed_split
from xent_envs.rl.rollout import score_moves
from xent_envs.rl.trl_adapter import XentReward, XentToolEnv, dataset_rows

PARAMS = {"budget": 4, "story_tokens": 16}


def test_rows_are_train_split_instances_with_the_first_observation_as_a_chat(tiny_judge):
    rows = dataset_rows("Condense", 3, judge=tiny_judge, seed=0, params=PARAMS)
    assert [r["prompt"][1]["role"] for r in rows] == ["user"] * 3
    assert all(r["max_tokens"] == 4 and r["seat"] == "black" for r in rows)
    ids = [r["instance_id"] for r in rows]
    assert len(set(ids)) == 3
    assert all(seed_split("Condense", GameInstance.from_id(i).seed) == "train" for i in ids)
    assert dataset_rows("Condense", 3, judge=tiny_judge, seed=0, params=PARAMS) == rows
    held_out = dataset_rows("Condense", 2, judge=tiny_judge, split="eval", params=PARAMS)
    assert all(seed_split("Condense", GameInstance.from_id(r["instance_id"]).seed) == "eval"
               for r in held_out)  # fmt: skip


def test_the_reward_scores_completions_as_moves_in_one_merged_call(tiny_judge, counting_judge):
    rows = dataset_rows("Condense", 2, judge=tiny_judge, seed=0, params=PARAMS)
    ids = [rows[0]["instance_id"]] * 2 + [rows[1]["instance_id"]] * 2
    completions = [[{"role": "assistant", "content": f'Move: "{m}"'}]
                   for m in ("a farmer", "the sea", "", "a dog")]  # fmt: skip
    reward = XentReward(counting_judge)
    got = reward(prompts=[None] * 4, completions=completions, completion_ids=None,
                 instance_id=ids, seat=["black"] * 4, game=["Condense"] * 4)  # fmt: skip
    expected = score_moves(tiny_judge, ids, ["a farmer", "the sea", "", "a dog"])
    assert got == [s.reward for s in expected]
    assert got[2] == 0.0  # the empty move
    counting_judge.calls = 0
    reward(completions=completions, instance_id=ids)
    assert counting_judge.calls == 1  # the maps are cached; the four moves: one wave


def test_the_reward_needs_the_instance_column(tiny_judge):
    with pytest.raises(ConfigError, match="needs the dataset's instance_id column"):
        XentReward(tiny_judge)(completions=["Move: a"])


def test_the_tool_env_plays_every_round_and_owns_the_reward(tiny_judge):
    params = {**PARAMS, "rounds": 2}
    row = dataset_rows("Condense", 1, judge=tiny_judge, seed=0, params=params)[0]
    env = XentToolEnv.factory(judge=tiny_judge)()
    assert env.reset(**row) is None
    first = env.play("a farmer")
    assert "round" in first.lower()
    unfinished = env.get_reward()
    env.play("the sea")
    assert env.play("more") == "The game is over: there is no move to play."
    scores = score_moves(tiny_judge, [row["instance_id"]], ["a farmer"])
    assert unfinished == pytest.approx(scores[0].reward - 5.0)  # unfinished: penalised


@pytest.mark.filterwarnings("ignore")
def test_a_real_grpo_trainer_step_with_the_reward_function(tiny_judge, tmp_path):
    """TRL's own GRPOTrainer, one step on CPU: the dataset and the reward plug in as TRL
    expects (extra columns reach the reward function) and the rewards are the moves' bits."""
    import copy

    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    tokenizer = copy.deepcopy(tiny_judge.backend.lm.tokenizer)
    tokenizer.pad_token = tokenizer.eos_token
    rows = dataset_rows("Condense", 2, judge=tiny_judge, seed=0, params=PARAMS,
                        tokenizer=tokenizer, prefill=True)  # fmt: skip
    seen: list[float] = []
    reward = XentReward(tiny_judge, prefilled=True)

    def logged(**kwargs):
        values = reward(**kwargs)
        seen.extend(values)
        return values

    logged.__name__ = "xent"  # type: ignore[attr-defined]
    args = GRPOConfig(
        output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=4,
        max_completion_length=6, max_steps=1, use_cpu=True, report_to="none",
        save_strategy="no", logging_steps=1, seed=0, bf16=False,
    )  # fmt: skip
    trainer = GRPOTrainer(
        model=copy.deepcopy(tiny_judge.backend.lm.model),
        reward_funcs=logged,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
    )
    trainer.train()
    assert len(seen) == 4 and all(math.isfinite(v) for v in seen)
    logged_reward = trainer.state.log_history[0]["reward"]
    assert logged_reward == pytest.approx(sum(seen) / 4, rel=1e-5)
