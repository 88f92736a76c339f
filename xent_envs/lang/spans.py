"""Source positions and the errors that point at them.

Every token and node carries a ``Span`` so that any stage (lexer, parser, checker, interpreter)
can raise an error that shows the line with a caret under the fault, and suggest a fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xent_envs.errors import XentSyntaxError, did_you_mean

__all__ = ["Span", "did_you_mean", "syntax_error"]


@dataclass(frozen=True)
class Span:
    """A stretch of one source line: 1-based ``line`` and ``column``, ``width`` characters."""

    line: int
    column: int
    width: int = 1

    def to(self, other: Span) -> Span:
        """The span from the start of ``self`` to the end of ``other`` (same line)."""
        if other.line != self.line:
            return self
        end = other.column + other.width
        return Span(self.line, self.column, max(1, end - self.column))


def syntax_error(
    cls: type[XentSyntaxError],
    message: str,
    span: Span | None,
    lines: Sequence[str],
    hint: str | None = None,
) -> XentSyntaxError:
    """Build ``cls`` for ``span``, quoting the source line when it is known."""
    if span is None:
        return cls(message, hint=hint)
    source_line = lines[span.line - 1] if 0 < span.line <= len(lines) else None
    # Very long lines (a map with a whole story inline) are quoted around the fault only.
    column = span.column
    if source_line is not None and len(source_line) > 160:
        start = max(0, column - 60)
        source_line = ("..." if start else "") + source_line[start : start + 120] + "..."
        column = column - start + (3 if start else 0)
    error = cls(message, span.line, column, source_line, min(span.width, 80), hint)
    # Keep the true position on the error even when the quoted line was trimmed.
    error.column = span.column
    error.offset = span.column
    return error
