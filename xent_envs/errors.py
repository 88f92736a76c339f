"""One exception hierarchy for the whole suite.

Every error a user can cause (a broken game file, an unknown name, a bad option) is an
``XentError`` subclass. Each also inherits from the matching built-in exception, so code that
already catches ``ValueError`` or ``LookupError`` keeps working. Player mistakes (a bad move)
are never exceptions: they are game events (see ``xent_envs.lang.interpreter``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AgentError",
    "ConfigError",
    "ContextLengthError",
    "JudgeError",
    "ModelNotFoundError",
    "RunConflictError",
    "TurnError",
    "UnknownNameError",
    "WriteError",
    "XentCheckError",
    "XentError",
    "XentRuntimeError",
    "XentSyntaxError",
    "caret_block",
    "did_you_mean",
    "unknown_name",
]


def caret_block(source_line: str | None, column: int | None, width: int = 1) -> str:
    """The offending source line with a caret under the fault (Lark style), or ``""``.

    >>> print(caret_block("elicit(x, 10", 13))
    <BLANKLINE>
        elicit(x, 10
                    ^
    """
    if source_line is None or column is None:
        return ""
    pad = " " * max(0, column - 1)
    return f"\n    {source_line}\n    {pad}{'^' * max(1, width)}"


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """``"did you mean 'xed'?"`` for the closest candidate, or None when nothing is close.

    >>> did_you_mean("Condens", ["Condense", "Taboo"])
    "did you mean 'Condense'?"
    """
    close = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def unknown_name(kind: str, name: str, valid: Iterable[str], where: str = "") -> str:
    """The message for an unknown name: what was asked, the closest match, every valid name.

    >>> unknown_name("game", "Condens", ["Condense", "Taboo"])
    "unknown game 'Condens'. Did you mean 'Condense'? Valid: Condense, Taboo."
    """
    valid = sorted(str(v) for v in valid)
    hint = did_you_mean(name, valid)
    hint_text = f" {hint[0].upper()}{hint[1:]}" if hint else ""
    return f"unknown {kind} {name!r}{where}.{hint_text} Valid: {', '.join(valid) or '(none)'}."


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
        text += caret_block(source_line, column, width)
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


class RunConflictError(ConfigError):
    """Raised when a results folder already holds a run with another configuration."""


class WriteError(XentError, OSError):
    """Raised when a file cannot be saved (disk full, no permission); what was saved before
    is kept."""


class AgentError(XentError, RuntimeError):
    """Raised when an agent cannot produce a move (a model server down or answering garbage,
    an agent used before ``reset(env)``). The evaluation runner records it for that map and
    goes on."""


class TurnError(XentError, RuntimeError):
    """Raised when a move is played out of turn: by a seat the match is not waiting for,
    before the match has advanced to a move, or after it has ended."""
