"""The syntax tree of a game program: frozen nodes, each with its source span.

Nodes are immutable, so a ``Program`` can be shared by many running games, and rewriting one
(binding ``$name`` parameters, putting map texts in place of ``story()``) builds a new tree.
``unparse`` turns any node back into source text; ``Program.to_source`` round-trips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from xent_envs.errors import XentCheckError, XentSyntaxError, escape_char, is_unprintable
from xent_envs.lang.limits import MAX_DEPTH
from xent_envs.lang.spans import Span, syntax_error

__all__ = [
    "BinOp",
    "Call",
    "Compare",
    "Expr",
    "Instruction",
    "Keyword",
    "ListLit",
    "Name",
    "Neg",
    "Num",
    "Param",
    "Program",
    "Str",
    "check_depth",
    "depth",
    "first_span",
    "quote",
    "transform",
    "unparse",
    "walk",
]


@dataclass(frozen=True)
class Str:
    """A string literal."""

    value: str
    span: Span


@dataclass(frozen=True)
class Num:
    """A number literal (an int or a float)."""

    value: int | float
    span: Span


@dataclass(frozen=True)
class Name:
    """A bare name: a register (``x1``), a player (``black``) or a flag (``flag_1``)."""

    id: str
    span: Span


@dataclass(frozen=True)
class Param:
    """A game parameter ``$name``, replaced by a literal when the program is loaded."""

    name: str
    span: Span


@dataclass(frozen=True)
class ListLit:
    """A list literal ``["a", "b"]``."""

    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True)
class Call:
    """A builtin call ``name(args)`` inside an expression (positional arguments only)."""

    func: str
    func_span: Span
    args: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True)
class BinOp:
    """``left op right`` for ``| + - * // %``; ``span`` is the operator's."""

    op: str
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Expr
    span: Span


@dataclass(frozen=True)
class Compare:
    """``left op right`` for ``< <= > >= == !=`` (never chained); ``span`` is the operator's."""

    op: str
    left: Expr
    right: Expr
    span: Span


Expr = Str | Num | Name | Param | ListLit | Call | BinOp | Neg | Compare


@dataclass(frozen=True)
class Keyword:
    """``name=value`` in an ``assign``."""

    name: str
    span: Span
    value: Expr


@dataclass(frozen=True)
class Instruction:
    """One line of a program: ``name(args, kw=value, ...)``."""

    name: str
    span: Span
    args: tuple[Expr, ...]
    kwargs: tuple[Keyword, ...]

    @property
    def line(self) -> int:
        """The 1-based source line of this instruction."""
        return self.span.line

    def to_source(self) -> str:
        """This instruction as one line of source text."""
        parts = [unparse(a) for a in self.args]
        parts += [f"{k.name}={unparse(k.value)}" for k in self.kwargs]
        return f"{self.name}({', '.join(parts)})"


@dataclass(frozen=True)
class Program:
    """A parsed game: its instructions in source order, its comments, its source lines.

    ``lines`` keeps the source text for error messages; ``line_count`` is the number of lines
    up to the last non-blank one (what the 64-line rule counts).
    """

    instructions: tuple[Instruction, ...]
    comments: tuple[tuple[int, str], ...] = ()
    lines: tuple[str, ...] = field(default=(), repr=False, compare=False)
    line_count: int = 0
    # Set by ``check`` on the object it checked: a program is checked once, however many games
    # play it. A copy (``replace``, ``map_exprs``) starts unchecked.
    _checked: bool = field(default=False, init=False, repr=False, compare=False)

    @property
    def checked(self) -> bool:
        """Whether ``check`` has passed this very object (hand-built programs start unchecked)."""
        return self._checked

    def to_source(self) -> str:
        """Source text of this program; instructions and comments keep their line numbers."""
        by_line: dict[int, str] = {ins.line: ins.to_source() for ins in self.instructions}
        for number, comment in self.comments:
            by_line[number] = f"{by_line[number]}  {comment}" if number in by_line else comment
        last = max(by_line, default=0)
        return "\n".join(by_line.get(n, "") for n in range(1, last + 1)) + "\n"

    def map_exprs(self, fn: Callable[[Expr], Expr]) -> Program:
        """A copy with ``transform(expr, fn)`` applied to every expression."""
        instructions = tuple(
            replace(
                ins,
                args=tuple(transform(a, fn) for a in ins.args),
                kwargs=tuple(replace(k, value=transform(k.value, fn)) for k in ins.kwargs),
            )
            for ins in self.instructions
        )
        return replace(self, instructions=instructions)

    def expressions(self) -> Iterator[Expr]:
        """Every expression node of the program, parents before children."""
        for ins in self.instructions:
            for arg in ins.args:
                yield from walk(arg)
            for kw in ins.kwargs:
                yield from walk(kw.value)


def _children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, (BinOp, Compare)):
        return (expr.left, expr.right)
    if isinstance(expr, Neg):
        return (expr.operand,)
    if isinstance(expr, Call):
        return expr.args
    if isinstance(expr, ListLit):
        return expr.items
    return ()


def depth(expr: Expr) -> int:
    """Levels of the tree under ``expr`` (a literal is 1), counted without recursion.

    >>> from xent_envs.lang import parse
    >>> depth(parse("reward(xent(a + b + c))").instructions[0].args[0])
    4
    """
    deepest = 0
    stack = [(expr, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in _children(node))
    return deepest


def first_span(expr: Expr) -> Span:
    """Where ``expr`` starts: binary nodes carry their operator's span, so this walks down to
    their leftmost operand."""
    while isinstance(expr, (BinOp, Compare)):
        expr = expr.left
    return expr.span


def check_depth(
    expr: Expr, lines: Sequence[str] = (), cls: type[XentSyntaxError] = XentCheckError
) -> None:
    """Raise ``cls`` at the start of ``expr`` when its tree is deeper than ``MAX_DEPTH``.

    Every stage that walks a tree recursively (checker, interpreter, printer, dataclass
    equality) is safe on a tree that passed, whatever built it.
    """
    levels = depth(expr)
    if levels > MAX_DEPTH:
        raise syntax_error(
            cls,
            f"this expression is {levels} levels deep; at most {MAX_DEPTH} are allowed",
            first_span(expr),
            lines,
            "split it over several lines: assign(x=...) a part, then use x",
        )


def walk(expr: Expr) -> Iterator[Expr]:
    """``expr`` and all its descendants, parents first."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(_children(node)))


def transform(expr: Expr, fn: Callable[[Expr], Expr]) -> Expr:
    """Rebuild ``expr`` bottom-up, replacing each node by ``fn(node)`` (children left to right
    before their parent), without recursion."""
    results: list[Expr] = []
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        children = _children(node)
        if children and not expanded:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        if children:
            rebuilt = _with_children(node, tuple(results[-len(children) :]))
            del results[-len(children) :]
        else:
            rebuilt = node
        results.append(fn(rebuilt))
    return results[0]


def _with_children(expr: Expr, children: tuple[Expr, ...]) -> Expr:
    if isinstance(expr, (BinOp, Compare)):
        return replace(expr, left=children[0], right=children[1])
    if isinstance(expr, Neg):
        return replace(expr, operand=children[0])
    if isinstance(expr, Call):
        return replace(expr, args=children)
    assert isinstance(expr, ListLit)
    return replace(expr, items=children)


# Binding strength, loosest first: the levels of the grammar in parser.py.
_PRECEDENCE = {"cmp": 1, "|": 2, "+": 3, "-": 3, "*": 4, "//": 4, "%": 4}
_UNARY = 5
_ATOM = 6


def _precedence(expr: Expr) -> int:
    if isinstance(expr, Compare):
        return _PRECEDENCE["cmp"]
    if isinstance(expr, BinOp):
        return _PRECEDENCE[expr.op]
    if isinstance(expr, Neg) or (isinstance(expr, Num) and expr.value < 0):
        return _UNARY
    return _ATOM


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def quote(text: str) -> str:
    """``text`` as a double-quoted string literal the lexer reads back to ``text``; characters
    that could change a terminal or hide what a line says are written as escapes.

    >>> print(quote('say "hi"\\n\\x1b[0m'))
    "say \\"hi\\"\\n\\x1b[0m"
    """
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif is_unprintable(ch):
            out.append(escape_char(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def unparse(expr: Expr) -> str:
    """Source text of an expression, with parentheses only where the grammar needs them.

    Raises:
        XentCheckError: the tree is deeper than ``MAX_DEPTH`` (a hand-built one).
    """
    check_depth(expr)
    return _unparse(expr)


def _unparse(expr: Expr) -> str:
    if isinstance(expr, Str):
        return quote(expr.value)
    if isinstance(expr, Num):
        return repr(expr.value)
    if isinstance(expr, Name):
        return expr.id
    if isinstance(expr, Param):
        return f"${expr.name}"
    if isinstance(expr, ListLit):
        return "[" + ", ".join(_unparse(i) for i in expr.items) + "]"
    if isinstance(expr, Call):
        return f"{expr.func}({', '.join(_unparse(a) for a in expr.args)})"
    if isinstance(expr, Neg):
        inner = _unparse(expr.operand)
        return f"-({inner})" if _precedence(expr.operand) < _UNARY else f"-{inner}"
    own = _precedence(expr)
    left, right = _unparse(expr.left), _unparse(expr.right)
    # Left-associative operators; comparisons do not chain at all.
    left_limit = own + 1 if isinstance(expr, Compare) else own
    if _precedence(expr.left) < left_limit:
        left = f"({left})"
    if _precedence(expr.right) <= own:
        right = f"({right})"
    return f"{left} {expr.op} {right}"
