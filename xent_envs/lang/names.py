"""The fixed vocabulary of the language: instructions, registers, players and flags.

One place for these lists, because the checker, the interpreter and error messages ("did you
mean ...") all read them.
"""

from __future__ import annotations

from xent_envs.lang.limits import MAX_LINES

__all__ = [
    "FLAGS",
    "INSTRUCTIONS",
    "LIST_REGISTERS",
    "MAIN_PLAYER",
    "MAX_LINES",
    "OMNISCIENT_PLAYERS",
    "PLAYERS",
    "PUBLIC_REGISTERS",
    "REGISTERS",
    "STATIC_REGISTERS",
    "ZERO_SUM_PAIRS",
]

INSTRUCTIONS = ("assign", "elicit", "ensure", "reveal", "reward", "beacon", "replay")

_BASES = "abcstxypl"
#: Every register name in canonical order: a b c s t x y p l, then a1 b1 ..., a2 ..., a3 ...
REGISTERS: tuple[str, ...] = tuple(
    base + suffix for suffix in ("", "1", "2", "3") for base in _BASES
)
LIST_REGISTERS = frozenset(r for r in REGISTERS if r[0] == "l")
STATIC_REGISTERS = frozenset(r for r in REGISTERS if r[0] in "abc")
PUBLIC_REGISTERS = frozenset(r for r in REGISTERS if r[0] in "abp")

PLAYERS = ("black", "white", "alice", "bob", "carol", "env")
OMNISCIENT_PLAYERS = frozenset({"black", "white", "env"})
ZERO_SUM_PAIRS = {"black": "white", "white": "black"}
MAIN_PLAYER = "black"

FLAGS = ("flag_1", "flag_2")
