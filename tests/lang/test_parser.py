"""Lexer and parser: literals, operators, precedence, spans, round trips, syntax errors."""

from __future__ import annotations

import pytest

from xent_envs.errors import XentSyntaxError
from xent_envs.lang import parse
from xent_envs.lang.nodes import BinOp, Call, Compare, ListLit, Name, Neg, Num, Param, Str, depth
from xent_envs.lang.parser import MAX_DEPTH, MAX_NESTING


def expr(text: str):
    return parse(f"ensure({text})").instructions[0].args[0]


def test_instruction_with_args_and_kwargs() -> None:
    program = parse("assign(s=story(), t='x')\nelicit(black, x, 10)")
    assign, elicit = program.instructions
    assert assign.name == "assign" and [k.name for k in assign.kwargs] == ["s", "t"]
    assert isinstance(assign.kwargs[0].value, Call)
    assert elicit.line == 2
    assert [type(a) for a in elicit.args] == [Name, Name, Num]


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ('"double"', "double"),
        ("'single'", "single"),
        (r'"q\"uote"', 'q"uote'),
        (r"'it\'s'", "it's"),
        (r'"a\nb\tc\\d"', "a\nb\tc\\d"),
        (r'"\x41\u00e9"', "Aé"),
        ('"# not a comment"', "# not a comment"),
        ('""', ""),
    ],
)
def test_string_literals(source: str, value: str) -> None:
    node = expr(source)
    assert isinstance(node, Str) and node.value == value


def test_numbers() -> None:
    assert expr("10").value == 10
    assert expr("2.5").value == 2.5
    assert expr("1e3").value == 1000.0
    neg = expr("-3")
    assert isinstance(neg, Neg) and neg.operand.value == 3


def test_precedence_follows_python() -> None:
    node = expr("s | s + s1 + t")
    assert isinstance(node, BinOp) and node.op == "|"
    assert isinstance(node.right, BinOp) and node.right.op == "+"
    cmp = expr("xed(x | s) >= 2 * xed(t2 | t1)")
    assert isinstance(cmp, Compare) and cmp.op == ">="
    assert isinstance(cmp.right, BinOp) and cmp.right.op == "*"
    assert expr("-a * b").left.__class__ is Neg


def test_list_and_param() -> None:
    node = expr('["a", "b",]')
    assert isinstance(node, ListLit) and [i.value for i in node.items] == ["a", "b"]
    assert isinstance(expr("$budget"), Param)


def test_spans_are_one_based() -> None:
    program = parse("\n  reward(xed(s | x))")
    ins = program.instructions[0]
    assert (ins.span.line, ins.span.column) == (2, 3)
    call = ins.args[0]
    assert (call.func_span.line, call.func_span.column, call.func_span.width) == (2, 10, 3)


def test_comments_and_blank_lines_keep_line_numbers() -> None:
    source = "# intro\n\nelicit(x, 5)  # ask\n"
    program = parse(source)
    assert program.instructions[0].line == 3
    assert program.comments == ((1, "# intro"), (3, "# ask"))
    assert program.to_source() == "# intro\n\nelicit(x, 5)  # ask\n"


@pytest.mark.parametrize(
    "source",
    [
        'assign(x1="Lyra \\"" + x + "\\". Lyra")',
        "ensure(-(xed(x | s) - xent(s)) <= -2 * xed(t2 | t1))",
        "assign(s=(s | t) + x, t=s // \"a\" % 'b')",
        "assign(s=first_n_tokens(s | x, 3))",
        'assign(l=["a\\n", "\\x01"])',
        "reward(-(-xed(s)))",
    ],
)
def test_to_source_round_trips(source: str) -> None:
    once = parse(source).to_source()
    assert parse(once).to_source() == once


def test_round_trip_preserves_meaning_of_parentheses() -> None:
    program = parse("assign(s=(s | t) + x)")
    value = parse(program.to_source()).instructions[0].kwargs[0].value
    assert isinstance(value, BinOp) and value.op == "+" and value.left.op == "|"


@pytest.mark.parametrize(
    ("source", "text"),
    [
        (
            "elicit(x, 10",
            "line 1, column 13: expected ',' or ')' in the arguments of 'elicit', "
            "found end of line\n    elicit(x, 10\n                ^",
        ),
        (
            'assign(s="abc)',
            'line 1, column 10: unterminated string: expected a closing " before '
            'the end of the line\n    assign(s="abc)\n             ^',
        ),
        ("x = 3", "line 1, column 3: expected '(' after 'x', found '='\n    x = 3\n      ^"),
        (
            "elicit(x, 10); reward(xed(s))",
            "line 1, column 14: unexpected character ';': write one instruction per line\n"
            "    elicit(x, 10); reward(xed(s))\n                 ^",
        ),
        (
            "ensure(a < b < c)",
            "line 1, column 14: comparisons cannot be chained; compare two "
            "values at a time\n    ensure(a < b < c)\n                 ^",
        ),
        (
            "reward(xed(s),)x",
            "line 1, column 16: expected end of line after 'reward(...)', found "
            "name 'x' (write one instruction per line)\n"
            "    reward(xed(s),)x\n                   ^",
        ),
    ],
)
def test_syntax_error_text(source: str, text: str) -> None:
    with pytest.raises(XentSyntaxError) as info:
        parse(source)
    assert str(info.value) == text


def test_syntax_error_position_attributes() -> None:
    with pytest.raises(XentSyntaxError) as info:
        parse("\n\nassign(s=$)")
    err = info.value
    assert (err.line, err.column, err.lineno, err.offset) == (3, 10, 3, 10)
    assert "expected a parameter name after '$'" in str(err)


def test_unknown_escape_is_an_error() -> None:
    with pytest.raises(XentSyntaxError, match=r"unknown escape '\\q'"):
        parse(r'assign(s="\q")')


def test_deep_nesting_is_refused_cleanly() -> None:
    deep = "assign(s=" + "(" * 5000 + "s" + ")" * 5000 + ")"
    with pytest.raises(XentSyntaxError, match=f"nested more than {MAX_NESTING} levels"):
        parse(deep)
    with pytest.raises(XentSyntaxError, match="nested more than"):
        parse("reward(" + "-" * 5000 + "xed(s))")
    with pytest.raises(XentSyntaxError, match="nested more than"):
        parse("assign(l=" + "[" * 100 + "]" * 100 + ")")


def test_long_binary_chains_are_refused_at_their_start() -> None:
    # A flat chain of n terms is a tree n levels deep; later stages walk trees recursively.
    for op in ("+", "|"):
        source = "assign(s=" + f" {op} ".join(["s"] * 1000) + ")"
        with pytest.raises(XentSyntaxError) as info:
            parse(source)
        assert (info.value.line, info.value.column) == (1, 10)
        assert "this expression is 1000 levels deep; at most 100 are allowed" in str(info.value)
    ok = parse("assign(s=" + " + ".join(["s"] * MAX_DEPTH) + ")")
    assert depth(ok.instructions[0].kwargs[0].value) == MAX_DEPTH
    with pytest.raises(XentSyntaxError, match="101 levels deep"):
        parse("assign(s=" + " + ".join(["s"] * (MAX_DEPTH + 1)) + ")")


def test_huge_source_is_refused() -> None:
    with pytest.raises(XentSyntaxError, match="at most 1000000 are allowed"):
        parse("#" * 1_000_001)


def test_long_integer_refused() -> None:
    with pytest.raises(XentSyntaxError, match="integer literal too long"):
        parse("elicit(x, " + "9" * 5000 + ")")
