"""The parallel view: which games offer it, what a step plays and pays, and the bad input it
refuses without playing anything."""

from __future__ import annotations

import json

import pytest

import xent_envs
from xent_envs.errors import ConfigError, TurnError
from xent_envs.multiagent import env, parallel_env

PICKS = {"black": " fisherman", "alice": " boat", "bob": " fisherman"}


def encoded(judge, moves):
    return {seat: judge.encode(text) for seat, text in moves.items()}


def story_picks(observations):
    """Picks that score: words of the story (a pick's other words are struck out), black and
    bob agreeing on one, alice on another."""
    line = next(x for x in observations["black"]["text"].splitlines() if x.startswith("p = "))
    words = [w.strip(".,;:!?\"'") for w in json.loads(line[4:]).split()]
    first, second = [w for w in dict.fromkeys(words) if w.isalpha() and len(w) > 3][:2]
    return {"black": " " + first, "alice": " " + second, "bob": " " + first}


def test_every_seat_is_asked_for_its_own_move_at_once(tiny_judge):
    par = parallel_env("Schelling", judge=tiny_judge, budget=3)
    observations, infos = par.reset(seed=4)
    assert par.agents == ["black", "alice", "bob"] == sorted(observations, key=par.agents.index)
    for seat, register in zip(par.agents, ("x", "y1", "y2")):
        assert observations[seat]["text"].endswith(f"Write {register} in at most 3 tokens.")
        assert infos[seat]["player"] == seat and infos[seat]["register"] == register
    assert observations["alice"]["text"].split("## Visible")[1] == observations["bob"][
        "text"
    ].split("## Visible")[1].replace("y2 in", "y1 in")


def test_a_parallel_step_pays_what_the_aec_view_pays(tiny_judge):
    par = parallel_env("Schelling", judge=tiny_judge)
    picks = story_picks(par.reset(seed=6)[0])
    _, rewards, terminated, truncated, infos = par.step(encoded(tiny_judge, picks))
    assert terminated == dict.fromkeys(picks, True) and not any(truncated.values())
    assert par.agents == []
    aec = env("Schelling", judge=tiny_judge)
    aec.reset(seed=6)
    paid = dict.fromkeys(picks, 0.0)
    for seat in aec.agent_iter(10):
        _, _, done, cut, _ = aec.last()
        aec.step(None if done or cut else tiny_judge.encode(picks[seat]))
        for s, r in aec.rewards.items():
            paid[s] += r
    assert rewards == paid and rewards["black"] == rewards["bob"] != 0.0
    assert infos["alice"]["move"] == picks["alice"] and infos["alice"]["moved_seat"] == "alice"


def test_several_rounds_are_several_steps(tiny_judge):
    par = parallel_env("Schelling", judge=tiny_judge, rounds=2)
    par.reset(seed=1)
    _, _, terminated, _, infos = par.step(encoded(tiny_judge, PICKS))
    assert not any(terminated.values()) and par.agents == ["black", "alice", "bob"]
    assert infos["bob"]["round"] == 1 and infos["bob"]["register"] == "y2"
    observations, *_ = par.step(encoded(tiny_judge, PICKS))
    assert par.agents == [] and observations["black"]["text"].startswith(
        "# Schelling - game over (finished)"
    )


def test_a_phase_with_a_bad_move_is_not_played(tiny_judge):
    par = parallel_env("Schelling", judge=tiny_judge)
    picks = story_picks(par.reset(seed=2)[0])
    events = list(par.match.machine.events)
    moves = {**encoded(tiny_judge, picks), "alice": [-5]}
    _, rewards, terminated, _, infos = par.step(moves)
    assert par.match.machine.events == events and rewards == dict.fromkeys(PICKS, 0.0)
    assert infos["alice"]["invalid_action"] and "token ids must be in" in infos["alice"]["reason"]
    assert infos["black"] == {
        **infos["black"],
        "invalid_action": False,
        "reason": "not played: alice's move was rejected",
    }
    assert not any(terminated.values()) and par.agents == ["black", "alice", "bob"]
    _, rewards, terminated, *_ = par.step(encoded(tiny_judge, picks))
    assert all(terminated.values()) and rewards["black"] != 0.0


@pytest.mark.parametrize(
    ("moves", "message"),
    [
        ({"black": [1], "alice": [1]}, r"no move for bob: every step takes one move for each of"),
        (
            {"black": [1], "alice": [1], "bob": [1], "white": [1]},
            r"moves for 'white', not a seat to move: .* black, alice, bob; nothing was played",
        ),
    ],
)
def test_a_move_from_a_wrong_or_missing_seat_plays_nothing(moves, message, tiny_judge):
    par = parallel_env("Schelling", judge=tiny_judge)
    par.reset(seed=3)
    events = list(par.match.machine.events)
    with pytest.raises(TurnError, match=message):
        par.step(moves)
    assert par.match.machine.events == events
    _, _, terminated, *_ = par.step(encoded(tiny_judge, PICKS))
    assert all(terminated.values())


def test_a_step_after_the_end_is_refused_and_the_results_stay(tiny_judge):
    par = parallel_env("Schelling", judge=tiny_judge)
    with pytest.raises(TurnError, match=r"call reset\(\) first"):
        par.step({})
    par.reset(seed=3)
    par.step(encoded(tiny_judge, PICKS))
    scores = par.match.machine.scores
    with pytest.raises(TurnError, match=r"the episode is over .*; call reset\(\)"):
        par.step(encoded(tiny_judge, PICKS))
    assert par.match.machine.scores == scores
    with pytest.raises(TurnError, match="a parallel step takes a dict seat -> move"):
        par.reset(seed=3)
        par.step([1, 2])


def test_a_game_with_one_seat_has_no_parallel_view(tiny_judge):
    with pytest.raises(ConfigError) as caught:
        parallel_env("Condense", judge=tiny_judge)
    assert str(caught.value) == (
        "Condense cannot be played as a parallel env: it has one seat (black); a parallel "
        "env needs two or more. Play it with the AEC env "
        "(xent_envs.multiagent.env('Condense')). Games whose seats all move in the same "
        "phase: Schelling."
    )


def test_a_game_whose_later_seat_reads_the_earlier_move_has_no_parallel_view(tiny_judge):
    with pytest.raises(ConfigError, match=r"white \(line \d+\) reads black's move x before"):
        parallel_env("Debate", judge=tiny_judge)


def test_a_registered_blind_game_gets_a_parallel_view(tiny_judge):
    space = xent_envs.register_game(
        source=(
            "assign(s=story())\nelicit(alice, x, 3)\nelicit(carol, y, 3)\n"
            "reward(alice, xed(s | x))\nreward(carol, xed(s | y))"
        ),
        name="TwoBlind",
        players=["alice", "carol"],
    )
    par = parallel_env(space.name, judge=tiny_judge)
    observations, _ = par.reset(seed=0)
    assert sorted(observations) == ["alice", "carol"]
    with pytest.raises(ConfigError, match="move in the same phase: Schelling, TwoBlind."):
        parallel_env("Relay", judge=tiny_judge)
