"""Scoring requests of concurrent callers answered together: a micro-batching queue.

One forward pass over 64 rows costs far less than 64 passes over one row, so a judge shared
by many clients (``serve-judge``) should answer the requests that arrive together in one
call. :class:`MicroBatcher` queues each caller's requests; a single worker takes everything
queued (waiting ``window`` seconds after the first arrival when the queue was empty, so
callers that arrive together meet), merges it into one ``score_batch`` call (which
de-duplicates: two clients asking the same baseline pay for it once) and hands each caller
its own scores. While the judge computes, new requests queue up for the next call.

The judge answers the same bits for a request whatever it is batched with (the backends'
batch invariance), so merging never changes a result. A failing call (one caller's text is
too long for the judge's context) is retried caller by caller, so only that caller gets the
error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xent_envs.score import Score

__all__ = ["BatcherStats", "MicroBatcher", "QueueFullError"]

ScoreFn = Callable[[list[tuple[str, str]]], list[Score]]


class QueueFullError(RuntimeError):
    """More callers are waiting than the queue holds (the server answers 503: retry later)."""


@dataclass
class BatcherStats:
    """Counters since the batcher started.

    Attributes:
        requests: calls of :meth:`MicroBatcher.score`.
        batches: judge calls made (fewer than ``requests`` when calls were merged).
        items: ``(text, prefix)`` pairs scored.
        merged: judge calls that answered more than one caller.
        largest: the most callers one judge call answered.
    """

    requests: int = 0
    batches: int = 0
    items: int = 0
    merged: int = 0
    largest: int = 0

    def to_json(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass
class _Entry:
    requests: list[tuple[str, str]]
    future: asyncio.Future[list[Score]] = field(repr=False)


class MicroBatcher:
    """Merge concurrent ``score`` calls into shared judge calls.

    Args:
        score_batch: the judge call (``judge.score_batch``); it runs in a worker thread, one
            call at a time.
        window: seconds to wait for more callers after the first one finds the queue empty.
        max_items: the most pairs merged into one call (a caller with more is one call).
        max_queue: the most callers waiting; one more raises :class:`QueueFullError`.

    Use it from one event loop (the server's).
    """

    def __init__(
        self,
        score_batch: ScoreFn,
        *,
        window: float = 0.002,
        max_items: int = 4096,
        max_queue: int = 1024,
    ) -> None:
        self.score_batch = score_batch
        self.window = window
        self.max_items = max_items
        self.max_queue = max_queue
        self.stats = BatcherStats()
        self._queue: list[_Entry] = []
        self._arrived: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None

    @property
    def queued(self) -> int:
        """Callers waiting for the next judge call."""
        return len(self._queue)

    async def score(self, requests: Sequence[tuple[str, str]]) -> list[Score]:
        """The scores of ``requests``, computed with those of concurrent callers.

        Raises:
            QueueFullError: ``max_queue`` callers are waiting already.
            Exception: whatever the judge raised for these requests.
        """
        if len(self._queue) >= self.max_queue:
            raise QueueFullError(f"{len(self._queue)} callers are waiting already")
        loop = asyncio.get_running_loop()
        entry = _Entry(list(requests), loop.create_future())
        self.stats.requests += 1
        self._queue.append(entry)
        if self._arrived is None:
            self._arrived = asyncio.Event()
        self._arrived.set()
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._run())
        return await entry.future

    async def _run(self) -> None:
        assert self._arrived is not None
        while True:
            if not self._queue:
                self._arrived.clear()
                await self._arrived.wait()
                if self.window > 0:
                    await asyncio.sleep(self.window)  # let callers arriving together meet
            batch: list[_Entry] = []
            size = 0
            while self._queue and (
                not batch or size + len(self._queue[0].requests) <= self.max_items
            ):
                entry = self._queue.pop(0)
                batch.append(entry)
                size += len(entry.requests)
            await self._answer(batch)

    async def _answer(self, batch: list[_Entry]) -> None:
        live = [e for e in batch if not e.future.done()]  # a caller may have gone
        if not live:
            return
        merged = [r for e in live for r in e.requests]
        self.stats.batches += 1
        self.stats.items += len(merged)
        self.stats.largest = max(self.stats.largest, len(live))
        if len(live) > 1:
            self.stats.merged += 1
        try:
            scores = await asyncio.to_thread(self.score_batch, merged)
        except Exception as exc:
            if len(live) == 1:
                _resolve(live[0], exc)
                return
            for entry in live:  # only the callers whose requests fail get the error
                try:
                    _resolve(entry, await asyncio.to_thread(self.score_batch, entry.requests))
                except Exception as one:
                    _resolve(entry, one)
            return
        start = 0
        for entry in live:
            _resolve(entry, scores[start : start + len(entry.requests)])
            start += len(entry.requests)


def _resolve(entry: _Entry, outcome: list[Score] | BaseException) -> None:
    if entry.future.done():
        return
    if isinstance(outcome, BaseException):
        entry.future.set_exception(outcome)
    else:
        entry.future.set_result(outcome)
