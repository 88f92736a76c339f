"""Splits by default: envs draw train maps unless asked, the eval job draws eval maps, and
the content of a map (not only its seed) is on its side."""

import json

import gymnasium as gym
import pytest

from xent_envs.errors import ConfigError, RunConflictError
from xent_envs.evaluation import AgentSpec, EvalConfig, evaluate
from xent_envs.games import GameInstance, seed_split
from xent_envs.maps import JudgeStories, catalogue, content_side, source_token


def _sides(env, n=30):
    return [seed_split("Condense", env.reset(seed=s)[1]["map_seed"]) for s in range(n)]


def test_envs_draw_train_maps_unless_asked(tiny_judge):
    default = gym.make("xent/Condense-v0", judge=tiny_judge, story_tokens=16)
    assert default.unwrapped.split == "train" and set(_sides(default)) == {"train"}
    evals = gym.make("xent/Condense-v0", judge=tiny_judge, split="eval", story_tokens=16)
    assert set(_sides(evals)) == {"eval"}
    anything = gym.make("xent/Condense-v0", judge=tiny_judge, split="all", story_tokens=16)
    assert set(_sides(anything, 60)) == {"train", "eval"}
    assert gym.make("xent/Condense-v0", judge=tiny_judge, split=None).unwrapped.split == "all"
    with pytest.raises(ConfigError, match="split must be 'train', 'eval' or 'all'"):
        gym.make("xent/Condense-v0", judge=tiny_judge, split="test")


def test_a_train_env_refuses_an_eval_map_seed(tiny_judge):
    env = gym.make("xent/Condense-v0", judge=tiny_judge)
    eval_seed = next(s for s in range(1000) if seed_split("Condense", s) == "eval")
    with pytest.raises(ConfigError, match="is in the 'eval' split; this env draws 'train' maps"):
        env.reset(options={"map_seed": eval_seed})


@pytest.mark.parametrize("split", ["train", "eval"])
def test_words_and_motions_of_a_map_are_on_its_side(tiny_judge, split):
    taboo = gym.make("xent/Taboo-v1", judge=tiny_judge, split=split, vary=["topic"])
    debate = gym.make("xent/Debate-v1", judge=tiny_judge, split=split)
    subjects = catalogue("Debate motions").phrases
    words, motions = set(), set()
    for seed in range(25):
        program = _reset_program(taboo, seed)
        words |= {w for w in _literals(program) if content_side("items", w) == split}
        assert any(content_side("items", w) == split for w in _literals(program))
        (motion,) = [m for m in _literals(_reset_program(debate, seed)) if " | " in m.strip()]
        subject = max((s for s in subjects.items if s in motion), key=len)
        assert content_side("subjects", subject) == split
        motions.add(motion)
    assert len(words) > 10 and len(motions) > 15  # Debate has many maps, not one


def _reset_program(env, seed):
    env.reset(seed=seed)
    return env.unwrapped.match.machine.program


def _literals(program):
    from xent_envs.lang.nodes import Str

    return [e.value for e in program.expressions() if isinstance(e, Str)]


def test_the_eval_job_plays_eval_maps_and_keys_its_text_source(tmp_path, tiny_judge):
    config = EvalConfig(agents=(AgentSpec("random"),), games=("Taboo",), maps=3,
                        judge="tiny-random-gpt2", game_params={"Taboo": {"story_tokens": 16}})  # fmt: skip
    assert config.split == "eval" and config.text_source == "stories"
    evaluate(config, tmp_path / "run", reports=False)
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["texts"] == source_token(JudgeStories()) and run["split"] == "eval"
    for path in sorted((tmp_path / "run" / "maps" / "Taboo").glob("*.json")):
        instance = GameInstance.from_id(json.loads(path.read_text())["instance_id"])
        assert instance.side == "eval" and instance.texts == run["texts"]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("One short text of mine. It has two sentences.")
    other = EvalConfig(
        **{**config.to_json(), "agents": config.agents, "text_source": f"docs:{docs}"}
    )
    assert other.run_key({"m": 1}) != config.run_key({"m": 1})
    with pytest.raises(RunConflictError, match="changed: .*texts"):
        evaluate(other, tmp_path / "run", reports=False)
