"""The builtin functions of the language: their signatures (for the checker) and meaning.

Builtins are pure functions of their arguments and of a ``Context`` that the interpreter
provides: judge scores (``Context.score``, which may answer with a placeholder while the
interpreter collects what to ask the judge), the judge's tokenizer (budgets and
``first_n_tokens``), a seeded random generator (``sample``, ``shuffle``) and a meter
(``Context.charge``) that every builtin tells, before it works, how many characters it will
read or write, so that no program can make a step run for minutes (``xent_envs.lang.limits``).
Map-text builtins (``story()`` and friends) have no meaning here: ``instantiate_map`` replaces
them by literals.

The string builtins follow the reference engine (``xent==0.5.0``) exactly, including its quirks
(``only_uses_words`` splits on single spaces; ``remove_common_words`` always collapses runs of
whitespace and strips the ends); ``tests/parity`` checks them against it on random texts.
``is_true``/``is_false`` are two ordinary score requests (``xent_envs.lang.truth``).
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from xent_envs.errors import XentRuntimeError
from xent_envs.lang.codec import first_n_tokens, last_n_tokens
from xent_envs.lang.truth import truth_requests, truth_verdict
from xent_envs.lang.values import BOOL, LIST, NUMBER, SCORE, STRING, Text, Value
from xent_envs.score import Score

__all__ = [
    "BUILTINS",
    "MAP_TEXT_BUILTINS",
    "Builtin",
    "Context",
    "avoids",
    "only_uses_words",
    "remove_common_words",
    "remove_words",
    "word_set",
]


class Context(Protocol):
    """What a builtin may ask of the running game."""

    def score(self, text: str, prefix: str) -> Score:
        """The judge's per-token cross-entropy of ``text`` given ``prefix``."""
        ...

    def encode(self, text: str) -> list[int]:
        """Judge token ids of ``text``."""
        ...

    def decode(self, ids: Sequence[int]) -> str:
        """Text of judge token ids."""
        ...

    def rng(self) -> random.Random:
        """A generator seeded from the game seed, round, line and a per-line counter."""
        ...

    def charge(self, work: int) -> None:
        """Count ``work`` characters about to be read or written; raises
        ``XentRuntimeError`` past the step's or the episode's limit."""
        ...


@dataclass(frozen=True)
class Builtin:
    """A builtin's signature and implementation.

    ``params`` lists the accepted types of each parameter; the first ``required`` are
    mandatory. ``impl`` is None for map-text builtins, which never run.
    """

    name: str
    params: tuple[frozenset[str], ...]
    returns: str
    impl: Callable[..., Value] | None
    doc: str
    required: int = -1

    @property
    def min_args(self) -> int:
        return len(self.params) if self.required < 0 else self.required

    @property
    def map_text(self) -> bool:
        return self.impl is None


_PUNCTUATION = str.maketrans("", "", string.punctuation)
# What striking calls a word: a run of letters and digits, in any script; every other
# character (whitespace, any punctuation or symbol, "_") separates words. The reference engine
# found the shared words after *deleting* ASCII punctuation but removed them only between
# whitespace or ASCII punctuation, so a word glued to a symbol ("magpie+13", "magpie's",
# "magpie’s") was never struck: a GRPO run on Taboo learnt to write the target that way
# (benchmarks/README.md, "RL results"). One notion for finding and for removing closes that.
_STRIKE_WORD = re.compile(r"[^\W_]+")
_SEPARATOR = r"[\W_]"


def _first_n_tokens(ctx: Context, text: str, n: int | float) -> str:
    ctx.charge(len(text))
    return first_n_tokens(ctx, text, max(0, int(n)))


def _last_n_tokens(ctx: Context, text: str, n: int | float) -> str:
    ctx.charge(len(text))
    return last_n_tokens(ctx, text, max(0, int(n)))


def _num_tokens(ctx: Context, text: str) -> int:
    """The length of ``text`` in judge tokens: with a score's total it gives bits per token,
    the measure that tells language (2 to 6 bits a token on the default judge) from noise (18
    to 30), where bits per character do not (a random token is often a long word)."""
    ctx.charge(len(text))
    return len(ctx.encode(text))


def word_set(text: str) -> set[str]:
    """Lower-case words of ``text``, ASCII punctuation removed (the reference engine's notion).

    >>> sorted(word_set("The cat, the HAT."))
    ['cat', 'hat', 'the']
    """
    return set(text.translate(_PUNCTUATION).lower().split())


def remove_words(target: str, words: Iterable[str]) -> str:
    """``target`` without each of ``words`` in turn (whole words, any case), then every run of
    two or more whitespace characters made one space and the ends stripped.

    As the reference engine's ``remove_words``, the text is always tidied, even when nothing
    was removed; unlike it, a word is removed wherever a character that is not a letter or a
    digit (or an end of the text) is on both sides, not only whitespace or ASCII punctuation.

    >>> remove_words(" The cat,  the HAT and a dog ", ["the", "hat"])
    'cat, and a dog'
    >>> remove_words("magpie+13 and magpie’s", ["magpie"])
    '+13 and ’s'
    """
    for word in words:
        pattern = f"(^|{_SEPARATOR}){re.escape(word)}(?=$|{_SEPARATOR})"
        # The right separator is a lookahead, so a word right after a removed one still matches.
        target = re.sub(pattern, r"\1", target, flags=re.IGNORECASE)
    return re.sub(r"\s{2,}", " ", target).strip()


def remove_common_words(target: str, other: str | Sequence[str]) -> str:
    """``target`` without the words it shares with the text ``other``, or without each item of
    the list ``other``, in list order; see ``remove_words``.

    Words are runs of letters and digits, compared in lower case, so no word of ``other``
    survives in the result, whatever is glued to it (the reference engine kept "cat" in
    "cat+1": docs/LANGUAGE.md, "Differences from the reference engine").

    >>> remove_common_words(" a dog", "The cat sat.")
    'a dog'
    >>> remove_common_words("a cat sat", ["cat", "a"])
    'sat'
    >>> remove_common_words("Cat+1 cat-like dog_cat", " cat")
    '+1 -like dog_'
    """
    return remove_words(target, _removed(target, other))


def _removed(target: str, other: str | Sequence[str]) -> Sequence[str]:
    """The words ``remove_common_words`` removes from ``target``, in order."""
    if isinstance(other, str):
        # Words are found before lower-casing, which can change a word's letters ("İ" becomes
        # "i" and a combining dot); the target's own spelling is removed. The shared words
        # contain no separator, so their order cannot change the result.
        theirs = {word.lower() for word in _STRIKE_WORD.findall(other)}
        return sorted({word for word in _STRIKE_WORD.findall(target) if word.lower() in theirs})
    return other


def avoids(text: str, part: str) -> bool:
    """Whether ``text`` does not contain ``part`` (its ends stripped), in any case, even inside
    a longer word: Taboo's own rule, "no form of the word". Striking (``remove_common_words``)
    removes whole words only, and a GRPO run on Taboo learnt to name the target inside
    longer words ("magpiecab", "toads"), which the judge still reads. An empty ``part`` is
    avoided by every text.

    >>> avoids("What bird steals?", " magpie"), avoids("MagPies or magpiecab", " magpie")
    (True, False)
    """
    needle = part.strip().casefold()
    return not needle or needle not in text.casefold()


def only_uses_words(allowed: str | Sequence[str], text: str) -> bool:
    """Whether every piece of ``text`` split on single spaces is an allowed word: the words of
    ``allowed`` split on single spaces, or the items of a list.

    The reference engine's rule, kept exactly: an empty text, a leading, trailing or double
    space (an empty piece) or a newline inside a piece fails unless the allowed words hold it.

    >>> only_uses_words("moon owl sun", "sun owl"), only_uses_words("moon owl", " owl")
    (True, False)
    """
    words = allowed.split(" ") if isinstance(allowed, str) else allowed
    return set(text.split(" ")) <= set(words)


def _text(value: Value) -> str:
    assert isinstance(value, Text)
    return value.text


def _size(value: Value) -> int:
    """Characters of a string, or of all the items of a list."""
    if isinstance(value, Text):
        return len(value.text)
    assert isinstance(value, tuple)
    return sum(map(len, value)) + len(value)


def _as_str_or_list(value: Value) -> str | tuple[str, ...]:
    if isinstance(value, Text):
        return value.text
    assert isinstance(value, tuple)
    return value


def _xent(ctx: Context, s: Text) -> Score:
    return ctx.score(s.text, s.prefix)


def _xed(ctx: Context, s: Text) -> Score:
    return ctx.score(s.text, "") - ctx.score(s.text, s.prefix)


def _is_true(ctx: Context, statement: Text) -> bool:
    ctx.charge(len(statement.text))
    true_item, false_item = truth_requests(statement.text)
    return truth_verdict(ctx.score(*true_item), ctx.score(*false_item))


def _remove_common_words(ctx: Context, target: Text, other: Value) -> Text:
    ctx.charge(_size(other) + len(target.text))
    words = _removed(target.text, _as_str_or_list(other))
    ctx.charge(len(target.text) * len(words))  # one pass over the text per removed word
    return Text(remove_words(target.text, words))


def _avoids(ctx: Context, text: Text, part: Text) -> bool:
    ctx.charge(len(text.text) + len(part.text))
    return avoids(text.text, part.text)


def _only_uses_words(ctx: Context, allowed: Value, text: Text) -> bool:
    ctx.charge(_size(allowed) + len(text.text))
    return only_uses_words(_as_str_or_list(allowed), text.text)


def _only_uses_chars(ctx: Context, allowed: Text, text: Text) -> bool:
    ctx.charge(len(allowed.text) + len(text.text))
    return set(text.text) <= set(allowed.text)


def _words(ctx: Context, *texts: Text) -> list[set[str]]:
    ctx.charge(sum(len(t.text) for t in texts))
    return [word_set(t.text) for t in texts]


def _shaped(score: Score, k: int | float, punish: bool) -> Score:
    # punish_negative: losses weigh k times, gains 1/k; reward_positive: the other way round.
    if k <= 0:
        raise XentRuntimeError(
            f"the scale of punish_negative/reward_positive must be positive, got {k}"
        )
    negative = score.total < 0
    factor = k if negative == punish else 1 / k
    return factor * score


def _sample(ctx: Context, items: tuple[str, ...]) -> Text:
    return Text(ctx.rng().choice(items)) if items else Text("")


def _shuffle(ctx: Context, items: tuple[str, ...]) -> tuple[str, ...]:
    ctx.charge(len(items))
    shuffled = list(items)
    ctx.rng().shuffle(shuffled)
    return tuple(shuffled)


_S = frozenset({STRING})
_L = frozenset({LIST})
_SL = frozenset({STRING, LIST})
_N = frozenset({NUMBER})
_SC = frozenset({SCORE})


def _builtins() -> dict[str, Builtin]:
    table = [
        Builtin("xent", (_S,), SCORE, _xent, "cross-entropy of s given its prefix: xent(s | x)"),
        Builtin("xed", (_S,), SCORE, _xed, "xent(s) - xent(s | x): what the prefix tells about s"),
        Builtin("nex", (_S,), SCORE, lambda c, s: -_xent(c, s), "-xent(s | x)"),
        Builtin("dex", (_S,), SCORE, lambda c, s: -_xed(c, s), "-xed(s | x)"),
        Builtin("is_true", (_S,), BOOL, _is_true, "the judge deems the statement true"),
        Builtin(
            "is_false",
            (_S,),
            BOOL,
            lambda c, s: not _is_true(c, s),
            "the judge deems the statement false",
        ),
        Builtin(
            "first_n_tokens",
            (_S, _N),
            STRING,
            lambda c, s, n: Text(_first_n_tokens(c, s.text, n)),
            "the first n judge tokens of s",
        ),
        Builtin(
            "last_n_tokens",
            (_S, _N),
            STRING,
            lambda c, s, n: Text(_last_n_tokens(c, s.text, n)),
            "the last n judge tokens of s",
        ),
        Builtin(
            "num_tokens",
            (_S,),
            NUMBER,
            lambda c, s: _num_tokens(c, s.text),
            "the length of s in judge tokens",
        ),
        Builtin(
            "remove_common_words",
            (_S, _SL),
            STRING,
            _remove_common_words,
            "x without the words it shares with s (or without the items of a list)",
        ),
        Builtin(
            "avoids",
            (_S, _S),
            BOOL,
            _avoids,
            "x does not contain the text w, in any case, not even inside a word",
        ),
        Builtin(
            "only_uses_words",
            (_SL, _S),
            BOOL,
            _only_uses_words,
            "every piece of x between single spaces is one of the allowed words",
        ),
        Builtin(
            "only_uses_chars",
            (_S, _S),
            BOOL,
            _only_uses_chars,
            "every character of x is one of the allowed characters",
        ),
        Builtin(
            "common_word_set",
            (_S, _S),
            LIST,
            lambda c, a, b: tuple(sorted(set.intersection(*_words(c, a, b)))),
            "the lower-case words two texts share, sorted",
        ),
        Builtin(
            "word_set",
            (_S,),
            LIST,
            lambda c, s: tuple(sorted(*_words(c, s))),
            "the distinct lower-case words of a text, sorted",
        ),
        Builtin(
            "num_words",
            (_S,),
            NUMBER,
            lambda c, s: len(*_words(c, s)),
            "the number of distinct words (as the reference engine counts)",
        ),
        Builtin(
            "len",
            (_SL,),
            NUMBER,
            lambda c, v: len(v.text) if isinstance(v, Text) else len(v),
            "characters of a string, items of a list",
        ),
        Builtin("sample", (_L,), STRING, _sample, "a seeded random item of a list"),
        Builtin("shuffle", (_L,), LIST, _shuffle, "a seeded random permutation of a list"),
        Builtin(
            "punish_negative",
            (_SC, _N),
            SCORE,
            lambda c, s, k=64: _shaped(s, k, True),
            "score times k when negative, divided by k otherwise (k defaults to 64)",
            required=1,
        ),
        Builtin(
            "reward_positive",
            (_SC, _N),
            SCORE,
            lambda c, s, k=64: _shaped(s, k, False),
            "score times k when positive or zero, divided by k otherwise",
            required=1,
        ),
        Builtin("story", (), STRING, None, "a story, fixed per map"),
        Builtin("generate_list", (_S, _N), LIST, None, "n items for a prompt, fixed per map"),
        Builtin(
            "generate_masked",
            (_N,),
            LIST,
            None,
            "[text, text with n passages masked], fixed per map",
        ),
        Builtin(
            "generate_list_next_token",
            (_N,),
            LIST,
            None,
            "[prefix, its next n tokens] (n defaults to 1), fixed per map",
            required=0,
        ),
    ]
    return {b.name: b for b in table}


BUILTINS: dict[str, Builtin] = _builtins()
MAP_TEXT_BUILTINS = frozenset(name for name, b in BUILTINS.items() if b.map_text)
