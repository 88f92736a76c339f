"""xent-envs: Gymnasium environments for Xent games.

Importing the package registers every built-in game as ``xent/<Game>-v0`` (and
``xent/Random-v0``, which draws a game at each reset). Heavy libraries (torch, transformers)
load only when a judge is first used.

Example:
    >>> import gymnasium as gym
    >>> import xent_envs
    >>> env = gym.make("xent/Condense-v0", judge="tiny-random-gpt2")
"""

from xent_envs.errors import XentError
from xent_envs.registry import (
    GameInstance,
    GameSpace,
    game_space,
    list_games,
    register_game,
    seed_split,
)

__version__ = "0.1.0"

__all__ = [
    "GameInstance",
    "GameSpace",
    "XentError",
    "__version__",
    "game_space",
    "list_games",
    "register_game",
    "seed_split",
]

from xent_envs.registry import _register_builtin

_register_builtin()
del _register_builtin
