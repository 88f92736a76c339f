"""The Xent game language: parse, check, instantiate maps, and run games step by step.

Typical use::

    from xent_envs.lang import load, instantiate_map, Machine, play
    program = instantiate_map(load(source, params), text_source, seed)
    machine = Machine(program, judge, rounds=3, seed=seed)
    result = play(machine, judge.score_batch, my_player)

The language needs only a ``Codec`` (a judge's tokenizer) and imports no judge: the judge
implements the language's protocols. See ``docs/LANGUAGE.md`` for the language and its
limits, ``docs/ARCHITECTURE.md`` for how the environments drive a ``Machine``.
"""

from xent_envs.lang.builtins import BUILTINS
from xent_envs.lang.checker import check
from xent_envs.lang.codec import Codec, cut_to_budget, first_n_tokens, last_n_tokens
from xent_envs.lang.events import (
    ElicitEvent,
    EnsureFailedEvent,
    Event,
    GameOverEvent,
    MoveEvent,
    RevealEvent,
    RewardEvent,
    RoundEndEvent,
    event_from_json,
)
from xent_envs.lang.interpreter import (
    MAX_ENSURE_FAILURES,
    ElicitRequest,
    GameOver,
    Machine,
    MachineSnapshot,
    Request,
    ScoreRequest,
    play,
)
from xent_envs.lang.limits import Limits
from xent_envs.lang.loader import bind, load
from xent_envs.lang.maptexts import TextSource, call_site_seed, instantiate_map
from xent_envs.lang.nodes import Program
from xent_envs.lang.parser import parse

__all__ = [
    "BUILTINS",
    "MAX_ENSURE_FAILURES",
    "Codec",
    "ElicitEvent",
    "ElicitRequest",
    "EnsureFailedEvent",
    "Event",
    "GameOver",
    "GameOverEvent",
    "Limits",
    "Machine",
    "MachineSnapshot",
    "MoveEvent",
    "Program",
    "Request",
    "RevealEvent",
    "RewardEvent",
    "RoundEndEvent",
    "ScoreRequest",
    "TextSource",
    "bind",
    "call_site_seed",
    "check",
    "cut_to_budget",
    "event_from_json",
    "first_n_tokens",
    "instantiate_map",
    "last_n_tokens",
    "load",
    "parse",
    "play",
]
