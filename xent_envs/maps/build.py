"""Building map pools (``xent-envs maps build``), and the one way a map's texts are drawn.

``build_pool`` draws the pool's instances (map ``i`` from a generator seeded by the pool seed,
the game and ``i``, on the pool's side of the split), makes each map once with the text
source and the judge, and records its texts in ``maps/<seed>.json``. It is:

- **resumable**: a map whose file is there and valid is kept; a bad file is rebuilt; asking
  for more maps grows the pool (the first maps stay the same);
- **atomic**: every file is written whole or not at all, so an interrupted build leaves only
  complete maps;
- **parallel** with ``workers > 1``: spawned processes, each with its own judge (loaded by
  name) and a share of the cores, write maps side by side;
- **strict**: a folder holding a pool of another game, judge, text source, split, parameters
  or seed is refused, naming what differs.

This module samples game instances, so it stands above the games (``xent_envs.games``,
``xent_envs.registration``), unlike the rest of ``xent_envs.maps``.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from xent_envs.errors import ConfigError, PoolError
from xent_envs.games import GameDef, GameInstance, GameSpace
from xent_envs.judge import DEFAULT_JUDGE, load_judge
from xent_envs.judge.base import Judge
from xent_envs.lang import Program, TextSource, instantiate_map
from xent_envs.maps.pool import MANIFEST_NAME, POOL_FORMAT, MapPool, PoolManifest, PoolMap, Recorder
from xent_envs.maps.sources import (
    DEFAULT_TEXT_SOURCE,
    MapSource,
    judge_digest,
    resolve_text_source,
    source_token,
)
from xent_envs.maps.split import SPLITS, Split
from xent_envs.registration import game_space, register_game
from xent_envs.seeding import derive_seed

__all__ = ["MAX_POOL_MAPS", "BuildReport", "build_pool", "instance_map", "instance_texts"]

#: the most maps one pool holds
MAX_POOL_MAPS = 1_000_000


def instance_texts(instance: GameInstance, judge: Judge, source: MapSource) -> TextSource:
    """The texts of ``instance``'s map: ``source`` on the map's side of the split, with the
    instance's story length. Envs (``xent_envs.envs.maps``) and pools make maps through it."""
    return source.texts(
        judge,
        side=instance.side,
        story_tokens=int(instance.param_dict["story_tokens"]),
        map_seed=instance.seed,
    )


def instance_map(
    space: GameSpace, instance: GameInstance, judge: Judge, source: MapSource
) -> tuple[Program, PoolMap]:
    """``instance``'s map (the program with its texts in place) and the record of its texts."""
    texts = instance_texts(instance, judge, source)
    recorder = Recorder(texts, int(instance.param_dict["story_tokens"]))
    program = instantiate_map(space.program(instance.param_dict), recorder, instance.seed)
    return program, PoolMap(instance.seed, instance.id, tuple(recorder.calls))


@dataclass(frozen=True)
class BuildReport:
    """What ``build_pool`` did: maps kept (already there), built, and rebuilt (their file was
    bad), out of ``size``, in ``seconds``."""

    folder: Path
    size: int
    kept: int
    built: int
    rebuilt: int
    seconds: float

    def __str__(self) -> str:
        return (
            f"{self.folder}: {self.size} maps ({self.kept} kept, {self.built} built, "
            f"{self.rebuilt} rebuilt) in {self.seconds:.1f} s"
        )


def build_pool(
    out: str | Path,
    game: str,
    *,
    n: int,
    split: Split = "train",
    judge: str | Judge = DEFAULT_JUDGE,
    text_source: MapSource | str = DEFAULT_TEXT_SOURCE,
    params: Mapping[str, Any] | None = None,
    vary: Iterable[str] = (),
    seed: int = 0,
    workers: int = 1,
    log: Callable[[str], None] | None = None,
    on_map: Callable[[], None] | None = None,
) -> BuildReport:
    """Build (or resume, or grow) the pool of ``n`` maps of ``game`` in ``out``.

    Args:
        out: the pool's folder.
        game: a registered game name or id.
        n: maps in the pool (1 to :data:`MAX_POOL_MAPS`).
        split: the side every map is drawn from (``"train"`` or ``"eval"``).
        judge: a judge name (needed for ``workers > 1``) or a loaded judge.
        text_source: the source of the texts (not a pool).
        params: fixed game parameters; ``vary``: parameters drawn per map.
        seed: the pool's seed; map ``i`` depends on it, the game and ``i`` only.
        workers: processes building maps side by side (each loads the judge).
        log: where to print notes (bad files rebuilt).
        on_map: called after each map is saved (a progress bar).

    Raises:
        PoolError: ``out`` holds a pool built otherwise (the message says what differs).
        ConfigError: a bad argument.
    """
    start = time.perf_counter()
    note = log or (lambda _msg: None)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_POOL_MAPS:
        raise ConfigError(f"n must be an int in [1, {MAX_POOL_MAPS}], got {n!r}")
    if split not in SPLITS:
        raise ConfigError(f"a pool holds maps of one side: split 'train' or 'eval', got {split!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be an int of at least 1, got {workers!r}")
    if workers > 1 and not isinstance(judge, str):
        raise ConfigError("workers > 1 need the judge by name: each worker loads its own")
    space = game_space(game)
    fixed = dict(params or {})
    space.resolve(fixed)  # validated by the card
    vary = tuple(sorted(set(vary)))
    for name in vary:
        space.parameter(name)
    loaded = load_judge(judge) if isinstance(judge, str) else judge
    source = resolve_text_source(text_source)
    if isinstance(source, MapPool):
        raise ConfigError("a pool is built from a text source, not from another pool")
    manifest = PoolManifest(
        POOL_FORMAT, space.env_id, space.digest, dict(loaded.fingerprint), source_token(source),
        dict(source.fingerprint), split, fixed, vary, seed, n,
    )  # fmt: skip
    pool = _claim(Path(out), manifest)
    bound = dict(judge=judge_digest(loaded), texts=source_token(source))
    instances = [i.bound(**bound) for i in _plan(space, manifest)]
    todo, kept, bad = [], 0, 0
    for instance in instances:
        if (pool.folder / "maps" / f"{instance.seed}.json").exists():
            try:
                if pool.read(instance.seed).instance == instance.id:
                    kept += 1
                    continue
                problem = "it holds another instance"
            except PoolError as exc:
                problem = str(exc)
            note(f"rebuilding map {instance.seed}: {problem}")
            bad += 1
        todo.append(instance)
    if workers == 1 or len(todo) <= 1:
        for instance in todo:
            pool.write(instance_map(space, instance, loaded, source)[1])
            if on_map is not None:
                on_map()
    else:
        assert isinstance(judge, str)
        _build_in_workers(pool, space, todo, judge, source, workers, on_map)
    return BuildReport(
        pool.folder, len(instances), kept, len(todo) - bad, bad, time.perf_counter() - start
    )


def _claim(folder: Path, manifest: PoolManifest) -> MapPool:
    """The pool in ``folder``: a new one, or the one there when it was built the same way
    (grown to ``manifest.size`` maps)."""
    if not (folder / MANIFEST_NAME).exists():
        if folder.exists() and any(folder.iterdir()):
            raise PoolError(f"{folder} is not empty and holds no pool: build into a new folder")
        pool = MapPool(folder, manifest, ())
        _write_manifest(pool, manifest)
        return pool
    pool = MapPool.open(folder)
    old, new = pool.manifest.to_json(), manifest.to_json()
    differ = [k for k in new if k != "size" and old[k] != new[k]]
    if differ:
        shown = "; ".join(f"{k}: {old[k]!r:.150} there, {new[k]!r:.150} here" for k in differ)
        raise PoolError(
            f"{folder} holds a pool built otherwise ({shown}); build into another folder"
        )
    if manifest.size > pool.manifest.size:
        _write_manifest(pool, manifest)
    return pool


def _write_manifest(pool: MapPool, manifest: PoolManifest) -> None:
    from xent_envs.files import atomic_write_json

    atomic_write_json(pool.folder / MANIFEST_NAME, manifest.to_json())
    pool.manifest = manifest


def _plan(space: GameSpace, manifest: PoolManifest) -> list[GameInstance]:
    """The pool's first ``size`` instances with distinct map seeds; instance ``i`` depends on
    the pool seed, the game and ``i`` only, so a grown pool keeps its first maps."""
    found: dict[int, GameInstance] = {}
    # Seeds are drawn from 2**31 values: repeats are rare, and this bound is never reached.
    for index in range(2 * manifest.size + 100):
        if len(found) == manifest.size:
            break
        rng = np.random.default_rng(derive_seed("xent-pool", manifest.seed, space.name, index))
        instance = space.sample(rng, manifest.params, manifest.vary, manifest.split)
        found.setdefault(instance.seed, instance)
    if len(found) < manifest.size:
        raise ConfigError(f"could not draw {manifest.size} distinct maps of {space.name}")
    return list(found.values())


# -- workers ----------------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _build_in_workers(
    pool: MapPool,
    space: GameSpace,
    todo: list[GameInstance],
    judge: str,
    source: MapSource,
    workers: int,
    on_map: Callable[[], None] | None,
) -> None:
    threads = max(1, (os.cpu_count() or 1) // workers)
    init = (str(pool.folder), space.definition.to_json(), judge, source, threads)
    context = multiprocessing.get_context("spawn")  # torch does not survive a fork
    with concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=context, initializer=_worker_init, initargs=init
    ) as executor:
        futures = [executor.submit(_worker_build, instance.id) for instance in todo]
        try:
            for future in concurrent.futures.as_completed(futures):
                future.result()
                if on_map is not None:
                    on_map()
        except BaseException:
            executor.shutdown(wait=True, cancel_futures=True)
            raise


def _worker_init(
    folder: str, game_def: dict[str, Any], judge: str, source: MapSource, threads: int
) -> None:
    import torch

    torch.set_num_threads(threads)
    space = register_game(GameDef.from_json(game_def))  # a no-op for a registered game
    pool = MapPool.open(folder)
    loaded = load_judge(judge)
    pool.check_judge(loaded)  # the worker's judge must be the parent's
    _WORKER.update(space=space, pool=pool, judge=loaded, source=source)


def _worker_build(instance_id: str) -> int:
    space, pool = _WORKER["space"], _WORKER["pool"]
    instance = space.instance(instance_id)
    pool.write(instance_map(space, instance, _WORKER["judge"], _WORKER["source"])[1])
    return instance.seed
