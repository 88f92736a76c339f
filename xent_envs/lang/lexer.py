"""The lexer: game source text to tokens, line by line.

A program is one instruction per line, so the lexer works per line and hands the parser one
token list per line. It knows only the characters the language uses; anything that could
reach Python (a ``.`` for attribute access, ``:`` of a lambda, a dunder name) stops here with
an error that says why.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

from xent_envs.errors import XentSyntaxError
from xent_envs.lang.limits import MAX_SOURCE_CHARS
from xent_envs.lang.spans import Span, syntax_error

__all__ = ["MAX_SOURCE_CHARS", "LexedLine", "Token", "TokenKind", "source_lines", "tokenize"]

#: Longest accepted integer literal; beyond it a number is a mistake, not a budget.
_MAX_INT_DIGITS = 18


class TokenKind(Enum):
    """What a token is."""

    NAME = "name"
    NUMBER = "number"
    STRING = "string"
    PARAM = "parameter"
    OP = "operator"
    END = "end of line"


@dataclass(frozen=True)
class Token:
    """One token: its kind, its source text, its value (for literals) and where it is."""

    kind: TokenKind
    text: str
    span: Span
    value: str | int | float | None = None

    def describe(self) -> str:
        """How an error message names this token: ``'('``, ``name 'x'``, ``end of line``."""
        if self.kind is TokenKind.END:
            return "end of line"
        if self.kind is TokenKind.OP:
            return f"'{self.text}'"
        if self.kind is TokenKind.STRING:
            return "a string"
        return f"{self.kind.value} '{self.text}'"


@dataclass(frozen=True)
class LexedLine:
    """One source line: its number, its text, its tokens (ending with an END token) and its
    comment, if any."""

    number: int
    tokens: tuple[Token, ...]
    comment: str | None
    text: str = ""


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_OPERATORS = (
    "//",
    "<=",
    ">=",
    "==",
    "!=",
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
    "%",
    "<",
    ">",
)
_SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r", "0": "\0"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
# Characters Python would accept but the language has no use for, with the reason we give.
_WHY_NOT = {
    ".": "attribute access is not part of the Xent language",
    ":": "lambdas, slices and annotations are not part of the Xent language",
    "{": "dicts and sets are not part of the Xent language",
    "}": "dicts and sets are not part of the Xent language",
    ";": "write one instruction per line",
    "@": "decorators are not part of the Xent language",
    "\\": "line continuations are not part of the Xent language",
    "/": "division is not part of the Xent language; use '//' to cut a string",
}


def source_lines(source: str) -> list[str]:
    """The lines of ``source``: a leading byte-order mark dropped, and ``\\r\\n``, ``\\r`` and
    ``\\n`` all end a line (as when a file is read in text mode), so a game means the same
    whether it comes from a file, a string or another platform.

    Example:
        >>> source_lines("\\ufeffelicit(x, 3)\\r\\nreveal(x)\\rreward(xent(x))")
        ['elicit(x, 3)', 'reveal(x)', 'reward(xent(x))']

    Raises:
        XentSyntaxError: the source is longer than ``MAX_SOURCE_CHARS``.
    """
    if len(source) > MAX_SOURCE_CHARS:
        raise XentSyntaxError(
            f"the source has {len(source)} characters; at most {MAX_SOURCE_CHARS} are allowed"
        )
    if source.startswith("\ufeff"):
        source = source[1:]
    return source.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def tokenize(source: str) -> list[LexedLine]:
    """Split ``source`` into lines of tokens (lines as ``source_lines`` cuts them).

    Raises:
        XentSyntaxError: on a character, name, number or string the language does not have.
    """
    lines = source_lines(source)
    return [_lex_line(text, number, lines) for number, text in enumerate(lines, 1)]


def _lex_line(text: str, number: int, lines: list[str]) -> LexedLine:
    tokens: list[Token] = []
    comment: str | None = None
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in " \t":
            i += 1
            continue
        if ch == "#":
            comment = text[i:]
            break
        if ch in "\"'":
            token, i = _lex_string(text, i, number, lines)
            tokens.append(token)
            continue
        if ch == "$":
            match = _NAME.match(text, i + 1)
            if match is None:
                raise syntax_error(
                    XentSyntaxError,
                    "expected a parameter name after '$'",
                    Span(number, i + 1),
                    lines,
                )
            tokens.append(
                Token(
                    TokenKind.PARAM,
                    match.group(),
                    Span(number, i + 1, match.end() - i),
                    match.group(),
                )
            )
            i = match.end()
            continue
        match = _NAME.match(text, i)
        if match is not None:
            name = match.group()
            span = Span(number, i + 1, len(name))
            if name.startswith("_"):
                raise syntax_error(
                    XentSyntaxError,
                    f"names starting with '_' are reserved, found '{name}'",
                    span,
                    lines,
                )
            tokens.append(Token(TokenKind.NAME, name, span))
            i = match.end()
            continue
        match = _NUMBER.match(text, i)
        if match is not None:
            tokens.append(_number_token(match.group(), Span(number, i + 1, match.end() - i), lines))
            i = match.end()
            continue
        op = next((op for op in _OPERATORS if text.startswith(op, i)), None)
        if op is not None:
            tokens.append(Token(TokenKind.OP, op, Span(number, i + 1, len(op))))
            i += len(op)
            continue
        reason = _WHY_NOT.get(ch)
        message = f"unexpected character {ch!r}" + (f": {reason}" if reason else "")
        raise syntax_error(XentSyntaxError, message, Span(number, i + 1), lines)
    tokens.append(Token(TokenKind.END, "", Span(number, n + 1)))
    return LexedLine(number, tuple(tokens), comment, text)


def _number_token(text: str, span: Span, lines: list[str]) -> Token:
    if text.isdigit():
        if len(text) > _MAX_INT_DIGITS:
            raise syntax_error(
                XentSyntaxError, f"integer literal too long ({len(text)} digits)", span, lines
            )
        return Token(TokenKind.NUMBER, text, span, int(text))
    value = float(text)
    if not math.isfinite(value):
        raise syntax_error(XentSyntaxError, f"number {text} is out of range", span, lines)
    return Token(TokenKind.NUMBER, text, span, value)


def _lex_string(text: str, start: int, number: int, lines: list[str]) -> tuple[Token, int]:
    quote = text[start]
    parts: list[str] = []
    i = start + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == quote:
            span = Span(number, start + 1, i + 1 - start)
            return Token(TokenKind.STRING, text[start : i + 1], span, "".join(parts)), i + 1
        if ch != "\\":
            # Copy a run of plain characters at once: stories inline make long literals.
            j = i
            while j < n and text[j] != quote and text[j] != "\\":
                j += 1
            parts.append(text[i:j])
            i = j
            continue
        if i + 1 >= n:
            break
        esc = text[i + 1]
        if esc in _SIMPLE_ESCAPES:
            parts.append(_SIMPLE_ESCAPES[esc])
            i += 2
        elif esc in _HEX_ESCAPES:
            width = _HEX_ESCAPES[esc]
            digits = text[i + 2 : i + 2 + width]
            if len(digits) != width or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise syntax_error(
                    XentSyntaxError,
                    f"expected {width} hex digits after '\\{esc}'",
                    Span(number, i + 1, 2),
                    lines,
                )
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise syntax_error(
                    XentSyntaxError,
                    f"'\\{esc}{digits}' is not a character",
                    Span(number, i + 1, 2 + width),
                    lines,
                )
            parts.append(chr(code))
            i += 2 + width
        else:
            raise syntax_error(
                XentSyntaxError,
                f"unknown escape '\\{esc}' in a string; expected one of "
                "\\\\ \\' \\\" \\n \\t \\r \\0 \\xhh \\uhhhh",
                Span(number, i + 1, 2),
                lines,
            )
    raise syntax_error(
        XentSyntaxError,
        f"unterminated string: expected a closing {quote} before the end of the line",
        Span(number, start + 1),
        lines,
    )
