"""Source text as it arrives: any line ending, a byte-order mark, an empty file, and control
characters that error messages must not replay to a terminal."""

from __future__ import annotations

import pytest

from xent_envs.errors import XentCheckError, XentSyntaxError, caret_block
from xent_envs.lang import load, parse
from xent_envs.lang.lexer import source_lines

GAME = "assign(s=story())\nelicit(x, 10)\n\nreward(xed(s | x))\n"


@pytest.mark.parametrize(
    "variant",
    [
        GAME.replace("\n", "\r\n"),
        GAME.replace("\n", "\r"),
        "\ufeff" + GAME,
        "\ufeff" + GAME.replace("\n", "\r"),
        "assign(s=story())\r\nelicit(x, 10)\r\rreward(xed(s | x))\n",  # mixed
    ],
    ids=["crlf", "cr", "bom", "bom-cr", "mixed"],
)
def test_line_endings_and_bom_mean_the_same_program(variant: str) -> None:
    assert load(variant).to_source() == load(GAME).to_source()
    assert load(variant).lines == load(GAME).lines


def test_positions_count_lines_the_same_way_with_any_ending() -> None:
    for newline in ("\n", "\r\n", "\r"):
        with pytest.raises(XentCheckError) as info:
            load(newline.join(["elicit(x, 3)", "", "reward(xde(s | x))"]))
        assert (info.value.line, info.value.column) == (3, 8)
        assert info.value.source_line == "reward(xde(s | x))"


def test_source_lines_is_the_one_place_that_cuts_lines() -> None:
    assert source_lines("\ufeffa\r\nb\rc\n") == ["a", "b", "c", ""]
    assert source_lines("a\ufeffb") == ["a\ufeffb"]  # only a leading mark is dropped


@pytest.mark.parametrize("source", ["", "\n\n", "# just a comment\n", "  # x\n\n# y"])
def test_a_game_without_a_move_is_refused(source: str) -> None:
    with pytest.raises(XentCheckError) as info:
        load(source)
    assert str(info.value) == (
        "the game never asks for a move: a program needs at least one elicit "
        "(add a line such as elicit(x, 10))"
    )


@pytest.mark.parametrize(
    ("source", "shown", "fault"),
    [
        # An ANSI colour in a string, then a fault after it.
        ('elicit(x, 3)\nassign(s="\x1b[31mred")?', 'assign(s="\\x1b[31mred")?', "?"),
        # A right-to-left override (the "Trojan source" trick) and a bell.
        ('elicit(x, 3)\nassign(s="\u202eab\x07") $', 'assign(s="\\u202eab\\x07") $', "$"),
    ],
)
def test_errors_show_control_characters_escaped(source: str, shown: str, fault: str) -> None:
    with pytest.raises(XentSyntaxError) as info:
        parse(source)
    text = str(info.value)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    _, quoted, marks = text.split("\n")
    assert quoted == "    " + shown
    assert marks == " " * (4 + shown.index(fault)) + "^"  # the caret is under the fault


def test_caret_block_keeps_the_caret_under_the_fault() -> None:
    assert caret_block("a\tb", 3) == "\n    a b\n      ^"
    assert caret_block("\x1b[0mx", 5, 1) == "\n    \\x1b[0mx\n           ^"
    assert caret_block("\x00\x00", 1, 2) == "\n    \\x00\\x00\n    ^^^^^^^^"
    assert caret_block("ab", 3) == "\n    ab\n      ^"  # end of line
    assert caret_block(None, 3) == ""


def test_a_long_line_is_quoted_around_the_fault_with_the_true_column() -> None:
    story = "w " * 200
    with pytest.raises(XentSyntaxError) as info:
        parse(f'elicit(x, 3)\nassign(s="{story}") ?')
    error = info.value
    column = len(f'assign(s="{story}") ') + 1
    assert (error.line, error.column) == (2, column)
    assert error.source_line == f'assign(s="{story}") ?'  # the whole line
    assert str(error).startswith(f"line 2, column {column}: unexpected character '?'")
    _, quoted, marks = error.excerpt.split("\n")
    assert quoted.startswith("    ...") and len(quoted) < 140
    assert quoted[marks.index("^")] == "?"
    assert str(error).endswith(error.excerpt)
