"""The AEC view: who moves, what each seat sees, what each seat is paid, how it ends, and the
bad input it refuses without losing anything."""

from __future__ import annotations

import math
import warnings

import gymnasium as gym
import pytest

import xent_envs
from xent_envs.errors import ConfigError, TurnError, UnknownNameError
from xent_envs.multiagent import env

TINY = "tiny-random-gpt2"
# A distinct move per seat, so a leak would show in another seat's observation.
MOVES = {
    "black": " Zanzibar quokka marmalade",
    "white": " Kilimanjaro pangolin custard",
    "alice": " Reykjavik narwhal toffee",
    "bob": " Ulaanbaatar axolotl nougat",
    "carol": " Tegucigalpa okapi praline",
    "env": " Antananarivo fossa sherbet",
}


def play(aec, judge, moves=MOVES, seed=3):
    """Play one episode with ``moves``; every seat's observations (text) and rewards."""
    aec.reset(seed=seed)
    seen = {seat: [] for seat in aec.possible_agents}
    paid = {seat: [] for seat in aec.possible_agents}
    for seat in aec.agent_iter(100):
        obs, reward, terminated, truncated, _info = aec.last()
        seen[seat].append(obs["text"])
        paid[seat].append(reward)
        aec.step(None if terminated or truncated else judge.encode(moves[seat]))
    return seen, paid


def test_agent_selection_follows_the_program(tiny_judge):
    aec = env("Censor", judge=tiny_judge)
    aec.reset(seed=0)
    order = []
    for seat in aec.agent_iter(20):
        _, _, terminated, truncated, _ = aec.last()
        if not (terminated or truncated):
            order.append(seat)
        aec.step(None if terminated or truncated else tiny_judge.encode(" hello there"))
    assert aec.possible_agents == ["black", "env", "alice"] and order == aec.possible_agents
    assert aec.agents == [] and aec.match.over.reason == "finished"


def test_a_seat_sees_the_map_the_single_agent_env_shows(tiny_judge):
    aec = env("Debate", judge=tiny_judge)
    aec.reset(seed=11)
    single = gym.make(xent_envs.game_space("Debate").env_id, judge=tiny_judge)
    obs, info = single.reset(seed=11)
    assert aec.infos["black"]["instance_id"] == info["instance_id"]
    assert aec.observe("black")["text"] == obs
    aec.reset(options={"instance": info["instance_id"]})
    assert aec.observe("black")["text"] == obs


@pytest.mark.parametrize(
    ("game", "blind", "hidden"),
    [
        # bob never sees the story nor black's words, only what is left of the hint
        ("Relay", "bob", ["s"]),
        # carol never sees the real second sentence
        ("Forgery", "carol", ["t", "s"]),
        # alice sees only what the censor left; never the story
        ("Censor", "alice", ["s", "x", "x1", "y"]),
    ],
)
def test_partial_information_seats_see_only_what_they_may(game, blind, hidden, tiny_judge):
    aec = env(game, judge=tiny_judge)
    seen, _ = play(aec, tiny_judge)
    # The registers the omniscient black was shown that the blind seat may not see.
    black_saw = [line for text in seen["black"] for line in text.splitlines() if " = " in line]
    private = [line for line in black_saw if line.split(" = ")[0] in hidden]
    assert private, "black should have seen the hidden registers"
    for text in seen[blind]:
        for line in private:
            assert line.split(" = ", 1)[1] not in text, (blind, line)


def test_the_censored_seat_sees_only_what_the_censor_left(tiny_judge):
    aec = env("Censor", judge=tiny_judge)
    moves = {**MOVES, "env": " quokka"}
    seen, _ = play(aec, tiny_judge, moves=moves)
    shown = '## Visible\nx2 = "Zanzibar marmalade"\n'
    assert shown in seen["alice"][0] and "quokka" not in seen["alice"][0]


def test_schelling_seats_do_not_see_the_earlier_picks(tiny_judge):
    aec = env("Schelling", judge=tiny_judge)
    seen, _ = play(aec, tiny_judge, moves=dict.fromkeys(MOVES, " fisherman"))
    aec.reset(seed=3)
    aec.step(tiny_judge.encode(" marmalade"))
    assert aec.agent_selection == "alice" and "marmalade" not in aec.observe("alice")["text"]
    assert "## Your move\nWrite y1 in at most 4 tokens." in aec.observe("alice")["text"]
    assert aec.observe("bob")["text"].endswith("## Waiting\nalice is to move.")
    assert len(seen["black"]) == 2  # its move, then its leave step


@pytest.mark.parametrize(
    ("game", "partner", "tolerance"),
    [
        ("Debate", "white", 0.0),  # the language's zero-sum pair: exact negation
        ("Guard", "white", 0.0),
        ("Forgery", "carol", 1e-9),  # zero-sum by its own reward lines: up to rounding
    ],
)
def test_a_zero_sum_pair_is_paid_opposite_rewards_at_every_step(
    game, partner, tolerance, tiny_judge
):
    aec = env(game, judge=tiny_judge)
    aec.reset(seed=5)
    totals = dict.fromkeys(aec.possible_agents, 0.0)
    for seat in aec.agent_iter(20):
        _, _, terminated, truncated, _ = aec.last()
        aec.step(None if terminated or truncated else tiny_judge.encode(MOVES[seat]))
        pair = aec.rewards.get("black", 0.0) + aec.rewards.get(partner, 0.0)
        assert abs(pair) <= tolerance
        for s, r in aec.rewards.items():
            totals[s] += r
    assert totals["black"] == pytest.approx(-totals[partner], abs=tolerance)
    assert totals["black"] != 0.0
    assert totals["black"] == aec.match.round_scores("black")[0]


def test_rewards_add_up_to_each_seats_score_and_last_returns_them(tiny_judge):
    aec = env("Censor", judge=tiny_judge, rounds=2)
    _, paid = play(aec, tiny_judge)
    scores = {s: aec.match.round_scores(s) for s in aec.possible_agents}
    for seat, rewards in paid.items():
        assert math.fsum(rewards) == pytest.approx(math.fsum(scores[seat]), abs=1e-9)
    # black and alice are paid the same; the censor the negation
    assert scores["black"] == scores["alice"] and scores["env"] == [-s for s in scores["black"]]
    assert scores["black"][0] != 0.0


def test_the_aec_view_pays_what_the_single_agent_view_pays(tiny_judge):
    """The same moves through both views: black's reward is the same number."""
    single = gym.make(
        xent_envs.game_space("Debate").env_id,
        judge=tiny_judge,
        opponents={"white": lambda obs, info: MOVES["white"]},
    )
    single.reset(seed=8)
    _, reward, terminated, _, info = single.step(tiny_judge.encode(MOVES["black"]))
    aec = env("Debate", judge=tiny_judge)
    _, paid = play(aec, tiny_judge, seed=8)
    assert terminated and math.fsum(paid["black"]) == reward != 0.0
    assert aec.infos == {}  # every seat left
    assert aec.match.info("black")["round_scores"] == info["round_scores"]


def test_step_infos_say_who_moved_and_what_each_seat_was_paid(tiny_judge):
    aec = env("Debate", judge=tiny_judge, budget=3)
    aec.reset(seed=2)
    aec.step(tiny_judge.encode(" one two three four five"))
    black = aec.infos["black"]
    assert black["moved_seat"] == "black" and black["cut"] and black["move_tokens"] == 3
    assert black["reward_terms"] == [] and aec.infos["white"]["player"] == "white"
    aec.step(tiny_judge.encode(" cars"))
    white = aec.infos["white"]
    assert white["moved_seat"] == "white" and white["move"] and not white["cut"]
    lines = {t["line"] for t in aec.infos["black"]["reward_terms"]}
    assert len(lines) == 2  # its own line and, negated, white's
    assert sum(t["total"] for t in aec.infos["black"]["reward_terms"]) == pytest.approx(
        aec.rewards["black"], abs=1e-9
    )
    assert "move" not in aec.infos["black"]


def test_a_seat_env_scores_candidates_for_its_seat(tiny_judge):
    aec = env("Debate", judge=tiny_judge)
    aec.reset(seed=4)
    aec.step(tiny_judge.encode(MOVES["black"]))
    white = aec.seat_env("white")
    assert white.unwrapped is white and white.judge is tiny_judge
    candidates = [tiny_judge.encode(" cars are useful"), tiny_judge.encode(" drive on")]
    predicted = white.score_actions(candidates)
    aec.step(candidates[0])
    assert predicted[0] == pytest.approx(aec.rewards["white"], abs=1e-9)
    with pytest.raises(TurnError, match="it is .*'s turn"):
        aec.reset(seed=4)
        white.score_actions(candidates)
    with pytest.raises(ConfigError, match="unknown seat 'whte' of Debate. Did you mean 'white'"):
        aec.seat_env("whte")


def test_render_is_the_transcript(tiny_judge):
    aec = env("Debate", judge=tiny_judge, render_mode="ansi")
    assert aec.render() == "(not started: call reset())"
    play(aec, tiny_judge)
    text = aec.render()
    assert 'black x = " Zanzibar quokka marmalade"' in text and "game over (finished)" in text
    assert env("Debate", judge=tiny_judge).render() is None


def test_unknown_reset_options_warn_naming_the_known_ones(tiny_judge):
    aec = env("Debate", judge=tiny_judge)
    with pytest.warns(UserWarning, match=r"\['mapseed'\] are not used; the options are "):
        aec.reset(seed=0, options={"mapseed": 3})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aec.reset(options={"map_seed": 3})
    assert aec.infos["black"]["map_seed"] == 3


# ---------------------------------------------------------------- how an episode ends
def test_the_step_limit_truncates_every_seat(tiny_judge):
    aec = env("Debate", judge=tiny_judge, step_limit=1)
    aec.reset(seed=0)
    aec.step(tiny_judge.encode(MOVES["black"]))
    assert aec.truncations == {"black": True, "white": True}
    assert not any(aec.terminations.values())
    assert aec.infos["white"]["truncation_reason"] == "step limit reached: 1 steps"
    assert aec.agent_selection == "white"


def test_an_ensure_that_keeps_refusing_truncates_the_game(tiny_judge):
    space = xent_envs.register_game(
        source=(
            "assign(s=story())\nelicit(x, 3)\nelicit(white, y, 3)\n"
            "ensure(xed(y | s) > xed(y | s))\nreward(xed(s | x))"
        ),
        name="WhiteRefused",
    )
    aec = env(space.name, judge=tiny_judge)
    aec.reset(seed=0)
    aec.step([7])
    for _ in range(20):
        if aec.truncations["white"]:
            break
        assert aec.agent_selection == "white"
        aec.step([8])
    assert aec.truncations == {"black": True, "white": True}
    assert "failed 11 times in a row" in aec.infos["black"]["truncation_reason"]
    assert "## Feedback" not in aec.observe("white")["text"]  # the game-over text


# ---------------------------------------------------------------- bad input
def test_bad_ids_are_a_game_event_and_the_same_seat_is_asked_again(tiny_judge):
    aec = env("Debate", judge=tiny_judge)
    aec.reset(seed=1)
    events = list(aec.match.machine.events)
    aec.step([10**9])
    info = aec.infos["black"]
    assert info["invalid_action"] and "token ids must be in [0, " in info["reason"]
    assert aec.agent_selection == "black" and aec.match.machine.events == events
    assert "Your move was rejected" in aec.observe("black")["text"]
    assert aec.rewards == {"black": 0.0, "white": 0.0}
    aec.step(tiny_judge.encode(MOVES["black"]))
    assert aec.agent_selection == "white" and not aec.infos["black"].get("invalid_action")


def test_a_step_before_reset_or_after_the_end_is_refused_and_nothing_is_lost(tiny_judge):
    aec = env("Debate", judge=tiny_judge)
    with pytest.raises(TurnError, match=r"call reset\(\) first"):
        aec.step([1])
    play(aec, tiny_judge)
    transcript, scores = aec.match.transcript(), aec.match.machine.scores
    with pytest.raises(
        TurnError, match=r"the episode is over \(all 1 round\(s\) played\); call reset"
    ):
        aec.step([1])
    assert aec.match.transcript() == transcript and aec.match.machine.scores == scores


def test_a_move_for_a_seat_whose_game_is_over_is_refused(tiny_judge):
    aec = env("Debate", judge=tiny_judge)
    aec.reset(seed=0)
    aec.step(tiny_judge.encode(MOVES["black"]))
    aec.step(tiny_judge.encode(MOVES["white"]))
    assert aec.terminations == {"black": True, "white": True}
    seat = aec.agent_selection
    with pytest.raises(
        TurnError, match=rf"{seat}'s game is over .* only step left is step\(None\)"
    ):
        aec.step(tiny_judge.encode(" more"))
    assert aec.agents == ["black", "white"]  # nothing changed: the seat can still leave
    aec.step(None)
    assert seat not in aec.agents


def test_bad_arguments_name_what_is_allowed(tiny_judge):
    with pytest.raises(ConfigError, match="plays one game"):
        env(["Debate", "Guard"], judge=tiny_judge)
    with pytest.raises(ConfigError, match="plays one game"):
        env("*", judge=tiny_judge)
    with pytest.raises(UnknownNameError, match="Did you mean 'Debate'"):
        env("Debat", judge=tiny_judge)
    with pytest.raises(ConfigError, match="step_limit must be a positive int"):
        env("Debate", judge=tiny_judge, step_limit=0)
    with pytest.raises(ConfigError, match="render_mode"):
        env("Debate", judge=tiny_judge, render_mode="human")
    aec = env("Debate", judge=tiny_judge)
    aec.reset(seed=0)
    with pytest.raises(ConfigError, match="unknown seat 'alice' of Debate"):
        aec.observe("alice")
