"""The builtin functions of the language: their signatures (for the checker) and meaning.

Builtins are pure functions of their arguments and of a ``Context`` that the interpreter
provides: judge scores (``Context.score``, which may answer with a placeholder while the
interpreter collects what to ask the judge), the judge's tokenizer (budgets and
``first_n_tokens``) and a seeded random generator (``sample``, ``shuffle``). Map-text builtins
(``story()`` and friends) have no meaning here: ``instantiate_map`` replaces them by literals.

``is_true``/``is_false`` ask the judge for " true" and " false" after the few-shot prompt of
``xent_envs.judge.truth`` (one prompt for the whole suite), as two ordinary score requests.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from xent_envs.errors import XentRuntimeError
from xent_envs.judge.base import first_n_tokens, last_n_tokens
from xent_envs.judge.truth import truth_requests, truth_verdict
from xent_envs.lang.values import BOOL, LIST, NUMBER, SCORE, STRING, Text, Value
from xent_envs.score import Score

__all__ = [
    "BUILTINS",
    "MAP_TEXT_BUILTINS",
    "Builtin",
    "Context",
    "cut_to_tokens",
    "remove_common_words",
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
# A word is delimited by whitespace or ASCII punctuation on both sides.
_SEPARATOR = "[" + re.escape(string.punctuation) + r"\s]"


def cut_to_tokens(ctx: Context, text: str, n: int | float) -> str:
    """The first ``n`` judge tokens of ``text`` (all of it when it is short enough)."""
    return first_n_tokens(ctx, text, max(0, int(n)))


def word_set(text: str) -> set[str]:
    """Lower-case words of ``text``, punctuation removed (the reference engine's notion)."""
    return set(text.translate(_PUNCTUATION).lower().split())


def remove_common_words(target: str, words: Sequence[str] | set[str]) -> str:
    """``target`` without any of ``words`` (whole words, any case), spaces collapsed."""
    if not words:
        return target
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True) if w)
    if not alternatives:
        return target
    pattern = re.compile(f"(^|{_SEPARATOR})(?:{alternatives})(?=$|{_SEPARATOR})", re.IGNORECASE)
    # The right separator is a lookahead, so a word right after a removed one still matches.
    return re.sub(r"\s{2,}", " ", pattern.sub(r"\1", target)).strip()


def _text(value: Value) -> str:
    assert isinstance(value, Text)
    return value.text


def _words(value: Value) -> list[str]:
    if isinstance(value, Text):
        return value.text.split()
    assert isinstance(value, tuple)
    return list(value)


def _xent(ctx: Context, s: Text) -> Score:
    return ctx.score(s.text, s.prefix)


def _xed(ctx: Context, s: Text) -> Score:
    return ctx.score(s.text, "") - ctx.score(s.text, s.prefix)


def _is_true(ctx: Context, statement: Text) -> bool:
    true_item, false_item = truth_requests(statement.text)
    return truth_verdict(ctx.score(*true_item), ctx.score(*false_item))


def _remove_common_words(ctx: Context, target: Text, other: Value) -> Text:
    if isinstance(other, tuple):
        return Text(remove_common_words(target.text, other))
    return Text(remove_common_words(target.text, word_set(target.text) & word_set(_text(other))))


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
            lambda c, s, n: Text(cut_to_tokens(c, s.text, n)),
            "the first n judge tokens of s",
        ),
        Builtin(
            "last_n_tokens",
            (_S, _N),
            STRING,
            lambda c, s, n: Text(last_n_tokens(c, s.text, max(0, int(n)))),
            "the last n judge tokens of s",
        ),
        Builtin(
            "remove_common_words",
            (_S, _SL),
            STRING,
            _remove_common_words,
            "x without the words it shares with s (or without the items of a list)",
        ),
        Builtin(
            "only_uses_words",
            (_SL, _S),
            BOOL,
            lambda c, allowed, x: set(x.text.split()) <= set(_words(allowed)),
            "every word of x is one of the allowed words",
        ),
        Builtin(
            "only_uses_chars",
            (_S, _S),
            BOOL,
            lambda c, allowed, x: set(x.text) <= set(allowed.text),
            "every character of x is one of the allowed characters",
        ),
        Builtin(
            "common_word_set",
            (_S, _S),
            LIST,
            lambda c, a, b: tuple(sorted(word_set(a.text) & word_set(b.text))),
            "the lower-case words two texts share, sorted",
        ),
        Builtin(
            "word_set",
            (_S,),
            LIST,
            lambda c, s: tuple(sorted(word_set(s.text))),
            "the distinct lower-case words of a text, sorted",
        ),
        Builtin(
            "num_words",
            (_S,),
            NUMBER,
            lambda c, s: len(word_set(s.text)),
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
