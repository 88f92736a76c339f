"""Third-party game packs, as packages expose them through the entry-point group."""

import itertools
from collections.abc import Iterator

from xent_envs.games import GameDef

ECHO = "assign(s=story())\nelicit(x, 5)\nreward(xed(s | x))"

GAMES = [GameDef.from_source("PackEcho", ECHO, summary="A game from an entry point.")]

# A pack whose second game has a name no id can hold: the pack registers whole or not at all.
HALF_BROKEN = [GameDef.from_source("PackOne", ECHO), GameDef.from_source("Pack Two", ECHO)]


def games() -> list[GameDef]:
    """A pack may name a function that returns its games."""
    return [GameDef.from_source("PackCalled", ECHO)]


# A pack may name one game alone.
SINGLE = GameDef.from_source("PackSingle", ECHO)

# Not games: a name is refused, an endless pack is cut at the limit (not read forever), and a
# pack naming one game twice registers nothing.
NOT_GAMES = "PackEcho"


def endless() -> Iterator[GameDef]:
    return (GameDef.from_source(f"PackMany{i}", ECHO) for i in itertools.count())


TWICE = [GAMES[0], GAMES[0]]
