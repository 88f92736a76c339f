"""Seeded map texts written by the judge (``JudgeTextSource``), on the tiny judge."""

import pytest
import torch

from xent_envs.errors import ConfigError, JudgeError
from xent_envs.maps import JudgeTextSource, OpeningSpace, catalogue, content_side
from xent_envs.seeding import derive_seed


@pytest.fixture(scope="module")
def source(tiny_judge):
    return JudgeTextSource(tiny_judge, story_tokens=12, story_min_tokens=6, item_tokens=4)


def test_story_reproduces_and_varies_without_touching_the_global_rng(source, tiny_judge):
    state = torch.get_rng_state()
    a = source.story(1)
    assert torch.equal(state, torch.get_rng_state())
    assert a == source.story(1)
    assert a != source.story(2)
    assert 0 < len(tiny_judge.encode(a)) <= 12


def test_a_story_continues_its_opening_drawn_on_its_side(tiny_judge):
    for side in ("train", "eval"):
        texts = JudgeTextSource(tiny_judge, story_tokens=80, side=side)
        for seed in range(5):
            opening = OpeningSpace.default().draw(derive_seed(seed, "opening"), side)
            assert opening.side == side
            story = texts.story(seed)
            # 80 tokens leave room for the whole opening (with its style sentence)
            assert story.startswith(opening.text) and len(story) > len(opening.text)
            assert len(tiny_judge.encode(story)) <= 80


def test_a_long_opening_gives_up_its_style_sentence_first(tiny_judge):
    texts = JudgeTextSource(tiny_judge, story_tokens=48)
    seeds = [s for s in range(40) if len(tiny_judge.encode(_opening(s).text)) > 24]
    fits = [s for s in seeds if len(tiny_judge.encode(_opening(s).sentence)) <= 24]
    assert fits  # some openings fit once their style sentence is dropped
    for seed in fits[:3]:
        opening = _opening(seed)
        story = texts.story(seed)
        assert story.startswith(opening.sentence) and not story.startswith(opening.text)


def _opening(seed):
    return OpeningSpace.default().draw(derive_seed(seed, "opening"), None)


def test_generate_list_without_a_catalogue_is_written_by_the_judge(source, tiny_judge):
    assert catalogue("kinds of bread") is None
    items = source.generate_list("kinds of bread", 3, seed=5)
    assert items == source.generate_list("kinds of bread", 3, seed=5)
    assert len(items) == 3 and len({i.casefold() for i in items}) == 3
    assert all(0 < len(tiny_judge.encode(i)) <= 4 and "\n" not in i for i in items)
    assert items != source.generate_list("kinds of bread", 3, seed=6)


def test_written_list_items_stay_on_their_side(tiny_judge):
    for side in ("train", "eval"):
        texts = JudgeTextSource(tiny_judge, item_tokens=3, side=side)
        items = texts.generate_list("kinds of bread", 2, seed=1)
        assert [content_side("items", item) for item in items] == [side, side]


def test_generate_list_with_a_catalogue_draws_from_it_on_the_side(tiny_judge):
    animals = catalogue("Animals")
    for side in ("train", "eval"):
        texts = JudgeTextSource(tiny_judge, side=side)
        items = texts.generate_list("animals", 3, seed=2)  # case is ignored
        assert items == animals.draw(3, 2, side) and set(items) <= set(animals.phrases.on(side))


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
    with pytest.raises(ConfigError, match="story_tokens must be an int of at least 1, got 0"):
        JudgeTextSource(tiny_judge, story_tokens=0)
    with pytest.raises(ConfigError, match="item_tokens must be an int of at least 1"):
        JudgeTextSource(tiny_judge, item_tokens=-2)
    with pytest.raises(ConfigError, match="non-empty list of opening lines"):
        JudgeTextSource(tiny_judge, openings=[])
    with pytest.raises(ConfigError, match="side must be 'train', 'eval' or None"):
        JudgeTextSource(tiny_judge, side="test")  # type: ignore[arg-type]
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
    assert source.generate_list("pets", 1, seed=0) == ["cat"]
    with pytest.raises(JudgeError, match=r"wrote only 1 distinct items for 'pets' on the any side"):
        source.generate_list("pets", 2, seed=0)
    # on a side, the judge gets more tries (most items it writes fall on the other side)
    other = "eval" if content_side("items", "cat") == "train" else "train"
    sided = JudgeTextSource(Parrot(), item_tokens=8, side=other)  # type: ignore[arg-type]
    tries = {"eval": 160, "train": 18}[other]
    with pytest.raises(JudgeError, match=rf"wrote only 0 distinct items .* in {tries} tries"):
        sided.generate_list("pets", 2, seed=0)


def test_stories_too_short_to_cut(tiny_judge):
    short = JudgeTextSource(tiny_judge, story_tokens=2, story_min_tokens=1)
    with pytest.raises(JudgeError, match="could not cut a story into a prefix and 5 clean"):
        short.generate_list_next_token(5, seed=0)
