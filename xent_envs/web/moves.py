"""What a person may type as a move, checked before the game sees it.

An agent's move over budget is cut by the language's rule, and the record says so; a person
typing in a box is better served by being told, before anything is played, that the move is
too long, and by editing it. Characters that change how a text reads without showing
themselves (control characters, bidirectional overrides, lone surrogates, line separators)
are refused too: a move is what the page shows, and what the judge scores.

>>> from xent_envs.judge import load_judge
>>> judge = load_judge("tiny-random-gpt2")
>>> move_problem(" a cat", 4, judge) is None
True
>>> move_problem(" a cat sat on the mat", 4, judge)
'the move is 6 tokens long, over the budget of 4 tokens: shorten it'
>>> print(move_problem("a\\u202ecat", 4, judge))  # doctest: +ELLIPSIS
character 2 of the move is U+202E RIGHT-TO-LEFT OVERRIDE, which a move may not hold ...
"""

from __future__ import annotations

import unicodedata

from xent_envs.errors import is_unprintable
from xent_envs.lang import Codec

__all__ = ["ALLOWED_CONTROLS", "character_problem", "move_problem"]

#: the control characters a move may hold: line breaks and tabs read as what they are
ALLOWED_CONTROLS = frozenset("\n\t")
_KINDS = {"Cc": "a control character", "Cs": "a lone surrogate", "Cf": "a format character"}


def character_problem(text: str) -> str | None:
    """Why ``text`` holds a character a move may not hold, or ``None``."""
    for index, ch in enumerate(text):
        if ch not in ALLOWED_CONTROLS and is_unprintable(ch):
            kind = _KINDS.get(unicodedata.category(ch), "a separator")
            name = unicodedata.name(ch, f"({kind})")
            return (
                f"character {index + 1} of the move is U+{ord(ch):04X} {name}, which a move "
                "may not hold (it changes how a text reads without showing itself): remove it"
            )
    return None


def move_problem(text: str, max_tokens: int, codec: Codec) -> str | None:
    """Why ``text`` cannot be played as a move of at most ``max_tokens`` judge tokens, or
    ``None`` when it can (characters first: the tokenizer never sees a refused one)."""
    problem = character_problem(text)
    if problem is not None:
        return problem
    tokens = len(codec.encode(text))
    if tokens > max_tokens:
        return (
            f"the move is {tokens} tokens long, over the budget of {max_tokens} tokens: shorten it"
        )
    return None
