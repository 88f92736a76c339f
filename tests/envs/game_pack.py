"""Third-party game packs, as packages expose them through the entry-point group."""

from xent_envs.games import GameDef

ECHO = "assign(s=story())\nelicit(x, 5)\nreward(xed(s | x))"

GAMES = [GameDef.from_source("PackEcho", ECHO, summary="A game from an entry point.")]

# A pack whose second game has a name no id can hold: the pack registers whole or not at all.
HALF_BROKEN = [GameDef.from_source("PackOne", ECHO), GameDef.from_source("Pack Two", ECHO)]
