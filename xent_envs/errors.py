"""One exception hierarchy for the whole suite.

Every error a user can cause (a broken game file, an unknown name, a bad option) is an
``XentError`` subclass. Each also inherits from the matching built-in exception, so code that
already catches ``ValueError`` or ``LookupError`` keeps working. Player mistakes (a bad move)
are never exceptions: they are game events (see ``xent_envs.lang.interpreter``).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

__all__ = [
    "AgentError",
    "BadResponseError",
    "ConfigError",
    "ContextLengthError",
    "GamePackWarning",
    "JudgeError",
    "ModelNotFoundError",
    "PoolError",
    "RecordError",
    "RunConflictError",
    "RunLockedError",
    "ServerUnavailableError",
    "TextSourceError",
    "TurnError",
    "UnknownNameError",
    "WriteError",
    "XentCheckError",
    "XentError",
    "XentRuntimeError",
    "XentSyntaxError",
    "caret_block",
    "did_you_mean",
    "escape_char",
    "is_unprintable",
    "unknown_name",
]

# Control characters (ANSI escapes start with one), format characters (bidirectional
# overrides can make a line read differently from what it holds), lone surrogates (a terminal
# cannot encode them) and line or paragraph separators.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def is_unprintable(ch: str) -> bool:
    """Whether printing ``ch`` raw could change a terminal or hide what a line says."""
    return unicodedata.category(ch) in _UNPRINTABLE


def escape_char(ch: str) -> str:
    """``ch`` as the escape the game language reads back: ``\\xhh``, ``\\uhhhh`` or
    ``\\Uhhhhhhhh``.

    >>> escape_char("\\x1b"), escape_char("\\u202e")
    ('\\\\x1b', '\\\\u202e')
    """
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def caret_block(source_line: str | None, column: int | None, width: int = 1) -> str:
    """The offending source line with a caret under the fault (Lark style), or ``""``.

    Unprintable characters of the line are shown escaped (a file's ANSI escapes never reach
    the terminal) and tabs as spaces, with the caret moved to stay under the same characters.

    >>> print(caret_block("elicit(x, 10", 13))
    <BLANKLINE>
        elicit(x, 10
                    ^
    >>> print(caret_block('assign(s="\\x1b[31m") ?', 19))
    <BLANKLINE>
        assign(s="\\x1b[31m") ?
                             ^
    """
    if source_line is None or column is None:
        return ""
    shown: list[str] = []
    start = end = None
    last = column - 1 + max(1, width)
    for index, ch in enumerate(source_line):
        if index == column - 1:
            start = sum(map(len, shown))
        if index == last:
            end = sum(map(len, shown))
        shown.append(" " if ch == "\t" else escape_char(ch) if is_unprintable(ch) else ch)
    length = sum(map(len, shown))
    start = length + (column - 1 - len(source_line)) if start is None else start
    end = max(start + 1, length if end is None else end)
    return f"\n    {''.join(shown)}\n    {' ' * max(0, start)}{'^' * (end - start)}"


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

    Carries 1-based ``line`` and ``column``, the whole ``source_line``, and ``excerpt``: the
    line (around the fault when it is long) with a caret under the fault, as ``str()`` shows it.
    """

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        source_line: str | None = None,
        width: int = 1,
        hint: str | None = None,
        excerpt: str | None = None,
    ) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.source_line = source_line
        self.hint = hint
        self.excerpt = caret_block(source_line, column, width) if excerpt is None else excerpt
        where = f"line {line}, column {column}: " if line is not None else ""
        text = where + message
        if hint:
            text += f" ({hint})"
        text += self.excerpt
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


class RunLockedError(RunConflictError):
    """Raised when another process is writing to the same results folder."""


class RecordError(XentError, ValueError):
    """Raised when a saved record (a map of an evaluation run) is not valid JSON of its
    schema; the message names the field."""


class WriteError(XentError, OSError):
    """Raised when a file cannot be saved (disk full, no permission); what was saved before
    is kept."""


class AgentError(XentError, RuntimeError):
    """Raised when an agent cannot produce a move (a model server down or answering garbage,
    an agent used before ``reset(env)``). The evaluation runner records it for that map and
    goes on."""


class GamePackWarning(UserWarning):
    """Warned when an installed game pack (entry-point group ``xent_envs.games``) cannot be
    registered; the message names its distribution and entry point, and the other packs and
    the built-in games are registered all the same."""


class ServerUnavailableError(AgentError):
    """Raised when an agent's model server cannot be reached or keeps failing (connection
    refused, timeouts, 429/5xx) until its retries or its time for the move run out."""


class BadResponseError(AgentError):
    """Raised when an agent's model server answers something that is not what its API
    promises (not JSON, a wrong type, too large), or refuses the request (4xx other than 429)."""


class TurnError(XentError, RuntimeError):
    """Raised when a move is played out of turn: by a seat the match is not waiting for,
    before the match has advanced to a move, or after it has ended."""


class TextSourceError(ConfigError):
    """Raised when a text source cannot give a map's texts: a user text folder that is empty
    or holds a binary file, a bad JSONL line, no content on the side of the split asked for;
    the message names the file (and line) and what to do."""


class PoolError(TextSourceError):
    """Raised when a map pool cannot be used: not a pool, a corrupt or foreign file, another
    format, or maps built with another judge, game or split than the env's; the message
    names the file and what differs."""
