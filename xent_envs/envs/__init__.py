"""Gymnasium environments for Xent games."""

from xent_envs.envs.opponents import echo_opponent
from xent_envs.envs.xent_env import MAIN_PLAYER, XentEnv

__all__ = ["MAIN_PLAYER", "XentEnv", "echo_opponent"]
