"""The training entry point: learning happens, runs resume exactly after Ctrl-C, held-out
comparison, and bad input refused with clear messages."""

from __future__ import annotations

import csv
import json
import signal

import pytest
import torch

from xent_envs.errors import ConfigError, RunConflictError, UnknownNameError
from xent_envs.rl.config import TrainConfig
from xent_envs.rl.run import step_instances, train, train_instances

TIMING = {"rollout_seconds", "update_seconds", "moves_per_second"}


def table_config(**changes):
    """A token table on one fixed Condense map (short story), with the tiny judge."""
    base = dict(
        game="Condense",
        policy="token-table",
        judge="tiny-random-gpt2",
        params={"budget": 3, "story_tokens": 16},
        policy_options={"vocab": 256, "length": 2},
        train_maps=1,
        group=8,
        steps=6,
        eval_maps=0,
        learning_rate=1.0,
        beta=0.0,
        save_every=2,
    )
    return TrainConfig(**{**base, **changes})


def rows(out):
    with open(out / "log.csv", newline="") as handle:
        return [{k: v for k, v in row.items() if k not in TIMING} for row in csv.DictReader(handle)]


def test_a_token_policy_learns_a_fixed_map(tmp_path):
    """On a fixed map the reward is a fixed function of the move, so a table of two
    categorical choices (256 ids each) can climb it. With the tiny judge a random 2-token
    move costs about 27 bits on this map, and some cost far less (the reward of a story's
    own word, struck out, is 0): 20 steps of 8 episodes gain 13.5 bits (seeds 0-4 gain
    8 to 80). On fresh maps a story-blind policy has nothing to learn: see
    docs/TRAINING.md."""
    train(table_config(steps=20), tmp_path, progress=False)
    reward = [float(r["reward"]) for r in rows(tmp_path)]
    first, last = sum(reward[:5]) / 5, sum(reward[-5:]) / 5
    assert last > first + 10.0, (first, last)
    assert float(rows(tmp_path)[-1]["kl"]) > 0.5  # the policy moved away from uniform


def test_ctrl_c_saves_the_step_and_resume_continues_the_same_run(tmp_path):
    straight, broken = tmp_path / "straight", tmp_path / "broken"
    train(table_config(), straight, progress=False)

    def interrupt_at_3(step, stats):
        if step == 3:
            signal.raise_signal(signal.SIGINT)

    notes = []
    before = signal.getsignal(signal.SIGINT)  # Python's handler, or SIG_IGN in a background job
    with pytest.raises(KeyboardInterrupt):
        train(table_config(), broken, progress=False, on_step=interrupt_at_3, log=notes.append)
    assert (broken / "checkpoints" / "step-000003" / "state.json").is_file()
    assert [int(r["step"]) for r in rows(broken)] == [1, 2, 3]
    assert "checkpoint of step 3 saved" in notes[-1]
    assert signal.getsignal(signal.SIGINT) is before  # handler restored
    train(table_config(), broken, resume=True, progress=False, log=notes.append)
    assert "resuming" in notes[-1]
    assert rows(broken) == rows(straight)
    a = torch.load(straight / "checkpoints" / "step-000006" / "optimizer.pt")
    b = torch.load(broken / "checkpoints" / "step-000006" / "optimizer.pt")
    assert torch.equal(a["state"][0]["exp_avg"], b["state"][0]["exp_avg"])


def test_a_second_ctrl_c_stops_at_once_and_keeps_the_last_checkpoint(tmp_path):
    def interrupt_twice_at_3(step, stats):
        if step == 3:
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        train(table_config(), tmp_path, progress=False, on_step=interrupt_twice_at_3)
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step-000002"]
    assert [int(r["step"]) for r in rows(tmp_path)] == [1, 2, 3]  # step 3 is logged, not saved
    train(table_config(), tmp_path, resume=True, progress=False)
    assert [int(r["step"]) for r in rows(tmp_path)] == [1, 2, 3, 4, 5, 6]


def test_held_out_comparison_before_and_after(tmp_path):
    result = train(table_config(steps=4, eval_maps=3), tmp_path, progress=False)
    c = result.comparison
    assert c is not None and (c.before, c.after, c.maps, c.errors) == ("step-0", "step-4", 3, 0)
    diffs = [after - before for _, before, after in c.per_map]
    assert c.improvement == pytest.approx(sum(diffs) / 3)
    assert c.ci_low <= c.improvement <= c.ci_high
    saved = json.loads((tmp_path / "comparison.json").read_text())
    assert saved["improvement"] == c.improvement and saved["steps"] == 4
    assert (tmp_path / "learning_curve.png").stat().st_size > 10_000
    assert "| map | before | after | difference |" in (tmp_path / "comparison.md").read_text()
    maps = sorted(p.name for p in (tmp_path / "eval" / "maps" / "Condense").iterdir())
    assert maps == [f"{i:04d}-{a}.json" for i in range(3) for a in ("step-0", "step-4")]
    # The eval maps are eval-split maps; the train maps train-split ones.
    record = json.loads((tmp_path / "eval" / "maps" / "Condense" / maps[0]).read_text())
    from xent_envs.games import GameInstance, seed_split

    assert seed_split("Condense", GameInstance.from_id(record["instance_id"]).seed) == "eval"
    assert all(seed_split("Condense", i.seed) == "train" for i in train_instances(table_config()))


def test_the_trained_policy_plays_again_from_its_run_folder(tmp_path):
    from xent_envs.evaluation import AgentSpec, EvalConfig, evaluate

    result = train(table_config(steps=4, eval_maps=2), tmp_path, progress=False)
    spec = AgentSpec("again", "xent_envs.rl.agent:PolicyAgent", {"run": str(tmp_path)})
    config = EvalConfig(agents=(spec,), games=("Condense",), maps=2, judge="tiny-random-gpt2",
                        game_params={"Condense": {"budget": 3, "story_tokens": 16}})  # fmt: skip
    board = evaluate(config, tmp_path / "again", progress=False)
    assert board.rows[0].raw_bits == pytest.approx(result.comparison.after_bits)


def test_every_step_draws_its_maps_from_the_seeded_pool():
    config = table_config(train_maps=3, maps_per_step=2)
    pool = train_instances(config)
    seen = [step_instances(pool, config, s) for s in (1, 2, 3)]
    assert sorted(i.id for i in seen[0] + seen[1][:1]) == sorted(i.id for i in pool)
    assert step_instances(pool, config, 2) == seen[1]  # a function of the step alone


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"game": "Condence"}, UnknownNameError, r"unknown game 'Condence'\. Did you mean 'Condense'\?"),
        ({"policy": "smollm-135m"}, UnknownNameError, r"unknown policy 'smollm-135m'"),
        ({"game": "Debate", "params": {}}, ConfigError, r"nobody plays 'white'.*--opponent white=echo"),
        ({"seat": "white"}, ConfigError, r"'white' is not a seat of Condense; its seats: black"),
    ],
)  # fmt: skip
def test_bad_names_are_refused_before_anything_is_written(tmp_path, changes, error, message):
    with pytest.raises(error, match=message):
        train(table_config(**changes), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_a_folder_of_another_run_is_refused_and_left_alone(tmp_path):
    train(table_config(steps=2), tmp_path, progress=False)
    before = (tmp_path / "config.json").read_text()
    with pytest.raises(RunConflictError, match=r"another run \(learning_rate: 1.0 -> 0.1\)"):
        train(table_config(steps=2, learning_rate=0.1), tmp_path, resume=True, progress=False)
    with pytest.raises(
        RunConflictError, match="already holds this run trained to step 2; pass --resume"
    ):
        train(table_config(steps=2), tmp_path, progress=False)
    assert (tmp_path / "config.json").read_text() == before
    assert [int(r["step"]) for r in rows(tmp_path)] == [1, 2]
    # more steps is the same run, continued
    train(table_config(steps=3), tmp_path, resume=True, progress=False)
    assert [int(r["step"]) for r in rows(tmp_path)] == [1, 2, 3]


def test_config_values_are_checked():
    with pytest.raises(ConfigError, match="group must be at least 2"):
        TrainConfig(group=1)
    with pytest.raises(ConfigError, match="credit must be 'episode' or 'prefix'"):
        TrainConfig(credit="token")
    with pytest.raises(ConfigError, match="learning_rate must be a finite number above 0"):
        TrainConfig(learning_rate=float("nan"))
    assert TrainConfig.from_json(TrainConfig().to_json()) == TrainConfig()
