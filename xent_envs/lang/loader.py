"""Loading a game: parse, bind its ``$name`` parameters, check.

Parameters let one program text describe a family of games (a token budget, a prompt, a
scale). Binding replaces each ``$name`` by a literal, so a loaded program is plain text again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from xent_envs.errors import XentCheckError
from xent_envs.lang.checker import check
from xent_envs.lang.nodes import Expr, Num, Param, Program, Str
from xent_envs.lang.parser import parse
from xent_envs.lang.spans import did_you_mean, syntax_error

__all__ = ["ParamValue", "bind", "load"]

ParamValue = int | float | str


def bind(program: Program, params: Mapping[str, ParamValue]) -> Program:
    """Replace every ``$name`` in ``program`` by the literal ``params[name]``.

    Raises:
        XentCheckError: at a parameter that ``params`` does not bind or binds to something
            other than an int, a finite float or a string.
    """

    def replace(expr: Expr) -> Expr:
        if not isinstance(expr, Param):
            return expr
        if expr.name not in params:
            raise syntax_error(
                XentCheckError,
                f"parameter ${expr.name} is not bound (bound: "
                f"{', '.join(sorted(params)) or 'none'})",
                expr.span,
                program.lines,
                did_you_mean(expr.name, params),
            )
        value = params[expr.name]
        if isinstance(value, str):
            return Str(value, expr.span)
        if isinstance(value, float) and not math.isfinite(value):
            raise syntax_error(
                XentCheckError,
                f"parameter ${expr.name} is {value!r}; a number must be finite",
                expr.span,
                program.lines,
            )
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return Num(value, expr.span)
        raise syntax_error(
            XentCheckError,
            f"parameter ${expr.name} must be an int, float or string, found {type(value).__name__}",
            expr.span,
            program.lines,
        )

    return program.map_exprs(replace)


def load(source: str, params: Mapping[str, ParamValue] | None = None) -> Program:
    """Parse ``source``, bind its parameters and check it: the way to read a game file.

    Example:
        >>> program = load("elicit(x, $n)", {"n": 10})
        >>> program.to_source()
        'elicit(x, 10)\\n'

    Raises:
        XentSyntaxError: the text does not parse.
        XentCheckError: a parameter is unbound or mistyped, or a rule of the language is broken.
    """
    return check(bind(parse(source), params or {}))
