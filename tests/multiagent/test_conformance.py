"""PettingZoo's own conformance tests on every multi-seat game: ``api_test`` and ``seed_test``
on the AEC view, ``parallel_api_test`` and ``parallel_seed_test`` on the parallel view of every
game that offers one. The multi-seat games are found from the programs, not listed by hand."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test

import xent_envs.multiagent
from xent_envs.envs.match import seat_budgets
from xent_envs.multiagent import (
    XentAECEnv,
    env,
    observation_space,
    observation_text,
    parallel_env,
    parallel_games,
)
from xent_envs.multiagent.observations import observation
from xent_envs.registration import list_games

TINY = "tiny-random-gpt2"
MULTISEAT = sorted(s.name for s in list_games() if len(seat_budgets(s.program())) > 1)

# PettingZoo's advice (Box/Discrete spaces, player_0 names, array observations) is printed as
# warnings for text envs; our answer to each is in xent_envs/multiagent/__init__.py.
pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning:pettingzoo.test.api_test"),
    pytest.mark.filterwarnings("ignore:reset options \\['options'\\] are not used"),
]


def test_the_multiseat_games_are_found_from_their_programs():
    assert MULTISEAT == ["Censor", "Debate", "Forgery", "Guard", "Relay", "Schelling"]
    assert parallel_games() == ["Schelling"]


@pytest.mark.parametrize("game", MULTISEAT)
def test_api_test(game, tiny_judge):
    api_test(env(game, judge=tiny_judge), num_cycles=20)


@pytest.mark.parametrize("game", MULTISEAT)
def test_seed_test(game, tiny_judge):
    seed_test(lambda: env(game, judge=tiny_judge), num_cycles=20)


@pytest.mark.parametrize("game", parallel_games())
def test_parallel_api_test(game, tiny_judge):
    parallel_api_test(parallel_env(game, judge=tiny_judge, rounds=2), num_cycles=20)


@pytest.mark.parametrize("game", parallel_games())
def test_parallel_seed_test(game, tiny_judge):
    parallel_seed_test(lambda: parallel_env(game, judge=tiny_judge, rounds=2), num_cycles=20)


def test_the_aec_env_says_which_games_are_parallelizable(tiny_judge):
    flags = {g: env(g, judge=tiny_judge).metadata["is_parallelizable"] for g in MULTISEAT}
    assert flags == {g: g == "Schelling" for g in MULTISEAT}
    # PettingZoo's name: the env id with "/" and "-" made "_" (xent/Debate-v1 -> xent_Debate_v1)
    env_id = xent_envs.game_space("Debate").env_id
    assert str(env("Debate", judge=tiny_judge)) == env_id.replace("/", "_").replace("-", "_")


def test_observations_are_arrays_of_code_points_with_the_text_beside(tiny_judge):
    aec = env("Relay", judge=tiny_judge)
    aec.reset(seed=1)
    obs = aec.observe("black")
    space = aec.observation_space("black")
    assert space.contains(obs) and obs["observation"].dtype == np.int32
    assert observation_text(obs["observation"]) == obs["text"] == aec.match.observe("black")
    assert aec.observation_space("bob") is not space  # each seat's space seeds apart


def test_a_text_round_trips_through_its_array():
    text = 'Ünïcødé — ok ✓ 🐟 "quoted"\n'
    obs = observation(text, max_chars=40)
    assert obs["observation"][: len(text)].tolist() == [ord(c) for c in text]
    assert (obs["observation"][len(text) :] == -1).all()
    assert observation_text(obs["observation"]) == observation_text(obs) == text
    assert observation_space(40).contains(obs)
    long = observation("x" * 50, max_chars=40)
    assert long["text"] == "x" * 40 and observation_text(long["observation"]) == "x" * 40


def test_docstring_examples():
    for module in (
        xent_envs.multiagent,
        xent_envs.multiagent.aec,
        xent_envs.multiagent.parallel,
        xent_envs.multiagent.phases,
        xent_envs.multiagent.observations,
        xent_envs.multiagent.core,
    ):
        result = doctest.testmod(module)
        assert result.failed == 0, module.__name__
    assert XentAECEnv.__doc__
