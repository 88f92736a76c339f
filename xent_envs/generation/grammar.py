"""The typed building blocks of generated games: texts, moves, constraints, scores, seats.

Every block writes instruction lines (source text) that are well typed by construction: it
reads only registers the ``Scope`` knows to hold a value of the right kind, and writes only
fresh ones. The sampler assembles whole programs from these blocks; the mutation operators
call the same blocks to insert or replace one instruction inside an existing program, with
a ``Scope`` read off the program at that line (``Scope.at``). The checker still guards every
program (``load``), and a program it refuses is counted as a bug of this module.

The vocabulary (fixed texts, list topics, frames, alphabets, symbol lists) is small and fixed,
so a sampled game is a function of its seed alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from xent_envs.generation.analysis import Analysis, weighted
from xent_envs.lang.names import MAIN_PLAYER, REGISTERS, STATIC_REGISTERS
from xent_envs.lang.nodes import BinOp, Call, Expr, Name, quote, walk
from xent_envs.seeding import derive_seed

__all__ = [
    "CHARSETS",
    "FIXED_TEXTS",
    "FRAMES",
    "HELPERS",
    "SYMBOLS",
    "TOPICS",
    "Draw",
    "Scope",
    "TermSpec",
    "Transform",
    "constraint",
    "join_terms",
    "reward_lines",
    "term_spec",
    "text_source",
    "text_window",
    "transform",
]

T = TypeVar("T")

#: Fixed texts a game may use as a target or a context (the same on every map).
FIXED_TEXTS = (
    "The lighthouse keeper counted the ships until the fog came in.",
    "Every spring the river floods the lower fields and the village moves uphill.",
    "She opened the letter, read the first line, and put it back in the drawer.",
    "The market closes at noon, but the baker always keeps one loaf aside.",
    "After the storm, the children found a rowing boat stuck in the old oak tree.",
    "The museum guard knows every painting by the sound of its frame.",
    "Nobody remembers who planted the orchard, but everyone eats its apples.",
    "The train was late again, so the musicians played on the platform.",
)
#: Prompts of generated lists (``generate_list``); an item drawn from one is a target.
TOPICS = (
    "Animals",
    "Fruits and vegetables",
    "Musical instruments",
    "Jobs",
    "Things in a house",
    "Countries",
    "Sports",
    "Tools",
)
#: Frames a move is read in (``open + x + close``).
FRAMES = (
    ("", "\n"),
    ("Title: ", "\n\n"),
    ("Question: ", "\nAnswer:"),
    ("In short: ", "\n"),
    ("Keywords: ", ".\n"),
    ("The story is about ", ". "),
)
_DIGITS_PUNCT = "0123456789 .,;:!?'-"
#: Alphabets of character rules: each drops some letters (lipograms) or all capitals.
CHARSETS = (
    "abcdfghijklmnopqrstuvwxyzABCDFGHIJKLMNOPQRSTUVWXYZ" + _DIGITS_PUNCT,  # no e
    "bcdefghijklmnopqrstuvwxyzBCDEFGHIJKLMNOPQRSTUVWXYZ" + _DIGITS_PUNCT,  # no a
    "abcdefghijklmnpqrstuvwxyzABCDEFGHIJKLMNPQRSTUVWXYZ" + _DIGITS_PUNCT,  # no o
    "abcdefghijklmnopqrstuvwxyz ",  # lower case and spaces only
)
#: Word lists of word rules (``only_uses_words``).
SYMBOLS = (
    "anchor apple arrow bird boat bread bridge candle castle cat crown door dragon egg eye "
    "feather fire fish flower ghost gold horse key king ladder lamp moon mountain owl queen "
    "ring river rose ship snake star storm sun sword tower tree wheel wolf",
    "red orange yellow green blue purple black white grey brown pink gold silver dark light",
    "north south east west up down near far inside outside before after above below",
    "I you we they it is was not a the and or but of to in on with",
)
#: Seats that see only public registers and what is revealed to them.
HELPERS = ("alice", "bob", "carol")

# Register families: the letters each kind of value is written to, in order of preference.
_FAMILIES = {"s": "st", "t": "ts", "p": "p", "x": "x", "y": "y", "l": "l"}


class Draw:
    """The sampler's only source of randomness: a ``numpy`` generator seeded by its seed.

    Example:
        >>> Draw(3).pick(["a", "b", "c"]) == Draw(3).pick(["a", "b", "c"])
        True
    """

    def __init__(self, seed: int, *tags: object) -> None:
        self.rng = np.random.default_rng(derive_seed("xent-generation", seed, *tags))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.rng.integers(len(items)))]

    def weighted(self, table: Mapping[T, float]) -> T:
        keys = list(table)
        weights = np.array([table[k] for k in keys], dtype=float)
        return keys[int(self.rng.choice(len(keys), p=weights / weights.sum()))]

    def integer(self, low: int, high: int) -> int:
        """An integer in ``[low, high]``, both included."""
        return int(self.rng.integers(low, high + 1))


@dataclass
class Scope:
    """What a block may read and write at one point of a program.

    ``texts`` hold map or fixed texts, ``lists`` lists, ``moves`` maps each register holding a
    move (raw or processed) to the player who wrote it; ``long`` are the texts worth cutting
    windows from (stories, fixed sentences), ``parts`` maps a window to the text it was cut
    from and ``continues`` a continuation to its opening; ``taken`` is every register the
    program uses anywhere (a fresh register must not clobber one read later).
    """

    texts: list[str] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    moves: dict[str, str] = field(default_factory=dict)
    long: list[str] = field(default_factory=list)
    parts: dict[str, str] = field(default_factory=dict)
    continues: dict[str, str] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)

    @classmethod
    def at(cls, analysis: Analysis, index: int) -> Scope:
        """The scope before instruction ``index`` of an analysed program."""
        scope = cls()
        by_index = {e.index: e.player for e in analysis.elicits}
        for name, reg in analysis.scope_at(index).items():
            if reg.moves:
                scope.moves[name] = by_index[min(reg.moves)]
            elif reg.kind == "list":
                scope.lists.append(name)
            else:
                scope.texts.append(name)
                scope._learn_window(name, reg.value)
        for ins in analysis.program.instructions:
            scope.taken |= {kw.name for kw in ins.kwargs}
            for arg in ins.args:
                scope.taken |= {
                    n.id for n in walk(arg) if isinstance(n, Name) and n.id in REGISTERS
                }
        return scope

    def fresh(self, family: str) -> str:
        """An unused register of ``family`` (``"s"``, ``"x"``...), else of any string family.

        Raises:
            LookupError: every writable register is in use (a program of 60 registers).
        """
        letters = _FAMILIES[family] + ("" if family == "l" else "tsxyp")
        for letter in letters:
            for suffix in ("", "1", "2", "3"):
                name = letter + suffix
                if name not in self.taken and name not in STATIC_REGISTERS:
                    self.taken.add(name)
                    return name
        raise LookupError(f"no free register for a {family!r} value")

    def _learn_window(self, name: str, value: Expr | None) -> None:
        """Record what kind of text ``name`` holds, from the expression that wrote it."""
        if isinstance(value, Call) and value.func == "story":
            self.long.append(name)
            return
        base = value.args[0] if isinstance(value, Call) and value.args else value
        if isinstance(value, BinOp) and value.op in ("//", "%"):
            base = value.left
        if isinstance(base, BinOp) and base.op == "%":  # first_n_tokens(s % p, n)
            if isinstance(base.left, Name) and isinstance(base.right, Name):
                self.continues[name] = base.right.id
            base = base.left
        if isinstance(base, Name) and base.id != name:
            self.parts[name] = self.parts.get(base.id, base.id)

    def player_moves(self, player: str) -> list[str]:
        return [r for r, p in self.moves.items() if p == player]

    def related(self, a: str, b: str) -> bool:
        """Whether one text is a window of the other (or both of a third)."""
        return a == b or self.parts.get(a, a) == self.parts.get(b, b)

    def pair(self, draw: Draw) -> tuple[str, str]:
        """``(target, context)``: two texts that are not windows of one another (a text after
        its own opening is mostly a copy), or an opening and its continuation."""
        target = draw.pick(self.texts)
        others = [t for t in self.texts if not self.related(t, target)]
        if self.continues and (not others or draw.chance(0.5)):
            target = draw.pick(list(self.continues))
            return target, self.continues[target]
        if others:
            return target, draw.pick(others)
        return target, draw.pick([t for t in self.texts if t != target] or self.texts)


# -- texts ---------------------------------------------------------------------------------------
def text_source(draw: Draw, scope: Scope) -> list[str]:
    """A new text of the map: a generated story, a fixed text, or an item of a generated list."""
    kind = draw.weighted({"story": 6.0, "fixed": 1.5, "item": 1.5})
    if kind == "story":
        name = scope.fresh("s")
        scope.texts.append(name)
        scope.long.append(name)
        return [f"assign({name}=story())"]
    if kind == "fixed":
        name = scope.fresh("t")
        scope.texts.append(name)
        return [f"assign({name}={quote(draw.pick(FIXED_TEXTS))})"]
    items, name = scope.fresh("l"), scope.fresh("t")
    scope.lists.append(items)
    scope.texts.append(name)
    count = draw.integer(3, 6)
    return [
        f"assign({items}=generate_list({quote(draw.pick(TOPICS))}, {count}))",
        f'assign({name}=" " + sample({items}))',
    ]


def text_window(draw: Draw, scope: Scope, public: bool = False) -> list[str]:
    """Windows of an existing text: its opening and the continuation after it, its end, its
    first sentence or the rest. ``public`` writes the window to a public register (``p``),
    for seats that see only public registers."""
    base = draw.pick(scope.long or scope.texts)
    opened = set(scope.continues.values())
    fresh = [t for t in scope.long if not any(scope.parts.get(o) == t for o in opened)]
    kind = draw.weighted({"opening": 3.0 if fresh else 0.0, "ending": 1.0, "sentence": 1.0})
    if kind == "opening":
        base = draw.pick(fresh)
    name = scope.fresh("p" if public or kind == "opening" else "t")
    scope.parts[name] = base
    scope.texts.append(name)
    if kind == "ending":
        return [f"assign({name}=last_n_tokens({base}, {draw.pick((8, 12, 16))}))"]
    if kind == "sentence":
        return [f'assign({name}={base} {draw.pick(("//", "%"))} ". ")']
    rest = scope.fresh("t")
    scope.parts[rest] = base
    scope.texts.append(rest)
    scope.continues[rest] = name
    return [
        f"assign({name}=first_n_tokens({base}, {draw.pick((8, 12, 16, 24))}))",
        f"assign({rest}=first_n_tokens({base} % {name}, {draw.pick((8, 12, 16))}))",
    ]


# -- moves ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transform:
    """How a move is processed before it is scored: ``strike`` (``remove_common_words`` of
    the words in ``words``) or ``frame`` (the move read between ``words[0]`` and ``words[1]``)."""

    kind: str
    words: tuple[str, ...]

    def line(self, move: str, out: str) -> str:
        """The ``assign`` line writing the processed ``move`` to ``out``."""
        if self.kind == "strike":
            return f"assign({out}=remove_common_words({move}, {' + '.join(self.words)}))"
        opening, closing = self.words
        parts = ([quote(opening)] if opening else []) + [move, quote(closing)]
        return f"assign({out}={' + '.join(parts)})"

    def apply(self, scope: Scope, move: str) -> tuple[str, str]:
        """``(line, register)``: ``move`` processed into a fresh register of its family."""
        out = scope.fresh(move[0] if move[0] in "xy" else "x")
        scope.moves[out] = scope.moves[move]
        return self.line(move, out), out


def transform(draw: Draw, scope: Scope) -> Transform:
    """A random processing of a move: strike the words it shares with some texts (a list, a
    text, or several texts), or read it inside a frame."""
    if (scope.texts or scope.lists) and draw.chance(2 / 3):
        words = draw.pick(scope.texts + scope.lists)
        if words in scope.texts and len(scope.texts) > 1 and draw.chance(0.4):
            return Transform("strike", tuple(scope.texts[:3]))
        return Transform("strike", (words,))
    return Transform("frame", draw.pick(FRAMES))


def constraint(draw: Draw, scope: Scope, move: str) -> str:
    """A condition on ``move`` for ``ensure``: a character or word rule, a length, a
    coherence bar, a comparison of two cross-entropies, or "the move quotes a text"."""
    texts = scope.texts
    table = {"chars": 1.0, "symbols": 0.6, "length": 1.0, "nonempty": 0.4}
    if texts:
        table |= {"text_words": 0.3, "coherent": 1.2, "quote": 0.3}
    if len(texts) > 1:
        table["compare"] = 0.6
    kind = draw.weighted(table)
    if kind == "chars":
        return f"only_uses_chars({quote(draw.pick(CHARSETS))}, {move})"
    if kind == "symbols":
        return f"only_uses_words({quote(draw.pick(SYMBOLS))}, {move})"
    if kind == "text_words":
        return f"only_uses_words({draw.pick(texts)}, {move})"
    if kind == "length":
        if draw.chance(0.5):
            return f"num_words({move}) >= {draw.integer(2, 3)}"
        return f"len({move}) <= {draw.pick((24, 32, 48))}"
    if kind == "nonempty":
        return f'{move} != ""'
    if kind == "quote":
        text = draw.pick(texts)
        return f"{text} // {move} != {text}"
    if kind == "coherent":
        if len(texts) > 1 and draw.chance(0.5):
            target, context = scope.pair(draw)
            share = draw.pick((0.1, 0.25, 0.5))
            return f"xed({move} | {context}) >= {share} * xed({target} | {context})"
        return f"xed({move} | {draw.pick(texts)}) > 0"
    first, second = scope.pair(draw)
    if first == second:
        return f"xed({first} | {move}) > 0"
    return f"xed({first} | {move}) > xed({second} | {move})"


# -- scores --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TermSpec:
    """A reward term before it is written for one seat.

    ``shape`` says where the move sits: ``explain`` (the move is a prefix of ``target``),
    ``predict`` (the move is the text ``context`` predicts), ``bridge`` (the move is inserted
    between ``context`` and ``target``; written as a difference with the same term without the
    move, so a move that changes nothing scores zero) or ``self`` (the move alone).
    """

    shape: str
    op: str
    target: str
    context: str
    coef: float

    def render(self, move: str, shown: str) -> tuple[float, str]:
        """``(coef, call)`` for a seat whose raw move is ``move`` and processed move ``shown``."""
        if self.shape == "explain":
            return self.coef, f"{self.op}({self.target} | {shown})"
        if self.shape == "predict":
            return self.coef, f"{self.op}({move} | {self.context})"
        if self.shape == "bridge":
            with_move, without = f"{self.context} + {shown}", self.context
            first, second = (without, with_move) if self.op == "xed" else (with_move, without)
            return self.coef, f"(xent({self.target} | {first}) - xent({self.target} | {second}))"
        return self.coef, f"{self.op}({move})"

    def mirrored(self, texts: Sequence[str]) -> TermSpec:
        """The same term on the next text of ``texts`` (the other side of a duel)."""
        if self.target not in texts or len(texts) < 2:
            return self
        target = texts[(texts.index(self.target) + 1) % len(texts)]
        context = self.context if self.context != target else self.target
        return TermSpec(self.shape, self.op, target, context, self.coef)


def term_spec(draw: Draw, scope: Scope, contexts: Sequence[str] = ()) -> TermSpec:
    """A random reward term over the scope's texts (``contexts`` adds more contexts, such as
    an earlier move). Most terms pay what the move tells about a text."""
    shape = draw.weighted({"explain": 4.0, "predict": 2.5, "bridge": 1.5, "self": 0.4})
    coef = draw.weighted({1.0: 6.0, 0.5: 2.0, 2.0: 1.0, 0.25: 1.0})
    if draw.chance(0.15):
        coef = -coef
    target, context = scope.pair(draw)
    if contexts and draw.chance(0.3):
        context = draw.pick(contexts)
    if shape == "explain":
        return TermSpec(
            shape, draw.weighted({"xed": 4.0, "dex": 1.0, "nex": 1.0}), target, "", coef
        )
    if shape == "predict":
        return TermSpec(
            shape, draw.weighted({"xed": 3.0, "dex": 1.5, "nex": 1.0}), "", context, coef
        )
    if shape == "bridge":  # one text only: the move explains it instead
        return TermSpec("explain", "xed", target, "", coef)
    if shape == "bridge" and context != target:
        return TermSpec(shape, draw.weighted({"xed": 3.0, "dex": 1.0}), target, context, coef)
    return TermSpec(shape, draw.weighted({"nex": 2.0, "xent": 1.0}), "", "", abs(coef) / 4)


def join_terms(terms: Sequence[tuple[float, str]]) -> str:
    """Weighted calls as one score: ``a + 0.5 * b - c``."""
    out = ""
    for k, (coef, call) in enumerate(terms):
        text = weighted(coef, call)
        if k == 0:
            out = text
        elif text.startswith("-"):
            out += f" - {text[1:]}"
        else:
            out += f" + {text}"
    return out


def reward_lines(terms: Sequence[tuple[float, str]], player: str, split: bool) -> list[str]:
    """``reward`` lines paying ``terms`` to ``player``: one line, or one per term."""
    head = "" if player == MAIN_PLAYER else f"{player}, "
    groups = [[t] for t in terms] if split else [list(terms)]
    return [f"reward({head}{join_terms(group)})" for group in groups]
