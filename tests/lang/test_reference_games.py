"""The six game files of the reference engine run unchanged, with known answers."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

from xent_envs.lang import ElicitRequest, Machine, instantiate_map, load, play

from .lang_stubs import ListTextSource, StubScorer, WordCodec, xent

GAMES = Path(__file__).parent / "reference_games"
S1, S2, S3 = "the cat sat on the mat", "a dog ran in the park", "birds sing at dawn"
INTRO = "I have a fun story to tell you:"
FRAME = (
    'Lyra bent over her Alethiometer. The dial spun to these symbols: "{}". '
    'Lyra looked up and said "it tells me this":'
)


def play_game(name: str, moves: list[str]) -> tuple[Machine, list[ElicitRequest]]:
    program = instantiate_map(
        load((GAMES / f"{name}.xent").read_text()), ListTextSource([S1, S2, S3]), seed=0
    )
    codec = WordCodec()
    machine = Machine(program, codec)
    asked: list[ElicitRequest] = []

    def move(request: ElicitRequest) -> str:
        asked.append(request)
        return moves.pop(0)

    over = play(machine, StubScorer(codec).score_batch, move)
    assert over.reason == "finished" and not moves
    return machine, asked


EXPECTED = {
    # words shared with the story are removed; "mammal" explains "mat" (m): 3 -> 1.5 bits.
    "Condense": (["feline mammal"], 1.5),
    # explains "mat" in s1 (+1.5) but also "park" in s2 (p: -2).
    "Contrast": (["mammal pets"], -0.5),
    # "mat" in s1 (1.5) and "birds" in s3 (2.5).
    "Synthesize": (["mammal bird"], 4.0),
    # the bridge explains "dog" and "park" of s2 after s1; nothing new for s1.
    "Two-Ways": ([" dawn park"], 3.5),
    # dex(x2 | s): "sun" shares the initial of "sat": -1.5.
    "Horizon": (["cold tea", "sun rises"], -1.5),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_game_known_answer(name: str) -> None:
    moves, expected = EXPECTED[name]
    machine, asked = play_game(name, list(moves))
    assert machine.scores[0]["black"] == pytest.approx(expected)
    assert machine.scores[0]["white"] == pytest.approx(-expected)
    assert all(r.player == "black" for r in asked)


def test_two_ways_matches_its_formula() -> None:
    t = " dawn park"
    formula = (
        -xent(S2, INTRO + S1 + t)
        - xent(S1, INTRO + S2 + t)
        + xent(S2, INTRO + S1)
        + xent(S1, INTRO + S2)
    )
    assert formula == EXPECTED["Two-Ways"][1]


def test_alethiometer_refuses_foreign_words_then_scores_the_frame() -> None:
    machine, asked = play_game("Alethiometer", ["dragon moon", "moon owl sun"])
    assert asked[0].feedback is None and asked[1].feedback is not None
    assert "ensure(only_uses_words(s1, x))" in asked[1].feedback
    expected = xent(S1) - xent(S1, FRAME.format("moon owl sun"))
    assert expected > 0
    assert machine.scores[0]["black"] == pytest.approx(expected)


def test_condense_reveals_the_cleaned_move() -> None:
    machine, _ = play_game("Condense", ["the cat purrs"])
    reveal = next(e for e in machine.events if e.kind == "reveal")
    assert reveal.values == {"x1": "purrs"}


def shape(node: object) -> object:
    """A node as nested tuples without positions: what the program means, not where."""
    if isinstance(node, tuple):
        return tuple(shape(n) for n in node)
    if is_dataclass(node):
        return (
            type(node).__name__,
            *tuple(
                shape(getattr(node, f.name)) for f in fields(node) if not f.name.endswith("span")
            ),
        )
    return node


def test_there_are_six_reference_games() -> None:
    assert sorted(p.stem for p in GAMES.glob("*.xent")) == [
        "Alethiometer",
        "Condense",
        "Contrast",
        "Horizon",
        "Synthesize",
        "Two-Ways",
    ]


@pytest.mark.parametrize("path", sorted(GAMES.glob("*.xent")), ids=lambda p: p.stem)
def test_reference_files_round_trip(path: Path) -> None:
    original = load(path.read_text())
    printed = original.to_source()
    again = load(printed)
    # The printed program means the same: same instructions, operators, literals, comments.
    assert shape(again.instructions) == shape(original.instructions)
    assert again.comments == original.comments
    assert [ins.line for ins in again.instructions] == [ins.line for ins in original.instructions]
    assert again.to_source() == printed
    # ... and plays the same: same events, same scores.
    moves = ["moon owl sun", "cold tea", "sun rises"] * 4

    def events(program):
        mapped = instantiate_map(program, ListTextSource([S1, S2, S3]), seed=0)
        codec = WordCodec()
        machine = Machine(mapped, codec, rounds=2)
        queue = list(moves)
        play(machine, StubScorer(codec).score_batch, lambda request: queue.pop(0))
        return [e.to_json() for e in machine.events]

    assert events(again) == events(original)
