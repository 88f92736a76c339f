"""xent/Sampled-v0: a new playable game at each reset, replayable from its instance id."""

from __future__ import annotations

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from xent_envs.errors import ConfigError
from xent_envs.generation import (
    SAMPLED_ENV_ID,
    SampledEnv,
    SampledInstance,
    game_split,
    sample_game,
)

TINY = "tiny-random-gpt2"


def test_the_env_checker_passes():
    check_env(gym.make(SAMPLED_ENV_ID, judge=TINY).unwrapped, skip_render_check=False)


def test_each_reset_draws_a_game_and_a_seed_pins_it():
    env = gym.make(SAMPLED_ENV_ID, judge=TINY)
    infos = [env.reset(seed=s)[1] for s in range(4)]
    assert len({i["game_digest"] for i in infos}) == 4
    obs_a, info_a = env.reset(seed=2)
    assert info_a["instance_id"] == infos[2]["instance_id"]
    assert info_a["game"] == "Gen_" + info_a["game_digest"][:10]
    assert obs_a.startswith(f"# {info_a['game']} - round 1/1")
    game = sample_game(info_a["game_seed"])
    assert game.digest == info_a["game_digest"]


def test_an_instance_id_replays_the_exact_program_map_and_rewards(tiny_judge):
    env = gym.make(SAMPLED_ENV_ID, judge=TINY)
    obs, info = env.reset(seed=5)
    action = tiny_judge.encode(" the harbour at night")
    first = env.step(action)
    other = gym.make(SAMPLED_ENV_ID, judge=TINY)
    obs2, info2 = other.reset(options={"instance": info["instance_id"]})
    assert obs2 == obs and info2["instance_id"] == info["instance_id"]
    second = other.step(action)
    assert second[1] == first[1] and second[0] == first[0]


def test_episodes_play_to_the_end_and_score_actions_is_available():
    env = gym.make(SAMPLED_ENV_ID, judge=TINY, rounds=2)
    env.action_space.seed(0)
    env.reset(seed=9)
    scores = env.unwrapped.score_actions([[10, 11], [12]])
    assert len(scores) == 2
    rewards = []
    for _ in range(200):
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        rewards.append(reward)
        if terminated or truncated:
            break
    assert terminated or truncated
    assert sum(info["round_scores"]) == pytest.approx(sum(rewards))
    assert info["instance_id"].startswith(f"{SAMPLED_ENV_ID}?game=")
    assert "rounds=2" in info["instance_id"]


def test_the_eval_split_draws_only_eval_games():
    env = gym.make(SAMPLED_ENV_ID, judge=TINY, split="eval")
    digests = [env.reset(seed=s)[1]["game_digest"] for s in range(3)]
    assert {game_split(d) for d in digests} == {"eval"}
    train = gym.make(SAMPLED_ENV_ID, judge=TINY, split="train")
    assert {game_split(train.reset(seed=s)[1]["game_digest"]) for s in range(3)} == {"train"}


def test_instance_ids_round_trip_and_bad_ones_are_refused():
    inst = SampledInstance(12, (("rounds", 2), ("story_tokens", 32)), 99, "00ff00ff00ff00ff")
    assert SampledInstance.from_id(inst.id) == inst
    for bad, why in [
        ("xent/Condense-v0?budget=3#1@abc", "not xent/Sampled-v0"),
        (f"{SAMPLED_ENV_ID}?rounds=1#1@abc", "'game'"),
        (f"{SAMPLED_ENV_ID}?game=1&rounds=99#1@abc", "rounds"),
        (f"{SAMPLED_ENV_ID}?game=1&colour=3#1@abc", "colour"),
        ("garbage", "not a xent/Sampled-v0 instance id"),
    ]:
        with pytest.raises(ConfigError, match=why):
            SampledInstance.from_id(bad)


def test_an_instance_of_another_sampler_is_refused_by_its_digest():
    env = gym.make(SAMPLED_ENV_ID, judge=TINY)
    _, info = env.reset(seed=0)
    forged = info["instance_id"].rsplit("@", 1)[0] + "@0000000000000000"
    with pytest.raises(ConfigError, match="make the env with the sampler settings"):
        env.reset(options={"instance": forged})


def test_bad_settings_fail_at_make_time():
    with pytest.raises(ConfigError, match="split must be"):
        SampledEnv(TINY, split="test")
    with pytest.raises(ConfigError, match="rounds"):
        SampledEnv(TINY, rounds=0)
    with pytest.raises(ConfigError, match="unknown sampler settings"):
        SampledEnv(TINY, sampler={"colour": 1})
    with pytest.raises(ConfigError, match="unknown reset options"):
        SampledEnv(TINY).reset(seed=0, options={"map": 1})
