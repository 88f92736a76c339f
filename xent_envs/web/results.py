"""Reading an evaluation's results folder for the page: the leaderboard, per-game tables,
learning curves, the maps, and any map's transcript.

The folder is read with the evaluation's own store, so a file is trusted exactly as the
evaluation trusts it: a map file counts only when it is a valid ``MapRecord`` at its own
path, of the folder's run (its ``run`` key). Every other file under ``maps/`` is listed with
the reason it was not used: the page shows them, never hides them. Scores are the
evaluation's (``leaderboard``), so the page and ``report.md`` agree.

Learning curves: for each game and agent, the mean score of round ``r`` over the agent's
finished maps that have a round ``r``; a game of several rounds shows whether an agent
improves as it reads its earlier rounds.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from xent_envs.errors import ConfigError, RecordError, RunConflictError
from xent_envs.evaluation.config import RunManifest
from xent_envs.evaluation.json_record import json_value
from xent_envs.evaluation.records import MapRecord
from xent_envs.evaluation.scoring import leaderboard
from xent_envs.evaluation.store import ResultsStore
from xent_envs.registration import NAME_PATTERN
from xent_envs.web.folders import folder_path

__all__ = ["MAX_MAP_FILES", "ResultsReader", "learning_curves"]

#: files under maps/ read at most per folder (the rest are listed as not read)
MAX_MAP_FILES = 20_000
#: parsed records kept in memory, by (path, modification time, size)
_CACHE_SIZE = 4096


def learning_curves(records: list[MapRecord]) -> dict[str, dict[str, list[float]]]:
    """game -> agent -> mean score of each round over the agent's finished maps.

    >>> from xent_envs.evaluation import MapRecord
    >>> def rec(agent, scores):
    ...     return MapRecord(2, "r", "k", "G", 0, agent, 1, 2, {"black": agent}, "ok", scores)
    >>> learning_curves([rec("a", (1.0, 3.0)), rec("a", (2.0,))])
    {'G': {'a': [1.5, 3.0]}}
    """
    sums: dict[str, dict[str, list[list[float]]]] = {}
    for record in records:
        if record.status != "ok":
            continue
        rounds = sums.setdefault(record.game, {}).setdefault(record.agent, [])
        for r, score in enumerate(record.round_scores):
            if r == len(rounds):
                rounds.append([])
            rounds[r].append(score)
    return {
        game: {agent: [math.fsum(v) / len(v) for v in rounds] for agent, rounds in agents.items()}
        for game, agents in sums.items()
    }


class ResultsReader:
    """Reads run folders under ``root``, keeping parsed records while their files do not
    change."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: OrderedDict[tuple[str, int, int], MapRecord | str] = OrderedDict()
        self._lock = threading.Lock()

    def run(self, name: str) -> dict[str, Any]:
        """The page's view of the run folder ``name`` (strict JSON).

        Raises:
            UnknownNameError: no such folder under the root.
            ConfigError: the folder holds no run (no ``run.json``), or its ``run.json`` is
                not a run manifest of this version.
        """
        store = self._store(name)
        manifest = self._manifest(store, name)
        records: list[MapRecord] = []
        skipped: list[dict[str, str]] = []
        maps = store.folder / "maps"
        files = sorted(p for g in ("*", "*/*") for p in maps.glob(g) if p.is_file())
        for path in files[MAX_MAP_FILES:]:
            skipped.append(_skip(store, path, f"not read: more than {MAX_MAP_FILES} files"))
        known = set(store.map_files())
        for path in files[:MAX_MAP_FILES]:
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                continue  # a record being written
            if path not in known:
                skipped.append(
                    _skip(store, path, "not a map file (maps/<game>/<map>-<agent>.json)")
                )
                continue
            found = self._read(store, path)
            if isinstance(found, str):
                skipped.append(_skip(store, path, found))
            elif found.run != manifest.key:
                skipped.append(_skip(store, path, f"a record of run {found.run}, not of this "
                                                  f"folder's run {manifest.key}"))  # fmt: skip
            else:
                records.append(found)
        board = leaderboard(records, seed=manifest.seed)
        return json_value(
            {
                "folder": name,
                "run": {
                    "key": manifest.key, "judge": manifest.judge,
                    "judge_fingerprint": dict(manifest.judge_fingerprint), "seed": manifest.seed,
                    "split": manifest.split, "rounds": manifest.rounds,
                    "agents": {n: spec.to_json() for n, spec in manifest.agents.items()},
                    "games": dict(manifest.games),
                },
                "leaderboard": board.to_json(),
                "curves": learning_curves(records),
                "maps": [
                    {"game": r.game, "map": r.map, "agent": r.agent, "status": r.status,
                     "score": r.score, "round_scores": list(r.round_scores),
                     "seats": dict(r.seats), "error": r.error.message if r.error else None}
                    for r in sorted(records, key=lambda r: (r.game, r.map, r.agent))
                ],
                "skipped": skipped,
            }
        )  # fmt: skip

    def map(self, name: str, game: str, index: int, agent: str) -> dict[str, Any]:
        """The record of one map of the run folder ``name`` (its ``MapRecord`` JSON).

        Raises:
            UnknownNameError: no such folder.
            ConfigError: a malformed game or agent name, or a folder without a run.
            RecordError: no such map, or its file is not a valid record of this run.
        """
        store = self._store(name)
        manifest = self._manifest(store, name)
        if not _valid_name(game, NAME_PATTERN) or not _valid_name(agent, r"[A-Za-z0-9][\w.:-]*"):
            raise ConfigError(
                f"not a game and agent of a results folder: {game!r:.60}, {agent!r:.60}"
            )
        path = store.path(game, index, agent)
        if not path.is_file():
            raise RecordError(f"{name} holds no map {index} of {game} played by {agent!r}")
        found = self._read(store, path)
        if isinstance(found, str):
            raise RecordError(f"{path.relative_to(store.folder)} is not a valid record: {found}")
        if found.run != manifest.key:
            raise RecordError(f"{path.relative_to(store.folder)} is a record of another run")
        return json_value({"folder": name, "record": found.to_json()})

    # ------------------------------------------------------------------ internals
    def _store(self, name: str) -> ResultsStore:
        return ResultsStore(folder_path(self.root, name, must_exist=True))

    def _manifest(self, store: ResultsStore, name: str) -> RunManifest:
        try:
            manifest = store.read_run()
        except RunConflictError as exc:
            raise ConfigError(f"{name} is not a results folder this page can read: {exc}") from None
        if manifest is None:
            raise ConfigError(
                f"{name} is not a results folder: it has no run.json (the file `xent-envs "
                "eval` writes first)"
            )
        return manifest

    def _read(self, store: ResultsStore, path: Path) -> MapRecord | str:
        """The record in ``path``, or why it is not one (cached while the file is unchanged)."""
        try:
            stat = path.stat()
        except OSError as exc:
            return f"unreadable ({exc.strerror or exc})"
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        try:
            found: MapRecord | str = store.read(path)
        except RecordError as exc:
            found = str(exc)
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return found


def _skip(store: ResultsStore, path: Path, reason: str) -> dict[str, str]:
    return {"path": path.relative_to(store.folder).as_posix(), "reason": reason}


def _valid_name(text: str, pattern: str) -> bool:
    return re.fullmatch(pattern, text) is not None and len(text) <= 100
