"""PettingZoo views of Xent games: every seat an agent.

- :func:`env` (``XentAECEnv``): the seats move one at a time, ``agent_selection`` being the
  seat the game asks next. Every multi-seat game can be played this way.
- :func:`parallel_env` (``XentParallelEnv``): all seats move at each step. Only for games
  whose seats move in the same blind phase (read from the program, see
  :mod:`~xent_envs.multiagent.phases`); of the built-in games, Schelling.

Agents are the game's seat names (``black``, ``white``, ``alice``, ``bob``, ``carol``,
``env``), not ``player_0``...: a seat's name is its role (who sees what, who is paid what,
who is the zero-sum partner of whom), and the rules, the observations and the evaluation
records all use it. Observations are dicts with the seat's text and the same text as an
int32 code-point array (:mod:`~xent_envs.multiagent.observations`); actions are judge token
ids. Both views pass PettingZoo's ``api_test``, ``parallel_api_test`` and ``seed_test``.

Example:
    >>> from xent_envs.multiagent import env
    >>> aec = env("Debate", judge="tiny-random-gpt2")
    >>> aec.reset(seed=0)
    >>> for seat in aec.agent_iter():
    ...     obs, reward, terminated, truncated, info = aec.last()
    ...     move = None if terminated or truncated else aec.judge.encode(" A fair point.")
    ...     aec.step(move)
    >>> sorted(aec.infos) == [] and aec.match.over.reason
    'finished'
"""

from __future__ import annotations

from typing import Any

from xent_envs.multiagent.aec import XentAECEnv
from xent_envs.multiagent.core import SeatEnv
from xent_envs.multiagent.observations import observation_space, observation_text
from xent_envs.multiagent.parallel import XentParallelEnv, parallel_games
from xent_envs.multiagent.phases import Phase, move_phases, parallel_problem

__all__ = [
    "Phase",
    "SeatEnv",
    "XentAECEnv",
    "XentParallelEnv",
    "env",
    "move_phases",
    "observation_space",
    "observation_text",
    "parallel_env",
    "parallel_games",
    "parallel_problem",
]


def env(game: str, **kwargs: Any) -> XentAECEnv:
    """The AEC env of ``game`` (see ``XentAECEnv`` for the arguments)."""
    return XentAECEnv(game, **kwargs)


def parallel_env(game: str, **kwargs: Any) -> XentParallelEnv:
    """The parallel env of ``game`` (see ``XentParallelEnv``); ``ConfigError`` for a game
    whose seats do not all move in one blind phase."""
    return XentParallelEnv(game, **kwargs)
