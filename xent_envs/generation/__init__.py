"""The open space of game programs: sampling, playability, evolution and covering suites.

The language is small and compositional, so the space of all valid, playable game programs
can itself be sampled and explored (see ``docs/GENERATION.md``):

- ``sample_game(seed)`` draws a program from a typed grammar of the language's building
  blocks: valid by construction, with a canonical digest, a commented ``.xent`` source and a
  card (``GeneratedGame``);
- ``evaluate(game, judge)`` runs the playability filters (rewards vary, skill pays, trivial
  moves do not win, the search completes, judge cost is bounded) with batched probe players;
- ``mutate(game, seed)`` applies one random edit that keeps a program valid;
- ``evolve(config, out, judge)`` grows a MAP-Elites archive of playable, novel games,
  resumable from its folder;
- ``Suite`` / ``load_suite`` hold a covering benchmark: k games chosen to cover an archive
  (``covering.select``), with fixed maps;
- ``xent/Sampled-v0`` (registered on ``import xent_envs``) draws a new playable game at every reset.

Example:
    >>> from xent_envs.generation import sample_game
    >>> game = sample_game(0)
    >>> game.name.startswith("Gen_") and game.analysis.problems() == []
    True
"""

from xent_envs.generation.archive import Archive, Elite
from xent_envs.generation.env import (
    SAMPLED_ENV_ID,
    SampledEnv,
    SampledInstance,
    game_split,
)
from xent_envs.generation.evolution import EvolutionConfig, evolve
from xent_envs.generation.filters import (
    FILTERS,
    Evaluation,
    FilterConfig,
    FilterResult,
    GameProfile,
    evaluate,
    profile_game,
)
from xent_envs.generation.game import GeneratedGame
from xent_envs.generation.mutation import OPERATORS, Mutation, from_builtin, mutate
from xent_envs.generation.sampler import SamplerConfig, sample_game, sample_games
from xent_envs.generation.suite import Suite, SuiteGame, load_suite

__all__ = [
    "FILTERS",
    "OPERATORS",
    "SAMPLED_ENV_ID",
    "Archive",
    "Elite",
    "Evaluation",
    "EvolutionConfig",
    "FilterConfig",
    "FilterResult",
    "GameProfile",
    "GeneratedGame",
    "Mutation",
    "SampledEnv",
    "SampledInstance",
    "SamplerConfig",
    "Suite",
    "SuiteGame",
    "evaluate",
    "evolve",
    "from_builtin",
    "game_split",
    "load_suite",
    "mutate",
    "profile_game",
    "sample_game",
    "sample_games",
]
