"""Composed openings: a space of millions, split by content part."""

import pytest

from xent_envs.errors import ConfigError
from xent_envs.maps import OpeningSpace, content_side
from xent_envs.maps.phrases import DATA, Phrases, fill, read_data_file, slots_of

SPACE = OpeningSpace.default()


def test_the_data_files_are_clean():
    for path in sorted((DATA / "openings").glob("*.txt")):
        lines, _ = read_data_file(path)
        assert len(lines) >= 30, path
        assert len({line.casefold() for line in lines}) == len(lines), f"repeats in {path}"
        assert all(line == line.strip() and "  " not in line for line in lines), path
    for frame in SPACE.frames.items:
        assert slots_of(frame) == {"character", "place", "situation"}, frame
        assert frame.endswith("."), frame


def test_every_content_slot_has_phrases_on_both_sides():
    for phrases in SPACE.slots:
        train, evals = phrases.on("train"), phrases.on("eval")
        assert len(train) >= 100 and len(evals) >= 10, phrases.kind
        assert set(train).isdisjoint(evals)
        assert len(train) + len(evals) == len(phrases.items)
        assert all(content_side(phrases.kind, p) == "eval" for p in evals)


def test_the_space_is_far_larger_than_44_openings():
    assert SPACE.size("train") > 10**9 and SPACE.size("eval") > 10**6
    assert SPACE.size(None) > SPACE.size("train") + SPACE.size("eval")  # mixed ones too


@pytest.mark.parametrize("side", ["train", "eval"])
def test_a_draw_is_reproducible_and_made_of_its_side_only(side):
    openings = [SPACE.draw(seed, side) for seed in range(300)]
    assert openings == [SPACE.draw(seed, side) for seed in range(300)]
    assert len({o.text for o in openings}) >= 298  # millions of openings: repeats are rare
    for opening in openings:
        assert opening.side == side
        assert [kind for kind, _ in opening.parts] == ["character", "place", "situation"]
        assert all(content_side(kind, phrase) == side for kind, phrase in opening.parts)
        assert opening.text.startswith(opening.sentence) and opening.text[0].isupper()
        lower = opening.sentence.casefold()
        assert all(phrase.casefold() in lower for _, phrase in opening.parts)


def test_no_eval_opening_shares_a_content_phrase_with_a_train_opening():
    def phrases(side):
        return {p for seed in range(2000) for p in SPACE.draw(seed, side).parts}

    assert phrases("train").isdisjoint(phrases("eval"))


def test_capitalised_slots_and_fixed_lines():
    assert fill("{Place}, {character} sang.", {"place": "in a barn", "character": "a cow"}) == (
        "In a barn, a cow sang."
    )
    lines = [f"Opening line {i}." for i in range(40)]
    space = OpeningSpace.from_lines(lines)
    for side in ("train", "eval"):
        drawn = {space.draw(seed, side).text for seed in range(100)}
        assert drawn <= set(lines)
        assert all(content_side("line", text) == side for text in drawn)
    with pytest.raises(ConfigError, match="non-empty list of opening lines"):
        OpeningSpace.from_lines(["  ", ""])
    with pytest.raises(ConfigError, match="no 'line' phrase is on the eval side"):
        OpeningSpace.from_lines(["Only one line."]).draw(0, "eval")  # it is a train line


def test_a_frame_with_an_unknown_slot_is_refused():
    frames = Phrases("frame", ("{hero} sang.",), content=False)
    with pytest.raises(ConfigError, match=r"unknown slots \['hero'\]"):
        OpeningSpace(frames, (Phrases("character", ("a cow",), True),))
