"""Map texts: ``story()`` and friends, made once per map from a seeded text source.

A game map is the program with each map-text call replaced by the literal it produced, so a
map is plain text that replays exactly (``program.to_source()``), and the interpreter never
generates anything. Each call site gets its own seed, derived from the map seed and the call's
position with a stable hash, so two ``story()`` calls on one line differ and a map made twice
from one seed is the same.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from xent_envs.errors import XentRuntimeError
from xent_envs.lang.builtins import BUILTINS
from xent_envs.lang.checker import check, mark_checked
from xent_envs.lang.limits import MAX_LIST_ITEMS, MAX_TEXT_CHARS
from xent_envs.lang.nodes import Call, Expr, ListLit, Num, Program, Str
from xent_envs.seeding import derive_seed

__all__ = ["TextSource", "call_site_seed", "has_map_texts", "instantiate_map"]


@runtime_checkable
class TextSource(Protocol):
    """Where map texts come from (the judge's generator, a corpus, a test stub)."""

    def story(self, seed: int) -> str:
        """A short text."""
        ...

    def generate_list(self, prompt: str, n: int, seed: int) -> list[str]:
        """``n`` items answering ``prompt``."""
        ...

    def generate_masked(self, n: int, seed: int) -> list[str]:
        """``[text, text with n passages masked]``."""
        ...

    def generate_list_next_token(self, n: int, seed: int) -> list[str]:
        """``[prefix, the n tokens that follow it]``."""
        ...


def call_site_seed(seed: int, line: int, column: int) -> int:
    """A 63-bit seed for the map-text call at (``line``, ``column``) of a map seeded ``seed``."""
    return derive_seed("xent-map", seed, line, column)


def has_map_texts(program: Program) -> bool:
    """Whether ``program`` still calls a map-text builtin."""
    return any(
        isinstance(e, Call) and e.func in BUILTINS and BUILTINS[e.func].map_text
        for e in program.expressions()
    )


def instantiate_map(program: Program, source: TextSource, seed: int) -> Program:
    """``program`` with every map-text call replaced by the literal ``source`` makes for it.

    Example:
        >>> class Fixed:
        ...     def story(self, seed): return "Once upon a time."
        >>> from xent_envs.lang import load
        >>> instantiate_map(load("assign(s=story())\\nelicit(x, 3)"), Fixed(), 1).to_source()
        'assign(s="Once upon a time.")\\nelicit(x, 3)\\n'

    Raises:
        XentCheckError: ``program`` breaks a rule of the language (it is checked first).
        XentRuntimeError: ``source`` gave something other than a string (or a list of at most
            ``MAX_LIST_ITEMS`` strings), or a string longer than ``MAX_TEXT_CHARS``.
    """
    check(program)

    def replace(expr: Expr) -> Expr:
        if not isinstance(expr, Call) or expr.func not in BUILTINS:
            return expr
        if not BUILTINS[expr.func].map_text:
            return expr
        site = call_site_seed(seed, expr.span.line, expr.span.column)
        args = [a.value for a in expr.args if isinstance(a, (Str, Num))]
        if expr.func == "story":
            return Str(_checked_text(source.story(site), "story"), expr.span)
        if expr.func == "generate_list":
            items = source.generate_list(str(args[0]), int(args[1]), site)
        elif expr.func == "generate_masked":
            items = source.generate_masked(int(args[0]), site)
        else:
            items = source.generate_list_next_token(int(args[0]) if args else 1, site)
        if not isinstance(items, (list, tuple)) or len(items) > MAX_LIST_ITEMS:
            what = type(items).__name__
            if isinstance(items, (list, tuple)):
                what = f"{len(items)} items"
            raise XentRuntimeError(
                f"TextSource.{expr.func} returned {what}; expected a list of at most "
                f"{MAX_LIST_ITEMS} strings"
            )
        return ListLit(tuple(Str(_checked_text(i, expr.func), expr.span) for i in items), expr.span)

    # Each call became a literal of the call's type: the rules the program passed still hold.
    return mark_checked(program.map_exprs(replace))


def _checked_text(value: object, func: str) -> str:
    if not isinstance(value, str):
        raise XentRuntimeError(f"TextSource.{func} gave {type(value).__name__}; expected str")
    if len(value) > MAX_TEXT_CHARS:
        raise XentRuntimeError(
            f"TextSource.{func} gave {len(value)} characters; at most {MAX_TEXT_CHARS} are allowed"
        )
    return value
