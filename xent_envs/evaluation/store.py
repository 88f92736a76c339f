"""The results folder of an evaluation run: ``run.json`` (:class:`RunManifest`) and one JSON
file per (game, map, agent) under ``maps/<game>/<map:04d>-<agent>.json``.

Every file is written atomically (``xent_envs.files``), so a crash or a Ctrl-C leaves the old
file or the new one, never half of one, and a rerun finds every map already saved. Nothing in
``maps/`` is trusted: a file is used only when it parses as a :class:`MapRecord` of this
run's format and key, sits at the path of its own game, map and agent, and carries the keys
and seeds the run expects for that slot (:meth:`ResultsStore.scan`); every other file is
reported with the reason, and its slot is played again.

One process writes to a folder at a time: :meth:`ResultsStore.lock` takes a lock file and
records who holds it, so a second evaluation into the same folder is refused with the other
process's id instead of redoing the same maps.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from xent_envs.errors import RecordError, RunConflictError, RunLockedError
from xent_envs.evaluation.config import RECORD_FORMAT, RunManifest
from xent_envs.evaluation.records import MapRecord, MapSlot
from xent_envs.files import atomic_write_json

__all__ = ["RUN_FILE", "ResultsStore", "Scan"]

RUN_FILE = "run.json"
_LOCK_FILE = ".lock"
_OWNER_FILE = ".lock-owner.json"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAP_FILE = re.compile(r"^(\d{4,})-(.+)\.json$")
#: the largest map file read (a record of a long many-round map is a few MB)
MAX_RECORD_BYTES = 64 * 2**20


def safe_name(name: str) -> str:
    """``name`` as a file-name part: runs of other characters than ``A-Za-z0-9._-`` become
    ``_``.

    >>> safe_name("pkg.mod:Agent")
    'pkg.mod_Agent'
    """
    return _SAFE.sub("_", name) or "_"


@dataclass
class Scan:
    """What :meth:`ResultsStore.scan` found.

    Attributes:
        records: valid records of the run's slots, by (game, map, agent).
        outside: how many valid-looking files belong to games, maps or agents that this
            configuration does not ask for (kept, not counted).
        skipped: (path relative to the folder, reason) of every file that was not used.
    """

    records: dict[tuple[str, int, str], MapRecord] = field(default_factory=dict)
    outside: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


class ResultsStore:
    """The files of one run in ``folder``.

    Args:
        folder: the results folder (created on :meth:`open`).
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    @property
    def run_file(self) -> Path:
        return self.folder / RUN_FILE

    # -- the lock --------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, timeout: float = 0.0) -> Iterator[None]:
        """Hold the folder's lock for the block; wait at most ``timeout`` seconds for it.

        The lock is an OS file lock (released when the process ends, even by ``kill -9``);
        ``.lock-owner.json`` names the process holding it, for the message of the next one.

        Raises:
            RunLockedError: another process holds the lock (the message names it).
        """
        import filelock

        self.folder.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(self.folder / _LOCK_FILE)
        try:
            lock.acquire(timeout=max(0.0, timeout))
        except filelock.Timeout:
            raise RunLockedError(
                f"{self.folder} is in use by another evaluation ({self._owner()}); wait for "
                "it to finish, or use another --out folder"
            ) from None
        owner = self.folder / _OWNER_FILE
        try:
            atomic_write_json(
                owner,
                {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()},
            )
            yield
        finally:
            with contextlib.suppress(OSError):
                owner.unlink()
            lock.release()

    def _owner(self) -> str:
        try:
            data = json.loads((self.folder / _OWNER_FILE).read_text(encoding="utf-8"))
            since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(data["since"])))
            return f"process {int(data['pid'])} on {data['host']}, since {since}"
        except (OSError, ValueError, KeyError, TypeError):
            return "a process that did not say which"

    # -- run.json --------------------------------------------------------------------------
    def read_run(self) -> RunManifest | None:
        """The folder's manifest, or None when there is none.

        Raises:
            RunConflictError: ``run.json`` is unreadable, of another format, or not a manifest.
        """
        try:
            data = json.loads(self.run_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise RunConflictError(
                f"{self.run_file} is unreadable ({exc}); use another --out folder"
            ) from exc
        if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
            found = data.get("format") if isinstance(data, dict) else None
            raise RunConflictError(
                f"{self.folder} holds results of record format {found!r}, this version writes "
                f"format {RECORD_FORMAT}; use another --out folder"
            )
        try:
            return RunManifest.from_json(data)
        except RecordError as exc:
            raise RunConflictError(f"{self.run_file} is not a run manifest ({exc})") from exc

    def open(self, manifest: RunManifest) -> RunManifest:
        """Claim the folder for the run of ``manifest``: write it to a new folder, or check
        that the folder holds the same run. Returns the folder's manifest.

        Raises:
            RunConflictError: the folder holds another run (the message says what changed).
        """
        old = self.read_run()
        if old is None:
            self.write_run(manifest)
            return manifest
        if old.key != manifest.key:
            changed = _diff(old.to_json(), manifest.to_json(), skip=("key", "agents", "games"))
            raise RunConflictError(
                f"{self.folder} holds results of another run (run {old.key}, this one is "
                f"{manifest.key}; changed: {changed or 'unknown'}); use another --out folder, "
                "or delete that one to start over"
            )
        return old

    def write_run(self, manifest: RunManifest) -> None:
        """Write ``run.json`` (atomically)."""
        atomic_write_json(self.run_file, manifest.to_json())

    # -- map records -----------------------------------------------------------------------
    def path(self, game: str, map_index: int, agent: str) -> Path:
        return self.folder / "maps" / safe_name(game) / f"{map_index:04d}-{safe_name(agent)}.json"

    def save(self, record: MapRecord) -> None:
        """Write ``record`` at its slot's path (atomically)."""
        atomic_write_json(self.path(record.game, record.map, record.agent), record.to_json())

    def read(self, path: Path) -> MapRecord:
        """The record in ``path``, checked against its schema and its path.

        Raises:
            RecordError: unreadable, too large, not a record, or at another slot's path.
        """
        try:
            size = path.stat().st_size
            data = json.loads(path.read_bytes()) if size <= MAX_RECORD_BYTES else None
        except (OSError, ValueError) as exc:
            raise RecordError(f"unreadable ({exc})") from exc
        if size > MAX_RECORD_BYTES:
            raise RecordError(f"{size} bytes, more than a record holds ({MAX_RECORD_BYTES})")
        if isinstance(data, dict) and data.get("format") != RECORD_FORMAT:
            raise RecordError(f"record format {data.get('format')!r}, not {RECORD_FORMAT}")
        record = MapRecord.from_json(data)
        expected = self.path(record.game, record.map, record.agent)
        if expected.relative_to(self.folder) != path.relative_to(self.folder):
            raise RecordError(
                f"the record is of {record.game} map {record.map} by {record.agent}, whose "
                f"file is {expected.relative_to(self.folder)}"
            )
        return record

    def map_files(self) -> list[Path]:
        """The folder's map files, sorted (temporary files of an interrupted write and files
        of other tools aside)."""
        return [
            path
            for path in sorted((self.folder / "maps").glob("*/*.json"))
            if _MAP_FILE.match(path.name)
        ]

    def scan(self, expect: Callable[[MapRecord], MapSlot | None]) -> Scan:
        """Read every map file and sort it out.

        Args:
            expect: for a record, the slot this run expects at its (game, map, agent), or
                None when the configuration does not ask for it.

        Returns:
            The valid records of expected slots, the count of valid files outside the
            configuration, and every other file with the reason it was skipped.
        """
        scan = Scan()
        for path in self.map_files():
            name = path.relative_to(self.folder).as_posix()
            try:
                record = self.read(path)
            except RecordError as exc:
                scan.skipped.append((name, str(exc)))
                continue
            slot = expect(record)
            if slot is None:
                scan.outside += 1
            elif record.slot != slot:
                scan.skipped.append((name, _slot_mismatch(record.slot, slot)))
            else:
                scan.records[(record.game, record.map, record.agent)] = record
        return scan


def _slot_mismatch(found: MapSlot, expected: MapSlot) -> str:
    if found.run != expected.run:
        return f"a record of run {found.run}, not of this run ({expected.run})"
    changed = [
        f"{name} {getattr(found, name)!r}, expected {getattr(expected, name)!r}"
        for name in ("seed", "agent_seed", "key")
        if getattr(found, name) != getattr(expected, name)
    ]
    return "not this run's map: " + "; ".join(changed)


def _diff(old: dict[str, object], new: dict[str, object], skip: tuple[str, ...]) -> str:
    """``key: old -> new`` for every top-level field that differs."""
    parts = []
    for key in sorted((set(old) | set(new)) - set(skip)):
        if old.get(key) != new.get(key):
            parts.append(f"{key}: {json.dumps(old.get(key))} -> {json.dumps(new.get(key))}")
    return "; ".join(parts)
