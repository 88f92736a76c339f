import json

import gymnasium as gym
import numpy as np
import pytest

import xent_envs
from xent_envs.errors import ConfigError, UnknownNameError, XentSyntaxError
from xent_envs.registry import GameInstance, game_space, list_games, seed_split

REFERENCE = {"Condense", "Contrast", "Synthesize", "TwoWays", "Horizon", "Alethiometer"}


def test_builtin_games_are_registered_with_gym_ids():
    names = {space.name for space in list_games()}
    assert names >= REFERENCE
    assert len(names) >= 12
    for space in list_games():
        assert space.env_id in gym.registry
        json.dumps(gym.spec(space.env_id).to_json())  # specs stay JSON-serialisable
    assert "xent/Random-v0" in gym.registry


def test_every_game_has_docs_and_typed_parameters():
    for space in list_games():
        d = space.definition
        assert d.summary and d.description and d.reward and d.skill
        text = space.describe()
        assert f"`{space.env_id}`" in text and "| `rounds` |" in text
        for p in space.parameters:
            assert p.type in ("int", "float", "str") and p.description
            assert space.resolve({p.name: p.default})[p.name] == p.default


def test_unknown_game_suggests_the_closest_name():
    with pytest.raises(UnknownNameError, match="Did you mean 'Condense'"):
        game_space("Condence")


def test_parameters_are_validated_with_clear_messages():
    space = game_space("Condense")
    with pytest.raises(ConfigError, match=r"parameter 'rounds' must be in \[1, 10\], got 0"):
        space.resolve({"rounds": 0})
    with pytest.raises(ConfigError, match="parameter 'rounds' expects int, got 'two'"):
        space.resolve({"rounds": "two"})
    with pytest.raises(ConfigError, match="parameter 'rounds' expects int, got np.float64"):
        space.resolve({"rounds": np.float64(2.7)})  # never silently truncated to 2
    assert space.resolve({"rounds": np.int64(3)})["rounds"] == 3
    with pytest.raises(UnknownNameError, match="unknown parameter 'roundz' of Condense"):
        space.resolve({"roundz": 2})


def test_instances_are_reproducible_and_ids_round_trip():
    space = game_space("Condense")
    a = space.sample(np.random.default_rng(3), vary=["story_tokens"])
    b = space.sample(np.random.default_rng(3), vary=["story_tokens"])
    assert a == b
    assert GameInstance.from_id(a.id) == a
    assert a.id.startswith("xent/Condense-v0?")
    low, high = space.parameter("story_tokens").low, space.parameter("story_tokens").high
    draws = {
        space.sample(np.random.default_rng(s), vary=["story_tokens"]).param_dict["story_tokens"]
        for s in range(30)
    }
    assert all(low <= d <= high for d in draws) and len(draws) > 5


def test_bad_instance_id_is_a_config_error():
    with pytest.raises(ConfigError, match="not a game instance id"):
        GameInstance.from_id("nonsense")


def test_seed_split_is_stable_and_respected():
    fractions = np.mean([seed_split("Condense", s) == "eval" for s in range(5000)])
    assert 0.08 < fractions < 0.12
    assert seed_split("Condense", 12345) == seed_split("Condense", 12345)
    space = game_space("Condense")
    rng = np.random.default_rng(0)
    for split in ("train", "eval"):
        for _ in range(20):
            assert seed_split("Condense", space.sample(rng, split=split).seed) == split


def test_register_game_from_source_makes_a_playable_env(tiny_judge):
    space = xent_envs.register_game(
        source="assign(s=story())\nelicit(x, 4)\nreward(xed(s | x))",
        name="UserEcho",
        summary="Echo test game.",
    )
    env = gym.make(space.env_id, judge=tiny_judge)
    _obs, info = env.reset(seed=1)
    assert info["game"] == "UserEcho" and info["max_tokens"] == 4
    _, reward, terminated, truncated, _ = env.step([11, 12])
    assert terminated and not truncated and np.isfinite(reward)
    assert gym.spec(space.env_id).kwargs["game_def"]["source"].startswith("assign(s=story())")


def test_register_game_rejects_broken_programs_with_position():
    with pytest.raises(XentSyntaxError) as err:
        xent_envs.register_game(source="assign(s=story())\nelicit(x, 4\n", name="Broken")
    assert err.value.line == 2


def test_games_from_the_entry_point_group_are_registered(monkeypatch):
    import importlib.metadata

    from xent_envs import registry

    pack = importlib.metadata.EntryPoint(
        name="pack", value="tests.envs.game_pack:GAMES", group=registry.ENTRY_POINT_GROUP
    )
    monkeypatch.setattr(
        importlib.metadata,
        "entry_points",
        lambda group: [pack] if group == registry.ENTRY_POINT_GROUP else [],
    )
    registry._register_entry_point_games()
    assert game_space("PackEcho").definition.summary == "A game from an entry point."
    assert "xent/PackEcho-v0" in gym.registry


def test_ids_round_trip_string_parameters_with_any_characters():
    space = game_space("Alethiometer")
    tricky = 'a "quoted" #hash @at & amp = eq ü ✓'
    inst = space.sample(np.random.default_rng(0), fixed={"frame_open": tricky})
    assert GameInstance.from_id(inst.id) == inst
    assert GameInstance.from_id(inst.id).param_dict["frame_open"] == tricky
