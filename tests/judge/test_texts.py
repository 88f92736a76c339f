"""Seeded map texts and is_true, on the tiny judge."""

import pytest
import torch

from xent_envs.errors import JudgeError
from xent_envs.judge import JudgeTextSource, is_true, truth_requests
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
    """The prefix and the ``n`` tokens that follow it are consecutive tokens of one story."""
    for n in (1, 2):
        prefix, following = source.generate_list_next_token(n, seed=11)
        assert [prefix, following] == source.generate_list_next_token(n, seed=11)
        prefix_ids, following_ids = tiny_judge.encode(prefix), tiny_judge.encode(following)
        assert len(following_ids) == n and len(prefix_ids) >= 1
        stories = [source.story(derive_seed(11, "next-token-story", a)) for a in range(8)]
        assert any(
            tiny_judge.encode(story)[: len(prefix_ids) + n] == prefix_ids + following_ids
            for story in stories
        )


def test_is_true_is_one_batched_call(tiny_judge):
    calls = []
    original = tiny_judge.score_batch
    tiny_judge.score_batch = lambda requests: calls.append(len(requests)) or original(requests)
    try:
        verdict = is_true(tiny_judge, "Water is wet.")
    finally:
        del tiny_judge.score_batch
    assert isinstance(verdict, bool) and calls == [2]
    (t, prompt), (f, same) = truth_requests("Water is wet.")
    assert verdict is (tiny_judge.xent(t).total < tiny_judge.xent(f).total)
    assert t.endswith('"Water is wet."\nEvaluation: true') and f == t[: -len("true")] + "false"
    assert prompt == same == ""


def test_stories_too_short_for_the_next_tokens_are_a_judge_error(tiny_judge):
    """Eight stories of two tokens cannot hold five next tokens: a clear error, no hang."""
    short = JudgeTextSource(tiny_judge, story_tokens=2, story_min_tokens=1)
    with pytest.raises(JudgeError, match="could not cut a story into a prefix and 5 clean"):
        short.generate_list_next_token(5, seed=1)
    with pytest.raises(ValueError, match="n must be at least 1, got 0"):
        short.generate_list_next_token(0, seed=1)


def test_a_source_without_lengths_or_openings_is_refused(tiny_judge):
    with pytest.raises(ValueError, match="story_tokens and item_tokens must be at least 1"):
        JudgeTextSource(tiny_judge, item_tokens=0)
    with pytest.raises(ValueError, match="at least one opening line"):
        JudgeTextSource(tiny_judge, openings=[])
