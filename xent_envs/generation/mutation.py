"""Edit operators on game programs, and ``mutate``: one random edit that keeps a game valid.

Any game turns into any other by a finite series of edits (the paper's observation); these
are the edits. Each operator reads the program through ``analysis`` (what is defined where,
which move each term scores) and writes new lines with the same typed blocks as the sampler
(``grammar``), so an edit is valid by construction; ``mutate`` still checks the result
(``load``) and the static playability rules, and tries another edit if they fail.

========== ==============================================================================
insert     a new reward term for a move, a new text source, or a new window of a text
delete     an instruction whose removal leaves a valid, statically playable game
replace    a reward line by a fresh one for the same move, or a constraint by another
flip_sign  one term's sign (``xed`` becomes, in effect, ``dex``)
reweight   one term's weight, halved or doubled (kept within 1/8..8)
constrain  a new ``ensure`` on a main-player move
tighten    a constraint made harder (a larger bar, a letter or word fewer allowed)
relax      a constraint made easier (the reverse; or the ``ensure`` dropped)
swap_text  a text source replaced by another kind (story, fixed text, list topic)
add_seat   white (the zero-sum partner, with the mirrored term) or a partial-information
           helper whose move pays both
budget     a move's token budget changed
========== ==============================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from xent_envs.errors import ConfigError, XentError
from xent_envs.games import GameDef
from xent_envs.generation.analysis import Analysis, Elicit, Reward
from xent_envs.generation.game import GeneratedGame
from xent_envs.generation.grammar import (
    CHARSETS,
    FIXED_TEXTS,
    HELPERS,
    SYMBOLS,
    TOPICS,
    Draw,
    Scope,
    constraint,
    join_terms,
    term_spec,
    text_source,
    text_window,
)
from xent_envs.lang import bind, check, parse
from xent_envs.lang.names import MAIN_PLAYER
from xent_envs.lang.nodes import Call, Compare, Expr, Name, Num, Str, quote, transform, walk

__all__ = ["BUDGETS", "OPERATORS", "Mutation", "from_builtin", "mutate"]

BUDGETS = (4, 6, 8, 10, 12, 16, 24)
_TRIES = 24


@dataclass(frozen=True)
class Mutation:
    """The result of ``mutate``: the new game (None when no edit worked), the operator that
    made it, and the edits that were tried and refused (with why)."""

    game: GeneratedGame | None
    operator: str
    refused: tuple[str, ...] = ()


def from_builtin(definition: GameDef) -> GeneratedGame:
    """A built-in game (its parameters bound to their defaults) as a generated game, to seed
    the evolution or to mutate."""
    program = check(bind(parse(definition.source), definition.defaults))
    return GeneratedGame.from_program(program, origin=f"built-in {definition.name}")


def mutate(
    game: GeneratedGame, seed: int, operators: Sequence[str] | None = None, tries: int = _TRIES
) -> Mutation:
    """One random edit of ``game`` (seeded), valid and statically playable, or None.

    The edit is drawn from ``operators`` (default: all of ``OPERATORS``); an edit that does
    not apply, fails the checker or a static rule, or gives back the same game, is refused
    and another is drawn, ``tries`` times at most.
    """
    draw = Draw(seed, "mutation", game.digest)
    names = list(operators or OPERATORS)
    unknown = [n for n in names if n not in OPERATORS]
    if unknown:
        raise ConfigError(f"unknown mutation operators {unknown}; valid: {', '.join(OPERATORS)}")
    refused: list[str] = []
    for _ in range(tries):
        name = draw.pick(names)
        lines = OPERATORS[name](game.analysis, draw)
        if lines is None:
            refused.append(f"{name}: does not apply")
            continue
        try:
            child = GeneratedGame.from_lines(lines, origin=f"{name} of {game.name}")
            problems = child.analysis.problems()
        except XentError as exc:  # a bug of an operator: counted, never kept
            refused.append(f"{name}: refused by the checker: {str(exc).splitlines()[0]}")
            continue
        if problems:
            refused.append(f"{name}: {problems[0]}")
        elif child.digest == game.digest:
            refused.append(f"{name}: no change")
        elif len(lines) > 60:
            refused.append(f"{name}: too long")
        else:
            return Mutation(child, name, tuple(refused))
    return Mutation(None, "", tuple(refused))


# -- helpers ------------------------------------------------------------------------------------
Lines = list[str]


def _lines(analysis: Analysis) -> Lines:
    return [ins.to_source() for ins in analysis.program.instructions]


def _phase_end(analysis: Analysis, elicit: Elicit) -> int:
    """Index of the main player's next elicit after ``elicit`` (or the end)."""
    later = [e.index for e in analysis.main_elicits if e.index > elicit.index]
    return later[0] if later else len(analysis.program.instructions)


def _move_registers(scope: Scope, analysis: Analysis, elicit: Elicit, index: int) -> list[str]:
    """Registers holding ``elicit``'s move (raw or processed) before instruction ``index``."""
    regs = analysis.scope_at(index)
    return [n for n in scope.moves if regs[n].moves == frozenset({elicit.index})]


def _reward_line(player: str, terms: Sequence[tuple[float, str]]) -> str:
    head = "" if player == MAIN_PLAYER else f"{player}, "
    return f"reward({head}{join_terms(terms)})"


def _terms_of(reward: Reward) -> list[tuple[float, str]]:
    return [(t.coef, t.call_text()) for t in reward.terms]


# -- operators ----------------------------------------------------------------------------------
def _insert(analysis: Analysis, draw: Draw) -> Lines | None:
    lines = _lines(analysis)
    kind = draw.weighted({"term": 3.0, "window": 1.0, "source": 1.0})
    main = analysis.main_elicits
    if kind == "term" and main:
        elicit = draw.pick(main)
        end = _phase_end(analysis, elicit)
        scope = Scope.at(analysis, end)
        moves = _move_registers(scope, analysis, elicit, end)
        if not moves or not scope.texts:
            return None
        raw = elicit.registers[0]
        spec = term_spec(
            draw, scope, [m for m in scope.player_moves(MAIN_PLAYER) if m not in moves]
        )
        lines.insert(end, _reward_line(MAIN_PLAYER, [spec.render(raw, draw.pick(moves))]))
        return lines
    first = main[0].index if main else len(lines)
    if kind == "window":
        scope = Scope.at(analysis, first)
        if not scope.texts:
            return None
        return lines[:first] + text_window(draw, scope) + lines[first:]
    return text_source(draw, Scope.at(analysis, 0)) + lines


def _delete(analysis: Analysis, draw: Draw) -> Lines | None:
    lines = _lines(analysis)
    doomed = [i for i, ins in enumerate(analysis.program.instructions) if ins.name != "elicit"]
    if not doomed:
        return None
    index = draw.pick(doomed)
    return lines[:index] + lines[index + 1 :]


def _replace(analysis: Analysis, draw: Draw) -> Lines | None:
    lines = _lines(analysis)
    if analysis.ensures and draw.chance(0.3):
        ensure = draw.pick(analysis.ensures)
        if ensure.mover is None:
            return None
        scope = Scope.at(analysis, ensure.index)
        mover = next(e for e in analysis.elicits if e.index == ensure.mover)
        lines[ensure.index] = f"ensure({constraint(draw, scope, mover.registers[0])})"
        return lines
    main = {e.index: e for e in analysis.main_elicits}
    mine = [r for r in analysis.rewards if r.player == MAIN_PLAYER and r.moves & set(main)]
    if not mine:
        return None
    reward = draw.pick(mine)
    elicit = main[max(reward.moves & set(main))]
    scope = Scope.at(analysis, reward.index)
    moves = _move_registers(scope, analysis, elicit, reward.index)
    if not moves or not scope.texts:
        return None
    spec = term_spec(draw, scope)
    lines[reward.index] = _reward_line(
        MAIN_PLAYER, [spec.render(elicit.registers[0], draw.pick(moves))]
    )
    return lines


def _term_edit(edit: Callable[[float, Draw], float]) -> Callable[[Analysis, Draw], Lines | None]:
    def operator(analysis: Analysis, draw: Draw) -> Lines | None:
        rewards = [r for r in analysis.rewards if r.moves]
        if not rewards:
            return None
        reward = draw.pick(rewards)
        terms = _terms_of(reward)
        k = draw.integer(0, len(terms) - 1)
        terms[k] = (edit(terms[k][0], draw), terms[k][1])
        lines = _lines(analysis)
        lines[reward.index] = _reward_line(reward.player, terms)
        return lines

    return operator


def _flip(coef: float, draw: Draw) -> float:
    return -coef


def _reweight(coef: float, draw: Draw) -> float:
    factor = draw.pick((0.5, 2.0))
    return coef * factor if 0.125 <= abs(coef * factor) <= 8 else coef / factor


def _constrain(analysis: Analysis, draw: Draw) -> Lines | None:
    main = analysis.main_elicits
    if not main:
        return None
    elicit = draw.pick(main)
    scope = Scope.at(analysis, elicit.index + 1)
    lines = _lines(analysis)
    lines.insert(elicit.index + 1, f"ensure({constraint(draw, scope, elicit.registers[0])})")
    return lines


def _bound_edit(harder: bool) -> Callable[[Analysis, Draw], Lines | None]:
    """Tighten (``harder``) or relax one constraint of the program."""

    def operator(analysis: Analysis, draw: Draw) -> Lines | None:
        if not analysis.ensures:
            return None
        ensure = draw.pick(analysis.ensures)
        ins = analysis.program.instructions[ensure.index]
        lines = _lines(analysis)
        if not harder and draw.chance(0.25):
            return lines[: ensure.index] + lines[ensure.index + 1 :]
        k = draw.integer(0, len(ins.args) - 1)
        changed = _harden(ins.args[k], harder, draw)
        if changed is None:
            return None
        args = (*ins.args[:k], changed, *ins.args[k + 1 :])
        lines[ensure.index] = replace(ins, args=args).to_source()
        return lines

    return operator


def _harden(condition: Expr, harder: bool, draw: Draw) -> Expr | None:
    """``condition`` with its bar moved (``harder``: fewer moves pass), or None."""
    if isinstance(condition, Call) and condition.func in ("only_uses_chars", "only_uses_words"):
        allowed = condition.args[0]
        if not isinstance(allowed, Str):
            return None
        value = _shrink_or_grow(allowed.value, condition.func == "only_uses_words", harder, draw)
        return replace(condition, args=(replace(allowed, value=value), *condition.args[1:]))
    if not isinstance(condition, Compare):
        return None
    numbers = [n for n in _leaves(condition) if isinstance(n, Num)]
    if not numbers:
        return None
    target = draw.pick(numbers)
    # A number on the right of >, >= (or on the left of <, <=) is a floor: raising it tightens.
    floor = condition.op in (">", ">=")
    on_right = any(n is target for n in _leaves(condition.right))
    up = harder == (floor == on_right)
    bar = target.value
    if isinstance(bar, int):
        new: int | float = bar + (1 if up else -1) * max(1, abs(bar) // 4)
    else:
        new = round(bar * 2, 4) if (up == (bar >= 0)) else round(bar / 2, 4)
        new = new if new != 0 else (0.25 if up else -0.25)

    def swap(node: Expr) -> Expr:
        return replace(node, value=new) if node is target else node

    return transform(condition, swap)


def _leaves(expr: Expr) -> list[Expr]:
    return list(walk(expr))


def _shrink_or_grow(allowed: str, words: bool, harder: bool, draw: Draw) -> str:
    if words:
        items = allowed.split()
        if harder and len(items) > 2:
            items.remove(draw.pick(items))
        elif not harder:
            extra = [w for w in " ".join(SYMBOLS).split() if w not in items]
            if extra:
                items.append(draw.pick(extra))
        return " ".join(items)
    chars = list(dict.fromkeys(allowed))
    letters = [c for c in chars if c.isalpha()]
    if harder and len(letters) > 6:
        gone = draw.pick(letters)
        chars = [c for c in chars if c.lower() != gone.lower()]
    elif not harder:
        missing = [c for c in "".join(CHARSETS) if c not in chars]
        if missing:
            chars.append(draw.pick(missing))
    return "".join(chars)


def _swap_text(analysis: Analysis, draw: Draw) -> Lines | None:
    sources = []
    for i, ins in enumerate(analysis.program.instructions):
        if ins.name != "assign" or len(ins.kwargs) != 1:
            continue
        value = ins.kwargs[0].value
        if (isinstance(value, Call) and value.func in ("story", "generate_list")) or (
            isinstance(value, Str) and len(value.value) >= 12 and ins.kwargs[0].name[0] != "l"
        ):
            sources.append(i)
    if not sources:
        return None
    index = draw.pick(sources)
    kw = analysis.program.instructions[index].kwargs[0]
    value = kw.value
    if isinstance(value, Call) and value.func == "generate_list":
        count = value.args[1] if len(value.args) > 1 else None
        items = count.value if isinstance(count, Num) else 3
        new = f"generate_list({quote(draw.pick(TOPICS))}, {items})"
    elif isinstance(value, Call):
        new = quote(draw.pick(FIXED_TEXTS))
    else:
        new = "story()" if draw.chance(0.6) else quote(draw.pick(FIXED_TEXTS))
    lines = _lines(analysis)
    lines[index] = f"assign({kw.name}={new})"
    return lines


def _add_seat(analysis: Analysis, draw: Draw) -> Lines | None:
    main = analysis.main_elicits
    if not main:
        return None
    elicit = main[0]
    end = _phase_end(analysis, elicit)
    scope = Scope.at(analysis, end)
    moves = _move_registers(scope, analysis, elicit, end)
    lines = _lines(analysis)
    if "white" not in analysis.seats:
        mine = [
            r
            for _, r in analysis.main_rewards()
            if r.player == MAIN_PLAYER and elicit.index in r.moves and r.index < end
        ]
        if not mine:
            return None
        other = scope.fresh("y")

        def to_white(node: Expr) -> Expr:
            return Name(other, node.span) if isinstance(node, Name) and node.id in moves else node

        terms = [
            (t.coef, t.call_text())
            for t in (
                replace(
                    t,
                    target=transform(t.target, to_white),
                    prefix=None if t.prefix is None else transform(t.prefix, to_white),
                )
                for t in mine[0].terms
                if elicit.index in t.moves
            )
        ]
        if not terms:
            return None
        added = [f"elicit(white, {other}, {elicit.budget})", _reward_line("white", terms)]
        return lines[:end] + added + lines[end:]
    free = [h for h in HELPERS if h not in analysis.seats]
    hidden = [t for t in scope.texts if not t.startswith(("a", "b", "p"))]
    if not free or not hidden or not moves:
        return None
    helper, guess = draw.pick(free), scope.fresh("y")
    shared = (1.0, f"xed({draw.pick(hidden)} | {guess})")
    added = [
        f"reveal({helper}, {draw.pick(moves)})",
        f"elicit({helper}, {guess}, {elicit.budget})",
        _reward_line(helper, [shared]),
        _reward_line(MAIN_PLAYER, [shared]),
    ]
    return lines[:end] + added + lines[end:]


def _budget(analysis: Analysis, draw: Draw) -> Lines | None:
    if not analysis.elicits:
        return None
    elicit = draw.pick(analysis.elicits)
    ins = analysis.program.instructions[elicit.index]
    choices = [b for b in BUDGETS if b != elicit.budget]
    budget = Num(draw.pick(choices), ins.args[-1].span)
    lines = _lines(analysis)
    lines[elicit.index] = replace(ins, args=(*ins.args[:-1], budget)).to_source()
    return lines


OPERATORS: dict[str, Callable[[Analysis, Draw], Lines | None]] = {
    "insert": _insert,
    "delete": _delete,
    "replace": _replace,
    "flip_sign": _term_edit(_flip),
    "reweight": _term_edit(_reweight),
    "constrain": _constrain,
    "tighten": _bound_edit(harder=True),
    "relax": _bound_edit(harder=False),
    "swap_text": _swap_text,
    "add_seat": _add_seat,
    "budget": _budget,
}
