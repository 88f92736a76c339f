"""Plain-English readings of game programs: the comments of a ``.xent`` file and its card.

Descriptions are computed from the program (through ``analysis``), never stored beside it, so
a sampled game, a mutated one and a hand-edited one are all described the same way and a
comment can never disagree with the line it explains. Values are quoted as code
(`` `s % p` ``) inside the English, so a reader can match each phrase to the source.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from xent_envs.generation.analysis import (
    SCORE_FUNCTIONS,
    Analysis,
    Register,
    Term,
    depends,
    reads,
    weighted,
)
from xent_envs.lang.names import MAIN_PLAYER, OMNISCIENT_PLAYERS, ZERO_SUM_PAIRS
from xent_envs.lang.nodes import (
    BinOp,
    Call,
    Compare,
    Expr,
    Instruction,
    Name,
    Num,
    Str,
    transform,
    unparse,
)

__all__ = ["Card", "card", "comment", "gloss", "reward_formula"]

_SHORT = 48
_COMPARE_WORDS = {
    ">": "is more than",
    ">=": "is at least",
    "<": "is less than",
    "<=": "is at most",
    "==": "equals",
    "!=": "differs from",
}


@dataclass(frozen=True)
class Card:
    """The text fields of a game card, as ``GameDef`` takes them."""

    summary: str
    description: str
    skill: str
    reward: str
    players: tuple[str, ...]
    tags: tuple[str, ...]


def code(expr: Expr) -> str:
    """``expr`` as source in backticks, long literals shortened."""
    return f"`{unparse(transform(expr, _shorten))}`"


def _shorten(expr: Expr) -> Expr:
    if isinstance(expr, Str) and len(expr.value) > _SHORT:
        return replace(expr, value=expr.value[: _SHORT - 3] + "...")
    return expr


def gloss(expr: Expr) -> str:
    """A short English reading of an expression (code for what has no simpler reading)."""
    if isinstance(expr, Call):
        args = expr.args
        if expr.func == "story":
            return "a story generated for the map"
        if expr.func == "generate_list" and len(args) == 2:
            count = unparse(args[1])
            items = "item" if count == "1" else "items"
            return f"{count} {items} for {unparse(args[0])}, generated for the map"
        if expr.func == "sample" and args:
            return f"an item of {code(args[0])} drawn at random"
        if expr.func in ("first_n_tokens", "last_n_tokens") and len(args) == 2:
            side = "first" if expr.func.startswith("first") else "last"
            return f"the {side} {unparse(args[1])} tokens of {gloss(args[0])}"
        if expr.func == "remove_common_words" and len(args) == 2:
            return f"{code(args[0])} with the words it shares with {code(args[1])} struck out"
        if expr.func == "only_uses_chars" and len(args) == 2:
            return f"{code(args[1])} uses only the characters {code(args[0])}"
        if expr.func == "only_uses_words" and len(args) == 2:
            return f"every word of {code(args[1])} is one of the words of {code(args[0])}"
        if expr.func == "num_words" and args:
            return f"the number of distinct words of {code(args[0])}"
        if expr.func == "len" and args:
            return f"the length of {code(args[0])}"
        if expr.func in SCORE_FUNCTIONS and args:
            return _score_gloss(expr)
    if (
        isinstance(expr, BinOp)
        and expr.op == "+"
        and isinstance(expr.left, Str)
        and (expr.left.value == " ")
    ):
        return f"{gloss(expr.right)}, after a space"
    if isinstance(expr, BinOp) and expr.op in ("//", "%"):
        side = "before" if expr.op == "//" else "after"
        return f"the part of {code(expr.left)} {side} {code(expr.right)}"
    if isinstance(expr, Compare):
        if (  # `t // x != t`: x occurs in t
            expr.op == "!="
            and isinstance(expr.left, BinOp)
            and expr.left.op == "//"
            and unparse(expr.left.left) == unparse(expr.right)
        ):
            return f"{code(expr.left.right)} occurs in {code(expr.right)}"
        return f"{gloss(expr.left)} {_COMPARE_WORDS[expr.op]} {gloss(expr.right)}"
    if isinstance(expr, Str):
        return "a fixed text" if len(expr.value) > _SHORT else code(expr)
    if isinstance(expr, (Name, Num)):
        return code(expr)
    return code(expr)


def _score_gloss(call: Call) -> str:
    arg = call.args[0]
    if isinstance(arg, BinOp) and arg.op == "|":
        target, prefix = code(arg.left), code(arg.right)
        surprise = f"the judge's surprise at {target} after {prefix}"
        told = f"what {prefix} tells the judge about {target}"
    else:
        target = code(arg)
        surprise = f"the judge's surprise at {target}"
        told = f"what {target} tells the judge about itself (zero)"
    return {
        "xent": surprise,
        "nex": f"minus {surprise}",
        "xed": told,
        "dex": f"minus {told}",
    }[call.func]


_POSITIVE = {"xent": "xent", "nex": "xent", "xed": "xed", "dex": "xed"}


def _term_gloss(term: Term) -> str:
    """The term's reading without its sign: ``nex`` and ``dex`` read as ``xent`` and ``xed``
    (their sign is said by the caller)."""
    if term.op not in SCORE_FUNCTIONS:
        return code(term.target)
    arg = (
        term.target
        if term.prefix is None
        else BinOp("|", term.target, term.prefix, term.target.span)
    )
    call = Call(_POSITIVE[term.op], term.target.span, (arg,), term.target.span)
    return f"{gloss(call)} ({term.call_text()})"


def _who(player: str) -> str:
    return "you" if player == MAIN_PLAYER else player


def _regs(names: tuple[str, ...] | list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def comment(analysis: Analysis, index: int) -> str:
    """One sentence saying what instruction ``index`` does, for the line above it."""
    ins: Instruction = analysis.program.instructions[index]
    if ins.name == "assign":
        parts = [f"`{kw.name}` is {gloss(kw.value)}" for kw in ins.kwargs]
        return "; ".join(parts) + "."
    if ins.name == "elicit":
        elicit = next(e for e in analysis.elicits if e.index == index)
        if elicit.player == MAIN_PLAYER:
            return f"Your move: write {_regs(elicit.registers)}, at most {elicit.budget} tokens."
        role = _role(elicit.player)
        return (
            f"{elicit.player} ({role}) writes {_regs(elicit.registers)}, "
            f"at most {elicit.budget} tokens."
        )
    if ins.name == "ensure":
        conditions = [gloss(c) for c in ins.args]
        return "The move is refused (and asked again) unless " + " and ".join(conditions) + "."
    if ins.name == "reveal":
        _, player, registers = next(r for r in analysis.reveals if r[0] == index)
        verb = "are" if player == MAIN_PLAYER else "is"
        return f"{_who(player).capitalize()} {verb} shown {_regs(registers)}."
    if ins.name == "reward":
        reward = next(r for r in analysis.rewards if r.index == index)
        verb = "score" if reward.player == MAIN_PLAYER else "scores"
        glosses = _sum_gloss(reward.terms)
        paid = ""
        if ZERO_SUM_PAIRS.get(reward.player) == MAIN_PLAYER:
            paid = " (and you lose as much: white and you are a zero-sum pair)"
        return f"{_who(reward.player).capitalize()} {verb} {glosses}{paid}."
    if ins.name == "beacon":
        return "A mark that a later replay jumps back to."
    if ins.name == "replay":
        return "Jump back to the mark, a fixed number of times."
    return ""


def _role(player: str) -> str:
    if ZERO_SUM_PAIRS.get(player) == MAIN_PLAYER:
        return "your zero-sum opponent, who sees everything"
    if player in OMNISCIENT_PLAYERS:
        return "sees everything"
    return "sees only public registers and what is revealed to it"


def _sum_gloss(terms: tuple[Term, ...]) -> str:
    out = []
    for k, term in enumerate(terms):
        negative = (term.coef < 0) != (term.op in ("nex", "dex"))
        magnitude = abs(term.coef)
        weight = "" if magnitude == 1 else f"{_number(magnitude)} times "
        sign = "minus " if negative else ("plus " if k else "")
        out.append(f"{sign}{weight}{_term_gloss(term)}")
    return ", ".join(out)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def reward_formula(analysis: Analysis) -> str:
    """The main player's total reward as one formula (a zero-sum partner's terms negated)."""
    pieces: list[str] = []
    for sign, reward in analysis.main_rewards():
        for term in reward.terms:
            text = weighted(sign * term.coef, term.call_text())
            if pieces:
                text = f"- {text[1:]}" if text.startswith("-") else f"+ {text}"
            pieces.append(text)
    return " ".join(pieces) or "0"


def _skills(analysis: Analysis) -> list[str]:
    """What a main-player term asks, read from where the move sits in it."""
    found: list[str] = []
    mine = {e.index for e in analysis.main_elicits}
    for sign, reward in analysis.main_rewards():
        scope = analysis.scopes[reward.index]
        for term in reward.terms:
            positive = sign * term.coef * (1 if term.op in ("xed", "nex") else -1) > 0
            in_prefix = term.prefix is not None and bool(depends(term.prefix, scope) & mine)
            in_target = bool(depends(term.target, scope) & mine)
            fixed_prefix = term.prefix is not None and _has_text(term.prefix, scope)
            if not term.moves:
                continue  # a constant baseline: it shifts the score, it asks nothing
            if not term.moves & mine:
                skill = "anticipating the other seats"
            elif term.op not in SCORE_FUNCTIONS:
                skill = "shaped scoring"
            elif in_prefix and fixed_prefix:
                skill = "bridging" if positive else "derailing"
            elif in_prefix:
                skill = "compression" if positive else "misdirection"
            elif in_target and term.prefix is not None:
                skill = "coherence" if positive else "originality"
            elif in_target:
                skill = "fluency" if positive else "surprise"
            else:
                skill = "playing through the other seats"
            if skill not in found:
                found.append(skill)
    if any(c for e in analysis.ensures for c in e.conditions if "only_uses" in unparse(c)):
        found.append("constrained writing")
    return found


def _has_text(expr: Expr, scope: dict[str, Register]) -> bool:
    """Whether ``expr`` reads a register that holds a text rather than a move."""
    return any(name in scope and not scope[name].moves for name in reads(expr))


def card(analysis: Analysis) -> Card:
    """Card text for a program: summary, rules (its comments as prose), skill and tags."""
    main = analysis.main_elicits
    moves = _regs([r for e in main for r in e.registers]) if main else "nothing"
    budgets = sorted({e.budget for e in main})
    budget_text = "/".join(str(b) for b in budgets) or "0"
    formula = reward_formula(analysis)
    constraints = analysis.descriptors["constraints"]
    summary = f"Write {moves} ({budget_text} tokens) to maximise {formula}"
    if constraints:
        summary += f", under {constraints} constraint{'s' * (constraints > 1)}"
    others = [s for s in analysis.seats if s != MAIN_PLAYER]
    if others:
        summary += f"; other seats: {', '.join(others)}"
    rules = [comment(analysis, i) for i in range(len(analysis.program.instructions))]
    description = "A generated game (you see every register). " + " ".join(r for r in rules if r)
    reward = f"{formula}, in bits"
    if any(s < 0 for s, _ in analysis.main_rewards()):
        reward += " (white's rewards are paid to you negated: a zero-sum pair)"
    players = analysis.players
    tags = ["generated", "single-player" if len(players) == 1 else "multi-player"]
    if "white" in analysis.seats:
        tags.append("zero-sum")
    if any(p not in OMNISCIENT_PLAYERS for p in analysis.seats):
        tags.append("partial-information")
    if constraints:
        tags.append("constrained")
    return Card(
        summary=summary + ".",
        description=description,
        skill=", ".join(_skills(analysis)) or "none",
        reward=reward + ".",
        players=players,
        tags=tuple(tags),
    )
