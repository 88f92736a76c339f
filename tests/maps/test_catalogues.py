"""Word lists and debate motions kept as data, split by content part."""

import pytest

from xent_envs.errors import ConfigError
from xent_envs.games import builtin_games
from xent_envs.maps import catalogue, catalogues, content_side


def test_every_topic_of_the_builtin_games_has_a_catalogue():
    topics = {
        choice
        for game in builtin_games()
        for p in game.parameters
        if p.name == "topic"
        for choice in p.choices or ()
    }
    assert len(topics) == 7
    for topic in topics:
        found = catalogue(topic)
        assert found is not None, topic
        assert found.size("train") >= 60 and found.size("eval") >= 4, topic
    assert catalogue("Debate motions") is not None and catalogue("debate  MOTIONS") is not None


@pytest.mark.parametrize("prompt", sorted(catalogues()))
def test_a_draw_is_reproducible_distinct_and_on_its_side(prompt):
    found = catalogues()[prompt]
    for side in ("train", "eval"):
        items = found.draw(3, seed=7, side=side)
        assert items == found.draw(3, seed=7, side=side) and len(set(items)) == 3
        assert items != found.draw(3, seed=8, side=side)
        for item in items:  # its phrase is the longest one it holds ("wildcat", not "cat")
            phrase = max((p for p in found.phrases.items if p in item), key=len)
            assert content_side(found.phrases.kind, phrase) == side


def test_motions_are_two_opposite_claims_with_a_subject_on_one_side():
    motions = catalogue("Debate motions")
    train = {m for s in range(400) for m in motions.draw(1, s, "train")}
    evals = {m for s in range(400) for m in motions.draw(1, s, "eval")}
    assert len(train) > 350 and len(evals) > 230  # of 4480 and 480 motions
    for motion in train | evals:
        first, second = motion.split(" | ")
        assert first != second and first.strip() == first and second.strip() == second
    subjects = {side: set(motions.phrases.on(side)) for side in ("train", "eval")}
    assert subjects["train"].isdisjoint(subjects["eval"])
    assert all(any(s in m for s in subjects["eval"]) for m in evals)
    assert motions.size("train") > 4000 and motions.size("eval") > 300


def test_asking_for_more_items_than_a_side_holds_is_a_config_error():
    sports = catalogue("Sports")
    with pytest.raises(ConfigError, match=r"the list 'Sports' has \d+ items on the eval side; 99"):
        sports.draw(99, seed=0, side="eval")
