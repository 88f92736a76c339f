"""Source positions and the errors that point at them.

Every token and node carries a ``Span`` so that any stage (lexer, parser, checker, interpreter)
can raise an error that shows the line with a caret under the fault, and suggest a fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xent_envs.errors import XentSyntaxError, caret_block, did_you_mean

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
    """Build ``cls`` for ``span``, quoting the source line when it is known.

    A very long line (a map with a whole story inline) is quoted around the fault only; the
    error still carries the true column and the whole line.
    """
    if span is None:
        return cls(message, hint=hint)
    source_line = lines[span.line - 1] if 0 < span.line <= len(lines) else None
    width = min(span.width, 80)
    excerpt = None
    if source_line is not None and len(source_line) > 160:
        start = max(0, span.column - 60)
        shown = ("..." if start else "") + source_line[start : start + 120] + "..."
        excerpt = caret_block(shown, span.column - start + (3 if start else 0), width)
    return cls(message, span.line, span.column, source_line, width, hint, excerpt)
