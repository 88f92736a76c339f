"""Playability on the real judge: on a fixed map, a sensible move scores higher than a bad one
(a move that ignores the texts, copies the obvious, or argues for nothing), and noise that a
rule forbids is refused. One map per game and short moves keep each test to a few seconds."""

from __future__ import annotations

import pytest

from xent_envs.games import builtin_games

from .game_maps import black_score

pytestmark = pytest.mark.real_judge

GAMES = {g.name: g for g in builtin_games()}
NOISE = " qx7 zebra tax form"
WHITE = " People need to drive to shops and to work."
RETELLING = " A fisherman at sea caught no fish for his family."

# game: (sensible moves, bad moves, a move the rules refuse or None); moves in elicit order.
CASES = {
    "Condense": ([" sailor ocean storm hungry kids"], [" Quarterly earnings spreadsheet"], None),
    "Contrast": ([" sailor ocean storm hungry kids"], [" girl books secret locked room"], None),
    "Synthesize": (
        [" sailor, girl with books, machine baking"],
        [" Quarterly earnings spreadsheet"],
        None,
    ),
    "TwoWays": (
        [" And here is another story."],
        [" The quarterly tax forms are due on Monday."],
        [" qx7 zebra\u00e9 tax+form Bj\u00f6rk 9z"],
    ),
    "Horizon": (
        [" He sailed far", " to a quiet island"],
        [" He cast his nets", " but caught no fish"],
        [" qx7 zebra", " tax form"],
    ),
    "Alethiometer": (["ship storm fish"], ["crown dragon castle"], [" qx7"]),
    "Intruder": (
        [" Nobody knew which door it opened."],
        [" The wind was cold and the waves were high."],
        [NOISE],
    ),
    "WhatIf": ([" find a treasure chest, so he dived into the sea"], [" sail home"], [NOISE]),
    "Fresh": (
        [" see his son again before winter."],
        [" catch enough fish to feed his family."],
        [NOISE],
    ),
    "Taboo": (
        [" What tall African animal has a very long neck?"],
        [" What is the capital of France?"],
        None,
    ),
    "Lipogram": (
        ["Fishing, boat, cold wind, no fish"],
        [" tax forms and accounting"],
        [" the sea"],
    ),
    "Debate": (
        [" Fumes make the air dirty and traffic hurts children.", WHITE],
        [" The recipe needs two eggs and flour.", WHITE],
        None,
    ),
    # The other multi-seat games (every seat's moves, in the order the seats move); each
    # seat's own skill is tested in test_multiseat_games.py.
    "Guard": (
        ["Answers are in French.", "What tall African animal has a very long neck?"],
        ["Answers are in French.", "What is the capital of France?"],
        None,
    ),
    "Relay": (["sailor ocean storm", RETELLING], ["sailor ocean storm", NOISE], None),
    "Forgery": (
        [" The sea was calm and the sky was clear.", "chilly breeze, tall rough swell"],
        [" The sea was calm and the sky was clear.", "calm sunny weather"],
        None,
    ),
    "Censor": (
        ["sailor ocean storm hungry kids", "sailor", RETELLING],
        ["sailor ocean storm hungry kids", "sailor", NOISE],
        None,
    ),
    "Schelling": (["fisherman"] * 3, ["the", "fisherman", "fisherman"], None),
}


def test_every_game_has_a_case():
    assert set(CASES) == set(GAMES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sensible_move_beats_bad_move(name, real_judge):
    good, bad, refused = CASES[name]
    good_score = black_score(GAMES[name], real_judge, good)
    bad_score = black_score(GAMES[name], real_judge, bad)
    assert good_score is not None and bad_score is not None
    assert good_score > bad_score + 1.0, (good_score, bad_score)
    if refused is not None:
        assert black_score(GAMES[name], real_judge, refused) is None
