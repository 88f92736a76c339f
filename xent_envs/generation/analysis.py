"""Static facts about a game program: who moves, what each move feeds, what is scored.

The sampler, the mutation operators, the describer and the filters all need the same facts
about a program, read the same way, so they are computed here once, for *any* checked program
(a sampled one, a mutated one, a built-in one with its parameters bound):

- the registers defined before each instruction, each with its kind (text or list) and the
  moves it depends on (a register assigned from ``remove_common_words(x, s)`` depends on the
  elicit that wrote ``x``);
- every elicit, ensure, reveal and reward, and each reward split into signed, weighted
  cross-entropy terms (``xed(s | x1) - 0.5 * dex(t | x1)`` is two terms);
- the descriptors the evolution's archive is gridded on;
- ``problems``: the static playability rules a generated game must satisfy.

Registers are emptied between rounds and a round runs top to bottom, so the analysis follows
source order (a ``replay`` jumps back over lines already analysed and adds nothing new).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from xent_envs.lang import Program
from xent_envs.lang.names import LIST_REGISTERS, MAIN_PLAYER, PLAYERS, REGISTERS, ZERO_SUM_PAIRS
from xent_envs.lang.nodes import (
    BinOp,
    Call,
    Expr,
    Instruction,
    Name,
    Neg,
    Num,
    Str,
    unparse,
    walk,
)

__all__ = [
    "DESCRIPTOR_BINS",
    "SCORE_FUNCTIONS",
    "TEXT_SOURCES",
    "Analysis",
    "Elicit",
    "Ensure",
    "Register",
    "Reward",
    "Term",
    "analyze",
    "unused_assignments",
]

#: The cross-entropy operators: a score is a signed, weighted sum of calls to these.
SCORE_FUNCTIONS = ("xent", "xed", "nex", "dex")
#: Map-text builtins: each call is one text source of the map.
TEXT_SOURCES = ("story", "generate_list", "generate_masked", "generate_list_next_token")
_SHAPING = ("punish_negative", "reward_positive")

#: Upper edges of the bins of each descriptor (the last bin is open): the archive's grid.
DESCRIPTOR_BINS: dict[str, tuple[int, ...]] = {
    "terms": (1, 2, 3),  # 1, 2, 3, 4+
    "constraints": (0, 1),  # 0, 1, 2+
    "seats": (1, 2),  # 1, 2, 3+
    "sources": (1, 2),  # 0-1, 2, 3+
    "moves": (1,),  # 1, 2+
}


@dataclass(frozen=True)
class Register:
    """A register as defined at some point of the program.

    ``moves`` holds the instruction indices of the elicits whose moves its value depends on
    (empty for map texts and literals); ``line`` is where it was last written and ``value``
    the expression written there (None for a move).
    """

    name: str
    kind: str  # "text" or "list"
    moves: frozenset[int]
    line: int
    origin: str  # "map" (from a map text), "fixed" (literals only), "move"
    value: Expr | None = None


@dataclass(frozen=True)
class Term:
    """One cross-entropy call of a reward, with its signed weight: ``coef * op(target | prefix)``.

    ``op`` is one of ``SCORE_FUNCTIONS``, or a shaping function (``punish_negative``...)
    whose whole call is then kept as ``target``.
    """

    coef: float
    op: str
    target: Expr
    prefix: Expr | None
    moves: frozenset[int]

    def call_text(self) -> str:
        """The call without its weight: ``xed(s | x1)``."""
        if self.op not in SCORE_FUNCTIONS:
            return unparse(self.target)
        inner = unparse(self.target) if self.prefix is None else _pipe(self.target, self.prefix)
        return f"{self.op}({inner})"

    def text(self) -> str:
        """The weighted call as source text: ``0.5 * xed(s | x1)``, ``-dex(t | x)``."""
        return weighted(self.coef, self.call_text())


def weighted(coef: float, call: str) -> str:
    """``coef * call`` written as a person would: ``call``, ``-call``, ``0.5 * call``."""
    magnitude = abs(coef)
    sign = "-" if coef < 0 else ""
    if magnitude == 1:
        return f"{sign}{call}"
    number = int(magnitude) if float(magnitude).is_integer() else magnitude
    return f"{sign}{number} * {call}"


def _pipe(target: Expr, prefix: Expr) -> str:
    return unparse(BinOp("|", target, prefix, target.span))


@dataclass(frozen=True)
class Elicit:
    """``elicit([player,] r..., budget)`` at instruction ``index``."""

    index: int
    line: int
    player: str
    registers: tuple[str, ...]
    budget: int


@dataclass(frozen=True)
class Ensure:
    """``ensure(conditions...)``; ``mover`` is the elicit it sends the player back to."""

    index: int
    line: int
    conditions: tuple[Expr, ...]
    moves: frozenset[int]
    mover: int | None


@dataclass(frozen=True)
class Reward:
    """``reward([player,] score)`` split into terms; ``moves`` are the elicits it reads."""

    index: int
    line: int
    player: str
    expr: Expr
    terms: tuple[Term, ...]
    moves: frozenset[int]


@dataclass(frozen=True)
class Analysis:
    """Everything the generation package reads off a program (see the module docstring)."""

    program: Program
    scopes: tuple[dict[str, Register], ...]  # registers defined before each instruction
    elicits: tuple[Elicit, ...]
    ensures: tuple[Ensure, ...]
    rewards: tuple[Reward, ...]
    reveals: tuple[tuple[int, str, tuple[str, ...]], ...]  # (index, player, registers)
    sources: tuple[str, ...]  # map-text calls and fixed texts, in order
    undefined: tuple[tuple[int, str], ...] = field(default=())  # (line, register) read unset

    # -- derived facts ---------------------------------------------------------------------
    @property
    def seats(self) -> tuple[str, ...]:
        """Players who move, the main player first, then in the language's order."""
        movers = {e.player for e in self.elicits}
        return tuple(p for p in PLAYERS if p in movers)

    @property
    def players(self) -> tuple[str, ...]:
        """Players who move or are paid (a card's ``players``), the main player first."""
        named = {e.player for e in self.elicits} | {r.player for r in self.rewards}
        named |= {ZERO_SUM_PAIRS[p] for p in named if p in ZERO_SUM_PAIRS and p != MAIN_PLAYER}
        return tuple(p for p in PLAYERS if p in named or p == MAIN_PLAYER)

    @property
    def main_elicits(self) -> tuple[Elicit, ...]:
        return tuple(e for e in self.elicits if e.player == MAIN_PLAYER)

    def main_rewards(self) -> Iterator[tuple[float, Reward]]:
        """Rewards that pay the main player, with their sign (a zero-sum partner's reward is
        paid to the main player negated)."""
        for reward in self.rewards:
            if reward.player == MAIN_PLAYER:
                yield 1.0, reward
            elif ZERO_SUM_PAIRS.get(reward.player) == MAIN_PLAYER:
                yield -1.0, reward

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(t for r in self.rewards for t in r.terms)

    @property
    def descriptors(self) -> dict[str, int]:
        """Counts the archive grids on: cross-entropy terms, ensure conditions, seats, text
        sources, main-player moves; plus the main player's total token budget."""
        return {
            "terms": len(self.terms),
            "constraints": sum(len(e.conditions) for e in self.ensures),
            "seats": len(self.seats),
            "sources": len(self.sources),
            "moves": len(self.main_elicits),
            "budget": sum(e.budget * len(e.registers) for e in self.main_elicits),
        }

    @property
    def cell(self) -> tuple[int, ...]:
        """The archive cell of this program: each descriptor's bin index."""
        values = self.descriptors
        return tuple(
            sum(values[name] > edge for edge in edges) for name, edges in DESCRIPTOR_BINS.items()
        )

    def scope_at(self, index: int) -> dict[str, Register]:
        """Registers defined before instruction ``index`` (``len`` gives the end)."""
        if index >= len(self.scopes):
            return self._end_scope()
        return self.scopes[index]

    def _end_scope(self) -> dict[str, Register]:
        if not self.program.instructions:
            return {}
        scope = dict(self.scopes[-1])
        _define(scope, len(self.scopes) - 1, self.program.instructions[-1], self.elicits)
        return scope

    def problems(self) -> list[str]:
        """Why this program is not a game worth playing, by static rules (empty: none).

        A generated game must give the main player a move; read no register before writing
        it; pay every reward from some move (a constant reward is noise-free but meaningless);
        score every main-player move before that player's next move (so each step carries its
        own reward: dense credit, and one batched ``score_actions`` call sees it); check a
        move of the player it refuses in every ``ensure`` (a constant condition always passes
        or never does); and use every seat's move in some reward.
        """
        out: list[str] = []
        if not self.main_elicits:
            out.append(f"no move for the main player ({MAIN_PLAYER} never elicits)")
        for line, name in self.undefined:
            out.append(f"line {line} reads register {name} before anything writes it")
        for reward in self.rewards:
            if not reward.moves:
                out.append(f"line {reward.line}: the reward does not depend on any move")
        main = self.main_elicits
        paying = list(self.main_rewards())
        for k, elicit in enumerate(main):
            end = main[k + 1].index if k + 1 < len(main) else len(self.program.instructions)
            if not any(elicit.index in r.moves and elicit.index < r.index < end for _, r in paying):
                out.append(
                    f"line {elicit.line}: the move {', '.join(elicit.registers)} is not scored "
                    f"before {MAIN_PLAYER}'s next move"
                )
        for ensure in self.ensures:
            if ensure.mover is None or ensure.mover not in ensure.moves:
                out.append(f"line {ensure.line}: the ensure does not check the move it refuses")
        used = frozenset().union(*(r.moves for r in self.rewards)) if self.rewards else frozenset()
        for elicit in self.elicits:
            if elicit.index not in used:
                out.append(
                    f"line {elicit.line}: {elicit.player}'s move "
                    f"{', '.join(elicit.registers)} is never scored"
                )
        return out


def analyze(program: Program) -> Analysis:
    """The static facts of a checked ``program`` (parameters bound, map texts or not)."""
    scope: dict[str, Register] = {}
    scopes: list[dict[str, Register]] = []
    elicits: list[Elicit] = []
    ensures: list[Ensure] = []
    rewards: list[Reward] = []
    reveals: list[tuple[int, str, tuple[str, ...]]] = []
    sources: list[str] = []
    undefined: list[tuple[int, str]] = []
    for index, ins in enumerate(program.instructions):
        scopes.append(dict(scope))
        player, args = _split_player(ins)
        for expr in _read_exprs(ins, args):
            for name in reads(expr):
                if name not in scope and name[0] not in "abc":  # a b c are set by the map
                    undefined.append((ins.line, name))
        if ins.name == "assign":
            for kw in ins.kwargs:
                sources += _sources_of(kw.value)
        elif ins.name == "elicit":
            budget = args[-1].value if isinstance(args[-1], Num) else 0
            registers = tuple(a.id for a in args[:-1] if isinstance(a, Name))
            elicits.append(Elicit(index, ins.line, player, registers, int(budget)))
        elif ins.name == "ensure":
            mover = next((e.index for e in reversed(elicits)), None)
            moves = frozenset().union(*(depends(c, scope) for c in args)) if args else frozenset()
            ensures.append(Ensure(index, ins.line, tuple(args), moves, mover))
        elif ins.name == "reward" and args:
            terms = tuple(split_terms(args[0], scope))
            rewards.append(Reward(index, ins.line, player, args[0], terms, depends(args[0], scope)))
        elif ins.name == "reveal":
            reveals.append((index, player, tuple(a.id for a in args if isinstance(a, Name))))
        _define(scope, index, ins, elicits)
    return Analysis(
        program=program,
        scopes=tuple(scopes),
        elicits=tuple(elicits),
        ensures=tuple(ensures),
        rewards=tuple(rewards),
        reveals=tuple(reveals),
        sources=tuple(sources),
        undefined=tuple(undefined),
    )


def _define(
    scope: dict[str, Register], index: int, ins: Instruction, elicits: Iterable[Elicit]
) -> None:
    """Apply the writes of ``ins`` (instruction ``index``) to ``scope``."""
    if ins.name == "assign":
        values = {kw.name: _register(kw.name, kw.value, scope, ins.line) for kw in ins.kwargs}
        scope.update(values)  # all right-hand sides read the registers as they were
    elif ins.name == "elicit":
        for elicit in elicits:
            if elicit.index == index:
                for name in elicit.registers:
                    scope[name] = Register(name, "text", frozenset({index}), ins.line, "move")


def _register(name: str, value: Expr, scope: dict[str, Register], line: int) -> Register:
    moves = depends(value, scope)
    kind = "list" if name in LIST_REGISTERS else "text"
    if moves:
        origin = "move"
    elif _sources_of(value) or any(scope[r].origin == "map" for r in reads(value) if r in scope):
        origin = "map"
    else:
        origin = "fixed"
    return Register(name, kind, moves, line, origin, value)


def _split_player(ins: Instruction) -> tuple[str, tuple[Expr, ...]]:
    args = ins.args
    if ins.name in ("elicit", "reveal", "reward") and args:
        first = args[0]
        if isinstance(first, Name) and first.id in PLAYERS:
            return first.id, args[1:]
    return MAIN_PLAYER, args


def _read_exprs(ins: Instruction, args: tuple[Expr, ...]) -> Iterator[Expr]:
    """The expressions whose registers ``ins`` reads (an elicit's targets are written)."""
    if ins.name == "assign":
        yield from (kw.value for kw in ins.kwargs)
    elif ins.name in ("ensure", "reward", "reveal"):
        yield from args


def unused_assignments(program: Program) -> list[int]:
    """Indices of ``assign`` instructions none of whose registers is read afterwards (before
    being written again): dead code, and for a map text a generation paid for nothing.
    Programs with ``replay`` loops read registers on earlier lines too: none is reported."""
    instructions = program.instructions
    if any(ins.name == "replay" for ins in instructions):
        return []
    dead = []
    for index, ins in enumerate(instructions):
        if ins.name != "assign":
            continue
        live = {kw.name for kw in ins.kwargs}
        used = False
        for later in instructions[index + 1 :]:
            _, args = _split_player(later)
            if any(live & reads(e) for e in _read_exprs(later, args)):
                used = True
                break
            if later.name == "assign":
                live -= {kw.name for kw in later.kwargs}
            elif later.name == "elicit":
                live -= {a.id for a in args if isinstance(a, Name)}
            if not live:
                break
        if not used:
            dead.append(index)
    return dead


def reads(expr: Expr) -> set[str]:
    """The registers ``expr`` reads."""
    return {n.id for n in walk(expr) if isinstance(n, Name) and n.id in REGISTERS}


def depends(expr: Expr, scope: dict[str, Register]) -> frozenset[int]:
    """The elicits (instruction indices) whose moves ``expr`` depends on."""
    out: set[int] = set()
    for name in reads(expr):
        if name in scope:
            out |= scope[name].moves
    return frozenset(out)


def _sources_of(expr: Expr) -> list[str]:
    """Text sources an assigned value introduces: map-text calls, or a fixed literal text."""
    calls = [n.func for n in walk(expr) if isinstance(n, Call) and n.func in TEXT_SOURCES]
    if calls:
        return calls
    if isinstance(expr, Str) and len(expr.value.strip()) >= 12:
        return ["fixed"]
    return []


def split_terms(expr: Expr, scope: dict[str, Register], coef: float = 1.0) -> Iterator[Term]:
    """``expr`` (a score) as a sum of weighted cross-entropy calls.

    ``-e``, ``e + f``, ``e - f`` and ``k * e`` (a number literal ``k``) are linear; any other
    product or a shaping call is kept whole as one term, so every score splits.
    """
    if isinstance(expr, Neg):
        yield from split_terms(expr.operand, scope, -coef)
    elif isinstance(expr, BinOp) and expr.op in ("+", "-"):
        yield from split_terms(expr.left, scope, coef)
        yield from split_terms(expr.right, scope, coef if expr.op == "+" else -coef)
    elif isinstance(expr, BinOp) and expr.op == "*":
        number, score = (expr.left, expr.right) if _is_number(expr.left) else (expr.right, None)
        if score is not None and _is_number(number):
            yield from split_terms(score, scope, coef * _number(number))
        else:
            yield Term(coef, "shaped", expr, None, depends(expr, scope))
    elif isinstance(expr, Call) and expr.func in SCORE_FUNCTIONS and expr.args:
        arg = expr.args[0]
        target, prefix = (arg.left, arg.right) if _is_pipe(arg) else (arg, None)  # type: ignore[union-attr]
        yield Term(coef, expr.func, target, prefix, depends(expr, scope))
    else:
        op = expr.func if isinstance(expr, Call) and expr.func in _SHAPING else "shaped"
        yield Term(coef, op, expr, None, depends(expr, scope))


def _is_pipe(expr: Expr) -> bool:
    return isinstance(expr, BinOp) and expr.op == "|"


def _is_number(expr: Expr) -> bool:
    return isinstance(expr, Num) or (isinstance(expr, Neg) and isinstance(expr.operand, Num))


def _number(expr: Expr) -> float:
    if isinstance(expr, Neg):
        return -_number(expr.operand)
    assert isinstance(expr, Num)
    return float(expr.value)
