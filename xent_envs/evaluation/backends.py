"""Where an evaluation's maps are played: here one by one, here several at once, or on Ray.

:func:`~xent_envs.evaluation.evaluate` plans the slots to play and saves every record it
gets back; a backend only plays. All backends play a slot the same way
(:func:`~xent_envs.evaluation.runner.play_slots`: the same envs, agents and ``play_map``), so
a map's record is the same whichever played it (timings aside), and a run interrupted on one
backend resumes on another.

- :class:`LocalBackend` (the default): this process. With ``concurrency=K``, K maps are
  played at once, each by its own thread with its own agents and envs, their resets and
  steps merged into shared judge waves (:class:`~xent_envs.envs.waves.SharedWaves`): agents
  that wait on a model server overlap their waits, and the judge scores K maps' requests in
  one call. Agents that compute in this process (search, a local HF model) gain nothing.
- :class:`~xent_envs.evaluation.ray_backend.RayBackend`: Ray actors, each loading the judge
  once and playing whole maps (``xent-envs eval --backend ray``).

A backend is anything with ``play(job, todo)`` (:class:`PlayBackend`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from xent_envs.errors import ConfigError
from xent_envs.evaluation.agent import AgentFactory
from xent_envs.evaluation.config import EvalConfig
from xent_envs.evaluation.records import MapRecord, MapSlot

__all__ = ["MAX_CONCURRENCY", "LocalBackend", "PlayBackend", "PlayJob", "check_count"]

#: the most maps one process plays at once (each is a thread with its own agents and envs)
MAX_CONCURRENCY = 256
#: seconds the threads of a stopped run get to finish before they are left behind
_JOIN_SECONDS = 10.0


def check_count(name: str, value: Any, high: int) -> int:
    """``value`` as an int in ``[1, high]``, or a ``ConfigError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise ConfigError(f"{name} must be an int from 1 to {high}, got {value!r}")
    return value


@dataclass(frozen=True)
class PlayJob:
    """What a backend needs to play the maps of a run.

    Attributes:
        config: the run's configuration (its games resolved to names).
        spaces: the game spaces by name (a worker registers the games it does not know).
        factories: the agent factories by agent name.
        done: the (game, map, agent) slots already saved: agents and envs with nothing left
            to play are not built.
        fingerprint: the judge fingerprint of the run; a worker whose judge has another is
            refused.
        source: the map text source of the run in this process (a Ray worker resolves
            ``config.text_source`` itself).
    """

    config: EvalConfig
    spaces: Mapping[str, Any]
    factories: Mapping[str, AgentFactory]
    done: frozenset[tuple[str, int, str]]
    fingerprint: Mapping[str, Any]
    source: Any = None


class PlayBackend(Protocol):
    """Plays the slots of ``todo`` and yields each map's record as soon as it ends, in any
    order. Closing the generator stops the run: maps in progress are dropped."""

    def play(self, job: PlayJob, todo: Iterator[MapSlot]) -> Generator[MapRecord, None, None]:
        """Records of the slots of ``todo``."""
        ...


class LocalBackend:
    """Maps played in this process, ``concurrency`` at a time (see the module docstring).

    Args:
        concurrency: maps played at once (1: one after another, in the calling thread).

    Raises:
        ConfigError: ``concurrency`` is not an int from 1 to :data:`MAX_CONCURRENCY`.
    """

    def __init__(self, concurrency: int = 1) -> None:
        self.concurrency = check_count("concurrency", concurrency, MAX_CONCURRENCY)

    def __repr__(self) -> str:
        return f"LocalBackend(concurrency={self.concurrency})"

    def play(self, job: PlayJob, todo: Iterator[MapSlot]) -> Generator[MapRecord, None, None]:
        from xent_envs.evaluation.runner import play_slots

        if self.concurrency == 1:
            yield from play_slots(
                job.config, todo, job.spaces, job.factories, job.done, source=job.source
            )
        else:
            yield from _play_lanes(job, todo, self.concurrency)


class _Feed:
    """The slots of a run, handed to lanes one at a time (thread-safe), until stopped."""

    def __init__(self, todo: Iterator[MapSlot]) -> None:
        self._todo = todo
        self._lock = threading.Lock()
        self.stopped = False

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> MapSlot:
        with self._lock:
            if self.stopped:
                raise StopIteration
            return next(self._todo)


def _play_lanes(
    job: PlayJob, todo: Iterator[MapSlot], lanes: int
) -> Generator[MapRecord, None, None]:
    """``lanes`` threads, each playing slots from one shared feed with its own agents and
    envs, their env calls merged into shared waves; records are yielded as maps end."""
    from xent_envs.envs.waves import SharedWaves, StoppedError
    from xent_envs.evaluation.runner import play_slots

    feed = _Feed(todo)
    waves = SharedWaves()
    out: queue.Queue[MapRecord | BaseException | None] = queue.Queue()

    def lane() -> None:
        try:
            played = play_slots(
                job.config,
                feed,
                job.spaces,
                job.factories,
                job.done,
                source=job.source,
                wrap_env=waves.wrap,
            )
            for record in played:
                out.put(record)
        except StoppedError:
            pass
        except BaseException as exc:  # a bug or a bad option: the run stops, as it would here
            out.put(exc)
        finally:
            out.put(None)

    threads = [
        threading.Thread(target=lane, name=f"xent-eval-lane-{i}", daemon=True) for i in range(lanes)
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            try:
                item = out.get(timeout=1.0)  # a timeout keeps Ctrl-C deliverable here
            except queue.Empty:
                continue
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        feed.stopped = True
        waves.stop()
        for thread in threads:
            thread.join(_JOIN_SECONDS / len(threads))
