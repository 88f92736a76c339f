"""Static facts of programs, on the built-in games and on hand-written cases."""

from __future__ import annotations

import pytest

from xent_envs.games import builtin_games
from xent_envs.generation import from_builtin
from xent_envs.generation.analysis import analyze, unused_assignments
from xent_envs.generation.describe import comment, reward_formula
from xent_envs.lang import load

BUILTIN = {d.name: from_builtin(d) for d in builtin_games()}


def test_descriptors_of_the_built_in_games():
    got = {name: g.analysis.descriptors for name, g in BUILTIN.items()}
    assert got["Condense"] == {
        "terms": 1,
        "constraints": 0,
        "seats": 1,
        "sources": 1,
        "moves": 1,
        "budget": 10,
    }
    assert got["Debate"]["seats"] == 2 and got["Debate"]["terms"] == 8
    assert got["Horizon"]["moves"] == 2 and got["Horizon"]["constraints"] == 4
    assert got["Synthesize"]["sources"] == 3
    assert BUILTIN["Condense"].analysis.cell == (0, 0, 0, 0, 0)


def test_static_rules_name_what_is_wrong_with_horizon_and_twoways():
    def problems(name):  # on the original files, so that line numbers are theirs
        definition = next(d for d in builtin_games() if d.name == name)
        return analyze(load(definition.source, definition.defaults)).problems()

    assert problems("Horizon") == [
        "line 4: the move x1 is not scored before black's next move",
        "line 4: black's move x1 is never scored",
    ]
    assert problems("TwoWays") == [
        "line 12: the reward does not depend on any move",
        "line 13: the reward does not depend on any move",
    ]
    good = {n for n, g in BUILTIN.items() if not g.analysis.problems()}
    # Relay's and Censor's first moves reach the score only through a later seat's move (the
    # listener reads them): the static rules, written for generated games, do not follow that.
    assert good == set(BUILTIN) - {"Horizon", "TwoWays", "Relay", "Censor"}


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (
            "assign(s=story())\nelicit(white, x, 3)\nreward(white, xed(s | x))",
            "no move for the main player (black never elicits)",
        ),
        ("elicit(x, 3)\nreward(xed(s | x))", "line 2 reads register s before anything writes it"),
        (
            "assign(s=story())\nelicit(x, 3)\nensure(len(s) > 3)\nreward(xed(s | x))",
            "line 3: the ensure does not check the move it refuses",
        ),
        (
            "assign(s=story())\nelicit(x, 3)\nelicit(white, y, 3)\nreward(xed(s | x))",
            "line 3: white's move y is never scored",
        ),
    ],
)
def test_each_static_rule(source, problem):
    assert problem in analyze(load(source)).problems()


def test_rewards_split_into_signed_weighted_terms():
    program = load(
        'assign(s=story(), t="a fixed text here")\nelicit(x, 5)\n'
        "reward(0.5 * xed(s | x) - 2 * dex(t | x) + -xent(s) - (nex(x) - xed(x | s)))\n"
        "reward(white, xed(t | x))"
    )
    analysis = analyze(program)
    terms = analysis.rewards[0].terms
    assert [(t.coef, t.op, t.call_text()) for t in terms] == [
        (0.5, "xed", "xed(s | x)"),
        (-2.0, "dex", "dex(t | x)"),
        (-1.0, "xent", "xent(s)"),
        (-1.0, "nex", "nex(x)"),
        (1.0, "xed", "xed(x | s)"),
    ]
    assert [bool(t.moves) for t in terms] == [True, True, False, True, True]
    # White's reward is paid to black negated (the zero-sum pair).
    assert reward_formula(analysis) == (
        "0.5 * xed(s | x) - 2 * dex(t | x) - xent(s) - nex(x) + xed(x | s) - xed(t | x)"
    )


def test_comments_say_what_each_line_of_condense_does():
    analysis = BUILTIN["Condense"].analysis
    assert [comment(analysis, i) for i in range(5)] == [
        "`s` is a story generated for the map.",
        "Your move: write `x`, at most 10 tokens.",
        "`x1` is `x` with the words it shares with `s` struck out.",
        "You are shown `x1`.",
        "You score what `x1` tells the judge about `s` (xed(s | x1)).",
    ]


def test_the_card_of_a_two_seat_game():
    card = BUILTIN["Debate"].card
    assert card.players == ("black", "white")
    assert "zero-sum" in card.tags and card.reward.endswith("a zero-sum pair).")


def test_unused_assignments_are_found_and_loops_are_left_alone():
    program = load(
        'assign(s=story(), t="a fixed text here")\nassign(p=first_n_tokens(s, 4))\n'
        "assign(t=s)\nelicit(x, 5)\nassign(x1=x)\nreward(xed(t | x))"
    )
    # The first line's t is overwritten unread, but its s is read: the line stays.
    assert unused_assignments(program) == [1, 4]
    looped = load("beacon(flag_1)\nelicit(x, 3)\nassign(t=x)\nreplay(flag_1, 2)\nreward(xent(x))")
    assert unused_assignments(looped) == []
