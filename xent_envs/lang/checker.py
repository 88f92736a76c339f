"""The static checker: every rule of the language that can be decided before a game runs.

It infers the type of every expression (string, list, score, boolean, number), checks each
instruction's arguments and the literals that size a game's work (``xent_envs.lang.limits``),
so a program that passes ``check`` can only fail at run time through the player's moves
(which are game events, not errors) or by exceeding a running limit.

A program is checked once: ``check`` marks the object it passed, and checking it again (each
``Machine`` built on it does) costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from xent_envs.errors import XentCheckError
from xent_envs.lang.builtins import BUILTINS
from xent_envs.lang.limits import MAX_BUDGET, MAX_LINES, MAX_MAP_TEXT_COUNT, MAX_REPLAY
from xent_envs.lang.names import (
    FLAGS,
    INSTRUCTIONS,
    LIST_REGISTERS,
    PLAYERS,
    REGISTERS,
    STATIC_REGISTERS,
)
from xent_envs.lang.nodes import (
    BinOp,
    Call,
    Compare,
    Expr,
    Instruction,
    ListLit,
    Name,
    Neg,
    Num,
    Param,
    Program,
    Str,
    check_depth,
    first_span,
)
from xent_envs.lang.spans import Span, did_you_mean, syntax_error
from xent_envs.lang.values import BOOL, LIST, NUMBER, SCORE, STRING

__all__ = ["check", "mark_checked"]

_ARITHMETIC: dict[str, dict[tuple[str, str], str]] = {
    "|": {(STRING, STRING): STRING},
    "+": {(STRING, STRING): STRING, (SCORE, SCORE): SCORE, (NUMBER, NUMBER): NUMBER},
    "-": {(SCORE, SCORE): SCORE, (NUMBER, NUMBER): NUMBER},
    "*": {(NUMBER, SCORE): SCORE, (SCORE, NUMBER): SCORE, (NUMBER, NUMBER): NUMBER},
    "//": {(STRING, STRING): STRING},
    "%": {(STRING, STRING): STRING},
}
_ORDERED = frozenset({SCORE, NUMBER})
# Least value of the count argument of each map-text builtin (its most is MAX_MAP_TEXT_COUNT).
_MAP_TEXT_COUNT_MIN = {"generate_list": 0, "generate_masked": 0, "generate_list_next_token": 1}
_REGISTER_HELP = "registers are a b c s t x y p l, each also with suffix 1, 2 or 3"


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def check(program: Program) -> Program:
    """Check ``program`` against the rules of the language and return it unchanged (marked
    ``program.checked``; a checked program is not checked again).

    Raises:
        XentCheckError: at the first broken rule, with line, column, caret and a fix.
    """
    if not program.checked:
        _Checker(program).run()
        mark_checked(program)
    return program


def mark_checked(program: Program) -> Program:
    """Mark ``program`` checked without checking it: only for a stage that rewrote a checked
    program in a way that keeps every rule (``instantiate_map`` puts literals of the same type
    where map-text calls stood)."""
    object.__setattr__(program, "_checked", True)
    return program


class _Checker:
    def __init__(self, program: Program) -> None:
        self.program = program

    def error(self, message: str, span: Span | None, hint: str | None = None) -> XentCheckError:
        err = syntax_error(XentCheckError, message, span, self.program.lines, hint)
        assert isinstance(err, XentCheckError)
        return err

    def run(self) -> None:
        if self.program.line_count > MAX_LINES:
            raise self.error(
                f"the program has {self.program.line_count} lines; at most {MAX_LINES} are allowed",
                Span(MAX_LINES + 1, 1),
            )
        seen_elicit = False
        beacons: set[str] = set()
        for ins in self.program.instructions:
            for expr in (*ins.args, *(kw.value for kw in ins.kwargs)):
                check_depth(expr, self.program.lines)
            self.instruction(ins, seen_elicit, beacons)
            if ins.name == "elicit":
                seen_elicit = True
            elif ins.name == "beacon":
                arg = ins.args[0]
                assert isinstance(arg, Name)
                beacons.add(arg.id)
        if not seen_elicit:
            raise self.error(
                "the game never asks for a move: a program needs at least one elicit",
                None,
                "add a line such as elicit(x, 10)",
            )

    # -- instructions --------------------------------------------------------------------
    def instruction(self, ins: Instruction, seen_elicit: bool, beacons: set[str]) -> None:
        name = ins.name
        if name not in INSTRUCTIONS:
            if name in BUILTINS:
                raise self.error(
                    f"'{name}' is a function, not an instruction; a line must be "
                    f"one of {', '.join(INSTRUCTIONS)}",
                    ins.span,
                )
            raise self.error(
                f"unknown instruction '{name}'; expected one of {', '.join(INSTRUCTIONS)}",
                _head(ins),
                did_you_mean(name, INSTRUCTIONS),
            )
        if name != "assign" and ins.kwargs:
            kw = ins.kwargs[0]
            raise self.error(
                f"'{name}' takes no keyword arguments, found '{kw.name}='",
                kw.span,
                "only assign(...) takes name=value",
            )
        getattr(self, f"check_{name}")(ins, seen_elicit, beacons)

    def check_assign(self, ins: Instruction, seen_elicit: bool, beacons: set[str]) -> None:
        if ins.args:
            raise self.error(
                "assign takes keyword arguments only, found a positional argument",
                first_span(ins.args[0]),
                "write assign(s=...)",
            )
        if not ins.kwargs:
            raise self.error("assign needs at least one register=value", ins.span)
        targets: set[str] = set()
        for kw in ins.kwargs:
            self.register(kw.name, kw.span, writable=True)
            if kw.name in targets:
                raise self.error(f"register '{kw.name}' is assigned twice on one line", kw.span)
            targets.add(kw.name)
            want = LIST if kw.name in LIST_REGISTERS else STRING
            found = self.infer(kw.value)
            if found != want:
                raise self.error(
                    f"register '{kw.name}' holds {_a(want)}, found {_a(found)}",
                    first_span(kw.value),
                )

    def check_elicit(self, ins: Instruction, seen_elicit: bool, beacons: set[str]) -> None:
        args = self.split_player(ins)
        if len(args) < 2:
            raise self.error(
                f"elicit expects one or more registers and a token budget, like "
                f"elicit(x, 10); found {len(args)} argument(s)",
                ins.span,
            )
        self.budget(args[-1], "elicit", minimum=1, maximum=MAX_BUDGET)
        for arg in args[:-1]:
            name = self.register_arg(arg, "elicit", writable=True)
            if name in LIST_REGISTERS:
                raise self.error(
                    f"elicit needs a string register, found list register '{name}'", arg.span
                )

    def check_ensure(self, ins: Instruction, seen_elicit: bool, beacons: set[str]) -> None:
        if not seen_elicit:
            raise self.error(
                "ensure before any elicit: there is no move to check yet",
                _head(ins),
                "put ensure(...) after the elicit it checks",
            )
        if not ins.args:
            raise self.error("ensure expects at least one condition", ins.span)
        for arg in ins.args:
            found = self.infer(arg)
            if found != BOOL:
                raise self.error(
                    f"ensure expects a boolean condition (a comparison such as "
                    f"xed(x | s) > 0), found {_a(found)}",
                    first_span(arg),
                )

    def check_reveal(self, ins: Instruction, seen_elicit: bool, beacons: set[str]) -> None:
        args = self.split_player(ins)
        if not args:
            raise self.error("reveal expects one or more registers", ins.span)
        for arg in args:
            self.register_arg(arg, "reveal", writable=False)

    def check_reward(self, ins: Instruction, seen_elicit: bool, beacons: set[str]) -> None:
        args = self.split_player(ins)
        if len(args) != 1:
            raise self.error(
                f"reward expects [player,] score, found {len(ins.args)} argument(s)", ins.span
            )
        found = self.infer(args[0])
        if found != SCORE:
            raise self.error(
                f"reward expects a score (from xent, xed, nex or dex), found {_a(found)}",
                first_span(args[0]),
            )

    def check_beacon(self, ins: Instruction, seen_elicit: bool, beacons: set[str]) -> None:
        if len(ins.args) != 1:
            raise self.error(
                f"beacon expects one flag ({' or '.join(FLAGS)}), found {len(ins.args)} arguments",
                ins.span,
            )
        self.flag(ins.args[0], "beacon")

    def check_replay(self, ins: Instruction, seen_elicit: bool, beacons: set[str]) -> None:
        if len(ins.args) != 2:
            raise self.error(
                f"replay expects a flag and a count, like replay(flag_1, 3); found "
                f"{len(ins.args)} argument(s)",
                ins.span,
            )
        flag = self.flag(ins.args[0], "replay")
        if flag not in beacons:
            raise self.error(
                f"replay of '{flag}', but no earlier line has beacon({flag})",
                first_span(ins.args[0]),
                f"add beacon({flag}) on a line before this one",
            )
        self.budget(ins.args[1], "replay", minimum=0, maximum=MAX_REPLAY)

    # -- argument kinds --------------------------------------------------------------------
    def split_player(self, ins: Instruction) -> tuple[Expr, ...]:
        """The arguments after an optional leading player name."""
        args = ins.args
        if args and isinstance(args[0], Name) and args[0].id in PLAYERS:
            args = args[1:]
        for arg in args:
            if isinstance(arg, Name) and arg.id in PLAYERS:
                raise self.error(f"the player must be the first argument of {ins.name}", arg.span)
        return args

    def register(self, name: str, span: Span, writable: bool) -> None:
        if name not in REGISTERS:
            raise self.error(
                f"unknown register '{name}' ({_REGISTER_HELP})", span, did_you_mean(name, REGISTERS)
            )
        if writable and name in STATIC_REGISTERS:
            raise self.error(
                f"register '{name}' is static: it is set by the map, never by assign or elicit",
                span,
                "use a register such as s, t, x or y",
            )

    def register_arg(self, arg: Expr, instruction: str, writable: bool) -> str:
        if not isinstance(arg, Name):
            raise self.error(
                f"{instruction} expects register names, found {self.describe(arg)}", first_span(arg)
            )
        self.register(arg.id, arg.span, writable)
        return arg.id

    def budget(self, arg: Expr, instruction: str, minimum: int, maximum: int) -> int:
        what = "a positive integer" if minimum > 0 else "a non-negative integer"
        if isinstance(arg, Param):
            raise self.unbound(arg)
        role = "token budget" if instruction == "elicit" else "count"
        if not isinstance(arg, Num) or not isinstance(arg.value, int) or arg.value < minimum:
            raise self.error(
                f"{instruction} expects a {role} ({what}) as its last argument, "
                f"found {self.describe(arg)}",
                first_span(arg),
            )
        if arg.value > maximum:
            raise self.error(
                f"{instruction}'s {role} is {arg.value}; at most {maximum} is allowed",
                first_span(arg),
            )
        return arg.value

    def flag(self, arg: Expr, instruction: str) -> str:
        if not isinstance(arg, Name) or arg.id not in FLAGS:
            hint = did_you_mean(arg.id, FLAGS) if isinstance(arg, Name) else None
            raise self.error(
                f"{instruction} expects a flag ({' or '.join(FLAGS)}), found {self.describe(arg)}",
                first_span(arg),
                hint,
            )
        return arg.id

    def unbound(self, param: Param) -> XentCheckError:
        return self.error(
            f"parameter ${param.name} is not bound",
            param.span,
            "pass it to load(source, params={...})",
        )

    def describe(self, expr: Expr) -> str:
        if isinstance(expr, Name):
            if expr.id in REGISTERS:
                return f"register '{expr.id}'"
            if expr.id in PLAYERS:
                return f"player '{expr.id}'"
            if expr.id in FLAGS:
                return f"flag '{expr.id}'"
            return f"unknown name '{expr.id}'"
        if isinstance(expr, Num):
            return f"the number {expr.value!r}"
        if isinstance(expr, Str):
            return "a string"
        if isinstance(expr, Param):
            return f"parameter ${expr.name}"
        return _a(self.infer(expr))

    # -- expressions -----------------------------------------------------------------------
    def infer(self, expr: Expr) -> str:
        if isinstance(expr, Str):
            return STRING
        if isinstance(expr, Num):
            if isinstance(expr.value, float) and not math.isfinite(expr.value):
                raise self.error(f"the number {expr.value!r} is not finite", expr.span)
            return NUMBER
        if isinstance(expr, Param):
            raise self.unbound(expr)
        if isinstance(expr, Name):
            return self.name_type(expr)
        if isinstance(expr, ListLit):
            for item in expr.items:
                found = self.infer(item)
                if found != STRING:
                    raise self.error(
                        f"list items must be strings, found {_a(found)}", first_span(item)
                    )
            return LIST
        if isinstance(expr, Call):
            return self.call_type(expr)
        if isinstance(expr, Neg):
            found = self.infer(expr.operand)
            if found not in _ORDERED:
                raise self.error(
                    f"unary '-' needs a score or a number, found {_a(found)}", expr.span
                )
            return found
        if isinstance(expr, BinOp):
            left, right = self.infer(expr.left), self.infer(expr.right)
            result = _ARITHMETIC[expr.op].get((left, right))
            if result is None:
                raise self.error(
                    f"operator '{expr.op}' cannot combine {_a(left)} and {_a(right)}",
                    expr.span,
                    _operator_hint(expr.op),
                )
            return result
        assert isinstance(expr, Compare)
        left, right = self.infer(expr.left), self.infer(expr.right)
        if left in _ORDERED and right in _ORDERED:
            return BOOL
        if expr.op in ("==", "!=") and left == right and left in (STRING, BOOL):
            return BOOL
        raise self.error(
            f"cannot compare {_a(left)} with {_a(right)}: comparisons need "
            f"scores or numbers (or two strings with == and !=)",
            expr.span,
        )

    def name_type(self, expr: Name) -> str:
        name = expr.id
        if name in REGISTERS:
            return LIST if name in LIST_REGISTERS else STRING
        if name in PLAYERS:
            raise self.error(
                f"player '{name}' can only be the first argument of elicit, reveal or reward",
                expr.span,
            )
        if name in FLAGS:
            raise self.error(
                f"flag '{name}' can only be used in beacon(...) or replay(...)", expr.span
            )
        raise self.error(
            f"unknown name '{name}' ({_REGISTER_HELP})", expr.span, did_you_mean(name, _all_names())
        )

    def call_type(self, call: Call) -> str:
        builtin = BUILTINS.get(call.func)
        if builtin is None:
            if call.func in INSTRUCTIONS:
                raise self.error(
                    f"'{call.func}' is an instruction; it cannot be used inside an expression",
                    call.func_span,
                )
            raise self.error(
                f"unknown function '{call.func}'", call.func_span, did_you_mean(call.func, BUILTINS)
            )
        count = len(call.args)
        if not builtin.min_args <= count <= len(builtin.params):
            expected = (
                str(len(builtin.params))
                if builtin.min_args == len(builtin.params)
                else f"{builtin.min_args} to {len(builtin.params)}"
            )
            plural = "" if expected == "1" else "s"
            raise self.error(
                f"'{call.func}' takes {expected} argument{plural}, found {count}", call.span
            )
        for index, (arg, accepted) in enumerate(zip(call.args, builtin.params), 1):
            found = self.infer(arg)
            if found not in accepted:
                wanted = " or ".join(_a(t) for t in sorted(accepted))
                raise self.error(
                    f"argument {index} of '{call.func}' must be {wanted}, found {_a(found)}",
                    first_span(arg),
                )
            if builtin.map_text and not isinstance(arg, (Str, Num)):
                raise self.error(
                    f"the arguments of '{call.func}' must be literals: map texts "
                    f"are made before the game starts",
                    first_span(arg),
                )
            if builtin.map_text and isinstance(arg, Num):
                self.map_text_count(call.func, arg)
        return builtin.returns

    def map_text_count(self, func: str, arg: Num) -> None:
        """The count of a map-text call: an integer literal within its bounds."""
        least = _MAP_TEXT_COUNT_MIN[func]
        if not isinstance(arg.value, int) or not least <= arg.value <= MAX_MAP_TEXT_COUNT:
            raise self.error(
                f"the count of '{func}' must be an integer from {least} to "
                f"{MAX_MAP_TEXT_COUNT}, found {arg.value!r}",
                arg.span,
            )


def _all_names() -> Iterable[str]:
    return (*REGISTERS, *PLAYERS, *FLAGS, *BUILTINS)


def _head(ins: Instruction) -> Span:
    return Span(ins.span.line, ins.span.column, len(ins.name))


def _operator_hint(op: str) -> str | None:
    if op == "+":
        return "'+' joins two strings or adds two scores or two numbers"
    if op == "|":
        return "'s | x' gives string s the prefix x"
    return None
