"""The batched vector env: same results as N single envs, one judge wave per wave."""

import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import xent_envs  # noqa: F401
from xent_envs.envs import XentVectorEnv
from xent_envs.errors import ConfigError
from xent_envs.wrappers import VectorTextActions, judge_of

TINY = "tiny-random-gpt2"
#: Batched and alone, the same request may score differently in the judge's last bits: in
#: bf16 (the default on CPU) by up to 0.07 bits on the tiny judge and 0.3 on the real one
#: (Synthesize, 8 envs: benchmarks/README.md), so the comparison runs the tiny judge in
#: float32, where the configurations below measured equal (0.0).
TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def tiny32():
    from xent_envs.judge import load_judge

    return load_judge(TINY, dtype="float32")


class CountingJudge:
    """Delegates to a judge and counts its ``score_batch`` calls (forward waves)."""

    def __init__(self, judge):
        self._judge = judge
        self.waves = 0

    def score_batch(self, requests):
        self.waves += 1
        return self._judge.score_batch(requests)

    def __getattr__(self, name):
        return getattr(self._judge, name)


def moves(infos, n, step):
    """Scripted moves: a different one per env and step, some over budget, one invalid."""
    out = []
    for i in range(n):
        budget = int(infos["max_tokens"][i]) if "max_tokens" in infos else 4
        out.append(
            "not tokens" if (i + step) % 5 == 4 else [1000 + 37 * i + step] * (budget + i % 3)
        )
    return out


def assert_same(a, b, where="infos"):
    """Equal nested infos; floats within ``TOLERANCE``."""
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, np.ndarray) and a.dtype != object:
        assert a.shape == b.shape and a.dtype == b.dtype, where
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=0, atol=TOLERANCE, err_msg=where)
        else:
            np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, (list, tuple, np.ndarray)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert a == pytest.approx(b, abs=TOLERANCE), where
    else:
        assert a == b, where


@pytest.mark.parametrize(
    "env_id, kwargs",
    [
        ("xent/Condense-v0", {}),
        ("xent/Condense-v0", {"rounds": 2}),
        ("xent/Debate-v1", {"seat": "white"}),
        ("xent/Horizon-v2", {}),
        ("xent/Synthesize-v1", {}),
        ("xent/Random-v0", {}),
    ],
)
def test_vector_env_equals_a_sync_vector_env_of_single_envs(tiny32, env_id, kwargs):
    n, seeds = 4, [11, 12, 13, 14]
    batched = gym.make_vec(
        env_id, num_envs=n, vectorization_mode="vector_entry_point", judge=tiny32, **kwargs
    )
    single = gym.make_vec(
        env_id,
        num_envs=n,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
        judge=tiny32,
        **kwargs,
    )
    assert isinstance(batched.unwrapped, XentVectorEnv)
    (obs_a, info_a), (obs_b, info_b) = batched.reset(seed=seeds), single.reset(seed=seeds)
    assert obs_a == obs_b and all(isinstance(o, str) for o in obs_a)
    assert_same(info_a, info_b)
    for step in range(6):
        actions = moves(info_a, n, step)
        *out_a, info_a = batched.step(actions)
        *out_b, info_b = single.step(actions)
        assert out_a[0] == out_b[0]
        np.testing.assert_allclose(out_a[1], out_b[1], rtol=0, atol=TOLERANCE)
        np.testing.assert_array_equal(out_a[2], out_b[2])
        np.testing.assert_array_equal(out_a[3], out_b[3])
        assert_same(info_a, info_b)


def test_one_judge_wave_per_wave_not_per_env(tiny_judge):
    counting = CountingJudge(tiny_judge)
    single = gym.make("xent/Synthesize-v1", judge=counting)
    single.reset(seed=0)
    tiny_judge.clear_cache()
    counting.waves = 0
    single.step([500])
    waves = counting.waves
    assert waves == 1  # the three reward lines ask the judge in one wave

    n = 6
    envs = gym.make_vec(
        "xent/Synthesize-v1", num_envs=n, vectorization_mode="vector_entry_point", judge=counting
    )
    envs.reset(seed=list(range(n)))
    tiny_judge.clear_cache()
    counting.waves = 0
    envs.step([[500 + i] for i in range(n)])
    assert counting.waves == waves  # N envs cost the waves of one, not N times as many


def test_seeds_masks_and_metadata(tiny_judge):
    envs = gym.make_vec(
        "xent/Condense-v0", num_envs=3, vectorization_mode="vector_entry_point", judge=TINY
    )
    assert envs.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    assert envs.unwrapped.judge is judge_of(envs) is tiny_judge
    _, by_int = envs.reset(seed=5)
    _, by_list = envs.reset(seed=[5, 6, 7])
    assert list(by_int["instance_id"]) == list(by_list["instance_id"])
    mask = np.array([False, True, False])
    _, infos = envs.reset(seed=[None, 9, None], options={"reset_mask": mask})
    assert list(infos["_instance_id"]) == [False, True, False]
    assert (
        infos["instance_id"][1]
        == gym.make("xent/Condense-v0", judge=TINY).reset(seed=9)[1]["instance_id"]
    )
    with pytest.raises(ConfigError, match="seed must be None, an int or a list of 3 seeds"):
        envs.reset(seed=[1, 2])
    with pytest.raises(ConfigError, match="reset_mask"):
        envs.reset(options={"reset_mask": [True, False, True]})
    with pytest.raises(ConfigError, match="expected 3 actions, got 2"):
        envs.step([[1], [2]])


def test_same_step_autoreset_reports_the_final_observation(tiny_judge):
    envs = gym.make_vec(
        "xent/Condense-v0", num_envs=2, vectorization_mode="vector_entry_point", judge=TINY
    )
    first, _ = envs.reset(seed=[0, 1])
    obs, rewards, terminated, _, infos = envs.step([[100], [200]])
    assert terminated.all() and list(infos["_final_obs"]) == [True, True]
    assert all(o.startswith("# Condense - game over (finished)") for o in infos["final_obs"])
    assert list(infos["final_info"]["episode_return"]) == pytest.approx(list(rewards))
    single = gym.make("xent/Condense-v0", judge=TINY)
    single.reset(seed=0)
    single.step([100])
    assert obs[0] == single.reset()[0] != first[0]  # the next episode, from the same stream


def test_next_step_and_disabled_autoreset_modes(tiny_judge):
    envs = XentVectorEnv("Condense", TINY, num_envs=2, autoreset_mode="next_step")
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    envs.reset(seed=0)
    _, _, terminated, _, infos = envs.step([[1], [2]])
    assert terminated.all() and "final_obs" not in infos
    obs, rewards, terminated, _, infos = envs.step([[1], [2]])  # the actions are ignored
    assert list(rewards) == [0.0, 0.0] and not terminated.any() and "move" not in infos
    assert all(o.startswith("# Condense - round 1/1") for o in obs)
    disabled = XentVectorEnv("Condense", TINY, num_envs=2, autoreset_mode="disabled")
    disabled.reset(seed=0)
    disabled.step([[1], [2]])
    with pytest.raises(gym.error.ResetNeeded, match="the episode is over"):
        disabled.step([[1], [2]])
    with pytest.raises(ConfigError, match="autoreset_mode must be one of"):
        XentVectorEnv("Condense", TINY, num_envs=2, autoreset_mode="sometimes")
    with pytest.raises(ConfigError, match="num_envs must be a positive int"):
        XentVectorEnv("Condense", TINY, num_envs=0)


def test_vector_text_actions_and_invalid_moves(tiny_judge):
    envs = VectorTextActions(
        gym.make_vec(
            "xent/Condense-v0", num_envs=3, vectorization_mode="vector_entry_point", judge=TINY
        )
    )
    envs.reset(seed=0)
    _, rewards, terminated, _, infos = envs.step(["the cat sat", 12, "a dog"])
    assert list(terminated) == [True, False, True]
    assert list(infos["final_info"]["move"][[0, 2]]) == ["the cat sat", "a dog"]
    assert infos["invalid_action"][1] and rewards[1] == 0.0 and math.isfinite(rewards[0])
    sync = gym.make_vec("xent/Condense-v0", num_envs=2, vectorization_mode="sync", judge=TINY)
    assert judge_of(sync) is tiny_judge
    assert isinstance(VectorTextActions(sync).action_space, gym.spaces.Tuple)


def test_score_actions_shares_waves_across_candidates(tiny_judge):
    counting = CountingJudge(tiny_judge)
    env = gym.make("xent/Synthesize-v1", judge=counting)
    env.reset(seed=0)
    tiny_judge.clear_cache()
    counting.waves = 0
    scores = env.unwrapped.score_actions([[600 + i, 700 + i] for i in range(16)])
    assert counting.waves == 1 and len(set(scores)) == 16  # as many waves as one step
