"""A pool of Ray actors that set up once, then run tasks; a task outlives a dying worker.

Each actor is an instance of a class with two methods: ``setup(*args)``, called once when
the actor starts (load the judge, build envs), and ``run(task)``, called for each task.
:meth:`ActorPool.run` keeps every actor busy with up to ``slots`` tasks and yields each
task's result as it comes, in any order:

- an actor that dies (its process killed, out of memory, ``os._exit`` in a plug-in) loses
  the tasks it was running: each is retried on a fresh actor, up to ``retries`` times, then
  yielded as a :class:`Failure`; every other task is unaffected;
- a task running past ``task_timeout`` seconds has its actor killed (the only way to stop
  it), and is retried or failed the same way (the actor's other tasks are retried too);
- a task that raises (a bug, a bad option) re-raises the same exception here, as running
  it locally would;
- the pool replaces at most ``max_replacements`` actors: a cluster whose workers keep
  dying stops the run with a :class:`~xent_envs.errors.ClusterError` instead of looping.

Every wait is bounded: actors start within ``setup_timeout``, tasks within ``task_timeout``.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from xent_envs.errors import ClusterError

__all__ = ["ActorPool", "Failure"]


@dataclass(frozen=True)
class Failure:
    """A task no actor could finish.

    Attributes:
        kind: ``"died"`` (its actor's process ended) or ``"timeout"`` (it ran past its time).
        message: what happened the last time, for the record.
        attempts: how many actors tried it.
    """

    kind: Literal["died", "timeout"]
    message: str
    attempts: int


@dataclass
class _Running:
    key: Hashable
    task: Any
    actor: int
    started: float
    attempt: int


class ActorPool:
    """``workers`` actors of ``actor_class``, each running up to ``slots`` tasks at once.

    Args:
        ray: the ``ray`` module (from :func:`~xent_envs.distributed.runtime.ray_runtime`).
        actor_class: a plain class with ``setup(*setup_args)`` and ``run(task)``; it is made
            a Ray actor here (one CPU each).
        setup_args: the arguments of every actor's ``setup``.
        workers: actors to start.
        slots: tasks one actor runs at once (threads of the actor).
        task_timeout: seconds a task may run.
        setup_timeout: seconds an actor may take to set up.
        retries: further attempts of a task whose actor died or timed out.
        max_replacements: actors replaced at most (default ``2 * workers + 2``).
    """

    def __init__(
        self,
        ray: Any,
        actor_class: type,
        setup_args: tuple[Any, ...],
        *,
        workers: int,
        slots: int = 1,
        task_timeout: float = 3600.0,
        setup_timeout: float = 600.0,
        retries: int = 1,
        max_replacements: int | None = None,
    ) -> None:
        self.ray = ray
        self.remote = ray.remote(num_cpus=1, max_concurrency=slots)(actor_class)
        self.setup_args = setup_args
        self.workers = workers
        self.slots = slots
        self.task_timeout = task_timeout
        self.setup_timeout = setup_timeout
        self.retries = retries
        self.max_replacements = 2 * workers + 2 if max_replacements is None else max_replacements
        self.replaced = 0
        self.actors: list[Any] = []

    def _start(self, count: int) -> list[Any]:
        """``count`` new actors, set up (in parallel)."""
        ray = self.ray
        actors = [self.remote.remote() for _ in range(count)]
        pending = [actor.setup.remote(*self.setup_args) for actor in actors]
        try:
            ray.get(pending, timeout=self.setup_timeout)
        except ray.exceptions.RayTaskError as exc:
            self._kill(actors)
            raise _cause(exc) from None
        except ray.exceptions.GetTimeoutError:
            self._kill(actors)
            raise ClusterError(
                f"Ray workers did not set up within {self.setup_timeout:g} s (loading the "
                "judge? too few free CPUs in the cluster?)"
            ) from None
        except ray.exceptions.RayError as exc:
            self._kill(actors)
            raise ClusterError(f"a Ray worker died while setting up: {exc}") from None
        return actors

    def _kill(self, actors: Iterable[Any]) -> None:
        for actor in actors:
            with contextlib.suppress(Exception):  # already gone
                self.ray.kill(actor, no_restart=True)

    def close(self) -> None:
        """Stop every actor (tasks in progress are dropped)."""
        self._kill(self.actors)
        self.actors = []

    def run(self, tasks: Iterable[tuple[Hashable, Any]]) -> Iterator[tuple[Hashable, Any]]:
        """Run ``(key, task)`` pairs; yield ``(key, result or Failure)`` as tasks end.

        Tasks are taken from ``tasks`` lazily, as actors have room.

        Raises:
            Exception: what a task raised (the same class), or what an actor's ``setup``
                raised.
            ClusterError: actors keep dying (more than ``max_replacements``), or fail to
                start.
        """
        ray = self.ray
        if not self.actors:
            self.actors = self._start(self.workers)
        source = iter(tasks)
        again: deque[tuple[Hashable, Any, int]] = deque()  # tasks to retry, with attempts
        running: dict[Any, _Running] = {}
        load = [0] * len(self.actors)
        exhausted = False
        while True:
            for index in range(len(self.actors)):
                while load[index] < self.slots:
                    if again:
                        key, task, attempt = again.popleft()
                    elif not exhausted:
                        try:
                            key, task = next(source)
                        except StopIteration:
                            exhausted = True
                            break
                        attempt = 1
                    else:
                        break
                    ref = self.actors[index].run.remote(task)
                    running[ref] = _Running(key, task, index, time.monotonic(), attempt)
                    load[index] += 1
            if not running:
                return
            first_deadline = min(r.started for r in running.values()) + self.task_timeout
            wait = max(0.05, min(1.0, first_deadline - time.monotonic()))
            ready, _ = ray.wait(list(running), num_returns=1, timeout=wait)
            lost: dict[int, str] = {}  # actor index -> why it is gone
            for ref in ready:
                entry = running.pop(ref)
                load[entry.actor] -= 1
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:
                    raise _cause(exc) from None
                except ray.exceptions.RayError as exc:  # the actor died under the task
                    lost[entry.actor] = f"{type(exc).__name__}: {_first_line(exc)}"
                    yield from self._retry(entry, "died", lost[entry.actor], again)
                else:
                    yield entry.key, result
            now = time.monotonic()
            for ref, entry in list(running.items()):
                if entry.actor in lost or now - entry.started <= self.task_timeout:
                    continue
                running.pop(ref)
                load[entry.actor] -= 1
                lost[entry.actor] = (
                    f"a task ran past {self.task_timeout:g} s; its worker was stopped"
                )
                yield from self._retry(entry, "timeout", lost[entry.actor], again)
            for index, why in lost.items():
                for ref, entry in list(running.items()):  # the actor's other tasks
                    if entry.actor == index:
                        running.pop(ref)
                        load[index] -= 1
                        yield from self._retry(entry, "died", f"its worker was lost ({why})", again)
                self._replace(index, why)
                load[index] = 0

    def _retry(
        self, entry: _Running, kind: Literal["died", "timeout"], why: str, again: deque[Any]
    ) -> Iterator[tuple[Hashable, Any]]:
        if entry.attempt <= self.retries:
            again.append((entry.key, entry.task, entry.attempt + 1))
        else:
            yield entry.key, Failure(kind, why, entry.attempt)

    def _replace(self, index: int, why: str) -> None:
        self._kill([self.actors[index]])
        self.replaced += 1
        if self.replaced > self.max_replacements:
            raise ClusterError(
                f"{self.replaced} Ray workers were lost (last: {why}); the run stops rather "
                "than lose more (a plug-in that crashes its process? too little memory?)"
            )
        (self.actors[index],) = self._start(1)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _cause(exc: Any) -> BaseException:
    """The exception a remote task raised, as itself (a ``ConfigError`` stays one)."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, Exception) else exc.as_instanceof_cause()
