"""Instantiated maps, built once per process and shared by every match.

A map (the program with its ``story()`` & co. replaced by texts) costs judge generations, and
the same instance recurs (GRPO groups, several agents on the same maps, a vector env's
sub-envs), so maps are kept in one LRU cache. The key is everything the map depends on: the
judge (its fingerprint digest), the text source (its token), the program text actually
registered (its digest, not the one an instance id claims), the program's parameters, the
story length and the map seed (which also names its side of the split). Two judges or two
sources never share a map, and a re-registered program never replays an old one.
"""

from __future__ import annotations

from collections.abc import Hashable

from xent_envs.games import GameInstance, GameSpace
from xent_envs.judge.base import Judge
from xent_envs.judge.cache import LRUCache
from xent_envs.lang import Program, instantiate_map
from xent_envs.maps import MapSource, judge_digest, source_token

__all__ = ["MAP_CACHE_SIZE", "clear_map_cache", "map_key", "map_program"]

MAP_CACHE_SIZE = 256
_MAPS: LRUCache[Program] = LRUCache(MAP_CACHE_SIZE)


def map_key(space: GameSpace, instance: GameInstance, judge: Judge, source: MapSource) -> Hashable:
    """What the map of ``instance`` depends on, as a hashable key."""
    params = instance.param_dict
    return (
        judge_digest(judge),
        source_token(source),
        space.name,
        space.digest,
        tuple(sorted(space.program_params(params).items())),
        params["story_tokens"],
        instance.seed,
    )


def map_program(
    space: GameSpace, instance: GameInstance, judge: Judge, source: MapSource
) -> Program:
    """The program of ``instance`` with its map texts from ``source`` (cached)."""
    from xent_envs.maps.build import instance_texts

    key = map_key(space, instance, judge, source)
    program = _MAPS.get(key)
    if program is None:
        texts = instance_texts(instance, judge, source)
        program = instantiate_map(space.program(instance.param_dict), texts, instance.seed)
        _MAPS.put(key, program)
    return program


def clear_map_cache() -> None:
    """Forget every cached map (benchmarks measuring map generation; tests)."""
    _MAPS.clear()
