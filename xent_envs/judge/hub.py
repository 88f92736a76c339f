"""Whether a Hugging Face model id can be loaded now, decided in a few seconds at most.

Offline (``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` set) or with no route to the hub,
transformers retries for most of a minute before it gives up on an id it cannot download. So
before it is asked, an id is looked up in the local Hugging Face cache and, when it is not
there, the hub is probed with one bounded connection attempt.
"""

from __future__ import annotations

import os
import socket
import threading
from urllib.parse import urlparse

from xent_envs.errors import ModelNotFoundError

__all__ = ["PROBE_SECONDS", "hub_reachable", "local_files_only", "offline_mode"]

PROBE_SECONDS = 3.0
"""How long the probe of the hub may take (name resolution included)."""

_TRUE = {"1", "on", "yes", "true"}


def offline_mode() -> bool:
    """Whether the user asked for no network: ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE``."""
    return any(
        os.environ.get(var, "").strip().lower() in _TRUE
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def hub_reachable(timeout: float = PROBE_SECONDS) -> bool:
    """Whether a TCP connection to the hub's endpoint opens within ``timeout`` seconds.

    The attempt runs in a daemon thread, so a name lookup that hangs cannot hold the caller
    longer than ``timeout``.
    """
    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    result: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True, name="xent-hub-probe")
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def local_files_only(model_id: str, revision: str | None = None) -> bool:
    """Whether ``model_id`` must be loaded from the local cache (True) or may be downloaded.

    Raises:
        ModelNotFoundError: it is not in the local cache and cannot be downloaded now
            (offline mode, or the hub does not answer); raised at once, not after retries.
    """
    from huggingface_hub import try_to_load_from_cache

    try:
        cached = isinstance(try_to_load_from_cache(model_id, "config.json", revision=revision), str)
    except ValueError:  # not a valid repository id
        cached = False
    if offline_mode():
        if cached:
            return True
        raise ModelNotFoundError(
            f"model {model_id!r} is not in the local Hugging Face cache and HF_HUB_OFFLINE is "
            "set, so it cannot be downloaded"
        )
    if hub_reachable():
        return False
    if cached:
        return True
    raise ModelNotFoundError(
        f"model {model_id!r} is not in the local Hugging Face cache and the hub cannot be "
        "reached (no network?), so it cannot be downloaded"
    )
