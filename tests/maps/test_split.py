"""The content split: a stable hash of each content part decides its side."""

import pytest

from xent_envs.errors import ConfigError
from xent_envs.maps import EVAL_FRACTION, check_split, content_side
from xent_envs.maps.split import normalise


def test_the_side_of_a_part_is_stable_and_blind_to_case_and_spaces():
    assert content_side("character", "a young baker") == "train"
    assert content_side("character", "a young baker") == content_side(
        "character", " A  YOUNG\tbaker "
    )
    assert normalise("  A\tlost   Dog ") == "a lost dog"
    # the values the shipped data relies on (a change of hash would move every map)
    assert content_side("character", "a rookie firefighter") == "eval"
    assert content_side("items", "lemur") == "eval"
    assert content_side("items", "giraffe") == "train"


def test_about_a_tenth_of_parts_are_on_the_eval_side_and_the_kind_matters():
    parts = [f"phrase number {i}" for i in range(5000)]
    evals = {kind: {p for p in parts if content_side(kind, p) == "eval"} for kind in ("a", "b")}
    for found in evals.values():
        assert abs(len(found) / len(parts) - EVAL_FRACTION) < 0.015
    # two kinds split the same phrases independently (~1% on the eval side of both)
    assert len(evals["a"] & evals["b"]) < 100


@pytest.mark.parametrize("split", ["train", "eval", "all"])
def test_check_split_accepts_the_three_choices(split):
    assert check_split(split) == split


def test_check_split_reads_none_as_all_and_refuses_the_rest():
    assert check_split(None) == "all"
    for bad in ("test", "", 0, "Train"):
        with pytest.raises(ConfigError, match="split must be 'train', 'eval' or 'all'"):
            check_split(bad)
