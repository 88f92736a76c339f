"""The parity scripts: the six reference games, literal map texts, and moves of every kind
(sensible, silly, empty, over budget, with extra whitespace, refused by an ``ensure``).

Horizon's ensure moves were chosen on the tiny test model with a margin of several bits, so
that no rounding difference between the engines can flip them: ``" zebra cold piano"`` scores
``xed(x1 | s)`` about 10 bits below the bar, ``" He sailed far"`` about 7.5 above.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CASES", "KNOWN_DEVIATIONS", "STORIES", "Case"]

STORIES = (
    "The old fisherman pushed his boat into the grey sea. The wind was cold and the waves "
    "were high.",
    "Mia found a small key under the library carpet. Nobody knew which door it opened.",
    "The robot learned to bake bread from an old cookbook. Its first loaves were burnt.",
)


@dataclass(frozen=True)
class Case:
    """One game played with one list of moves (in the order the game asks for them)."""

    game: str
    label: str
    moves: tuple[str, ...]
    rounds: int = 1

    @property
    def id(self) -> str:
        return f"{self.game}-{self.label}"


LONG = " a very long move that keeps going well past any budget the game sets for it, on and on"
_PREFIX_MOVES = {
    "sensible": (" a fisherman at sea in a storm",),
    "silly": ("zxq blorp 42 !! ??",),
    "empty": ("",),
    "over budget": (LONG,),
    "leading space": (" dog",),
    "only shared words": ("The old fisherman, the sea.",),
    "whitespace": ("boat,  storm\n\nnets\t end ",),
}
_FAIL = " zebra cold piano"  # refused by Horizon's first ensure
_PASS = (" He sailed far", " to a quiet island")

CASES: tuple[Case, ...] = (
    *(
        Case(game, label, moves)
        for game in ("Condense", "Contrast", "Synthesize")
        for label, moves in _PREFIX_MOVES.items()
    ),
    Case("Condense", "two rounds", (" a fisherman at sea", " dog"), rounds=2),
    Case("Two-Ways", "sensible", (" And then, far away, a girl found a key.",)),
    Case("Two-Ways", "silly", ("zxq blorp 42",)),
    Case("Two-Ways", "empty", ("",)),
    Case("Two-Ways", "over budget", (LONG,)),
    Case("Horizon", "sensible", _PASS),
    Case("Horizon", "over budget", (LONG, LONG)),
    Case("Horizon", "refused once", (_FAIL, *_PASS)),
    Case("Horizon", "eleventh try passes", (*(_FAIL,) * 10, *_PASS)),
    Case("Horizon", "eleven refusals", (_FAIL,) * 11),
    Case("Horizon", "two rounds", (*_PASS, _FAIL, *_PASS), rounds=2),
    Case("Horizon", "empty", ("", " to a quiet island")),
    Case("Alethiometer", "symbols", ("moon owl sun",)),
    Case("Alethiometer", "foreign word", ("dragon moon", "moon owl sun")),
    Case("Alethiometer", "leading space", (" moon owl", "moon owl")),
    Case("Alethiometer", "double space", ("moon  owl", "owl")),
    Case("Alethiometer", "newline", ("compass\nhourglass", "compass hourglass")),
    Case("Alethiometer", "empty", ("", "sun")),
    Case("Alethiometer", "over budget", (" ".join(["moon"] * 60),)),
    Case("Alethiometer", "eleventh try passes", (*("dragon",) * 10, "tree sword")),
    Case("Alethiometer", "eleven refusals", ("dragon",) * 11),
)

#: Cases where the engines differ on purpose (docs/LANGUAGE.md, "Differences from the
#: reference engine"): the reference 0.5.0 crashes on an empty text with no prefix (fixed
#: after 0.5.0); ours scores an empty text 0 bits.
KNOWN_DEVIATIONS: dict[str, str] = {
    "Horizon-empty": "the reference raises on xent of an empty text; ours scores it 0",
}
