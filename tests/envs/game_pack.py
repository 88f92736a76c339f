"""A third-party game pack, as a package would expose it through the entry-point group."""

from xent_envs.games import GameDef

GAMES = [
    GameDef.from_source(
        "PackEcho",
        "assign(s=story())\nelicit(x, 5)\nreward(xed(s | x))",
        summary="A game from an entry point.",
    )
]
