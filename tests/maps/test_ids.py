"""Checked instance ids: an id names the game, its parameters, the map seed, the program, the
judge and the text source, and a replay that would play anything else is refused."""

import re

import gymnasium as gym
import pytest

from xent_envs import GameInstance, register_game, temporary_registrations
from xent_envs.envs.maps import map_key, map_program
from xent_envs.errors import ConfigError, XentError
from xent_envs.maps import JudgeStories, judge_digest, source_token
from xent_envs.registration import game_space

ECHO = "assign(s=story())\nelicit(x, 8)\nreward(xed(s | x))"


@pytest.fixture(scope="module")
def played(tiny_judge):
    """A Condense map played once: its env and its info."""
    env = gym.make("xent/Condense-v0", judge=tiny_judge)
    obs, info = env.reset(seed=0)
    return env, obs, info


def test_an_id_names_program_judge_and_text_source(played, tiny_judge):
    env, obs, info = played
    space = game_space("Condense")
    pattern = (
        r"xent/Condense-v0\?budget=10&rounds=1&story_tokens=48#(?P<seed>\d+)"
        r"@(?P<program>[0-9a-f]{12});judge=(?P<judge>[0-9a-f]{12});texts=(?P<texts>stories-[0-9a-f]{12})"
    )
    parts = re.fullmatch(pattern, info["instance_id"])
    assert parts is not None
    assert int(parts["seed"]) == info["map_seed"] and parts["program"] == space.digest
    assert parts["judge"] == judge_digest(tiny_judge) == judge_digest(info["judge"])
    assert parts["texts"] == source_token(JudgeStories())
    instance = GameInstance.from_id(info["instance_id"])
    assert GameInstance.from_json(instance.to_json()) == instance
    assert env.reset(options={"instance": info["instance_id"]}) == (obs, info)


def test_a_made_up_program_digest_is_refused(played):
    env, _, info = played
    made_up = re.sub(r"@[0-9a-f]{12};", "@000000000000;", info["instance_id"])
    message = r"names the program 000000000000, but xent/Condense-v0 registered here is the"
    with pytest.raises(ConfigError, match=message):
        GameInstance.from_id(made_up)
    with pytest.raises(ConfigError, match=message):
        env.reset(options={"instance": made_up})


def test_an_id_of_a_game_registered_again_with_another_program_is_refused(tiny_judge):
    with temporary_registrations():
        register_game(source=ECHO, name="Echo")
        _, info = gym.make("xent/Echo-v0", judge=tiny_judge).reset(seed=1)
    with temporary_registrations():
        register_game(source=ECHO.replace("8)", "9)"), name="Echo")
        env = gym.make("xent/Echo-v0", judge=tiny_judge)
        with pytest.raises(ConfigError, match="made for another program under this name"):
            env.reset(options={"instance": info["instance_id"]})


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            r";judge=[0-9a-f]{12}",
            ";judge=0123456789ab",
            r"it names the judge 0123456789ab, this one",
        ),
        (r";texts=stories-", ";texts=docs-", r"it names the text source docs-[0-9a-f]{12}, this"),
        (r"-[0-9a-f]{12}$", "-ffffffffffff", r"it names the text source stories-ffffffffffff"),
    ],
)
def test_a_tampered_judge_or_text_source_is_refused(played, old, new, message):
    env, _, info = played
    tampered = re.sub(old, new, info["instance_id"])
    assert tampered != info["instance_id"]
    GameInstance.from_id(tampered)  # well formed: what it names is checked where it is played
    with pytest.raises(ConfigError, match=message):
        env.reset(options={"instance": tampered})


def test_every_truncated_id_is_refused(played):
    _, _, info = played
    full = info["instance_id"]
    for cut in range(len(full)):
        with pytest.raises(XentError):
            GameInstance.from_id(full[:cut])
    cut_tail = full[: full.index(";judge=")]  # an id made before ids named judge and texts
    with pytest.raises(ConfigError, match=r"is cut short or edited: after the map seed it should"):
        GameInstance.from_id(cut_tail)
    with pytest.raises(ConfigError, match="cut short or edited"):
        GameInstance.from_id(full + "0")


def test_an_id_of_another_game_is_refused(played, tiny_judge):
    env, _, _ = played
    _, debate = gym.make("xent/Debate-v1", judge=tiny_judge).reset(seed=0)
    with pytest.raises(ConfigError, match="is a map of Debate; this env plays Condense"):
        env.reset(options={"instance": debate["instance_id"]})
    with pytest.raises(ConfigError, match="is not a game of xent/Condense-v0"):
        game_space("Condense").instance(debate["instance_id"])


def test_the_map_cache_is_keyed_by_what_the_map_depends_on(played, tiny_judge):
    _, _, info = played
    space = game_space("Condense")
    instance = GameInstance.from_id(info["instance_id"])
    stories, other = JudgeStories(), JudgeStories(top_k=7)
    assert map_program(space, instance, tiny_judge, stories) is map_program(
        space, instance, tiny_judge, stories
    )
    assert map_key(space, instance, tiny_judge, stories) != map_key(
        space, instance, tiny_judge, other
    )
    assert map_program(space, instance, tiny_judge, other) != map_program(
        space, instance, tiny_judge, stories
    )
    # the registered program, not the digest an instance claims, is what the key holds
    assert space.digest in map_key(space, instance, tiny_judge, stories)
