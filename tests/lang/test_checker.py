"""The static checker and parameter binding: exact messages for the common mistakes."""

from __future__ import annotations

import pytest

from xent_envs.errors import XentCheckError, XentError, XentSyntaxError
from xent_envs.lang import bind, check, load, parse

COMMON_MISTAKES = [
    (
        "elicit(x, 10)\nreward(xde(s | x))",
        "line 2, column 8: unknown function 'xde' (did you mean 'xed'?)\n"
        "    reward(xde(s | x))\n           ^^^",
    ),
    (
        "elict(x, 10)",
        "line 1, column 1: unknown instruction 'elict'; expected one of assign, elicit, ensure, "
        "reveal, reward, beacon, replay (did you mean 'elicit'?)\n    elict(x, 10)\n    ^^^^^",
    ),
    (
        "elicit(z, 10)",
        "line 1, column 8: unknown register 'z' (registers are a b c s t x y p l, each also with "
        "suffix 1, 2 or 3)\n    elicit(z, 10)\n           ^",
    ),
    (
        'assign(a="hi")',
        "line 1, column 8: register 'a' is static: it is set by the map, never by assign or elicit "
        '(use a register such as s, t, x or y)\n    assign(a="hi")\n           ^',
    ),
    (
        "elicit(x, 10)\nreward(x)",
        "line 2, column 8: reward expects a score (from xent, xed, nex or dex), found a string\n"
        "    reward(x)\n           ^",
    ),
    (
        "ensure(xed(x | s) > 0)",
        "line 1, column 1: ensure before any elicit: there is no move to check yet (put ensure(...) "
        "after the elicit it checks)\n    ensure(xed(x | s) > 0)\n    ^^^^^^",
    ),
    (
        "replay(flag_1, 3)",
        "line 1, column 8: replay of 'flag_1', but no earlier line has beacon(flag_1) (add "
        "beacon(flag_1) on a line before this one)\n    replay(flag_1, 3)\n           ^^^^^^",
    ),
    (
        "elicit(x)",
        "line 1, column 1: elicit expects one or more registers and a token budget, like "
        "elicit(x, 10); found 1 argument(s)\n    elicit(x)\n    ^^^^^^^^^",
    ),
    (
        "elicit(x, y)",
        "line 1, column 11: elicit expects a token budget (a positive integer) as its last "
        "argument, found register 'y'\n    elicit(x, y)\n              ^",
    ),
    (
        "reward(xed(s | x) + x)",
        "line 1, column 19: operator '+' cannot combine a score and a string ('+' joins two strings "
        "or adds two scores or two numbers)\n    reward(xed(s | x) + x)\n                      ^",
    ),
    (
        "elicit(x, 10)\nensure(x)",
        "line 2, column 8: ensure expects a boolean condition (a comparison such as xed(x | s) > 0)"
        ", found a string\n    ensure(x)\n           ^",
    ),
    (
        "elicit(x, 10)\nensure(x < xed(s))",
        "line 2, column 10: cannot compare a string with a score: comparisons need scores or "
        "numbers (or two strings with == and !=)\n    ensure(x < xed(s))\n             ^",
    ),
    (
        "assign(s=stroy())",
        "line 1, column 10: unknown function 'stroy' (did you mean 'story'?)\n"
        "    assign(s=stroy())\n             ^^^^^",
    ),
    (
        "assign(s=xed(s))",
        "line 1, column 10: register 's' holds a string, found a score\n"
        "    assign(s=xed(s))\n             ^^^^^^",
    ),
    (
        "assign(s=story(1))",
        "line 1, column 10: 'story' takes 0 arguments, found 1\n"
        "    assign(s=story(1))\n             ^^^^^^^^",
    ),
    (
        "reward(xed(s, x))",
        "line 1, column 8: 'xed' takes 1 argument, found 2\n    reward(xed(s, x))\n           ^^^^^^^^^",
    ),
    (
        "assign(s=remove_common_words(x, xed(s)))",
        "line 1, column 33: argument 2 of 'remove_common_words' must be a list or a string, found a "
        "score\n    assign(s=remove_common_words(x, xed(s)))\n                                    ^^^^^^",
    ),
    (
        "elicit(l, 4)",
        "line 1, column 8: elicit needs a string register, found list register 'l'\n"
        "    elicit(l, 4)\n           ^",
    ),
    (
        "reward(white, black, xed(s))",
        "line 1, column 15: the player must be the first argument of reward\n"
        "    reward(white, black, xed(s))\n                  ^^^^^",
    ),
    (
        "beacon(flag_3)",
        "line 1, column 8: beacon expects a flag (flag_1 or flag_2), found unknown name 'flag_3' "
        "(did you mean 'flag_2'?)\n    beacon(flag_3)\n           ^^^^^^",
    ),
    (
        "assign(s=blak)",
        "line 1, column 10: unknown name 'blak' (registers are a b c s t x y p l, each also with "
        "suffix 1, 2 or 3) (did you mean 'black'?)\n    assign(s=blak)\n             ^^^^",
    ),
    (
        "reward(xed(black))",
        "line 1, column 12: player 'black' can only be the first argument of elicit, reveal or "
        "reward\n    reward(xed(black))\n               ^^^^^",
    ),
    (
        "xed(s)",
        "line 1, column 1: 'xed' is a function, not an instruction; a line must be one of assign, "
        "elicit, ensure, reveal, reward, beacon, replay\n    xed(s)\n    ^^^^^^",
    ),
    (
        "assign(s=elicit(x, 3))",
        "line 1, column 10: 'elicit' is an instruction; it cannot be used inside an expression\n"
        "    assign(s=elicit(x, 3))\n             ^^^^^^",
    ),
    (
        "elicit(x, budget=3)",
        "line 1, column 11: 'elicit' takes no keyword arguments, found 'budget=' (only assign(...) "
        "takes name=value)\n    elicit(x, budget=3)\n              ^^^^^^",
    ),
    (
        'assign("s")',
        "line 1, column 8: assign takes keyword arguments only, found a positional argument (write "
        'assign(s=...))\n    assign("s")\n           ^^^',
    ),
    (
        "assign(s=t, s=x)",
        "line 1, column 13: register 's' is assigned twice on one line\n"
        "    assign(s=t, s=x)\n                ^",
    ),
    (
        "assign(l=[xed(s)])",
        "line 1, column 11: list items must be strings, found a score\n"
        "    assign(l=[xed(s)])\n              ^^^^^^",
    ),
    (
        "assign(s=generate_list(s, 3))",
        "line 1, column 24: the arguments of 'generate_list' must be literals: map texts are made "
        "before the game starts\n    assign(s=generate_list(s, 3))\n                           ^",
    ),
]


@pytest.mark.parametrize(("source", "text"), COMMON_MISTAKES)
def test_common_mistake_messages(source: str, text: str) -> None:
    with pytest.raises(XentCheckError) as info:
        load(source)
    assert str(info.value) == text


def test_check_errors_are_syntax_errors_with_positions() -> None:
    with pytest.raises(XentSyntaxError) as info:
        load("\n\nelicit(x, 10)\nreward(xde(s | x))")
    assert isinstance(info.value, XentError)
    assert (info.value.line, info.value.column) == (4, 8)


def test_too_many_lines() -> None:
    ok = "\n".join(["elicit(x, 3)"] * 64) + "\n\n\n"
    load(ok)
    with pytest.raises(XentCheckError, match="the program has 67 lines; at most 64 are allowed"):
        load(ok + "reward(xed(s | x))")


def test_valid_program_passes_every_instruction() -> None:
    source = """
assign(s=story(), l=generate_list("animals", 3), l1=["a", "b"], t="x" + "y")
beacon(flag_1)
elicit(black, x, y, 10)
ensure(xed(x | s) >= 0, x != y, is_true(x), only_uses_words(l1, y))
reveal(white, x, l)
reward(white, punish_negative(xed(s | x) - 2 * nex(s), 4))
reward(-xent(s | x))
replay(flag_1, 2)
"""
    program = load(source)
    assert check(program) is program


def test_params_bind_to_literals() -> None:
    program = load(
        "elicit(x, $n)\nreward($k * xed(s | $intro + x))", {"n": 7, "k": 0.5, "intro": "Hi: "}
    )
    assert program.to_source() == 'elicit(x, 7)\nreward(0.5 * xed(s | "Hi: " + x))\n'


@pytest.mark.parametrize(
    ("params", "text"),
    [
        (
            {},
            "line 1, column 11: parameter $n is not bound (bound: none)\n"
            "    elicit(x, $n)\n              ^^",
        ),
        (
            {"m": 3},
            "line 1, column 11: parameter $n is not bound (bound: m)\n"
            "    elicit(x, $n)\n              ^^",
        ),
        (
            {"n": "ten"},
            "line 1, column 11: elicit expects a token budget (a positive integer) as "
            "its last argument, found a string\n    elicit(x, $n)\n              ^^",
        ),
        (
            {"n": True},
            "line 1, column 11: parameter $n must be an int, float or string, found "
            "bool\n    elicit(x, $n)\n              ^^",
        ),
    ],
)
def test_param_errors(params: dict, text: str) -> None:
    with pytest.raises(XentCheckError) as info:
        load("elicit(x, $n)", params)
    assert str(info.value) == text


def test_check_refuses_unbound_params() -> None:
    with pytest.raises(XentCheckError, match=r"parameter \$n is not bound"):
        check(parse("elicit(x, $n)"))
    assert bind(parse("elicit(x, $n)"), {"n": 2}).instructions[0].args[1].value == 2
