"""xent-envs: Gymnasium environments for Xent games.

Importing the package registers every built-in game as ``xent/<Game>-v0``, then
``xent/Random-v0`` (which draws a game at each reset), then the games of installed game packs
(entry-point group ``xent_envs.games``). Heavy libraries (torch, transformers) load only when a
judge is first used.

Example:
    >>> import gymnasium as gym
    >>> import xent_envs
    >>> env = gym.make("xent/Condense-v0", judge="tiny-random-gpt2")
"""

from xent_envs.errors import XentError
from xent_envs.games import GameDef, GameInstance, GameSpace, ParamDef, seed_split
from xent_envs.registration import (
    game_space,
    list_games,
    register_builtin_games,
    register_game,
    temporary_registrations,
)

__version__ = "0.1.0"

__all__ = [
    "GameDef",
    "GameInstance",
    "GameSpace",
    "ParamDef",
    "XentError",
    "__version__",
    "game_space",
    "list_games",
    "register_game",
    "seed_split",
    "temporary_registrations",
]

register_builtin_games()
