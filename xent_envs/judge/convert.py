"""The on-disk model cache: files built once (a GGUF file converted to a bf16 safetensors folder)
and checked against a manifest on every load.

transformers dequantizes a GGUF file in about 20 s; loading the saved bf16 copy takes well under
a second. The copy lives in the user cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``, then
``xent-envs``). Two processes may build it at once: a file lock serialises them (a process
waits for it at most ``LOCK_TIMEOUT_S`` seconds, and says which lock it waits for), the folder
is written under a temporary name and renamed into place, and a manifest with the size and
SHA-256 of every file is written last. A folder whose manifest is missing or whose files do not
match it is a broken or partial cache and is rebuilt.

Hashing 270 MB on every process start costs seconds, so the manifest also records each file's
modification time and inode: a file whose size, mtime and inode all match is trusted without
reading it, and is hashed again when one of them changes or when asked (``verify=True``). What
the stat check cannot see (bytes rewritten in place with the old mtime put back), the judge's
load check on a canary sentence catches (``xent_envs.judge.canary``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from xent_envs.errors import JudgeError
from xent_envs.files import atomic_write_json

__all__ = [
    "LOCK_TIMEOUT_S",
    "MANIFEST",
    "cache_root",
    "cached_folder",
    "read_manifest",
    "sha256_file",
]

MANIFEST = "manifest.json"
LOCK_TIMEOUT_S = 900.0
"""Longest wait for another process's build of the same cache entry (a first conversion takes
about 20 s on a quiet machine, minutes on a very busy one)."""
_FORMAT = 1
_log = logging.getLogger(__name__)


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/xent-envs`` (or ``~/.cache/xent-envs``); created on demand."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "xent-envs"


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 22) -> str:
    """Hex SHA-256 of a file, read in 4 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _stat_entry(path: Path) -> dict[str, int]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "inode": stat.st_ino}


def read_manifest(folder: Path, verify: bool = False) -> dict[str, Any] | None:
    """The folder's manifest, or None when it is missing, unreadable or does not match the
    files next to it.

    A file matches when its size is the manifest's and, unless ``verify``, its mtime and inode
    are too; otherwise its SHA-256 must be the manifest's. A file that matched by its hash
    alone gets its new mtime and inode written into the manifest, so the next load is fast.
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files: dict[str, dict[str, Any]] = manifest["files"]
        if manifest.get("format") != _FORMAT:
            return None
        restat = False
        for name, entry in files.items():
            path = folder / name
            stat = _stat_entry(path)
            if stat["size"] != entry["size"]:
                return None
            same = all(entry.get(key) == stat[key] for key in ("mtime_ns", "inode"))
            if verify or not same:
                if sha256_file(path) != entry["sha256"]:
                    return None
                restat |= not same
                entry.update(stat)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if restat:
        # A read-only cache still loads, only not faster next time.
        with contextlib.suppress(OSError):
            atomic_write_json(folder / MANIFEST, manifest)
    return manifest


def _write_manifest(folder: Path, extra: dict[str, Any]) -> dict[str, Any]:
    files = {
        p.name: {**_stat_entry(p), "sha256": sha256_file(p)}
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != MANIFEST
    }
    manifest = {"format": _FORMAT, "files": files, **extra}
    atomic_write_json(folder / MANIFEST, manifest)
    return manifest


def _acquire(lock: FileLock, what: str, timeout: float) -> None:
    """Take ``lock``, saying so when another process holds it; give up after ``timeout``."""
    try:
        lock.acquire(timeout=min(1.0, timeout))
        return
    except Timeout:
        pass
    _log.warning(
        "waiting up to %.0f s for %s: another process holds it while it builds %s",
        timeout,
        lock.lock_file,
        what,
    )
    try:
        lock.acquire(timeout=max(0.0, timeout - 1.0))
    except Timeout:
        raise JudgeError(
            f"gave up after {timeout:.0f} s waiting for the lock {lock.lock_file}, held by "
            f"another process building {what}; if no other xent-envs process is running, "
            "delete that file and try again"
        ) from None


def cached_folder(
    key: str,
    build: Callable[[Path], dict[str, Any]],
    root: Path | None = None,
    *,
    verify: bool = False,
    lock_timeout: float = LOCK_TIMEOUT_S,
) -> tuple[Path, dict[str, Any]]:
    """Return ``(folder, manifest)`` for cache entry ``key``, building it first if needed.

    ``build(tmp_folder)`` writes the files into an empty folder and returns extra manifest
    fields (e.g. the source file's hash). It runs under a lock, in a temporary folder that is
    renamed into place only after the manifest (written last) is complete. ``verify=True``
    hashes every file even when size, mtime and inode match the manifest.

    Raises:
        JudgeError: the lock stayed taken by another process for ``lock_timeout`` seconds.
    """
    root = root or cache_root()
    root.mkdir(parents=True, exist_ok=True)
    folder = root / key
    manifest = read_manifest(folder, verify)
    if manifest is not None:
        return folder, manifest
    lock = FileLock(str(root / f"{key}.lock"))
    _acquire(lock, str(folder), lock_timeout)
    try:
        # Another process may have finished the build while we waited for the lock.
        manifest = read_manifest(folder, verify)
        if manifest is not None:
            return folder, manifest
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
        try:
            extra = build(tmp)
            manifest = _write_manifest(tmp, extra)
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    finally:
        lock.release()
    return folder, manifest
