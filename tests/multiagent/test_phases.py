"""Reading "same phase" from a program: which seats move blind to each other's moves."""

from __future__ import annotations

import pytest

from xent_envs.lang import load
from xent_envs.multiagent import move_phases, parallel_problem
from xent_envs.registration import game_space


def program(*lines: str):
    return load("\n".join(lines))


def test_phases_are_runs_of_consecutive_elicits():
    phases = move_phases(game_space("Relay").program())
    assert [p.seats for p in phases] == [("black",), ("bob",)]
    schelling = move_phases(game_space("Schelling").program())
    assert [p.seats for p in schelling] == [("black", "alice", "bob")]
    assert [(m.register, m.line) for m in schelling[0].moves] == [("x", 5), ("y1", 6), ("y2", 7)]


def test_an_elicit_of_several_registers_asks_its_seat_once_per_register():
    phases = move_phases(program("elicit(alice, x, y, 3)", "reward(alice, xent(x | y))"))
    assert phases[0].seats == ("alice", "alice")
    assert phases[0].leak() == "alice moves twice (lines 1 and 1)"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Schelling", None),
        (
            "Debate",
            "white (line 6) reads black's move x before writing its own (white sees every register)",
        ),
        (
            "Guard",
            "line 9 (ensure(avoids(x, t))) can refuse a move and ask that seat again alone, "
            "which a parallel step (every seat moves) cannot express",
        ),
        (
            "Forgery",
            "black (line 8) reads carol's move y before writing its own (black sees every register)",
        ),
        (
            "Relay",
            "line 3: black moves without the other seats (every phase must move black, bob together)",
        ),
        (
            "Censor",
            "line 4: black moves without the other seats (every phase must move black, env, alice together)",
        ),
        ("Condense", "it has one seat (black); a parallel env needs two or more"),
    ],
)
def test_which_built_in_games_can_be_played_in_parallel_and_why(name, problem):
    assert parallel_problem(game_space(name).program()) == problem


def test_an_omniscient_seat_moving_first_does_not_break_a_phase():
    # black sees everything, but moves before the others write anything
    blind = program("elicit(black, x, 3)", "elicit(bob, y, 3)", "reward(bob, xent(x | y))")
    assert parallel_problem(blind) is None
    later = program("elicit(bob, y, 3)", "elicit(env, x, 3)", "reward(bob, xent(x | y))")
    assert parallel_problem(later) == (
        "env (line 2) reads bob's move y before writing its own (env sees every register)"
    )


def test_a_move_written_to_a_public_register_is_seen_by_the_next_seat():
    public = program("elicit(alice, p, 3)", "elicit(bob, y, 3)", "reward(bob, xent(p | y))")
    assert parallel_problem(public) == (
        "bob (line 2) reads alice's move p before writing its own (p is a public register)"
    )


def test_an_ensure_rules_out_a_parallel_view():
    guarded = program(
        "elicit(alice, x, 3)",
        "elicit(bob, y, 3)",
        "ensure(xent(x | y) > xent(y | x))",
        "reward(bob, xent(x | y))",
    )
    assert parallel_problem(guarded).startswith("line 3 (ensure(xent(x | y) > xent(y | x))) can")


def test_a_reveal_between_two_elicits_splits_the_phase():
    shown = program(
        "elicit(alice, x, 3)",
        "reveal(bob, x)",
        "elicit(bob, y, 3)",
        "reward(bob, xent(x | y))",
    )
    assert [p.seats for p in move_phases(shown)] == [("alice",), ("bob",)]
    assert parallel_problem(shown).startswith("line 1: alice moves without the other seats")
