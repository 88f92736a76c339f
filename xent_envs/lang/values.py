"""Runtime values of the language and the names of their types.

Values are immutable (``Text``, tuples, ``Score``, numbers, booleans), so copying a running
game's registers is a shallow dict copy: this is what makes ``Machine.snapshot`` cheap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from xent_envs.score import Score

__all__ = [
    "BOOL",
    "EMPTY_TEXT",
    "LIST",
    "NUMBER",
    "SCORE",
    "STRING",
    "Text",
    "Value",
    "render",
]

# Type names, as the checker reports them in messages ("expected a score, found a string").
STRING = "string"
LIST = "list"
SCORE = "score"
BOOL = "boolean"
NUMBER = "number"


@dataclass(frozen=True)
class Text:
    """A string value, optionally "given" a prefix: ``s | x`` is ``Text(s, prefix=x)``.

    Only the judge functions read the prefix; every other operation uses ``text`` alone, and
    ``+`` drops prefixes.
    """

    text: str
    prefix: str = ""


EMPTY_TEXT = Text("")

Value = Text | tuple[str, ...] | Score | bool | int | float


def render(value: Text | tuple[str, ...]) -> str:
    """A register value as a player reads it: the text itself, or a list as a JSON array."""
    if isinstance(value, Text):
        return value.text
    return json.dumps(list(value), ensure_ascii=False)
