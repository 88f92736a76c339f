"""The game-space model and the built-in games.

Each built-in game is one ``<Name>.xent`` program and one ``<Name>.toml`` card in this folder.
The model that turns them into environments' game spaces lives here too:

- ``params``: ``ParamDef``, one typed parameter with its behaviour (validate, draw, describe,
  JSON), and the parameters every game shares (``COMMON_PARAMETERS``);
- ``card``: ``GameDef`` (program + card + version), the one card parser, ``load_game_file``
  (a ``.xent`` file with the ``.toml`` card beside it) and ``builtin_games``;
- ``space``: ``GameSpace`` (a game and its parameter space: sampling, rules text, docs) and
  ``GameInstance`` (one map, with a canonical id), plus the train/eval ``seed_split``;
- ``readme``: the generated ``README.md`` of this folder.

Registering spaces as Gymnasium ids is ``xent_envs.registration``'s job.

Example:
    >>> from xent_envs.games import GameSpace, builtin_games
    >>> condense = GameSpace(next(g for g in builtin_games() if g.name == "Condense"))
    >>> condense.env_id, condense.parameter("budget").describe()
    ('xent/Condense-v0', 'budget (int, default 10, 3..40): Token budget of the move.')
"""

from xent_envs.games.card import CARD_FIELDS, GameDef, builtin_games, load_game_file
from xent_envs.games.params import (
    COMMON_PARAMETERS,
    PARAM_TYPES,
    RESERVED_PARAMETERS,
    ParamDef,
    ParamValue,
)
from xent_envs.games.space import (
    EVAL_FRACTION,
    SPLITS,
    GameInstance,
    GameSpace,
    Split,
    seed_split,
)

__all__ = [
    "CARD_FIELDS",
    "COMMON_PARAMETERS",
    "EVAL_FRACTION",
    "PARAM_TYPES",
    "RESERVED_PARAMETERS",
    "SPLITS",
    "GameDef",
    "GameInstance",
    "GameSpace",
    "ParamDef",
    "ParamValue",
    "Split",
    "builtin_games",
    "load_game_file",
    "seed_split",
]
