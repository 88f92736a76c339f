"""The syntax tree of a game program: frozen nodes, each with its source span.

Nodes are immutable, so a ``Program`` can be shared by many running games, and rewriting one
(binding ``$name`` parameters, putting map texts in place of ``story()``) builds a new tree.
``unparse`` turns any node back into source text; ``Program.to_source`` round-trips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from xent_envs.lang.spans import Span

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


def walk(expr: Expr) -> Iterator[Expr]:
    """``expr`` and all its descendants, parents first."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(_children(node)))


def transform(expr: Expr, fn: Callable[[Expr], Expr]) -> Expr:
    """Rebuild ``expr`` bottom-up, replacing each node by ``fn(node)``."""
    if isinstance(expr, (BinOp, Compare)):
        expr = replace(expr, left=transform(expr.left, fn), right=transform(expr.right, fn))
    elif isinstance(expr, Neg):
        expr = replace(expr, operand=transform(expr.operand, fn))
    elif isinstance(expr, Call):
        expr = replace(expr, args=tuple(transform(a, fn) for a in expr.args))
    elif isinstance(expr, ListLit):
        expr = replace(expr, items=tuple(transform(a, fn) for a in expr.items))
    return fn(expr)


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
    """``text`` as a double-quoted string literal the lexer reads back to ``text``."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def unparse(expr: Expr) -> str:
    """Source text of an expression, with parentheses only where the grammar needs them."""
    if isinstance(expr, Str):
        return quote(expr.value)
    if isinstance(expr, Num):
        return repr(expr.value)
    if isinstance(expr, Name):
        return expr.id
    if isinstance(expr, Param):
        return f"${expr.name}"
    if isinstance(expr, ListLit):
        return "[" + ", ".join(unparse(i) for i in expr.items) + "]"
    if isinstance(expr, Call):
        return f"{expr.func}({', '.join(unparse(a) for a in expr.args)})"
    if isinstance(expr, Neg):
        inner = unparse(expr.operand)
        return f"-({inner})" if _precedence(expr.operand) < _UNARY else f"-{inner}"
    own = _precedence(expr)
    left, right = unparse(expr.left), unparse(expr.right)
    # Left-associative operators; comparisons do not chain at all.
    left_limit = own + 1 if isinstance(expr, Compare) else own
    if _precedence(expr.left) < left_limit:
        left = f"({left})"
    if _precedence(expr.right) <= own:
        right = f"({right})"
    return f"{left} {expr.op} {right}"
