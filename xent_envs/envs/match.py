"""``Match``: one running game, seat by seat; the core that every view drives.

A match owns a game instance, its map, the interpreter's ``Machine`` and everything a seat
keeps across moves: what it was last shown, why its last move was rejected, which rewards it
has already collected. It has no Gymnasium or PettingZoo types: the single-agent ``XentEnv``,
the batched ``XentVectorEnv`` and the multi-agent views are thin presentations of it.

Life of a match::

    match = Match(instance, judge)
    advance_all([match], judge)          # the driver answers its judge requests (batched)
    match.pending_seat                   # 'black': whose move it is (None once over)
    match.observe("black"), match.info("black")
    match.play("black", token_ids)       # MoveResult: played (as the machine kept it) or
                                         # rejected (bad ids: nothing played, feedback set)
    advance_all([match], judge)          # resume: rewards are paid, the next seat is asked
    match.claim_rewards("black")         # the reward terms paid to black since its last claim

Matches speak the machine's two-call protocol (``advance``/``provide_scores``), so
``xent_envs.envs.driver`` advances any number of them with one de-duplicated judge call per
wave, and ``play_until`` plays the seats that policies hold (opponents, continuations) on the
way. ``branch()`` copies a running match (sharing the judge-score cache) for counterfactuals;
``score_actions`` uses it to score many candidate moves in shared waves.

Visibility: ``observe(seat)`` shows only what the machine's ``visible`` rules give that seat
(public registers, its reveals, everything for the omniscient black/white/env). A seat that
is not asked now sees what it was shown at its last elicit, and who is to move.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xent_envs.envs.driver import play_until
from xent_envs.envs.maps import map_program
from xent_envs.envs.observation import RoundRecord, quote, render_game_over, render_observation
from xent_envs.envs.opponents import Opponent, echo_opponent
from xent_envs.errors import ConfigError, TurnError
from xent_envs.games import GameInstance
from xent_envs.judge.base import Judge
from xent_envs.lang import (
    MAX_ENSURE_FAILURES,
    ElicitRequest,
    EnsureFailedEvent,
    GameOver,
    GameOverEvent,
    Machine,
    MoveEvent,
    Program,
    Request,
    RewardEvent,
    ScoreRequest,
)
from xent_envs.lang.names import MAIN_PLAYER, PLAYERS
from xent_envs.lang.nodes import Instruction, Name, Num
from xent_envs.maps import (
    DEFAULT_TEXT_SOURCE,
    MapSource,
    judge_digest,
    resolve_text_source,
    source_token,
)
from xent_envs.registration import game_space
from xent_envs.score import Score
from xent_envs.spaces import as_token_ids

__all__ = [
    "MAX_OBSERVATION_CHARS",
    "ActionScore",
    "ElicitLine",
    "Match",
    "MoveResult",
    "RewardTerm",
    "elicit_line",
    "invalid_move_reason",
    "score_candidates",
    "seat_budgets",
]

MAX_OBSERVATION_CHARS = 65536


@dataclass(frozen=True)
class RewardTerm:
    """One ``reward`` line paid to ``seat``: its total in bits and the per-token detail."""

    seat: str
    line: int
    round: int
    score: Score

    @property
    def total(self) -> float:
        """Bits paid (the sum over the scored tokens)."""
        return self.score.total

    def to_json(self) -> dict[str, Any]:
        """``{"line", "round", "total", "tokens", "bits"}``: an item of ``reward_terms``."""
        return {"line": self.line, "round": self.round, **self.score.to_json()}


@dataclass(frozen=True)
class MoveResult:
    """What became of a move.

    ``accepted`` moves were played: ``text`` is what the machine kept (cut to the budget by the
    language's rule), ``tokens`` its length in judge tokens, ``cut`` whether it was cut.
    Rejected moves (``reason`` says why) left the game untouched; the seat is asked again.
    """

    seat: str
    register: str
    round: int
    accepted: bool
    reason: str | None = None
    text: str = ""
    tokens: int = 0
    cut: bool = False


@dataclass(frozen=True)
class ActionScore:
    """The outcome of one candidate of ``Match.score_actions``.

    ``reward`` is what the move would earn (``-inf`` when it is not ``legal``: bad token ids,
    or refused by an ``ensure``, ``reason`` saying which), so ranking by reward never prefers
    a refused move to a legal one. ``terms`` are the reward lines it would be paid.
    """

    reward: float
    legal: bool
    reason: str | None = None
    terms: tuple[RewardTerm, ...] = ()


@dataclass(frozen=True)
class ElicitLine:
    """One ``elicit`` instruction: the seat asked, the registers it writes (one move each, in
    order) and the token budget of each move."""

    seat: str
    registers: tuple[str, ...]
    budget: int
    line: int


def elicit_line(ins: Instruction) -> ElicitLine | None:
    """``ins`` read as an ``elicit`` (``None`` for any other instruction): the seat is the
    first argument when it names a player, else the main player, as the interpreter reads it."""
    if ins.name != "elicit":
        return None
    args = ins.args
    seat = MAIN_PLAYER
    if args and isinstance(args[0], Name) and args[0].id in PLAYERS:
        seat, args = args[0].id, args[1:]
    last = args[-1] if args else None
    budget = int(last.value) if isinstance(last, Num) else 0
    registers = tuple(a.id for a in args if isinstance(a, Name))
    return ElicitLine(seat, registers, budget, ins.line)


def seat_budgets(program: Program) -> dict[str, int]:
    """Each seat the program asks for moves, in order of its first ``elicit``, with its
    largest token budget."""
    budgets: dict[str, int] = {}
    for ins in program.instructions:
        asked = elicit_line(ins)
        if asked is not None:
            budgets[asked.seat] = max(budgets.get(asked.seat, 0), asked.budget)
    return budgets


def invalid_move_reason(ids: list[int] | None, vocab_size: int) -> str | None:
    """Why token ids cannot be a move (``None`` when they can): not a flat integer sequence
    (``as_token_ids`` gave ``None``), or ids outside the judge's vocabulary."""
    if ids is None:
        return "an action must be a flat sequence of integer token ids"
    bad = [t for t in ids if not 0 <= t < vocab_size]
    if bad:
        return f"token ids must be in [0, {vocab_size}); got {bad[:5]}"
    return None


class Match:
    """One running game of ``instance``, judged by ``judge``.

    Args:
        instance: the game instance (game, parameters, map seed). One bound to a judge and a
            text source (read from an id) must name ``judge`` and ``text_source``.
        judge: scores the moves and writes the map texts (maps are cached per process, see
            ``xent_envs.envs.maps``).
        text_source: where the map texts come from: a ``MapSource`` or a name
            (``xent_envs.maps.resolve_text_source``; default ``"stories"``).
        max_ensure_failures: consecutive failures of one ``ensure`` that end the game.

    Raises:
        ConfigError: the instance names another program, judge or text source.

    Attributes:
        instance, space, judge, machine: what is played (the instance bound to the judge and
            text source), and the interpreter playing it.
        source: the text source.
        seats: the seats the program asks for moves, in order of their first ``elicit``.
        budgets: each seat's largest token budget in this instance.
    """

    def __init__(
        self,
        instance: GameInstance,
        judge: Judge,
        *,
        text_source: MapSource | str = DEFAULT_TEXT_SOURCE,
        max_ensure_failures: int = MAX_ENSURE_FAILURES,
    ) -> None:
        self.space = game_space(instance.env_id)
        if instance.digest != self.space.digest:
            raise ConfigError(
                f"instance {instance.id!r} names the program {instance.digest}; "
                f"{self.space.env_id} is the program {self.space.digest} here"
            )
        self.source = resolve_text_source(text_source)
        self.instance = instance.bound(judge=judge_digest(judge), texts=source_token(self.source))
        self.judge = judge
        program = map_program(self.space, self.instance, judge, self.source)
        self.budgets = seat_budgets(program)
        self.seats: tuple[str, ...] = tuple(self.budgets)
        self.machine = Machine(
            program,
            judge,
            rounds=int(instance.param_dict["rounds"]),
            seed=instance.seed,
            max_ensure_failures=max_ensure_failures,
        )
        self._pending: ElicitRequest | GameOver | None = None
        self._shown: dict[str, ElicitRequest] = {}
        self._rejected: dict[str, str] = {}
        self._claimed: dict[str, int] = {}
        self._notes: list[tuple[int, str]] = []

    # ----------------------------------------------------------------- state
    @property
    def pending(self) -> ElicitRequest | GameOver | None:
        """The move asked for now, the end of the game, or ``None`` while the match must be
        advanced (by the driver) before anyone can move."""
        return self._pending

    @property
    def pending_seat(self) -> str | None:
        """The seat that moves next (``None`` when the game is over or must advance)."""
        return self._pending.player if isinstance(self._pending, ElicitRequest) else None

    @property
    def over(self) -> GameOver | None:
        """How the game ended, or ``None`` while it runs."""
        return self._pending if isinstance(self._pending, GameOver) else None

    # ----------------------------------------------------------------- driver protocol
    def advance(self) -> Request:
        """The machine's ``advance``, noting what each seat is shown (for drivers)."""
        request = self.machine.advance()
        if isinstance(request, ScoreRequest):
            self._pending = None
        else:
            self._pending = request
            if isinstance(request, ElicitRequest):
                self._shown[request.player] = request
        return request

    def provide_scores(self, scores: Sequence[Score]) -> None:
        """The machine's ``provide_scores`` (for drivers)."""
        self.machine.provide_scores(scores)

    # ----------------------------------------------------------------- moves
    def play(self, seat: str, action: Any) -> MoveResult:
        """Play ``action`` (judge token ids) for ``seat``; bad ids are rejected, not raised.

        Raises:
            TurnError: ``seat`` is not the seat asked now, or the game is over.
        """
        request = self._expect(seat)
        ids = as_token_ids(action)
        reason = invalid_move_reason(ids, self.judge.vocab_size)
        if reason is not None or ids is None:
            return self._reject(request, reason or "")
        return self._provide(request, self.judge.decode(ids))

    def play_text(self, seat: str, text: str) -> MoveResult:
        """Play ``text`` for ``seat`` (cut to the budget in judge tokens by the machine).

        Raises:
            TurnError: ``seat`` is not the seat asked now, or the game is over.
        """
        request = self._expect(seat)
        if not isinstance(text, str):
            return self._reject(request, f"a text move must be a str, got {type(text).__name__}")
        return self._provide(request, text)

    def play_policy(self, policy: Opponent) -> MoveResult:
        """Ask ``policy`` for the pending seat's move and play it.

        Raises:
            ConfigError: the policy answered something that is not a move (a programming
                error of the policy; asking again would loop).
        """
        request = self._expect(self.pending_seat or "")
        seat = request.player
        move = policy(self.observe(seat), {**self.info(seat), "visible": dict(request.visible)})
        result = self.play_text(seat, move) if isinstance(move, str) else self.play(seat, move)
        if not result.accepted:
            raise ConfigError(
                f"the policy playing {seat} returned an invalid move ({result.reason}): "
                f"{move!r:.80}"
            )
        return result

    # ----------------------------------------------------------------- views of a seat
    def observe(self, seat: str) -> str:
        """What ``seat`` reads now (see ``xent_envs.envs.observation`` for the format)."""
        request = self._pending
        if isinstance(request, GameOver):
            text = render_game_over(
                game=self.space.name, reason=request.reason, history=self.history(seat)
            )
        else:
            asked = request is not None and request.player == seat
            shown = request if asked else self._shown.get(seat)
            text = render_observation(
                game=self.space.name,
                rules=self.space.rules(self.instance.param_dict),
                round=self.machine.round,
                rounds=self.machine.rounds,
                visible=dict(shown.visible) if shown is not None else {},
                register=request.register if asked and request is not None else None,
                max_tokens=request.max_tokens if asked and request is not None else 0,
                history=self.history(seat),
                feedback=self.feedback(seat),
                waiting_for=None if asked or request is None else request.player,
            )
        return text[:MAX_OBSERVATION_CHARS]

    def feedback(self, seat: str) -> str | None:
        """Why ``seat``'s last move did not count (rejected, or refused by an ``ensure``)."""
        if seat in self._rejected:
            return self._rejected[seat]
        request = self._pending
        if isinstance(request, ElicitRequest) and request.player == seat:
            return request.feedback
        return None

    def info(self, seat: str) -> dict[str, Any]:
        """The ``info`` dict of ``seat`` (see README, "info").

        ``round_scores`` are ``seat``'s totals per round; ``map_score`` is the best of them
        (the evaluation's score of a map) and ``episode_return`` their sum (what the step
        rewards of an episode add up to: the RL return). ``seed`` and ``map_seed`` are the
        instance's map seed. ``player``/``register``/``max_tokens`` describe the move asked
        now, whoever's it is.
        """
        rounds = self.round_scores(seat)
        info: dict[str, Any] = {
            "game": self.instance.game,
            "instance_id": self.instance.id,
            "params": self.instance.param_dict,
            "seed": self.instance.seed,
            "map_seed": self.instance.seed,
            "seat": seat,
            "round": self.machine.round,
            "rounds": self.machine.rounds,
            "round_scores": rounds,
            "map_score": max(rounds),
            "episode_return": math.fsum(rounds),
            "judge": self.judge.fingerprint,
            "invalid_action": False,
        }
        request = self._pending
        if isinstance(request, ElicitRequest):
            info.update(
                player=request.player, register=request.register, max_tokens=request.max_tokens
            )
        return info

    def history(self, seat: str) -> list[RoundRecord]:
        """``seat``'s finished rounds: its moves and its score in each."""
        scores = self.machine.scores
        current = self.machine.round if isinstance(self._pending, ElicitRequest) else len(scores)
        moves = [
            ev for ev in self.machine.events if isinstance(ev, MoveEvent) and ev.player == seat
        ]
        return [
            RoundRecord(
                r,
                tuple((ev.register, ev.text) for ev in moves if ev.round == r),
                scores[r].get(seat, 0.0),
            )
            for r in range(min(current, len(scores)))
        ]

    def round_scores(self, seat: str) -> list[float]:
        """``seat``'s total in bits for each round so far (the current one included)."""
        return [s.get(seat, 0.0) for s in self.machine.scores]

    def claim_rewards(self, seat: str) -> list[RewardTerm]:
        """The reward terms paid to ``seat`` since its previous claim (all of them the first
        time): a step's reward, or an AEC view's reward since the seat last moved."""
        start = self._claimed.get(seat, 0)
        self._claimed[seat] = len(self.machine.events)
        return self._terms(seat, start)

    def step_info(
        self, seat: str, moved: MoveResult, terms: Sequence[RewardTerm]
    ) -> dict[str, Any]:
        """``info(seat)`` after a step that played ``moved``, ``seat`` being paid ``terms``.

        Every seat's info says who moved (``moved_seat``) and what the seat was paid
        (``reward_terms``, ``token_rewards``: (token, bits) pairs). The info of the seat that
        moved also says what became of its move: ``move``, ``move_tokens`` and ``cut`` (as the
        machine kept it) and ``ensure_failed``, or ``invalid_action`` and ``reason`` when it
        was rejected. The single-agent env and the multi-agent views all build their step
        infos here, so the keys mean the same in every view.
        """
        info = self.info(seat)
        info["moved_seat"] = moved.seat
        if moved.seat == seat and not moved.accepted:
            info.update(invalid_action=True, reason=moved.reason)
            return info
        info.update(
            reward_terms=[t.to_json() for t in terms],
            token_rewards=[p for t in terms for p in zip(t.score.tokens, t.score.bits)],
        )
        if moved.seat == seat:
            info.update(
                move=moved.text,
                move_tokens=moved.tokens,
                cut=moved.cut,
                ensure_failed=bool(self.feedback(seat)),
            )
        return info

    def transcript(self) -> list[str]:
        """The match as text lines: moves, rejections, refusals and rewards of every seat."""
        notes = self._notes_by_index()
        lines = [f"== {self.instance.id}"]
        for i, ev in enumerate(self.machine.events):
            lines += notes.get(i, [])
            if isinstance(ev, MoveEvent):
                lines.append(f"{ev.player} {ev.register} = {quote(ev.text)}")
            elif isinstance(ev, RewardEvent):
                lines.append(f"   reward line {ev.line}: {ev.score.total:+.3f} bits ({ev.player})")
            elif isinstance(ev, EnsureFailedEvent):
                lines.append(f"!! {ev.feedback}")
            elif isinstance(ev, GameOverEvent):
                lines.append(f"== game over ({ev.reason}): {ev.message}")
        lines += notes.get(len(self.machine.events), [])
        return lines

    # ----------------------------------------------------------------- counterfactuals
    def branch(self) -> Match:
        """An independent copy of the running match (sharing the judge-score cache)."""
        twin = copy.copy(self)
        twin.machine = self.machine.branch()
        twin._shown = dict(self._shown)
        twin._rejected = dict(self._rejected)
        twin._claimed = dict(self._claimed)
        twin._notes = list(self._notes)
        return twin

    def score_actions(
        self,
        seat: str,
        actions: Sequence[Any],
        *,
        opponents: Mapping[str, Opponent] | None = None,
        continuation: Opponent | None = echo_opponent,
    ) -> list[ActionScore]:
        """What each candidate move of ``seat`` would earn now, without playing it.

        Every candidate is played on a branch; the other seats are played by ``opponents``
        (default ``echo_opponent``) as a step would; all branches' judge requests are
        answered together. A candidate's reward is what ``seat`` is paid until it is asked
        again in a later round, or the game ends.

        At a non-final elicit (the seat writes again in the same round, as in Horizon) the
        rest of the round's moves of ``seat`` are played by ``continuation``: by default the
        ``echo_opponent`` baseline (the longest text the seat can see, cut to the budget), so
        a candidate is scored as "this move, then the baseline". ``continuation=None``
        raises ``ConfigError`` there instead.

        Raises:
            TurnError: ``seat`` is not asked now.
            ConfigError: ``continuation`` is ``None`` at a non-final elicit.
        """
        self._expect(seat)
        return score_candidates(
            [(self, action) for action in actions],
            seat,
            opponents=opponents,
            continuation=continuation,
        )

    # ----------------------------------------------------------------- internals
    def _expect(self, seat: str) -> ElicitRequest:
        request = self._pending
        if isinstance(request, GameOver):
            raise TurnError(f"the game is over ({request.message}); nothing more can be played")
        if request is None:
            raise TurnError("the match must advance (answer its judge requests) before a move")
        if request.player != seat:
            raise TurnError(
                f"it is {request.player}'s turn (to write {request.register}), not {seat!r}'s"
            )
        return request

    def _reject(self, request: ElicitRequest, reason: str) -> MoveResult:
        self._rejected[request.player] = (
            f"Your move was rejected: {reason}. Nothing was played; try again."
        )
        self._notes.append((len(self.machine.events), f"!! rejected move: {reason}"))
        return MoveResult(request.player, request.register, request.round, False, reason)

    def _provide(self, request: ElicitRequest, text: str) -> MoveResult:
        self.machine.provide_move(text)
        kept = self.machine.events[-1]
        assert isinstance(kept, MoveEvent)
        self._pending = None
        self._rejected.pop(request.player, None)
        return MoveResult(
            request.player,
            request.register,
            request.round,
            True,
            None,
            kept.text,
            len(self.judge.encode(kept.text)),
            kept.cut,
        )

    def _terms(self, seat: str, start: int) -> list[RewardTerm]:
        return [
            RewardTerm(ev.player, ev.line, ev.round, ev.score)
            for ev in self.machine.events[start:]
            if isinstance(ev, RewardEvent) and ev.player == seat
        ]

    def _refusal(self, seat: str, start: int) -> str | None:
        """The feedback of an ``ensure`` that refused ``seat``'s first move after ``start``."""
        moves = 0
        for ev in self.machine.events[start:]:
            if isinstance(ev, MoveEvent) and ev.player == seat:
                moves += 1
            elif isinstance(ev, EnsureFailedEvent) and ev.player == seat and moves <= 1:
                return ev.feedback
        return None

    def _notes_by_index(self) -> dict[int, list[str]]:
        grouped: dict[int, list[str]] = {}
        for index, line in self._notes:
            grouped.setdefault(index, []).append(line)
        return grouped


def total_bits(terms: Sequence[RewardTerm]) -> float:
    """The reward of a step: the exactly rounded sum of its terms."""
    return math.fsum(t.total for t in terms)


def score_candidates(
    candidates: Sequence[tuple[Match, Any]],
    seat: str,
    *,
    opponents: Mapping[str, Opponent] | None = None,
    continuation: Opponent | None = echo_opponent,
    text: bool = False,
) -> list[ActionScore]:
    """``Match.score_actions`` over many matches at once: what each ``(match, action)`` pair
    would earn ``seat``, every branch of every match advanced in the same judge waves.

    Actions are judge token ids (played by ``Match.play``), or texts with ``text=True``
    (``Match.play_text``). The matches may be different games and maps (a trainer scores
    the completions of several instances in one merged wave); they must share one judge.

    Raises:
        TurnError: ``seat`` is not asked now in one of the matches.
        ConfigError: ``continuation`` is ``None`` at a non-final elicit, or the matches do
            not share one judge.
    """
    if not candidates:
        return []
    judge = candidates[0][0].judge
    if any(match.judge is not judge for match, _ in candidates):
        raise ConfigError("matches scored together must share one judge object")
    policies = dict(opponents or {})
    scores: list[ActionScore] = [ActionScore(-math.inf, False)] * len(candidates)
    branches, slots = [], []
    origin: dict[int, tuple[ElicitRequest, int]] = {}  # id(branch) -> (request, event mark)
    for i, (match, action) in enumerate(candidates):
        request = match._expect(seat)
        twin = match.branch()
        moved = twin.play_text(seat, action) if text else twin.play(seat, action)
        if moved.accepted:
            branches.append(twin)
            slots.append(i)
            origin[id(twin)] = (request, len(match.machine.events))
        else:
            scores[i] = ActionScore(-math.inf, False, moved.reason)

    def choose(twin: Match, asked: ElicitRequest) -> Opponent | None:
        if asked.player != seat:
            return policies.get(asked.player, echo_opponent)
        request, mark = origin[id(twin)]
        if asked.round > request.round or twin._refusal(seat, mark) is not None:
            return None
        if continuation is None:
            raise ConfigError(
                f"{seat} writes {asked.register} again in round {asked.round + 1} (line "
                f"{asked.line}): a move at a non-final elicit has no reward of its own; "
                "pass a continuation policy to play the rest of the round"
            )
        return continuation

    play_until(branches, judge, choose)
    for twin, i in zip(branches, slots):
        _, mark = origin[id(twin)]
        refusal = twin._refusal(seat, mark)
        if refusal is not None:
            scores[i] = ActionScore(-math.inf, False, refusal)
        else:
            terms = tuple(twin._terms(seat, mark))
            scores[i] = ActionScore(total_bits(terms), True, None, terms)
    return scores
