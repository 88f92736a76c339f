"""Seeded map texts and is_true, on the tiny judge."""

import pytest
import torch

from xent_envs.errors import ConfigError, JudgeError
from xent_envs.judge import JudgeTextSource, is_false, is_true, truth_requests
from xent_envs.judge.texts import load_openings
from xent_envs.seeding import derive_seed


@pytest.fixture(scope="module")
def source(tiny_judge):
    return JudgeTextSource(tiny_judge, story_tokens=12, story_min_tokens=6, item_tokens=4)


def test_openings_are_many_and_distinct():
    lines = load_openings()
    assert len(lines) >= 30 and len(set(lines)) == len(lines)


def test_story_reproduces_and_varies(source, tiny_judge):
    state = torch.get_rng_state()
    a = source.story(1)
    assert torch.equal(state, torch.get_rng_state())
    assert a == source.story(1)
    assert a != source.story(2)
    assert 0 < len(tiny_judge.encode(a)) <= 12


def test_generate_list(source, tiny_judge):
    items = source.generate_list("kinds of bread", 3, seed=5)
    assert items == source.generate_list("kinds of bread", 3, seed=5)
    assert len(items) == 3 and len({i.casefold() for i in items}) == 3
    assert all(0 < len(tiny_judge.encode(i)) <= 4 and "\n" not in i for i in items)
    assert items != source.generate_list("kinds of bread", 3, seed=6)


def test_generate_masked(source):
    text, masked = source.generate_masked(3, seed=9)
    assert [text, masked] == source.generate_masked(3, seed=9)
    assert masked.count("___") == 3 and masked != text
    words = [w for w in masked.split() if "___" not in w]
    assert all(w in text for w in words)


def test_generate_list_next_token(source, tiny_judge):
    for n in (1, 2):
        prefix, following = source.generate_list_next_token(n, seed=11)
        assert [prefix, following] == source.generate_list_next_token(n, seed=11)
        assert len(tiny_judge.encode(following)) == n
        assert len(tiny_judge.encode(prefix)) >= 1
        # the n tokens right after the prefix, none skipped: together they start the story
        story = source.story(derive_seed(11, "next-token-story", 0))
        assert story.startswith(prefix + following)
        ids = tiny_judge.encode(story)
        cut = len(tiny_judge.encode(prefix))
        assert tiny_judge.encode(following) == ids[cut : cut + n]


def test_bad_arguments_are_config_errors(tiny_judge, source):
    with pytest.raises(ConfigError, match="story_tokens and item_tokens must be at least 1"):
        JudgeTextSource(tiny_judge, story_tokens=0)
    with pytest.raises(ConfigError, match="at least one opening line"):
        JudgeTextSource(tiny_judge, openings=[])
    with pytest.raises(ConfigError, match="top_p must be in"):
        JudgeTextSource(tiny_judge, top_p=0)
    with pytest.raises(ConfigError, match=r"the count must be an int in \[0, 100\]"):
        source.generate_list("things", 999999999999999999, seed=0)
    with pytest.raises(ConfigError, match=r"the count must be an int in \[0, 100\]"):
        source.generate_masked(-1, seed=0)
    with pytest.raises(ConfigError, match=r"\[1, 100\]"):
        source.generate_list_next_token(0, seed=0)


class Parrot:
    """A judge that writes the same item whatever it is asked (its tokens are characters)."""

    def encode(self, text):
        return [ord(c) for c in text]

    def decode(self, ids):
        return "".join(map(chr, ids))

    def generate(self, prompt, max_new_tokens, seed, **options):
        return " cat\n"


def test_a_judge_that_repeats_itself_cannot_fill_a_list():
    source = JudgeTextSource(Parrot(), item_tokens=8)  # type: ignore[arg-type]
    assert source.generate_list("animals", 1, seed=0) == ["cat"]
    with pytest.raises(JudgeError, match=r"wrote only 1 distinct items for 'animals' in 16 tries"):
        source.generate_list("animals", 2, seed=0)


def test_stories_too_short_to_cut(tiny_judge):
    short = JudgeTextSource(tiny_judge, story_tokens=2, story_min_tokens=1)
    with pytest.raises(JudgeError, match="could not cut a story into a prefix and 5 clean"):
        short.generate_list_next_token(5, seed=0)


def test_is_true_is_one_batched_call(tiny_judge):
    calls = []
    original = tiny_judge.score_batch
    tiny_judge.score_batch = lambda requests: calls.append(len(requests)) or original(requests)
    try:
        verdict = is_true(tiny_judge, "Water is wet.")
    finally:
        del tiny_judge.score_batch
    assert calls == [2]
    true_score, false_score = tiny_judge.score_batch(truth_requests("Water is wet."))
    assert verdict == (true_score.total < false_score.total)
    assert is_false(tiny_judge, "Water is wet.") is not verdict
    (t, prompt), (f, same) = truth_requests("Water is wet.")
    assert t.endswith('"Water is wet."\nEvaluation: true') and f == t[: -len("true")] + "false"
    assert prompt == same == ""
