"""The results folder of an evaluation run: one JSON file per (game, map, agent), written
atomically, under a ``run.json`` that names the run's configuration and its hash.

A file is written to a temporary name and renamed into place (``os.replace``), so a crash or a
Ctrl-C leaves either the old file or the new one, never half of one; a run that restarts finds
every map already played and skips it. A folder whose ``run.json`` has another hash belongs to
another configuration and is refused, so results of different configurations never mix.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xent_envs.errors import RunConflictError
from xent_envs.files import atomic_write_json

__all__ = ["RUN_FILE", "ResultsStore"]

RUN_FILE = "run.json"
_FORMAT = 1
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe(name: str) -> str:
    return _SAFE.sub("_", name) or "_"


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

    def read_run(self) -> dict[str, Any] | None:
        """The folder's ``run.json``, or None when there is none."""
        try:
            return json.loads(self.run_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise RunConflictError(
                f"{self.run_file} is unreadable ({exc}); use another --out folder"
            ) from exc

    def open(self, key: str, config: dict[str, Any], resume: bool = True) -> int:
        """Claim the folder for the run ``key``; returns how many maps are already saved.

        Raises:
            RunConflictError: the folder holds another configuration, or (``resume=False``)
                already holds results of this one.
        """
        run = self.read_run()
        if run is not None:
            if run.get("key") != key:
                changed = _diff(run.get("config", {}), config)
                raise RunConflictError(
                    f"{self.folder} holds results of another configuration (run {run.get('key')}, "
                    f"this one is {key}; changed: {changed or 'unknown'}); use another --out "
                    "folder, or delete that one to start over"
                )
            saved = sum(1 for _ in self.records())
            if saved and not resume:
                raise RunConflictError(
                    f"{self.folder} already holds {saved} maps of this run; resume it, or use "
                    "another --out folder"
                )
            return saved
        atomic_write_json(self.run_file, {"format": _FORMAT, "key": key, "config": config})
        return 0

    def path(self, game: str, map_index: int, agent: str) -> Path:
        return self.folder / "maps" / _safe(game) / f"{map_index:04d}-{_safe(agent)}.json"

    def load(self, game: str, map_index: int, agent: str) -> dict[str, Any] | None:
        """The saved record of one map, or None (never saved, or unreadable)."""
        try:
            return json.loads(self.path(game, map_index, agent).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save(self, record: dict[str, Any]) -> None:
        atomic_write_json(self.path(record["game"], record["map"], record["agent"]), record)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every saved map record, in (game, map, agent) file order."""
        for path in sorted((self.folder / "maps").glob("*/*.json")):
            try:
                yield json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue


def _diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    """``key: old -> new`` for every top-level field that differs."""
    parts = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            parts.append(f"{key}: {json.dumps(old.get(key))} -> {json.dumps(new.get(key))}")
    return "; ".join(parts)
