"""Former home of the game spaces, kept so that ``from xent_envs.registry import ...`` works.

The model moved to ``xent_envs.games`` (``ParamDef``, ``GameDef``, ``GameSpace``,
``GameInstance``, ``seed_split``) and registration to ``xent_envs.registration``
(``register_game``, ``game_space``, ``list_games``, Gymnasium ids, game packs). Import from
those (or from ``xent_envs``) in new code.
"""

from xent_envs.games import (
    COMMON_PARAMETERS,
    EVAL_FRACTION,
    GameInstance,
    GameSpace,
    seed_split,
)
from xent_envs.registration import (
    ENTRY_POINT_GROUP,
    MAX_EPISODE_STEPS,
    game_space,
    list_games,
    register_game,
)

__all__ = [
    "COMMON_PARAMETERS",
    "ENTRY_POINT_GROUP",
    "EVAL_FRACTION",
    "MAX_EPISODE_STEPS",
    "GameInstance",
    "GameSpace",
    "game_space",
    "list_games",
    "register_game",
    "seed_split",
]
