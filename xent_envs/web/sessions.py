"""Play sessions: one game in progress each, kept apart from every other.

A session plays one map in its own thread, with the evaluation's ``play_map`` and the
person as a ``WebPlayer``: the thread runs the game until the person's seat is asked, shows
the page where the game stands (a new ``version``), and waits for a move; the page's move
requests hand it moves. All judge work of all sessions goes through one ``Engine`` lock, so
the model and its tokenizer are never used by two threads at once.

Limits, so that no page can exhaust the server:

- session ids are 256 random bits (``secrets``), and an unknown id is refused without a hint
  of the ids that exist;
- at most ``max_sessions`` sessions; when full, finished ones go first, then idle ones;
- a session idle for ``idle_seconds`` is closed (its thread ends; the page can resume by
  replaying its moves, see ``StartRequest.replay``);
- a recorded map is played by one session at a time (another tab is refused, or takes it
  over explicitly), and a move is refused unless it answers the version the page showed.

States: ``starting`` (building the map, replaying moves), ``your_move``, ``thinking`` (the
other seats are moving), ``over`` (finished; recorded when it was a run's map), ``failed``
(the game could not go on; the message says why).
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from typing import Any, Literal

from xent_envs.errors import (
    MapInPlayError,
    SessionError,
    SessionLimitError,
    TurnError,
    UnknownSessionError,
)
from xent_envs.evaluation.agent import Agent, build_agent
from xent_envs.evaluation.episode import play_map
from xent_envs.evaluation.json_record import json_value
from xent_envs.judge.base import Judge
from xent_envs.seeding import derive_seed
from xent_envs.web.moves import move_problem
from xent_envs.web.plans import PlayPlan
from xent_envs.web.players import SeatView, WebPlayer, agent_policy
from xent_envs.web.settings import WebSettings
from xent_envs.web.views import match_view

__all__ = ["SESSION_ID_PATTERN", "Engine", "PlaySession", "SessionStore", "State"]

State = Literal["starting", "your_move", "thinking", "over", "failed"]
#: what ``secrets.token_urlsafe(32)`` returns: 43 URL-safe characters
SESSION_ID_PATTERN = r"^[A-Za-z0-9_-]{43}$"
UNKNOWN_SESSION = (
    "this game is not on the server any more: the server was restarted, or the game was "
    "closed after being idle. Maps already finished are saved; the page can resume this one "
    "by replaying its moves."
)
_JOIN_SECONDS = 5.0


class Engine:
    """The judge, and the lock every use of it takes (model and tokenizer are not safe to
    share between threads)."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        self.lock = threading.Lock()

    @contextlib.contextmanager
    def hold(self, timeout: float) -> Iterator[Judge]:
        """The judge, for at most ``timeout`` seconds of waiting.

        Raises:
            SessionError: the judge stayed busy (other games) for ``timeout`` seconds.
        """
        if not self.lock.acquire(timeout=timeout):
            raise SessionError(
                f"the judge is busy with other games (waited {timeout:.0f} s); try again"
            )
        try:
            yield self.judge
        finally:
            self.lock.release()


class _Closed(SessionError):
    """The session was closed while its game waited for a move (never leaves the thread)."""


class PlaySession:
    """One game in progress (see the module's docstring for its life)."""

    def __init__(self, sid: str, plan: PlayPlan, engine: Engine, settings: WebSettings,
                 on_end: Callable[[PlaySession], None]) -> None:  # fmt: skip
        self.id = sid
        self.plan = plan
        self.started = time.time()
        self.last_seen = time.monotonic()
        self._engine = engine
        self._settings = settings
        self._on_end = on_end
        self._cond = threading.Condition()
        self._state: State = "starting"
        self._version = 0
        self._view: dict[str, Any] = {}
        self._message: str | None = None
        self._saved: str | None = None
        self._move: str | None = None
        self._moves: list[str] = []
        self._replay = deque(plan.replay)
        self._closed = False
        self._env: Any = None
        self._agents: list[Agent] = []
        self._thread = threading.Thread(target=self._run, name=f"xent-web-{sid[:8]}", daemon=True)

    # ---------------------------------------------------------------- request side
    @property
    def state(self) -> State:
        return self._state

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def ended(self) -> bool:
        return self._closed or self._state in ("over", "failed")

    def start(self) -> None:
        self._thread.start()

    def snapshot(self) -> dict[str, Any]:
        """Where the game stands, as the page shows it (strict JSON)."""
        with self._cond:
            self.last_seen = time.monotonic()
            return self._snapshot()

    def wait_settled(self, timeout: float) -> dict[str, Any]:
        """The snapshot once the game waits for the person or has ended, or after
        ``timeout`` seconds (the page then polls)."""
        with self._cond:
            self._cond.wait_for(
                lambda: self._closed or self._state not in ("starting", "thinking"), timeout
            )
            self.last_seen = time.monotonic()
            return self._snapshot()

    def expect_move(self, version: int) -> int:
        """The budget of the move asked now, if ``version`` is the version shown.

        Raises:
            TurnError: no move is asked now, or the game moved on since ``version``.
        """
        with self._cond:
            self._check_turn(version)
            return int(self._view.get("max_tokens") or 0)

    def submit(self, text: str, version: int) -> None:
        """Hand the thread the person's move for ``version`` (checked by the caller).

        Raises:
            TurnError: no move is asked now, or the game moved on since ``version``.
        """
        with self._cond:
            self._check_turn(version)
            self._move = text
            self._state = "thinking"
            self._version += 1
            self.last_seen = time.monotonic()
            self._cond.notify_all()

    def close(self) -> None:
        """End the session: a game waiting for a move stops there, unrecorded."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _check_turn(self, version: int) -> None:
        if self._closed:
            raise UnknownSessionError(UNKNOWN_SESSION)
        if self._state != "your_move":
            what = {
                "starting": "the game is starting",
                "thinking": "the other seats are moving",
                "over": "the game is over",
                "failed": "the game has stopped",
            }[self._state]
            raise TurnError(f"no move is asked now: {what}")
        if version != self._version:
            raise TurnError(
                f"this game has moved on since the page showed it (version {version}, now "
                f"{self._version}): is it open in another tab? The page shows where it stands "
                "now; nothing was played"
            )

    def _snapshot(self) -> dict[str, Any]:
        plan = self.plan
        target = plan.target
        return json_value(
            {
                **self._view,
                "session": self.id,
                "version": self._version,
                "state": self._state,
                "source": plan.source,
                "player": plan.slot.agent,
                "opponent": plan.opponent_name,
                "recorded": None if target is None else {
                    "folder": target.name, "game": target.slot.game, "map": target.slot.map,
                    "agent": target.slot.agent,
                },
                "moves": list(self._moves),
                "message": self._message,
                "saved": self._saved,
            }
        )  # fmt: skip

    # ---------------------------------------------------------------- the game's thread
    def _run(self) -> None:
        while not self._engine.lock.acquire(timeout=1.0):
            if self._closed:  # closed while other games held the judge: nothing to undo
                self._on_end(self)
                return
        try:
            self._play()
        except Exception as exc:  # a fault of the game or the server: the page says so
            self._finish("failed", f"the game stopped: {type(exc).__name__}: {exc}")
        finally:
            for agent in self._agents:
                with contextlib.suppress(Exception):
                    agent.close()
            if self._env is not None:
                with contextlib.suppress(Exception):
                    self._env.close()
            self._engine.lock.release()
            self._on_end(self)

    def _play(self) -> None:
        plan, judge = self.plan, self._engine.judge
        policies = {}
        if plan.opponent is not None:
            for seat in plan.other_seats:
                agent = build_agent(
                    plan.opponent.factory, plan.opponent.options, plan.opponent.name
                )
                self._agents.append(agent)
                policies[seat] = agent_policy(agent)
        self._env = plan.make_env(judge, policies)
        for agent, seat in zip(self._agents, plan.other_seats):
            agent.reset(
                SeatView(self._env, seat), derive_seed("xent-web", plan.slot.agent_seed, seat)
            )
        record = play_map(self._env, WebPlayer(self._ask), plan.slot)
        if self._closed:
            return
        match = self._env.unwrapped.match
        view = match_view(match, plan.seat)
        view["visible"] = view["visible"] or self._view.get("visible", {})
        with self._cond:
            self._view = view
        if record.error is not None:
            self._finish("failed", f"the map could not be played: {record.error.message}")
        elif plan.target is not None:
            saved = plan.target.save(record, self._settings.lock_seconds)
            self._finish("over", f"recorded: {saved}", saved)
        else:
            self._finish("over", "practice map: not recorded")

    def _ask(self, observation: str, info: dict[str, Any]) -> tuple[str, bool]:
        """``WebPlayer``'s move source: show the page the game, then take a replayed move
        or wait for the page's."""
        view = match_view(self._env.unwrapped.match, self.plan.seat)
        if self._replay:
            return self._replayed(view), True
        with self._cond:
            self._view = view
            self._state = "your_move"
            self._version += 1
            self._cond.notify_all()
        return self._wait_for_move(), False

    def _replayed(self, view: dict[str, Any]) -> str:
        """The next move to replay, checked as a typed move would be."""
        text = self._replay.popleft()
        problem = move_problem(text, int(view["max_tokens"] or 0), self._engine.judge)
        if problem is not None:
            raise SessionError(f"move {len(self._moves) + 1} to replay ({text!r:.60}): {problem}")
        with self._cond:
            self._view = view
            self._moves.append(text)
        return text

    def _wait_for_move(self) -> str:
        """The page's move, waited for with the judge lock free (other games go on)."""
        self._engine.lock.release()
        try:
            with self._cond:
                while self._move is None and not self._closed:
                    idle = time.monotonic() - self.last_seen
                    if idle >= self._settings.idle_seconds:
                        self._closed = True
                        break
                    self._cond.wait(self._settings.idle_seconds - idle)
                move, self._move = self._move, None
                if move is not None:
                    self._moves.append(move)
        finally:
            self._engine.lock.acquire()
        if move is None:
            raise _Closed("the session was closed")
        return move

    def _finish(self, state: State, message: str, saved: str | None = None) -> None:
        with self._cond:
            self._state = state
            self._message = message
            self._saved = saved
            self._version += 1
            self._cond.notify_all()


class SessionStore:
    """The sessions of one server, bounded in number and idle time.

    Args:
        settings: the limits (``max_sessions``, ``idle_seconds``...).
        engine: the judge and its lock, shared by every session.
    """

    def __init__(self, settings: WebSettings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self._sessions: OrderedDict[str, PlaySession] = OrderedDict()
        self._claims: dict[tuple[str, str, int, str], str] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def open(self, plan: PlayPlan, *, take_over: bool = False) -> PlaySession:
        """Start a session playing ``plan``.

        Raises:
            SessionError: the plan's recorded map is being played by another session (and
                ``take_over`` is false).
            SessionLimitError: the server holds ``max_sessions`` sessions, all in use.
        """
        claim = plan.target.claim if plan.target is not None else None
        with self._lock:
            self._sweep()
            holder = self._sessions.get(self._claims.get(claim, "")) if claim else None
            if holder is not None and not holder.ended:
                if not take_over:
                    since = time.strftime("%H:%M:%S", time.localtime(holder.started))
                    raise MapInPlayError(
                        f"{plan.source} is being played in another tab or window (since "
                        f"{since}); finish it there, or take it over here"
                    )
                self._drop(holder.id)
            if len(self._sessions) >= self.settings.max_sessions:
                ended = [s for s in self._sessions.values() if s.ended]
                if not ended:
                    raise SessionLimitError(
                        f"the server is playing {len(self._sessions)} games, its most; finish "
                        f"one, or wait until one has been idle for "
                        f"{self.settings.idle_seconds:.0f} s"
                    )
                self._drop(min(ended, key=lambda s: s.last_seen).id)
            sid = secrets.token_urlsafe(32)
            session = PlaySession(sid, plan, self.engine, self.settings, self._ended)
            self._sessions[sid] = session
            if claim is not None:
                self._claims[claim] = sid
        session.start()
        return session

    def get(self, sid: str) -> PlaySession:
        """The session ``sid``.

        Raises:
            UnknownSessionError: no such session (never existed, restarted, closed).
        """
        with self._lock:
            self._sweep()
            session = self._sessions.get(sid)
        if session is None or session.closed:
            raise UnknownSessionError(UNKNOWN_SESSION)
        return session

    def close(self, sid: str) -> None:
        """Close and forget ``sid`` (unknown ids are ignored: closing is idempotent)."""
        with self._lock:
            self._drop(sid)

    def shutdown(self) -> None:
        """Close every session and wait (a few seconds each) for their threads."""
        with self._lock:
            sessions = list(self._sessions.values())
            for session in sessions:
                self._drop(session.id)
        for session in sessions:
            session.join(_JOIN_SECONDS)

    def _sweep(self) -> None:
        now = time.monotonic()
        for sid, session in list(self._sessions.items()):
            if session.closed or now - session.last_seen >= self.settings.idle_seconds:
                self._drop(sid)

    def _drop(self, sid: str) -> None:
        session = self._sessions.pop(sid, None)
        if session is not None:
            session.close()
            self._release(session)

    def _release(self, session: PlaySession) -> None:
        claim = session.plan.target.claim if session.plan.target is not None else None
        if claim is not None and self._claims.get(claim) == session.id:
            del self._claims[claim]

    def _ended(self, session: PlaySession) -> None:
        with self._lock:
            self._release(session)
