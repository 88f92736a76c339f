"""The parser: tokens to a ``Program`` (syntax only; names are checked by ``checker``).

A hand-written recursive-descent parser over one line at a time. Binary operators are parsed
by loops, nesting (parentheses, calls, lists, unary minus) is capped at ``MAX_NESTING`` and
the depth of each expression's tree (a chain of 1000 ``+`` is 1000 levels) at ``MAX_DEPTH``,
so no input can drive Python's recursion to a crash, here or in any later stage.

Grammar of a line (Python's precedence; comparisons do not chain)::

    line    := [NAME "(" [arg ("," arg)* [","]] ")"]
    arg     := NAME "=" expr | expr
    expr    := pipe [("<" | "<=" | ">" | ">=" | "==" | "!=") pipe]
    pipe    := sum ("|" sum)*
    sum     := term (("+" | "-") term)*
    term    := unary (("*" | "//" | "%") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | STRING | "$" NAME | NAME ["(" [expr ("," expr)* [","]] ")"]
             | "[" [expr ("," expr)* [","]] "]" | "(" expr ")"
"""

from __future__ import annotations

from collections.abc import Sequence

from xent_envs.errors import XentSyntaxError
from xent_envs.lang.lexer import LexedLine, Token, TokenKind, tokenize
from xent_envs.lang.limits import MAX_DEPTH, MAX_NESTING
from xent_envs.lang.nodes import (
    BinOp,
    Call,
    Compare,
    Expr,
    Instruction,
    Keyword,
    ListLit,
    Name,
    Neg,
    Num,
    Param,
    Program,
    Str,
    check_depth,
)
from xent_envs.lang.spans import syntax_error

__all__ = ["MAX_DEPTH", "MAX_NESTING", "parse"]

_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})


def parse(source: str) -> Program:
    """Parse game source text into a ``Program`` (syntax only).

    Example:
        >>> parse("elicit(x, 10)").instructions[0].name
        'elicit'

    Raises:
        XentSyntaxError: with 1-based ``line`` and ``column`` and the line with a caret.
    """
    lexed = tokenize(source)
    lines = tuple(line.text for line in lexed)
    instructions: list[Instruction] = []
    comments: list[tuple[int, str]] = []
    for line in lexed:
        if line.comment is not None:
            comments.append((line.number, line.comment))
        if line.tokens[0].kind is not TokenKind.END:
            instructions.append(_LineParser(line, lines).instruction())
    last = max(
        (
            ln.number
            for ln in lexed
            if ln.tokens[0].kind is not TokenKind.END or ln.comment is not None
        ),
        default=0,
    )
    return Program(tuple(instructions), tuple(comments), lines, last)


class _LineParser:
    """Parses the tokens of one line."""

    def __init__(self, line: LexedLine, lines: Sequence[str]) -> None:
        self.tokens = line.tokens
        self.lines = lines
        self.pos = 0
        self.depth = 0

    # -- helpers -------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def _error(self, message: str, token: Token, hint: str | None = None) -> XentSyntaxError:
        return syntax_error(XentSyntaxError, message, token.span, self.lines, hint)

    def _expect(self, op: str, context: str) -> Token:
        tok = self.tok
        if tok.kind is not TokenKind.OP or tok.text != op:
            raise self._error(f"expected '{op}' {context}, found {tok.describe()}", tok)
        self.pos += 1
        return tok

    def _at(self, op: str) -> bool:
        return self.tok.kind is TokenKind.OP and self.tok.text == op

    def _nest(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self._error(f"expression nested more than {MAX_NESTING} levels deep", tok)

    # -- instruction -----------------------------------------------------------------------
    def instruction(self) -> Instruction:
        head = self.tok
        if head.kind is not TokenKind.NAME:
            raise self._error(
                f"expected an instruction name at the start of the line, found {head.describe()}",
                head,
                "each line is one call such as elicit(x, 10)",
            )
        self.pos += 1
        self._expect("(", f"after '{head.text}'")
        args: list[Expr] = []
        kwargs: list[Keyword] = []
        while not self._at(")"):
            tok = self.tok
            if tok.kind is TokenKind.END:
                raise self._error(f"expected ')' to close '{head.text}(', found end of line", tok)
            nxt = self.tokens[self.pos + 1]
            if tok.kind is TokenKind.NAME and nxt.kind is TokenKind.OP and nxt.text == "=":
                self.pos += 2
                kwargs.append(Keyword(tok.text, tok.span, self.argument()))
            else:
                if kwargs:
                    raise self._error("a positional argument cannot follow a keyword argument", tok)
                args.append(self.argument())
            if not self._at(")"):
                self._expect(",", f"or ')' in the arguments of '{head.text}'")
        close = self.tok
        self.pos += 1
        end = self.tok
        if end.kind is not TokenKind.END:
            raise self._error(
                f"expected end of line after '{head.text}(...)', found {end.describe()}",
                end,
                "write one instruction per line",
            )
        return Instruction(head.text, head.span.to(close.span), tuple(args), tuple(kwargs))

    # -- expressions -------------------------------------------------------------------------
    def argument(self) -> Expr:
        """One argument of the instruction: an expression no deeper than ``MAX_DEPTH``."""
        expr = self.expr()
        check_depth(expr, self.lines, XentSyntaxError)
        return expr

    def expr(self) -> Expr:
        left = self.pipe()
        tok = self.tok
        if tok.kind is TokenKind.OP and tok.text in _COMPARISONS:
            self.pos += 1
            right = self.pipe()
            after = self.tok
            if after.kind is TokenKind.OP and after.text in _COMPARISONS:
                raise self._error(
                    "comparisons cannot be chained; compare two values at a time", after
                )
            return Compare(tok.text, left, right, tok.span)
        if tok.kind is TokenKind.OP and tok.text == "=":
            raise self._error(
                "unexpected '='", tok, "only assign(...) takes name=value; compare with '=='"
            )
        return left

    def _binary(self, ops: frozenset[str], operand: str) -> Expr:
        parse_operand = getattr(self, operand)
        left: Expr = parse_operand()
        while self.tok.kind is TokenKind.OP and self.tok.text in ops:
            op = self.tok
            self.pos += 1
            left = BinOp(op.text, left, parse_operand(), op.span)
        return left

    def pipe(self) -> Expr:
        return self._binary(frozenset({"|"}), "sum")

    def sum(self) -> Expr:
        return self._binary(frozenset({"+", "-"}), "term")

    def term(self) -> Expr:
        return self._binary(frozenset({"*", "//", "%"}), "unary")

    def unary(self) -> Expr:
        tok = self.tok
        if self._at("-"):
            self.pos += 1
            self._nest(tok)
            operand = self.unary()
            self.depth -= 1
            return Neg(operand, tok.span)
        return self.atom()

    def atom(self) -> Expr:
        tok = self.tok
        kind = tok.kind
        if kind is TokenKind.NUMBER:
            self.pos += 1
            assert isinstance(tok.value, (int, float))
            return Num(tok.value, tok.span)
        if kind is TokenKind.STRING:
            self.pos += 1
            assert isinstance(tok.value, str)
            return Str(tok.value, tok.span)
        if kind is TokenKind.PARAM:
            self.pos += 1
            return Param(tok.text, tok.span)
        if kind is TokenKind.NAME:
            self.pos += 1
            if not self._at("("):
                return Name(tok.text, tok.span)
            self.pos += 1
            self._nest(tok)
            args, close = self._items(")", f"the arguments of '{tok.text}'")
            self.depth -= 1
            return Call(tok.text, tok.span, args, tok.span.to(close.span))
        if self._at("["):
            self.pos += 1
            self._nest(tok)
            items, close = self._items("]", "a list")
            self.depth -= 1
            return ListLit(items, tok.span.to(close.span))
        if self._at("("):
            self.pos += 1
            self._nest(tok)
            inner = self.expr()
            self._expect(")", "to close '('")
            self.depth -= 1
            return inner
        raise self._error(
            f"expected a value (a string, number, name or call), found {tok.describe()}", tok
        )

    def _items(self, close: str, what: str) -> tuple[tuple[Expr, ...], Token]:
        items: list[Expr] = []
        while not self._at(close):
            tok = self.tok
            if tok.kind is TokenKind.END:
                raise self._error(f"expected '{close}' to close {what}, found end of line", tok)
            if (
                tok.kind is TokenKind.NAME
                and self.tokens[self.pos + 1].text == "="
                and self.tokens[self.pos + 1].kind is TokenKind.OP
            ):
                raise self._error(
                    f"keyword arguments are not allowed in {what}",
                    tok,
                    "only assign(...) takes name=value",
                )
            items.append(self.expr())
            if not self._at(close):
                self._expect(",", f"or '{close}' in {what}")
        end = self.tok
        self.pos += 1
        return tuple(items), end
