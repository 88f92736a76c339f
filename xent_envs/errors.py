"""One exception hierarchy for the whole suite.

Every error a user can cause (a broken game file, an unknown name, a bad option) is an
``XentError`` subclass. Each also inherits from the matching built-in exception, so code that
already catches ``ValueError`` or ``LookupError`` keeps working. Player mistakes (a bad move)
are never exceptions: they are game events (see ``xent_envs.lang.interpreter``).
"""

from __future__ import annotations

__all__ = [
    "XentError",
    "XentSyntaxError",
    "XentCheckError",
    "XentRuntimeError",
    "JudgeError",
    "ModelNotFoundError",
    "ContextLengthError",
    "UnknownNameError",
    "ConfigError",
]


def _caret_block(source_line: str | None, column: int | None, width: int = 1) -> str:
    """Render the offending source line with a caret under the fault (Lark style)."""
    if source_line is None or column is None:
        return ""
    pad = " " * (column - 1)
    return f"\n    {source_line}\n    {pad}{'^' * max(1, width)}"


class XentError(Exception):
    """Base class of every error raised by xent-envs."""


class XentSyntaxError(XentError, SyntaxError):
    """Raised when game source text cannot be parsed (or fails the static check).

    Carries 1-based ``line`` and ``column``; ``str()`` shows the source line with a caret.
    """

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        source_line: str | None = None,
        width: int = 1,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.source_line = source_line
        self.hint = hint
        where = f"line {line}, column {column}: " if line is not None else ""
        text = where + message
        if hint:
            text += f" ({hint})"
        text += _caret_block(source_line, column, width)
        Exception.__init__(self, text)
        # SyntaxError exposes lineno/offset; keep them coherent for tools that read them.
        self.lineno = line
        self.offset = column
        self.msg = text

    def __str__(self) -> str:
        return self.msg


class XentCheckError(XentSyntaxError):
    """Raised by the static checker: the program parses but breaks a rule of the language."""


class XentRuntimeError(XentError, RuntimeError):
    """Raised when a checked program fails while running (a fault of the game, not the player)."""


class JudgeError(XentError, RuntimeError):
    """Raised when the judge model cannot be loaded or cannot answer a request."""


class ModelNotFoundError(JudgeError, LookupError):
    """Raised when a judge name, model id or model file cannot be resolved."""


class ContextLengthError(JudgeError, ValueError):
    """Raised when a text and its prefix do not fit in the judge's context window."""


class UnknownNameError(XentError, LookupError):
    """Raised for an unknown game, agent, parameter or judge name; lists the valid ones."""


class ConfigError(XentError, ValueError):
    """Raised for an invalid configuration value (a parameter out of range, a bad option)."""
