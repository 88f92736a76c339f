"""Property-based fuzzing: random and mutated programs may only raise XentError subclasses,
whether loading them or playing them."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xent_envs.errors import XentError
from xent_envs.lang import Machine, instantiate_map, load

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


def exercise(source: str) -> None:
    """Load, make a map, and play a few steps; only XentError may escape."""
    try:
        program = instantiate_map(load(source, {"n": 3}), SeededTextSource(), seed=1)
        codec = WordCodec()
        machine = Machine(program, codec, rounds=2, max_ensure_failures=2)
        scorer = StubScorer(codec)
        for _ in range(50):
            request = machine.advance()
            if hasattr(request, "reason"):
                break
            if hasattr(request, "items"):
                machine.provide_scores(scorer.score_batch(request.items))
            else:
                machine.provide_move("a b c d e f")
    except XentError:
        pass


@FUZZ
@given(st.text(max_size=200))
def test_random_text(source: str) -> None:
    exercise(source)


@FUZZ
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_random_token_soup(pieces: list[str]) -> None:
    exercise("".join(pieces))


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
