"""Property-based fuzzing of random and mutated programs. Whatever the text:

* only ``XentError`` subclasses escape, loading or playing;
* an error's position lies inside the source, and its message holds no raw control character;
* a program that loads prints as source that loads back to the same text, before and after its
  map is made;
* playing it twice from the same seed gives the same events.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xent_envs.errors import XentError, XentSyntaxError, is_unprintable
from xent_envs.lang import GameOver, Machine, ScoreRequest, instantiate_map, load
from xent_envs.lang.lexer import source_lines

from .lang_stubs import SeededTextSource, StubScorer, WordCodec

REFERENCE = [
    p.read_text() for p in sorted((Path(__file__).parent / "reference_games").glob("*.xent"))
]
PIECES = [
    "(",
    ")",
    "[",
    "]",
    ",",
    "=",
    "|",
    "+",
    "-",
    "*",
    "//",
    "%",
    "<",
    ">=",
    "==",
    '"',
    "'",
    "\\",
    "$n",
    "#",
    "\n",
    " ",
    "x",
    "s",
    "l",
    "a",
    "black",
    "flag_1",
    "xed(",
    "story()",
    "elicit(",
    "ensure(",
    "replay(flag_1, 2)",
    "beacon(flag_1)",
    "10",
    "-1",
    "1e9",
    "__",
    ".",
    ":",
    "lambda",
    "sample(l)",
    "is_true(",
    "reward(",
]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def play(program, seed: int) -> list[dict]:
    """The events of a short game on the stub judge (at most 50 requests answered)."""
    codec = WordCodec()
    machine = Machine(program, codec, rounds=2, seed=seed, max_ensure_failures=2)
    scorer = StubScorer(codec)
    for _ in range(50):
        request = machine.advance()
        if isinstance(request, GameOver):
            break
        if isinstance(request, ScoreRequest):
            machine.provide_scores(scorer.score_batch(request.items))
        else:
            machine.provide_move("a b c d e f")
    return [e.to_json() for e in machine.events]


def check_error(error: XentError, source: str) -> None:
    text = str(error)
    assert not any(is_unprintable(ch) for ch in text.replace("\n", "")), text
    if isinstance(error, XentSyntaxError) and error.line is not None:
        lines = source_lines(source)
        assert 1 <= error.line <= max(len(lines), 65), (error.line, len(lines))
        if error.line <= len(lines):
            assert error.column is not None
            assert 1 <= error.column <= len(lines[error.line - 1]) + 1


def exercise(source: str) -> None:
    """Load, print, make a map, and play twice; check every property above."""
    try:
        program = load(source, {"n": 3})
    except XentError as error:
        check_error(error, source)
        return
    printed = program.to_source()
    assert load(printed, {"n": 3}).to_source() == printed
    try:
        mapped = instantiate_map(program, SeededTextSource(), seed=1)
        assert load(mapped.to_source()).to_source() == mapped.to_source()
        first = play(mapped, seed=4)
    except XentError as error:
        check_error(error, source)
        return
    assert json.dumps(play(mapped, seed=4)) == json.dumps(first)


@FUZZ
@given(st.text(max_size=200))
def test_random_text(source: str) -> None:
    exercise(source)


@FUZZ
@given(st.booleans(), st.lists(st.sampled_from(PIECES), max_size=40))
def test_random_token_soup(with_move: bool, pieces: list[str]) -> None:
    # Half the soups start with a move, so that more of them load and are played.
    exercise(("elicit(x, 3)\n" if with_move else "") + "".join(pieces))


@FUZZ
@given(
    st.sampled_from(REFERENCE),
    st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 3), st.sampled_from(PIECES)),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_reference_programs(source: str, edits: list[tuple[int, int, str]]) -> None:
    for position, cut, piece in edits:
        at = position % (len(source) + 1)
        source = source[:at] + piece + source[at + cut :]
    exercise(source)
