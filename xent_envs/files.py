"""Files written whole or not at all.

Results, manifests and pools are written to a temporary name, flushed to disk and renamed into
place (``os.replace``), so a crash, a Ctrl-C or a full disk leaves either the old file or the
new one, never half of one.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from pathlib import Path
from typing import Any

from xent_envs.errors import WriteError

__all__ = ["atomic_write_bytes", "atomic_write_json", "atomic_write_text"]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, ``fsync`` and ``os.replace``.

    Raises:
        WriteError: the disk is full or the folder is not writable; ``path`` keeps its
            previous content and no temporary file is left behind.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise WriteError(
                exc.errno,
                f"disk full while saving {path}; what was saved before is kept in "
                f"{path.parent}: free some space and run the same command again to resume",
            ) from exc
        raise WriteError(exc.errno, f"could not save {path}: {exc.strerror or exc}") from exc


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """``atomic_write_bytes`` of ``text`` in UTF-8."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], data: Any) -> None:
    """``atomic_write_bytes`` of ``data`` as indented UTF-8 JSON.

    Text that UTF-8 cannot encode (a lone surrogate such as ``"\\ud800"``, which a game's
    ``\\u`` escape can produce) is written as JSON ``\\u`` escapes instead, so every string
    reads back exactly.
    """
    text = json.dumps(data, indent=1, ensure_ascii=False, allow_nan=True) + "\n"
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        encoded = (json.dumps(data, indent=1, ensure_ascii=True, allow_nan=True) + "\n").encode()
    atomic_write_bytes(path, encoded)
