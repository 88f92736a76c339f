"""Run folders under the results root: the only files the web server reads or writes.

A page names a folder relative to the root (``main``, ``runs/2024-05``, or ``.`` for the root
itself, when ``--results`` names one run folder). The name is checked
before any file is touched: plain parts of letters, digits, ``.``, ``_`` and ``-``, none
hidden and none ``..``; and the resolved path must still lie under the root, so neither a
name nor a symbolic link inside the root reaches another file of the machine.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from xent_envs.errors import ConfigError, UnknownNameError, unknown_name
from xent_envs.evaluation.store import RUN_FILE
from xent_envs.web.settings import MAX_FOLDER_CHARS

__all__ = ["MAX_RUNS_LISTED", "folder_path", "run_folders"]

_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")
#: run folders listed at most (a results root is a handful of runs, not a file system)
MAX_RUNS_LISTED = 200
#: depth under the root searched for run folders
_MAX_DEPTH = 3


def folder_path(root: Path, name: str, *, must_exist: bool) -> Path:
    """The folder ``name`` names under ``root``, resolved.

    Raises:
        ConfigError: ``name`` is not a plain relative folder name, or leads out of the root.
        UnknownNameError: ``must_exist`` and there is no such folder (the message lists the
            run folders found, with the closest one).
    """
    plain = isinstance(name, str) and len(name) <= MAX_FOLDER_CHARS
    parts = [] if name == "." else name.split("/") if plain else [""]
    if not all(_PART.fullmatch(part) for part in parts):
        raise ConfigError(
            f"a results folder is named relative to the results root, by parts of letters, "
            f"digits, '.', '_' and '-' separated by '/' (not hidden, not '..'), or '.' for the "
            f"root itself; got {name!r:.80}"
        )
    top = root.resolve()
    path = (top / Path(*parts)).resolve()
    if not path.is_relative_to(top):
        raise ConfigError(f"results folder {name!r} leads out of the results root")
    if must_exist and not path.is_dir():
        raise UnknownNameError(
            unknown_name("results folder", name, run_folders(root), where=f" under {root}")
        )
    return path


def run_folders(root: Path) -> list[str]:
    """The run folders under ``root`` (those holding a ``run.json``), as names relative to
    it, sorted; hidden folders and symbolic links are not followed, and the search stops at
    ``MAX_RUNS_LISTED`` folders."""
    top = root.resolve()
    found: list[str] = []
    if not top.is_dir():
        return found
    for here, dirs, files in os.walk(top):
        depth = len(Path(here).relative_to(top).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "maps")
        if depth >= _MAX_DEPTH:
            dirs.clear()
        if RUN_FILE in files:
            found.append(Path(here).relative_to(top).as_posix())
            if len(found) >= MAX_RUNS_LISTED:
                break
    return sorted(found)
