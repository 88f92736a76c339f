"""The on-disk model cache: a GGUF file converted once to a bf16 safetensors folder.

transformers dequantizes a GGUF file in about 20 s; loading the saved bf16 copy takes about 2 s.
The copy lives in the user cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``, then
``xent-envs``). Two processes may build it at once: a file lock serialises them, the folder is
written under a temporary name and renamed into place, and a manifest with the SHA-256 of every
file is written last. A folder whose manifest is missing or whose files do not match it is a
broken or partial cache and is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock

from xent_envs.files import atomic_write_json

__all__ = ["MANIFEST", "cache_root", "cached_folder", "read_manifest", "sha256_file"]

MANIFEST = "manifest.json"
_FORMAT = 1


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


def read_manifest(folder: Path, verify: bool = True) -> dict[str, Any] | None:
    """The folder's manifest, or None when it is missing, unreadable or (with ``verify``) does
    not match the files next to it."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files: dict[str, dict[str, Any]] = manifest["files"]
        if manifest.get("format") != _FORMAT:
            return None
        for name, entry in files.items():
            path = folder / name
            if path.stat().st_size != entry["size"]:
                return None
            if verify and sha256_file(path) != entry["sha256"]:
                return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return manifest


def _write_manifest(folder: Path, extra: dict[str, Any]) -> dict[str, Any]:
    files = {
        p.name: {"size": p.stat().st_size, "sha256": sha256_file(p)}
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != MANIFEST
    }
    manifest = {"format": _FORMAT, "files": files, **extra}
    atomic_write_json(folder / MANIFEST, manifest)
    return manifest


def cached_folder(
    key: str,
    build: Callable[[Path], dict[str, Any]],
    root: Path | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Return ``(folder, manifest)`` for cache entry ``key``, building it first if needed.

    ``build(tmp_folder)`` writes the files into an empty folder and returns extra manifest
    fields (e.g. the source file's hash). It runs under a lock, in a temporary folder that is
    renamed into place only after the manifest (written last) is complete.
    """
    root = root or cache_root()
    root.mkdir(parents=True, exist_ok=True)
    folder = root / key
    manifest = read_manifest(folder)
    if manifest is not None:
        return folder, manifest
    with FileLock(str(root / f"{key}.lock")):
        # Another process may have finished the build while we waited for the lock.
        manifest = read_manifest(folder)
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
    return folder, manifest
