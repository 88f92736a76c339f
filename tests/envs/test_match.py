"""The match core, seat by seat, with no Gymnasium in sight."""

import math

import numpy as np
import pytest

import xent_envs
from xent_envs.envs import Match, advance_all, echo_opponent, play_until
from xent_envs.envs.observation import quote
from xent_envs.errors import TurnError

HINT = """assign(s=story())
reveal(alice, s)
elicit(alice, x, 6)
reveal(bob, x)
elicit(bob, y, 6)
elicit(carol, t, 6)
reward(alice, xed(s | y))
reward(bob, xed(s | y))
reward(carol, xed(s | t))
"""


@pytest.fixture
def hint_space():
    # Documented like a real game: other tests check every registered game's card. Registered
    # per test, inside the registrations every test undoes (tests/conftest.py).
    return xent_envs.register_game(
        source=HINT,
        name="HintMatch",
        summary="Alice hints at a story bob cannot see; carol writes blind.",
        description="alice sees s and writes x; bob sees x and writes y; carol sees nothing.",
        reward="alice and bob: xed(s | y); carol: xed(s | t).",
        skill="hinting",
        players=["alice", "bob", "carol"],
    )


def start(space, judge, seed=3, **params):
    instance = space.sample(np.random.default_rng(seed), fixed=params)
    match = Match(instance, judge)
    advance_all([match], judge)
    return match


def test_seats_see_only_what_they_may(hint_space, tiny_judge):
    match = start(hint_space, tiny_judge)
    story = dict(match.pending.visible)["s"]
    assert match.seats == ("alice", "bob", "carol") and match.pending_seat == "alice"
    assert f"s = {quote(story)}" in match.observe("alice")  # alice was shown the story
    bob_waiting = match.observe("bob")
    assert bob_waiting.endswith("## Waiting\nalice is to move.") and story not in bob_waiting
    assert "(nothing)" in bob_waiting
    match.play_text("alice", " a hint")
    advance_all([match], tiny_judge)
    bob = match.observe("bob")
    assert match.pending_seat == "bob" and 'x = " a hint"' in bob and story not in bob
    assert bob.endswith("Write y in at most 6 tokens.")
    alice = match.observe("alice")  # still what alice was last shown
    assert story in alice and alice.endswith("## Waiting\nbob is to move.")
    match.play_text("bob", " a guess")
    advance_all([match], tiny_judge)
    carol = match.observe("carol")
    assert story not in carol and "a hint" not in carol and "(nothing)" in carol


def test_moves_out_of_turn_are_turn_errors(hint_space, tiny_judge):
    instance = hint_space.sample(np.random.default_rng(0))
    match = Match(instance, tiny_judge)
    with pytest.raises(TurnError, match="must advance"):
        match.play("alice", [1])
    advance_all([match], tiny_judge)
    with pytest.raises(TurnError, match="it is alice's turn \\(to write x\\), not 'bob''s"):
        match.play("bob", [1])
    rejected = match.play("alice", [10**9])
    assert not rejected.accepted and match.pending_seat == "alice"
    assert match.feedback("alice").startswith("Your move was rejected: token ids must be in")
    for seat, move in (("alice", [5]), ("bob", [6]), ("carol", [7])):
        assert match.play(seat, move).accepted and match.feedback(seat) is None
        advance_all([match], tiny_judge)
    assert match.over.reason == "finished" and match.pending_seat is None
    with pytest.raises(TurnError, match="the game is over \\(all 1 round\\(s\\) played\\)"):
        match.play("alice", [1])
    assert match.observe("bob").startswith("# HintMatch - game over (finished)")


def test_rewards_per_seat_are_claimed_once(hint_space, tiny_judge):
    match = start(hint_space, tiny_judge)
    play_until([match], tiny_judge, lambda m, r: echo_opponent)
    alice, bob, carol = (match.claim_rewards(s) for s in ("alice", "bob", "carol"))
    assert [t.line for t in alice] == [7] and [t.line for t in bob] == [8]
    assert [t.line for t in carol] == [9]
    assert alice[0].total == bob[0].total  # the same term, paid to both
    assert match.claim_rewards("alice") == []  # claimed once
    info = match.info("carol")
    assert info["round_scores"] == [carol[0].total] == [info["map_score"]]
    assert info["episode_return"] == carol[0].total and info["seat"] == "carol"
    assert carol[0].to_json() == {"line": 9, "round": 0, **carol[0].score.to_json()}


def test_branches_are_independent_and_score_actions_ranks_moves(hint_space, tiny_judge):
    match = start(hint_space, tiny_judge)
    twin = match.branch()
    twin.play_text("alice", " elsewhere")
    assert twin.pending is None and match.pending_seat == "alice"
    scores = match.score_actions("alice", [[100, 101], "text", [7, 8, 9]])
    assert [s.legal for s in scores] == [True, False, True]
    assert scores[1].reward == -math.inf
    assert scores[1].reason == "an action must be a flat sequence of integer token ids"
    assert all(math.isfinite(s.reward) for s in (scores[0], scores[2]))
    assert match.pending_seat == "alice" and len(match.machine.events) == 2  # untouched
    with pytest.raises(TurnError):
        match.score_actions("bob", [[1]])


def test_transcript_names_every_seat_and_event(hint_space, tiny_judge):
    match = start(hint_space, tiny_judge)
    match.play("alice", "bad")
    play_until([match], tiny_judge, lambda m, r: echo_opponent)
    lines = match.transcript()
    assert lines[0] == f"== {match.instance.id}"
    assert "!! rejected move: an action must be a flat sequence of integer token ids" in lines
    assert any(line.startswith("alice x = ") for line in lines)
    assert any(line.startswith("   reward line 9: ") and line.endswith("(carol)") for line in lines)
    assert lines[-1] == "== game over (finished): all 1 round(s) played"


def test_a_policy_returning_garbage_is_a_config_error(hint_space, tiny_judge):
    match = start(hint_space, tiny_judge)
    with pytest.raises(xent_envs.errors.ConfigError, match="the policy playing alice"):
        play_until([match], tiny_judge, lambda m, r: lambda obs, info: 3.5)
