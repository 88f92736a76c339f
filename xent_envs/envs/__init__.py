"""Gymnasium environments for Xent games, all thin views over one match core.

- ``Match`` (``match.py``): one running game, seat by seat, no Gymnasium types.
- ``XentEnv`` (``xent_env.py``): one seat as a ``gymnasium.Env``; other seats by opponents.
- ``XentVectorEnv`` (``vector.py``): N envs stepped together, one judge wave per wave.
- ``advance_all`` / ``play_until`` (``driver.py``): the one driver of judge requests.
"""

from xent_envs.envs.driver import advance_all, play_until
from xent_envs.envs.match import ActionScore, Match, MoveResult, RewardTerm
from xent_envs.envs.opponents import echo_opponent
from xent_envs.envs.vector import XentVectorEnv
from xent_envs.envs.xent_env import MAIN_PLAYER, XentEnv

__all__ = [
    "MAIN_PLAYER",
    "ActionScore",
    "Match",
    "MoveResult",
    "RewardTerm",
    "XentEnv",
    "XentVectorEnv",
    "advance_all",
    "echo_opponent",
    "play_until",
]
