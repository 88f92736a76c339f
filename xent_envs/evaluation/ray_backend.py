"""The evaluation on Ray: ``xent-envs eval ... --backend ray [--address ADDR] [--workers N]``.

Each worker is a Ray actor that registers the run's games, loads the judge once (refusing to
play if its fingerprint differs from the driver's: another device, another model), and then
plays whole maps, each exactly as the local backend would
(:func:`~xent_envs.evaluation.runner.play_slots`). The driver keeps every worker busy and
saves each record as it arrives, with the same atomic, resumable store, so a run
interrupted here resumes on the local backend, and the other way round, with identical
records (timings aside).

Faults (:class:`~xent_envs.distributed.pool.ActorPool`):

- a worker that dies mid-map (killed, out of memory, an agent that exits its process): the
  map is retried once on a fresh worker, then recorded as an error (``where: "worker"``,
  ``type: "WorkerDied"``); maps on other workers go on, and a rerun plays it again;
- a map running past ``map_timeout`` seconds: its worker is stopped, the map retried once,
  then recorded as ``MapTimeout``;
- an unreachable ``--address``: a ``ClusterError`` within ``connect_timeout`` seconds;
- an agent option or game parameter a worker refuses, or a bug: raised here, as locally.

Without an address, a local Ray runtime with ``workers`` CPUs is started for the run and
stopped after it (Ray already running in the process is used as it is). With
``concurrency=K`` each worker plays K maps at once, merged into shared judge waves as the
local backend does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Generator, Iterator, Mapping
from typing import Any

from xent_envs.errors import FingerprintMismatchError
from xent_envs.evaluation.backends import MAX_CONCURRENCY, PlayJob, check_count
from xent_envs.evaluation.records import MapError, MapRecord, MapSlot
from xent_envs.lang.names import MAIN_PLAYER

__all__ = ["MAX_WORKERS", "RayBackend"]

#: the most workers one run may ask for
MAX_WORKERS = 4096


class RayBackend:
    """Maps played by Ray actors (see the module docstring).

    Args:
        workers: actors (default: the CPUs of the runtime).
        address: a Ray cluster to join (``host:port``, ``ray://host:port``, ``auto``);
            None starts a local runtime for the run.
        concurrency: maps each worker plays at once.
        map_timeout: seconds a map may take before its worker is stopped.
        retries: further attempts of a map whose worker died or ran out of time.
        connect_timeout: seconds to find out whether ``address`` accepts connections.
        setup_timeout: seconds a worker may take to start (load the judge, build agents).

    Raises:
        ConfigError: a count out of range.
    """

    def __init__(
        self,
        workers: int | None = None,
        address: str | None = None,
        *,
        concurrency: int = 1,
        map_timeout: float = 3600.0,
        retries: int = 1,
        connect_timeout: float = 10.0,
        setup_timeout: float = 600.0,
    ) -> None:
        self.workers = None if workers is None else check_count("workers", workers, MAX_WORKERS)
        self.address = address
        self.concurrency = check_count("concurrency", concurrency, MAX_CONCURRENCY)
        self.map_timeout = map_timeout
        self.retries = retries
        self.connect_timeout = connect_timeout
        self.setup_timeout = setup_timeout

    def __repr__(self) -> str:
        where = self.address or "a local Ray runtime"
        return f"RayBackend(workers={self.workers}, on {where}, concurrency={self.concurrency})"

    def play(self, job: PlayJob, todo: Iterator[MapSlot]) -> Generator[MapRecord, None, None]:
        from xent_envs.distributed.pool import ActorPool, Failure
        from xent_envs.distributed.runtime import ray_runtime

        payload = (
            job.config,
            {name: space.definition.to_json() for name, space in job.spaces.items()},
            dict(job.factories),
            job.done,
            dict(job.fingerprint),
            self.concurrency,
        )
        with ray_runtime(
            self.address, num_cpus=self.workers, connect_timeout=self.connect_timeout
        ) as ray:
            count = self.workers or max(
                1, int(ray.cluster_resources().get("CPU", os.cpu_count() or 1))
            )
            pool = ActorPool(
                ray,
                EvalWorker,
                payload,
                workers=count,
                slots=self.concurrency,
                task_timeout=self.map_timeout,
                setup_timeout=self.setup_timeout,
                retries=self.retries,
            )
            try:
                for slot, outcome in pool.run((slot, slot) for slot in todo):
                    assert isinstance(slot, MapSlot)
                    yield _failed(slot, outcome) if isinstance(outcome, Failure) else outcome
            finally:
                pool.close()


def _failed(slot: MapSlot, failure: Any) -> MapRecord:
    """The error record of a map no worker could finish."""
    kind = "MapTimeout" if failure.kind == "timeout" else "WorkerDied"
    return MapRecord.of(
        slot,
        {MAIN_PLAYER: slot.agent},
        status="error",
        error=MapError("worker", kind, f"{failure.message} ({failure.attempts} attempts)"),
    )


class _OneSlot:
    """The ``todo`` of a worker's ``play_slots``: the slot it was just given."""

    def __init__(self) -> None:
        self.slot: MapSlot | None = None

    def __iter__(self) -> _OneSlot:
        return self

    def __next__(self) -> MapSlot:
        slot, self.slot = self.slot, None
        if slot is None:
            raise StopIteration
        return slot


class EvalWorker:
    """A Ray actor of an evaluation (made one by the pool): ``setup`` once, then ``run``
    one map per call; with ``concurrency > 1`` the actor's threads play maps at once."""

    def setup(
        self,
        config: Any,
        definitions: Mapping[str, Mapping[str, Any]],
        factories: Mapping[str, Any],
        done: frozenset[tuple[str, int, str]],
        fingerprint: Mapping[str, Any],
        concurrency: int,
    ) -> None:
        from xent_envs.envs.waves import SharedWaves
        from xent_envs.games import GameDef
        from xent_envs.judge import load_judge
        from xent_envs.registration import register_game

        self.spaces = {
            name: register_game(GameDef.from_json(dict(data)), listed=False)
            for name, data in definitions.items()
        }
        found = dict(load_judge(config.judge).fingerprint)
        if found != dict(fingerprint):
            changed = sorted(
                k for k in set(found) | set(fingerprint) if found.get(k) != fingerprint.get(k)
            )
            raise FingerprintMismatchError(
                f"a Ray worker's judge {config.judge!r} has the fingerprint {found}, the run's "
                f"is {dict(fingerprint)} (differs in {', '.join(changed)}): its scores would not "
                "be comparable; give every node the same judge and device"
            )
        self.config = config
        self.factories = factories
        self.done = done
        self.waves = SharedWaves() if concurrency > 1 else None
        self.local = threading.local()

    def run(self, slot: MapSlot) -> MapRecord:
        from xent_envs.evaluation.runner import play_slots

        lane = self.local
        if not hasattr(lane, "played"):
            lane.feed = _OneSlot()
            lane.played = play_slots(
                self.config,
                lane.feed,
                self.spaces,
                self.factories,
                self.done,
                wrap_env=self.waves.wrap if self.waves is not None else None,
            )
        lane.feed.slot = slot
        return next(lane.played)
