"""Every string builtin the two engines share gives the same result on random texts: unicode,
punctuation, runs of whitespace of every kind, leading and trailing spaces, empty strings.

Ours is run through the language (literals written with ``quote``, read back by the lexer,
evaluated by a ``Machine``), so what is compared is what a game sees.
"""

from __future__ import annotations

import json
import re
import string

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from xent_envs.lang import GameOver, Machine, RevealEvent, ScoreRequest, load
from xent_envs.lang.nodes import quote

from ..lang.lang_stubs import StubScorer, WordCodec

WORDS = [
    "cat",
    "Cat",
    "CAT",
    "dog",
    "a",
    "A",
    "the",
    "The",
    "café",
    "CAFÉ",
    "naïve",
    "straße",
    "STRASSE",
    "İstanbul",
    "ǅemal",
    "x+y",
    "(x",
    "a.b",
    "it's",
    "e.g.",
    "—",
    "🙂",
    "数据",
    "",
    "-",
    "...",
    "[MASK]",
    "\\d",
    "$1",
    "a|b",
    "K",
    "\u212a",  # Kelvin sign folds to k
]
SEPARATORS = [
    " ",
    "  ",
    "   ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\x0b",
    "\x0c",
    "\x1c",
    "\u00a0",
    "\u2003",
    "\u3000",
    "\u2028",
    "\u200b",
    ",",
    ", ",
    ".",
    "!",
    "?",
    ";",
    ":",
    "'",
    '"',
    "(",
    ")",
    "-",
    "_",
    "/",
    "\\",
    "*",
    "+",
    "|",
    "^",
    "$",
]
TEXT = st.one_of(
    st.lists(
        st.one_of(st.sampled_from(WORDS), st.sampled_from(SEPARATORS), st.text(max_size=3)),
        max_size=14,
    ).map("".join),
    st.text(max_size=30),
)
ITEMS = st.lists(TEXT, max_size=5)
FAST = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def literal(value: str | list[str]) -> str:
    return quote(value) if isinstance(value, str) else "[" + ", ".join(map(quote, value)) + "]"


def finish(machine: Machine, score_batch) -> GameOver:
    """Play ``machine`` to the end: empty moves, scores from ``score_batch``."""
    while not isinstance(request := machine.advance(), GameOver):
        if isinstance(request, ScoreRequest):
            machine.provide_scores(score_batch(request.items))
        else:
            machine.provide_move("")
    return request


def ours(expression: str, register: str = "s", judge=None) -> str:
    """What ``register`` holds after ``assign(register=expression)`` in our engine."""
    codec = judge or WordCodec()
    source = f"assign({register}={expression})\nreveal({register})\nelicit(env, x3, 1)"
    machine = Machine(load(source), codec)
    finish(machine, StubScorer(codec).score_batch)
    return next(e for e in machine.events if isinstance(e, RevealEvent)).values[register]


def holds(condition: str, judge=None) -> bool:
    """Whether ``ensure(condition)`` passes in our engine (with ``judge`` for judge calls)."""
    codec = judge or WordCodec()
    source = f"elicit(env, x3, 1)\nensure({condition})"
    machine = Machine(load(source), codec, max_ensure_failures=1)
    score_batch = judge.score_batch if judge is not None else StubScorer(codec).score_batch
    return finish(machine, score_batch).reason == "finished"


def xs(reference, value: str | list[str]):
    """The reference engine's value: an XString, or an XList of XStrings."""
    if isinstance(value, str):
        return reference.x_string.XString(value)
    return reference.x_list.XList([reference.x_string.XString(v) for v in value])


# Our striking's notion of a word (written out here, not imported, so the test checks it).
STRIKE_WORD = re.compile(r"[^\W_]+")


def same_words(*texts: str) -> bool:
    """Whether the two engines split ``texts`` into the same words for striking. Ours (runs
    of letters and digits) differs from the reference's only on a word glued to a symbol or
    to a non-ASCII separator, the planned difference (``docs/LANGUAGE.md``), and on a word
    whose length lower-casing changes ("İ"), which the reference can never strike."""
    ascii_punctuation = str.maketrans("", "", string.punctuation)
    return all(
        sorted(t.translate(ascii_punctuation).split()) == sorted(STRIKE_WORD.findall(t))
        and len(t.lower()) == len(t)
        for t in texts
    )


@FAST
@given(target=TEXT, other=st.one_of(TEXT, ITEMS))
def test_remove_common_words(reference, target: str, other: str | list[str]) -> None:
    items = [other] if isinstance(other, str) else other
    assume(same_words(target, *items))
    expected = reference.variables.remove_common_words(xs(reference, target), xs(reference, other))
    assert ours(f"remove_common_words({literal(target)}, {literal(other)})") == str(expected)


@FAST
@given(target=TEXT, other=TEXT)
def test_no_struck_word_survives_where_the_reference_kept_some(
    reference, target: str, other: str
) -> None:
    """The planned difference: our result shares no word with ``other``; the reference's
    kept words glued to a symbol (``"cat+1"`` against ``"cat"``)."""
    got = ours(f"remove_common_words({literal(target)}, {literal(other)})")

    def words(text: str) -> set[str]:
        return {word.lower() for word in STRIKE_WORD.findall(text)}

    assert not words(got) & words(other)


def test_the_reference_keeps_a_word_glued_to_a_symbol(reference) -> None:
    """What the difference is about, pinned on both engines."""
    kept = reference.variables.remove_common_words(
        xs(reference, "magpie+13"), xs(reference, " magpie")
    )
    assert str(kept) == "magpie+13"
    assert ours('remove_common_words("magpie+13", " magpie")') == "+13"


@FAST
@given(allowed=st.one_of(TEXT, ITEMS), text=TEXT)
def test_only_uses_words(reference, allowed: str | list[str], text: str) -> None:
    expected = reference.variables.only_uses_words(xs(reference, allowed), xs(reference, text))
    assert holds(f"only_uses_words({literal(allowed)}, {literal(text)})") is expected


@FAST
@given(allowed=TEXT, text=TEXT)
def test_only_uses_chars(reference, allowed: str, text: str) -> None:
    expected = reference.variables.only_uses_chars(xs(reference, allowed), xs(reference, text))
    assert holds(f"only_uses_chars({literal(allowed)}, {literal(text)})") is expected


@FAST
@given(a=TEXT, b=TEXT)
def test_word_sets_and_counts(reference, a: str, b: str) -> None:
    variables = reference.variables
    assert set(json.loads(ours(f"word_set({literal(a)})", "l"))) == variables.word_set(a)
    both = variables.common_word_set(xs(reference, a), xs(reference, b))
    assert set(json.loads(ours(f"common_word_set({literal(a)}, {literal(b)})", "l"))) == both
    count = variables.num_words(xs(reference, a))
    assert holds(f"num_words({literal(a)}) == {count}")
    assert holds(f"len({literal(a)}) == {len(xs(reference, a))}")


@FAST
@given(a=TEXT, b=TEXT)
def test_string_operators(reference, a: str, b: str) -> None:
    x, y = xs(reference, a), xs(reference, b)
    assert ours(f"{literal(a)} + {literal(b)}") == str(x + y)
    assert ours(f"{literal(a)} // {literal(b)}") == str(x // y)
    assert ours(f"{literal(a)} % {literal(b)}") == str(x % y)
    assert holds(f"{literal(a)} == {literal(b)}") is bool(x == y)
    # "|" gives a prefix: the text itself is unchanged, and "+" drops the prefix.
    assert ours(f"({literal(a)} | {literal(b)}) + {literal(b)}") == str((x | y) + y)


@SLOW
@given(text=TEXT, n=st.integers(0, 12))
def test_first_n_tokens(reference, judges, text: str, n: int) -> None:
    theirs, mine = judges
    expected = str(theirs.first_n_tokens(xs(reference, text), n))
    assert ours(f"first_n_tokens({literal(text)}, {n})", judge=mine) == expected


@SLOW
@given(statement=TEXT)
def test_is_true(reference, judges, statement: str) -> None:
    theirs, mine = judges
    assert holds(f"is_true({literal(statement)})", judge=mine) is theirs.is_true(statement)
