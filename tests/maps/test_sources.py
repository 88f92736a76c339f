"""Pluggable text sources: names, objects, tokens, and what a map's id names."""

import dataclasses
import re

import gymnasium as gym
import pytest

from xent_envs.errors import ConfigError, UnknownNameError
from xent_envs.maps import (
    DEFAULT_TEXT_SOURCE,
    JudgeStories,
    JudgeTextSource,
    MapSource,
    judge_digest,
    resolve_text_source,
    source_token,
)
from xent_envs.maps.sources import TOKEN_PATTERN, digest


def test_names_resolve_and_unknown_ones_are_refused(tmp_path):
    assert DEFAULT_TEXT_SOURCE == "stories"
    assert resolve_text_source("stories") == JudgeStories()
    source = JudgeStories(temperature=0.7)
    assert resolve_text_source(source) is source
    with pytest.raises(
        UnknownNameError, match=r"unknown text source 'storys'. Did you mean 'stories'"
    ):
        resolve_text_source("storys")
    with pytest.raises(ConfigError, match=r"must say what it holds: 'docs:"):
        resolve_text_source(tmp_path)
    with pytest.raises(ConfigError, match="text_source must be a name"):
        resolve_text_source(3)  # type: ignore[arg-type]


def test_a_token_names_the_kind_and_every_option():
    token = source_token(JudgeStories())
    assert re.fullmatch(TOKEN_PATTERN, token) and token.startswith("stories-")
    assert token == source_token(JudgeStories())  # stable
    tokens = {source_token(JudgeStories(**{k: v})) for k, v in [("top_k", 40), ("mask", "[?]")]}
    assert token not in tokens and len(tokens) == 2
    assert judge_digest({"model": "m"}) == digest({"model": "m"}) != judge_digest({"model": "n"})


@dataclasses.dataclass(frozen=True)
class Proverbs:
    """A user's source object: every story is a proverb (no judge needed)."""

    proverbs: tuple[str, ...] = ("A stitch in time saves nine.", "Still waters run deep.")

    @property
    def kind(self) -> str:
        return "proverbs"

    @property
    def fingerprint(self):
        return {"proverbs": list(self.proverbs)}

    def texts(self, judge, *, side, story_tokens, map_seed):
        return ProverbTexts(self.proverbs, judge)


class ProverbTexts(JudgeTextSource):
    def __init__(self, proverbs, judge):
        super().__init__(judge)
        self.proverbs = proverbs

    def story(self, seed):
        return self.proverbs[seed % len(self.proverbs)]


def test_any_object_with_kind_fingerprint_and_texts_is_a_source(tiny_judge):
    source = Proverbs()
    assert isinstance(source, MapSource)
    env = gym.make("xent/Condense-v0", judge=tiny_judge, text_source=source)
    obs, info = env.reset(seed=0)
    assert any(p in obs for p in source.proverbs)
    assert info["instance_id"].endswith(f";texts={source_token(source)}")
    assert source_token(source).startswith("proverbs-")
    # the id replays with this source, and is refused with another
    assert env.reset(options={"instance": info["instance_id"]})[0] == obs
    other = gym.make("xent/Condense-v0", judge=tiny_judge, text_source=Proverbs(("Only one.",)))
    with pytest.raises(ConfigError, match=r"it names the text source proverbs-[0-9a-f]{12}, this"):
        other.reset(options={"instance": info["instance_id"]})
    default = gym.make("xent/Condense-v0", judge=tiny_judge)
    with pytest.raises(ConfigError, match=r"names the text source proverbs-"):
        default.reset(options={"instance": info["instance_id"]})


def test_a_bad_kind_is_refused():
    @dataclasses.dataclass(frozen=True)
    class Shouting(Proverbs):
        @property
        def kind(self) -> str:
            return "PROVERBS!"

    with pytest.raises(ConfigError, match=r"kind must match \[a-z\]"):
        source_token(Shouting())


def test_the_registry_carries_the_source_by_name_and_make_takes_an_object(tiny_judge):
    spec = gym.spec("xent/Condense-v0")
    assert spec.kwargs["text_source"] == "stories" and spec.to_json()
    env = gym.make("xent/Condense-v0", judge=tiny_judge, text_source=JudgeStories(top_k=20))
    assert env.unwrapped.source == JudgeStories(top_k=20)
