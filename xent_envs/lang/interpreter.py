"""The interpreter: a resumable machine that plays a checked program.

``Machine`` is an explicit state machine, not a Python generator, so its whole running state
is one small object of immutable values and dicts: ``snapshot()`` is a shallow copy, and a
trainer can branch many moves from one state. The machine never calls a model. When a line
needs judge scores it evaluates the line once with placeholders, collecting every
``(text, prefix)`` pair not yet in its score cache, and hands them out as one
``ScoreRequest``; once they are provided it evaluates the line again for real. Side effects
(registers, rewards, jumps) happen only in that complete evaluation. The cache lives as long
as the map (its texts are fixed), so a baseline such as ``xent(s)`` is asked for once. A
reward line's request also carries the items of the reward lines right after it (they change
no register, so their texts are known): consecutive reward lines cost one judge wave.

The machine meters its own work (``xent_envs.lang.limits.Limits``): instructions, score
requests, scored items and builtin work, per step and per episode, so a checked program that
loops cannot hang its caller; a number or score that is not finite never becomes a reward.

Example:
    >>> from xent_envs.lang import load, Machine, play
    >>> from xent_envs.score import Score
    >>> class Words:  # a codec: one token per word
    ...     def encode(self, text): return [hash(w) for w in text.split()]
    ...     def decode(self, ids): raise NotImplementedError
    >>> m = Machine(load('assign(s="a b")\\nelicit(x, 5)\\nreward(xent(s | x))'), Words())
    >>> m.advance().register
    'x'
    >>> m.provide_move("c").text
    'c'
    >>> m.advance().items
    (('a b', 'c'),)
    >>> m.provide_scores([Score(("a", " b"), (1.0, 2.0))])
    >>> m.advance().reason, m.scores[0]["black"]
    ('finished', 3.0)
"""

from __future__ import annotations

import copy
import math
import operator
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from xent_envs.errors import ConfigError, XentRuntimeError
from xent_envs.lang.builtins import BUILTINS
from xent_envs.lang.checker import check
from xent_envs.lang.codec import Codec, cut_to_budget
from xent_envs.lang.events import (
    ElicitEvent,
    EnsureFailedEvent,
    Event,
    GameOverEvent,
    MoveEvent,
    RevealEvent,
    RewardEvent,
    RoundEndEvent,
)
from xent_envs.lang.limits import MAX_LIST_ITEMS, MAX_TEXT_CHARS, Limits
from xent_envs.lang.maptexts import has_map_texts
from xent_envs.lang.names import (
    LIST_REGISTERS,
    MAIN_PLAYER,
    OMNISCIENT_PLAYERS,
    PLAYERS,
    PUBLIC_REGISTERS,
    REGISTERS,
    STATIC_REGISTERS,
    ZERO_SUM_PAIRS,
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
    Program,
    Str,
)
from xent_envs.lang.values import EMPTY_TEXT, Text, Value, render
from xent_envs.score import Score
from xent_envs.seeding import derive_seed

__all__ = [
    "MAX_ENSURE_FAILURES",
    "ElicitRequest",
    "GameOver",
    "Machine",
    "MachineSnapshot",
    "Request",
    "ScoreRequest",
    "play",
]

#: Consecutive failures of one ``ensure`` that end the game: the reference engine asks again
#: after each of the first ten and ends the game at the eleventh (its ``MAX_ENSURE_FAILURES``
#: of 10 counts the failures it forgives).
MAX_ENSURE_FAILURES = 11


@dataclass(frozen=True)
class ElicitRequest:
    """A player must move: write register ``register``, at most ``max_tokens`` judge tokens.

    ``visible`` maps each register this player may see (public, revealed, or all for an
    omniscient player) to its text; a list register reads as a JSON array. ``feedback`` says
    why the previous try was refused (a failed ``ensure``), else None.
    """

    player: str
    register: str
    max_tokens: int
    visible: dict[str, str]
    feedback: str | None
    line: int
    round: int


@dataclass(frozen=True)
class ScoreRequest:
    """The judge must score each ``(text, prefix)``; answer with ``provide_scores``."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class GameOver:
    """The game has ended: all rounds played, or an ``ensure`` failed too many times."""

    reason: Literal["finished", "ensure_limit"]
    message: str


Request = ElicitRequest | ScoreRequest | GameOver
Register = Text | tuple[str, ...]


@dataclass
class _Usage:
    """Work counted since some point (the last move, or the start of the game)."""

    instructions: int = 0
    waves: int = 0
    items: int = 0
    work: int = 0

    def copy(self) -> _Usage:
        return _Usage(self.instructions, self.waves, self.items, self.work)


@dataclass
class _State:
    """Everything that changes while a game runs. Values are immutable: copies are shallow."""

    registers: dict[str, Register]
    pc: int = 0
    round: int = 0
    slot: int = 0
    draws: int = 0
    last_elicit: int | None = None
    last_player: str = MAIN_PLAYER
    feedback: str | None = None
    revealed: dict[str, dict[str, str]] = field(default_factory=dict)
    counters: dict[int, int] = field(default_factory=dict)
    beacons: dict[str, int] = field(default_factory=dict)
    scores: list[dict[str, float]] = field(default_factory=lambda: [{MAIN_PLAYER: 0.0}])
    events: list[Event] = field(default_factory=list)
    pending: ElicitRequest | ScoreRequest | None = None
    over: GameOver | None = None
    step_usage: _Usage = field(default_factory=_Usage)
    game_usage: _Usage = field(default_factory=_Usage)

    def copy(self) -> _State:
        return _State(
            registers=dict(self.registers),
            pc=self.pc,
            round=self.round,
            slot=self.slot,
            draws=self.draws,
            last_elicit=self.last_elicit,
            last_player=self.last_player,
            feedback=self.feedback,
            revealed={p: dict(v) for p, v in self.revealed.items()},
            counters=dict(self.counters),
            beacons=dict(self.beacons),
            scores=[dict(s) for s in self.scores],
            events=list(self.events),
            pending=self.pending,
            over=self.over,
            step_usage=self.step_usage.copy(),
            game_usage=self.game_usage.copy(),
        )


@dataclass(frozen=True)
class MachineSnapshot:
    """A frozen copy of a running game, for ``Machine.restore`` (opaque otherwise)."""

    program: Program
    state: _State = field(repr=False)


@dataclass(frozen=True)
class _Step:
    """An instruction with its arguments sorted out once, before the game runs."""

    name: str
    line: int
    text: str
    player: str
    registers: tuple[str, ...] = ()
    exprs: tuple[Expr, ...] = ()
    number: int = 0
    flag: str = ""


def _compile(ins: Instruction) -> _Step:
    args = ins.args
    player = MAIN_PLAYER
    if (
        ins.name in ("elicit", "reveal", "reward")
        and args
        and isinstance(args[0], Name)
        and args[0].id in PLAYERS
    ):
        player, args = args[0].id, args[1:]
    head = (ins.name, ins.line, ins.to_source(), player)
    names = tuple(a.id for a in args if isinstance(a, Name))
    if ins.name == "assign":
        return _Step(
            *head,
            registers=tuple(k.name for k in ins.kwargs),
            exprs=tuple(k.value for k in ins.kwargs),
        )
    if ins.name == "elicit":
        budget = args[-1]
        assert isinstance(budget, Num) and isinstance(budget.value, int)
        return _Step(*head, registers=names, number=budget.value)
    if ins.name == "reveal":
        return _Step(*head, registers=names)
    if ins.name in ("reward", "ensure"):
        return _Step(*head, exprs=args)
    count = args[-1].value if ins.name == "replay" and isinstance(args[-1], Num) else 0
    return _Step(*head, flag=names[0], number=int(count))


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_PLACEHOLDER = Score()


class Machine:
    """A running game: call ``advance()`` and answer what it asks until ``GameOver``.

    Args:
        program: a loaded program whose map texts are instantiated (no ``story()`` left).
            A program that ``check`` has not passed yet (a hand-built one) is checked here.
        codec: the judge's tokenizer (``encode``/``decode``): cuts moves to their budget and
            serves ``first_n_tokens``/``last_n_tokens``. A ``Judge`` is a codec.
        rounds: rounds to play on this map; registers are emptied between rounds.
        seed: seeds ``sample`` and ``shuffle`` (with the round, line and a counter).
        statics: values of static registers (``a``, ``b1``...), kept across rounds.
        max_ensure_failures: consecutive failures of one ``ensure`` that end the game
            (``GameOver(reason="ensure_limit")``); the default, 11, is the reference engine's
            rule (ten failures are asked again, the eleventh ends the game).
        limits: running bounds on the game's work (``Limits()``: far above any real game).

    Raises:
        ConfigError: bad options, static values, or a program that still calls ``story()``.
        XentCheckError: the program breaks a rule of the language.
    """

    def __init__(
        self,
        program: Program,
        codec: Codec,
        *,
        rounds: int = 1,
        seed: int = 0,
        statics: Mapping[str, str] | None = None,
        max_ensure_failures: int = MAX_ENSURE_FAILURES,
        limits: Limits | None = None,
    ) -> None:
        if rounds < 1:
            raise ConfigError(f"rounds must be at least 1, got {rounds}")
        if max_ensure_failures < 1:
            raise ConfigError(f"max_ensure_failures must be at least 1, got {max_ensure_failures}")
        if limits is not None and not isinstance(limits, Limits):
            raise ConfigError(f"limits must be a Limits, got {type(limits).__name__}")
        check(program)
        if has_map_texts(program):
            raise ConfigError(
                "the program still calls story() or another map-text function; "
                "make a map first with instantiate_map(program, source, seed)"
            )
        self._program = program
        self._codec = codec
        self._rounds = rounds
        self._seed = seed
        self._max_failures = max_ensure_failures
        self._limits = limits or Limits()
        self._bounds = {
            name: (
                getattr(self._limits, f"{name}_per_step"),
                getattr(self._limits, f"{name}_per_episode"),
            )
            for name in ("instructions", "waves", "items", "work")
        }
        self._statics = _check_statics(statics or {})
        self._steps = tuple(_compile(ins) for ins in program.instructions)
        # Judge answers are a pure function of (text, prefix): a machine and all its
        # snapshots share one cache, so a branch never asks twice for what another got.
        self._cache: dict[tuple[str, str], Score] = {}
        self._missing: dict[tuple[str, str], None] = {}
        self._draw = 0
        self._line = 0
        self._state = _State(registers=self._fresh_registers())

    # -- public face ---------------------------------------------------------------------
    @property
    def program(self) -> Program:
        """The program being played."""
        return self._program

    @property
    def events(self) -> list[Event]:
        """The event log so far (read it; do not change it)."""
        return self._state.events

    @property
    def round(self) -> int:
        """The current round, 0-based (equals ``rounds`` once all are played)."""
        return self._state.round

    @property
    def rounds(self) -> int:
        """How many rounds this game plays."""
        return self._rounds

    @property
    def scores(self) -> list[dict[str, float]]:
        """Per round, each rewarded player's total in bits (the main player always present)."""
        return [dict(s) for s in self._state.scores]

    @property
    def limits(self) -> Limits:
        """The running bounds of this game."""
        return self._limits

    @property
    def usage(self) -> dict[str, dict[str, int]]:
        """Work counted against ``limits``: ``{"step": {...}, "episode": {...}}``, each with
        ``instructions``, ``waves``, ``items`` and ``work`` (the step's since the last move)."""
        st = self._state
        return {"step": asdict(st.step_usage), "episode": asdict(st.game_usage)}

    def advance(self) -> Request:
        """Run until a move or scores are needed, or the game ends; return what is needed.

        Calling it again before answering returns the same request.

        Raises:
            XentRuntimeError: the program exceeds one of its ``limits`` (a loop that never asks
                for a move, too many score requests...), builds a string or list over
                ``MAX_TEXT_CHARS``/``MAX_LIST_ITEMS``, or makes a number or score that is not
                finite. The message names the line and the limit.
        """
        st = self._state
        if st.over is not None:
            return st.over
        if st.pending is not None:
            return st.pending
        while True:
            if st.pc >= len(self._steps):
                self._end_round()
                if st.over is not None:
                    return st.over
                continue
            step = self._steps[st.pc]
            self._line = step.line
            self._count("instructions", 1, "instructions")
            request = self._execute(step)
            if request is not None:
                return request

    def provide_move(self, text: str) -> MoveEvent:
        """Answer the pending ``ElicitRequest``; a move over budget is cut to its first
        ``max_tokens`` judge tokens (the language's rule: the text itself when it fits, else
        the decoded first tokens). Returns the ``MoveEvent``: the text kept, how many tokens
        it holds (at most the budget) and whether it was cut.

        Raises:
            XentRuntimeError: no move is pending, or ``text`` is not a string.
        """
        st = self._state
        request = st.pending
        if not isinstance(request, ElicitRequest):
            raise XentRuntimeError(
                f"no move is pending; advance() asked for {type(request or st.over).__name__}"
            )
        if not isinstance(text, str):
            raise XentRuntimeError(f"a move must be a str, got {type(text).__name__}")
        st.step_usage = _Usage()
        self._line = request.line
        self.charge(len(text))
        kept, tokens = cut_to_budget(self._codec, text, request.max_tokens)
        st.registers[request.register] = Text(kept)
        event = MoveEvent(
            request.player, request.register, kept, kept != text, request.line, st.round, tokens
        )
        st.events.append(event)
        st.pending = None
        st.feedback = None
        step = self._steps[st.pc]
        st.slot += 1
        if st.slot == len(step.registers):
            st.slot = 0
            st.last_elicit = st.pc
            st.last_player = step.player
            st.pc += 1
        return event

    def provide_scores(self, scores: Sequence[Score]) -> None:
        """Answer the pending ``ScoreRequest``: one ``Score`` per item, in order.

        Raises:
            XentRuntimeError: no scores are pending, or the answer does not fit the request.
        """
        st = self._state
        request = st.pending
        if not isinstance(request, ScoreRequest):
            raise XentRuntimeError(
                f"no scores are pending; advance() asked for {type(request or st.over).__name__}"
            )
        if len(scores) != len(request.items):
            raise XentRuntimeError(f"expected {len(request.items)} scores, got {len(scores)}")
        for item, score in zip(request.items, scores):
            if not isinstance(score, Score):
                raise XentRuntimeError(f"expected Score values, got {type(score).__name__}")
            if not all(math.isfinite(b) for b in score.bits):
                raise XentRuntimeError(
                    f"the judge scored {item[0][:60]!r} (prefix {item[1][:60]!r}) with a value "
                    f"that is not finite: {score.bits}"
                )
        for item, score in zip(request.items, scores):
            self._cache[item] = score
        st.pending = None

    def snapshot(self) -> MachineSnapshot:
        """A copy of the running game, to ``restore`` later (any number of times)."""
        return MachineSnapshot(self._program, self._state.copy())

    def branch(self) -> Machine:
        """An independent machine in this machine's current state, for trying a move.

        It shares the score cache (a score depends only on its text and prefix), so what
        one branch paid the judge for, every branch and the trunk get for free.
        """
        twin = copy.copy(self)
        twin._state = self._state.copy()
        return twin

    def restore(self, snapshot: MachineSnapshot) -> None:
        """Return to the state of ``snapshot`` (taken from a machine running this program).

        Raises:
            ConfigError: the snapshot is of another program.
        """
        if snapshot.program is not self._program and snapshot.program != self._program:
            raise ConfigError("this snapshot was taken from a machine running another program")
        self._state = snapshot.state.copy()

    # -- Context for builtins ------------------------------------------------------------
    def score(self, text: str, prefix: str) -> Score:
        """A judge score from the cache, or a placeholder while collecting what to ask."""
        if not text:
            return _PLACEHOLDER
        key = (text, prefix)
        cached = self._cache.get(key)
        if cached is None:
            self._missing[key] = None
            return _PLACEHOLDER
        return cached

    def encode(self, text: str) -> list[int]:
        """The codec's token ids of ``text``."""
        return self._codec.encode(text)

    def decode(self, ids: Sequence[int]) -> str:
        """The codec's text of ``ids``."""
        return self._codec.decode(ids)

    def rng(self) -> random.Random:
        """A generator seeded by (seed, round, line, draw counter): replays exactly."""
        seed = derive_seed(self._seed, self._state.round, self._line, self._draw)
        self._draw += 1
        return random.Random(seed)

    def charge(self, work: int) -> None:
        """Count ``work`` characters about to be read or written by the current line.

        Raises:
            XentRuntimeError: past ``limits.work_per_step`` or ``limits.work_per_episode``.
        """
        self._count("work", work, "characters of builtin work")

    def _count(self, name: str, amount: int, unit: str) -> None:
        """Add ``amount`` to the step's and the game's usage of ``name``; past a limit, raise
        an error that names the line, the limit and how to change it."""
        st = self._state
        step = getattr(st.step_usage, name) + amount
        game = getattr(st.game_usage, name) + amount
        setattr(st.step_usage, name, step)
        setattr(st.game_usage, name, game)
        step_limit, game_limit = self._bounds[name]
        if step > step_limit:
            raise self._over(name, unit, step_limit, "step")
        if game > game_limit:
            raise self._over(name, unit, game_limit, "episode")

    def _over(self, name: str, unit: str, limit: int, scope: str) -> XentRuntimeError:
        where = "one step (from a move to the next request for a move)"
        return XentRuntimeError(
            f"line {self._line}: the game needs more than {limit} {unit} in "
            f"{where if scope == 'step' else 'one episode'} (Limits.{name}_per_{scope}); "
            f"is a replay loop too long, or a text too large?"
        )

    # -- instructions --------------------------------------------------------------------
    def _execute(self, step: _Step) -> Request | None:
        st = self._state
        name = step.name
        if name == "elicit":
            return self._elicit(step)
        if name == "beacon":
            st.beacons[step.flag] = st.pc
            st.pc += 1
            return None
        if name == "replay":
            done = st.counters.get(st.pc, 0)
            if done < step.number:
                st.counters[st.pc] = done + 1
                st.pc = st.beacons[step.flag]
            else:
                st.counters[st.pc] = 0
                st.pc += 1
            return None
        if name == "reveal":
            shown = {r: render(st.registers[r]) for r in step.registers}
            st.revealed.setdefault(step.player, {}).update(shown)
            st.events.append(RevealEvent(step.player, shown, step.line, st.round))
            st.pc += 1
            return None
        values = self._evaluate(step)
        if values is None:
            assert st.pending is not None
            return st.pending
        if name == "assign":
            for register, value in zip(step.registers, values):
                assert isinstance(value, (Text, tuple))
                st.registers[register] = value
        elif name == "reward":
            score = values[0]
            assert isinstance(score, Score)
            self._pay(step.player, score, step.line)
            other = ZERO_SUM_PAIRS.get(step.player)
            if other is not None:
                self._pay(other, -score, step.line)
        else:
            return self._ensure(step, all(values))
        st.pc += 1
        return None

    def _elicit(self, step: _Step) -> ElicitRequest:
        st = self._state
        register = step.registers[st.slot]
        request = ElicitRequest(
            step.player,
            register,
            step.number,
            self._visible(step.player),
            st.feedback,
            step.line,
            st.round,
        )
        st.events.append(ElicitEvent(step.player, register, step.number, step.line, st.round))
        st.pending = request
        return request

    def _ensure(self, step: _Step, passed: bool) -> GameOver | None:
        st = self._state
        if passed:
            st.counters.pop(st.pc, None)
            st.pc += 1
            return None
        failures = st.counters.get(st.pc, 0) + 1
        feedback = (
            f"Your move was refused by line {step.line}: {step.text} "
            f"(failure {failures}; failure {self._max_failures} in a row ends the game). "
            "Try again."
        )
        st.events.append(EnsureFailedEvent(st.last_player, step.line, st.round, failures, feedback))
        if failures >= self._max_failures:
            message = f"line {step.line} failed {failures} times in a row: {step.text}"
            st.over = GameOver("ensure_limit", message)
            st.events.append(GameOverEvent("ensure_limit", message, st.round))
            return st.over
        st.counters[st.pc] = failures
        st.feedback = feedback
        assert st.last_elicit is not None  # the checker puts an elicit before every ensure
        st.pc = st.last_elicit
        st.slot = 0
        return None

    def _pay(self, player: str, score: Score, line: int) -> None:
        st = self._state
        totals = st.scores[st.round]
        total = totals.get(player, 0.0) + self._total(score)
        if not math.isfinite(total):
            raise XentRuntimeError(f"line {line}: {player}'s total for the round is not finite")
        totals[player] = total
        st.events.append(RewardEvent(player, score, line, st.round))

    def _end_round(self) -> None:
        st = self._state
        st.events.append(RoundEndEvent(st.round, dict(st.scores[st.round])))
        st.round += 1
        if st.round >= self._rounds:
            message = f"all {self._rounds} round(s) played"
            st.over = GameOver("finished", message)
            st.events.append(GameOverEvent("finished", message, st.round - 1))
            return
        st.registers = self._fresh_registers()
        st.pc = st.slot = st.draws = 0
        st.last_elicit, st.last_player, st.feedback = None, MAIN_PLAYER, None
        st.revealed, st.counters, st.beacons = {}, {}, {}
        st.scores.append({MAIN_PLAYER: 0.0})

    def _visible(self, player: str) -> dict[str, str]:
        registers = self._state.registers
        omniscient = player in OMNISCIENT_PLAYERS
        visible = {
            name: render(value)
            for name, value in registers.items()
            if (omniscient or name in PUBLIC_REGISTERS) and value not in (EMPTY_TEXT, ())
        }
        if not omniscient:
            visible.update(self._state.revealed.get(player, {}))
        return visible

    def _fresh_registers(self) -> dict[str, Register]:
        registers: dict[str, Register] = {
            r: (() if r in LIST_REGISTERS else EMPTY_TEXT) for r in REGISTERS
        }
        registers.update(self._statics)
        return registers

    # -- expressions ---------------------------------------------------------------------
    def _evaluate(self, step: _Step) -> list[Value] | None:
        """Values of the step's expressions, or None after posting a ``ScoreRequest``."""
        st = self._state
        self._missing = {}
        self._draw = st.draws
        values = [self._eval(e) for e in step.exprs]
        if self._missing:
            if step.name == "reward":
                self._prefetch(st.pc + 1)
            self._count("waves", 1, "score requests (judge waves)")
            self._count("items", len(self._missing), "scored (text, prefix) items")
            st.pending = ScoreRequest(tuple(self._missing))
            return None
        st.draws = self._draw
        return values

    def _prefetch(self, pc: int) -> None:
        """Add the judge items of the reward lines right after a reward line to its request.

        A reward line changes no register, so the reward lines that follow it will be
        evaluated on the registers as they are now: asking their items in the same wave saves
        a judge call per line (Synthesize's three reward lines cost one wave, not three). The
        look-ahead only collects items: nothing is paid, draws are not kept, the work it
        counted is given back, and an error ends it (the line raises it when it really runs).
        """
        st = self._state
        step_usage, game_usage, line = st.step_usage.copy(), st.game_usage.copy(), self._line
        try:
            while pc < len(self._steps) and self._steps[pc].name == "reward":
                self._line = self._steps[pc].line
                for expr in self._steps[pc].exprs:
                    self._eval(expr)
                pc += 1
        except XentRuntimeError:
            pass
        finally:
            st.step_usage, st.game_usage, self._line = step_usage, game_usage, line

    def _eval(self, expr: Expr) -> Value:
        return _EVALUATORS[type(expr)](self, expr)

    def _total(self, score: Score) -> float:
        """``score.total``, refused unless finite: such a score is never paid or compared."""
        try:
            total = score.total
        except (OverflowError, ValueError):  # math.fsum: inf - inf, or a sum past 1e308
            total = math.nan
        if not math.isfinite(total):
            raise XentRuntimeError(
                f"line {self._line}: a score is not a finite number of bits; is a scale too large?"
            )
        return total

    def _checked(self, value: Value) -> Value:
        """``value`` if it keeps the language's bounds: finite numbers and scores, strings of
        at most ``MAX_TEXT_CHARS`` characters, lists of at most ``MAX_LIST_ITEMS`` items."""
        if isinstance(value, Score):
            self._total(value)
        elif isinstance(value, Text):
            self._check_length(len(value.text))
        elif isinstance(value, tuple):
            if len(value) > MAX_LIST_ITEMS:
                raise XentRuntimeError(
                    f"line {self._line} builds a list of {len(value)} items; at most "
                    f"{MAX_LIST_ITEMS} are allowed"
                )
        elif not isinstance(value, bool):
            try:
                finite = math.isfinite(value)
            except OverflowError:  # an int too large for a float
                finite = False
            if not finite:
                raise XentRuntimeError(
                    f"line {self._line}: a number is out of range ({str(value)[:40]}); "
                    "numbers must be finite floats"
                )
        return value

    def _check_length(self, length: int) -> None:
        if length > MAX_TEXT_CHARS:
            raise XentRuntimeError(
                f"line {self._line} builds a string longer than {MAX_TEXT_CHARS} characters"
            )

    def _eval_str(self, expr: Expr) -> Value:
        assert isinstance(expr, Str)
        return Text(expr.value)

    def _eval_num(self, expr: Expr) -> Value:
        assert isinstance(expr, Num)
        return expr.value

    def _eval_name(self, expr: Expr) -> Value:
        assert isinstance(expr, Name)
        return self._state.registers[expr.id]

    def _eval_list(self, expr: Expr) -> Value:
        assert isinstance(expr, ListLit)
        items = []
        for item in expr.items:
            value = self._eval(item)
            assert isinstance(value, Text)
            items.append(value.text)
        return self._checked(tuple(items))

    def _eval_call(self, expr: Expr) -> Value:
        assert isinstance(expr, Call)
        impl = BUILTINS[expr.func].impl
        assert impl is not None  # map-text calls are gone before a Machine is built
        return self._checked(impl(self, *(self._eval(a) for a in expr.args)))

    def _eval_neg(self, expr: Expr) -> Value:
        assert isinstance(expr, Neg)
        value = self._eval(expr.operand)
        assert isinstance(value, (Score, int, float)) and not isinstance(value, bool)
        return -value

    def _eval_compare(self, expr: Expr) -> Value:
        assert isinstance(expr, Compare)
        left = self._comparable(self._eval(expr.left))
        right = self._comparable(self._eval(expr.right))
        if isinstance(left, str) and isinstance(right, str):
            self.charge(min(len(left), len(right)))
        return _COMPARE[expr.op](left, right)

    def _comparable(self, value: Value) -> object:
        """Scores compare by their totals, strings by their text (prefixes aside)."""
        if isinstance(value, Score):
            return self._total(value)
        if isinstance(value, Text):
            return value.text
        return value

    def _eval_binop(self, expr: Expr) -> Value:
        assert isinstance(expr, BinOp)
        left, right = self._eval(expr.left), self._eval(expr.right)
        op = expr.op
        if isinstance(left, Text) and isinstance(right, Text):
            a, b = left.text, right.text
            if op == "|":
                return Text(a, b)
            self.charge(len(a) + len(b))
            if op == "+":
                # Checked before the string is built: a doubling loop must not allocate first.
                self._check_length(len(a) + len(b))
                return Text(a + b)
            cut = a.find(b) if b else -1
            if op == "//":
                return Text(a if cut < 0 else a[:cut])
            return Text("" if cut < 0 else a[cut + len(b) :])
        # The checker allows score+score, score-score, score*number and number (op) number.
        assert isinstance(left, (Score, int, float)) and isinstance(right, (Score, int, float))
        result: Value
        if op == "+":
            result = left + right  # type: ignore[operator]
        elif op == "-":
            result = left - right  # type: ignore[operator]
        else:
            try:
                result = left * right  # type: ignore[operator]
            except OverflowError:  # a huge int times a score's bits
                result = math.inf
        return self._checked(result)


def _check_statics(statics: Mapping[str, str]) -> dict[str, Register]:
    values: dict[str, Register] = {}
    for name, value in statics.items():
        if name not in STATIC_REGISTERS:
            raise ConfigError(
                f"statics may set only static registers "
                f"({', '.join(sorted(STATIC_REGISTERS))}), got '{name}'"
            )
        if not isinstance(value, str):
            raise ConfigError(f"static register '{name}' needs a str, got {type(value).__name__}")
        values[name] = Text(value)
    return values


def play(
    machine: Machine,
    score_fn: Callable[[Sequence[tuple[str, str]]], Sequence[Score]],
    move_fn: Callable[[ElicitRequest], str],
) -> GameOver:
    """Drive ``machine`` to the end: ``score_fn`` answers score batches (``judge.score_batch``
    fits), ``move_fn`` answers elicit requests. Returns the final ``GameOver``."""
    while True:
        request = machine.advance()
        if isinstance(request, GameOver):
            return request
        if isinstance(request, ScoreRequest):
            machine.provide_scores(score_fn(request.items))
        else:
            machine.provide_move(move_fn(request))


# Plain functions, not bound methods: a branch (a shallow copy) must evaluate with its own state.
_EVALUATORS: dict[type, Callable[[Machine, Expr], Value]] = {
    Str: Machine._eval_str,
    Num: Machine._eval_num,
    Name: Machine._eval_name,
    ListLit: Machine._eval_list,
    Call: Machine._eval_call,
    BinOp: Machine._eval_binop,
    Neg: Machine._eval_neg,
    Compare: Machine._eval_compare,
}
