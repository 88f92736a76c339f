"""Envs stepped from several threads, their judge requests merged into shared waves.

A vector env steps its sub-envs together because one caller holds them all. When each env
is played by its own thread (an agent waiting on a model server, one map per thread), no
caller holds them all; :class:`SharedWaves` gathers them instead. A thread that resets or
steps an env hands the call over and waits; the first thread to find no call in progress
takes every call handed over so far, plays their moves (``XentEnv._begin_step``), advances
all their matches with one ``drive`` (the shared driver: one de-duplicated ``score_batch``
per wave for all of them), and hands each thread its result. Calls that arrive meanwhile
make the next batch. This is group commit: nobody waits for a timer, and the busier the
judge, the larger the batches.

A request gives the same bits whatever it is batched with, and each env's match is
advanced exactly as ``env.step`` would, so results equal the same maps played one by one.
If a merged drive fails (a game error, a request too long for the judge), each env is
driven again alone, so only the env at fault gets the error.

Example:
    >>> import gymnasium as gym, xent_envs
    >>> waves = SharedWaves()
    >>> env = waves.wrap(gym.make("xent/Condense-v0", judge="tiny-random-gpt2"))
    >>> obs, info = env.reset(seed=0)          # from any number of threads at once
    >>> info["round"]
    0
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from xent_envs.envs.xent_env import XentEnv, drive

__all__ = ["SharedWaves", "StoppedError", "WaveEnv"]


class StoppedError(RuntimeError):
    """Raised in a thread that calls ``reset`` or ``step`` after :meth:`SharedWaves.stop`
    (the run is over: the thread should end)."""


@dataclass
class _Call:
    env: XentEnv
    kind: str  # "reset" or "step"
    args: tuple[Any, ...]
    done: bool = False
    result: Any = None
    error: BaseException | None = None
    moved: Any = field(default=None, repr=False)

    def fail(self, exc: BaseException) -> None:
        self.error, self.done = exc, True

    def finish(self, result: Any) -> None:
        self.result, self.done = result, True


class SharedWaves:
    """Merge the resets and steps of envs played in different threads (module docstring).

    All envs must share one judge object (``gym.make`` with the same judge name does).

    Attributes:
        batches: drives made; ``calls`` resets and steps answered; ``largest`` the most
            calls one drive served (``calls / batches`` is the mean merge).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: list[_Call] = []
        self._busy = False
        self._stopped = False
        self.batches = 0
        self.calls = 0
        self.largest = 0

    def wrap(self, env: Any) -> Any:
        """``env`` with ``reset``/``step`` going through these waves (a ``WaveEnv``); an env
        that is not a ``XentEnv`` underneath is returned as is."""
        return WaveEnv(env, self) if isinstance(env.unwrapped, XentEnv) else env

    def stop(self) -> None:
        """Refuse every later call (:class:`StoppedError`); calls in progress finish."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def call(self, env: XentEnv, kind: str, *args: Any) -> Any:
        """Run ``env.reset(*args)`` or ``env.step(*args)`` in the next shared wave."""
        request = _Call(env, kind, args)
        with self._cond:
            if self._stopped:
                raise StoppedError("the shared waves were stopped")
            self._pending.append(request)
            while self._busy and not request.done:
                self._cond.wait()
            if not request.done:
                self._busy = True
                batch, self._pending = self._pending, []
        if not request.done:
            try:
                self._run(batch)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        if request.error is not None:
            raise request.error
        return request.result

    def _run(self, batch: list[_Call]) -> None:
        self.batches += 1
        self.calls += len(batch)
        self.largest = max(self.largest, len(batch))
        begun = []
        for call in batch:
            try:
                if call.kind == "reset":
                    call.env._begin_reset(*call.args)
                else:
                    call.moved = call.env._begin_step(*call.args)
                begun.append(call)
            except Exception as exc:
                call.fail(exc)
        try:
            drive([call.env for call in begun])
        except Exception:
            # One env's fault (its game, its request): drive each alone so only it fails.
            for call in begun:
                try:
                    drive([call.env])
                except Exception as exc:
                    call.fail(exc)
        for call in begun:
            if call.done:
                continue
            try:
                env = call.env
                call.finish(
                    env._reset_result() if call.kind == "reset" else env._step_result(call.moved)
                )
            except Exception as exc:
                call.fail(exc)


class WaveEnv(gym.Wrapper[str, Any, str, Any]):
    """An env whose ``reset`` and ``step`` run in shared waves (:meth:`SharedWaves.wrap`).

    Everything else (``unwrapped``, ``score_actions``, ``render``) is the env's own.
    """

    def __init__(self, env: Any, waves: SharedWaves) -> None:
        super().__init__(env)
        self.waves = waves
        self.xent_env: XentEnv = env.unwrapped

    def reset(
        self, *, seed: int | None = None, options: Mapping[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        return self.waves.call(self.xent_env, "reset", seed, options)

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]:
        return self.waves.call(self.xent_env, "step", action)
