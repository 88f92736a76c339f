"""Ray started here (the embedded default) or joined at an address, within bounded time.

:func:`ray_runtime` is the one way the suite gets a Ray runtime:

- already initialised in this process (a notebook, a script that called ``ray.init``): used
  as it is, and left running;
- no address: a local runtime with ``num_cpus`` CPUs is started, and shut down at the end;
- an address (``host:port`` of a cluster's head, ``ray://host:port`` for Ray Client,
  ``auto`` for the cluster running on this machine): joined, after checking within
  ``connect_timeout`` seconds that the address accepts connections (Ray's own connection
  attempts take a minute or more to give up), and left at the end.

Workers of a cluster must have xent-envs (and the agents' packages) installed: a local
runtime's workers share this machine's Python and working directory.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from xent_envs.errors import ClusterError, ConfigError

__all__ = ["CONNECT_TIMEOUT", "check_address", "ray_runtime", "require_ray"]

#: seconds to find out whether a Ray address accepts connections
CONNECT_TIMEOUT = 10.0


def require_ray() -> Any:
    """The ``ray`` module.

    Raises:
        ConfigError: Ray is not installed (the message gives the install command).
    """
    try:
        import ray
    except ImportError:
        raise ConfigError("this needs Ray: pip install 'xent-envs[ray]'") from None
    return ray


def check_address(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Check that ``address`` (``host:port`` or ``ray://host:port``) accepts TCP connections.

    Raises:
        ClusterError: it is malformed, does not resolve, or refuses or ignores a connection
            for ``timeout`` seconds.
    """
    if address in ("auto", "local"):
        return
    target = address if "://" in address else f"tcp://{address}"
    try:
        parts = urlsplit(target)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise ClusterError(f"bad Ray address {address!r}: {exc}") from None
    if not host or port is None:
        raise ClusterError(
            f"bad Ray address {address!r}: expected host:port (the head's GCS port, 6379 by "
            "default), ray://host:port (Ray Client, 10001), or auto"
        )
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise ClusterError(
            f"cannot reach Ray at {address!r} within {timeout:g} s ({exc}); is the cluster "
            "running (`ray start --head` on its head node) and the port open? Leave out "
            "--address to run on a local Ray runtime instead"
        ) from None


@contextlib.contextmanager
def ray_runtime(
    address: str | None = None,
    *,
    num_cpus: int | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> Iterator[Any]:
    """Ray, ready to use, for the block (see the module docstring); yields the module.

    Args:
        address: a cluster to join; None starts a local runtime.
        num_cpus: CPUs of a local runtime (default: this machine's).
        connect_timeout: seconds to find out whether ``address`` accepts connections.

    Raises:
        ConfigError: Ray is not installed.
        ClusterError: the address cannot be reached, or Ray fails to start or join.
    """
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    if address is not None:
        check_address(address, connect_timeout)
    options: dict[str, Any] = {"include_dashboard": False, "configure_logging": False}
    if address is None:
        options["num_cpus"] = num_cpus
    try:
        ray.init(address=address, **options)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
        where = f"join Ray at {address!r}" if address else "start a local Ray runtime"
        raise ClusterError(f"cannot {where}: {type(exc).__name__}: {exc}") from exc
    try:
        yield ray
    finally:
        ray.shutdown()
