"""JSON over HTTP with hard bounds, for the judges that live on a server.

A judge call must end, whatever the server does: refuse connections, stall, trickle its
answer, send gigabytes or garbage. :class:`Transport` bounds every call as a whole:

- ``timeout`` seconds for the call, every attempt and wait included, enforced by cancelling
  it (``asyncio.timeout``), so a server sending one byte a second cannot stretch it;
- ``max_retries`` retries, with exponential backoff, of what is worth retrying: a refused or
  dropped connection, 429, 502, 503 and 504 (``Retry-After`` honoured while time is left);
- at most ``max_response_bytes`` read; the answer must be JSON without ``NaN``.

A failure raises :class:`~xent_envs.errors.JudgeServerError` naming the server and what
happened; a refusal the server explains (status 400 with ``{"error": {"type", "message"}}``)
raises the same ``XentError`` the judge would raise in process (``ContextLengthError``,
``JudgeRequestError``, ``ConfigError``), so a remote judge fails like a local one.

Calls are made from any thread: the connections live on one event loop in a daemon thread
(started again in a forked child, which does not inherit threads).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from xent_envs.errors import (
    ConfigError,
    ContextLengthError,
    JudgeRequestError,
    JudgeServerError,
    XentError,
)
from xent_envs.judge.wire import WireError, dumps, loads

__all__ = ["RETRY_STATUSES", "Transport"]

#: statuses worth another attempt: busy, or a proxy in front of a restarting server
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_MAX_BACKOFF = 8.0
#: errors a server may name in its refusals, raised as themselves
_KNOWN: dict[str, type[XentError]] = {
    "ContextLengthError": ContextLengthError,
    "JudgeRequestError": JudgeRequestError,
    "ConfigError": ConfigError,
}


class Transport:
    """A bounded JSON client of one server.

    Args:
        base_url: the server's root (``http://host:port`` or ``.../v1``); paths are appended.
        what: how messages name the server (``"judge server"``).
        headers: sent with every request (an ``Authorization`` header...).
        timeout: seconds for one call, all of it.
        max_retries: retries after the first attempt, for retryable failures only.
        backoff: first wait in seconds, doubled at each retry (at most 8 s).
        max_response_bytes: the largest answer accepted.
        hint: appended to the message when the server cannot be reached.
    """

    def __init__(
        self,
        base_url: str,
        *,
        what: str = "judge server",
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_response_bytes: int = 256 * 2**20,
        hint: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.what = what
        self.headers = {"Content-Type": "application/json", **dict(headers or {})}
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self.max_response_bytes = int(max_response_bytes)
        self.hint = hint
        self._lock = threading.Lock()
        self._pid = -1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r})"

    # -- the event loop ----------------------------------------------------------------------
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                import httpx

                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="xent-envs-transport", daemon=True
                ).start()
                self._loop, self._pid = loop, os.getpid()
                # Connections are pooled per loop; the read timeout is the call's own bound.
                self._client = httpx.AsyncClient(timeout=None, trust_env=True)
            return self._loop

    def close(self) -> None:
        """Close the connections and stop the loop (a later call starts them again)."""
        with self._lock:
            loop, client, self._loop, self._client = self._loop, self._client, None, None
            if loop is None or self._pid != os.getpid():
                return
        future = asyncio.run_coroutine_threadsafe(client.aclose(), loop)
        with contextlib.suppress(Exception):  # best effort: the loop stops either way
            future.result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)

    # -- calls ---------------------------------------------------------------------------------
    def get(self, path: str, *, timeout: float | None = None) -> Any:
        """The JSON answer of ``GET path``."""
        return self.call("GET", path, None, timeout=timeout)

    def post(self, path: str, body: Any, *, timeout: float | None = None) -> Any:
        """The JSON answer of ``POST path`` with the JSON ``body``."""
        return self.call("POST", path, body, timeout=timeout)

    def call(self, method: str, path: str, body: Any, *, timeout: float | None = None) -> Any:
        """One bounded call (see the module docstring).

        Raises:
            JudgeServerError: unreachable, too slow, an error status, an answer too large or
                not JSON.
            ContextLengthError, JudgeRequestError, ConfigError: the server refused the
                request for that reason.
        """
        limit = self.timeout if timeout is None else float(timeout)
        data = None if body is None else dumps(body)
        loop = self._ensure_loop()
        future = asyncio.run_coroutine_threadsafe(self._call(method, path, data, limit), loop)
        try:
            # The coroutine bounds itself; the margin only covers a loop that died under it.
            return future.result(timeout=limit + 10)
        except TimeoutError:
            future.cancel()
            raise JudgeServerError(
                f"{self.what} {self.base_url}: no answer to {method} {path} within {limit:g} s"
            ) from None

    async def _call(self, method: str, path: str, data: bytes | None, limit: float) -> Any:
        url = f"{self.base_url}{path}"
        start = time.monotonic()
        last = "no attempt made"
        attempts = 0
        try:
            async with asyncio.timeout(limit):
                for attempt in range(self.max_retries + 1):
                    attempts += 1
                    wait = min(_MAX_BACKOFF, self.backoff * 2**attempt)
                    outcome = await self._attempt(method, url, data)
                    if not isinstance(outcome, _Retry):
                        return outcome
                    last = outcome.reason
                    if outcome.retry_after is not None:
                        wait = outcome.retry_after
                    if attempt < self.max_retries:
                        await asyncio.sleep(wait)
        except TimeoutError:
            raise JudgeServerError(
                f"{self.what} {self.base_url}: no complete answer to {method} {path} within "
                f"{limit:g} s ({attempts} attempt(s); last: {last})"
            ) from None
        raise JudgeServerError(
            f"{self.what} {self.base_url} cannot be reached: {attempts} attempt(s) in "
            f"{time.monotonic() - start:.1f} s, last error: {last}{self.hint}"
        )

    async def _attempt(self, method: str, url: str, data: bytes | None) -> Any:
        import httpx

        try:
            async with self._client.stream(
                method, url, content=data, headers=self.headers
            ) as response:
                body = await self._read(response, url)
                status = response.status_code
                retry_after = response.headers.get("Retry-After")
        except (httpx.TransportError, OSError) as exc:
            # Refused, reset or dropped connections: the server may be restarting.
            return _Retry(f"{type(exc).__name__}: {exc or 'connection failed'}")
        if status in RETRY_STATUSES:
            after = float(retry_after) if retry_after and retry_after.isdigit() else None
            return _Retry(f"HTTP {status} {_excerpt(body)}", after)
        if not 200 <= status < 300:
            raise self._refusal(status, body, url)
        try:
            return loads(body)
        except WireError as exc:
            raise JudgeServerError(f"{self.what} {url} answered {exc}") from None

    async def _read(self, response: Any, url: str) -> bytes:
        announced = response.headers.get("Content-Length")
        if announced and announced.isdigit() and int(announced) > self.max_response_bytes:
            raise JudgeServerError(
                f"{self.what} {url} announced an answer of {announced} bytes, more than the "
                f"{self.max_response_bytes} accepted"
            )
        chunks, size = [], 0
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if size > self.max_response_bytes:
                raise JudgeServerError(
                    f"{self.what} {url} sent more than {self.max_response_bytes} bytes"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _refusal(self, status: int, body: bytes, url: str) -> XentError:
        """The error for a refused request: the judge's own when the server names it."""
        try:
            error = loads(body).get("error", {})
            kind, message = str(error["type"]), str(error["message"])
        except (WireError, AttributeError, KeyError, TypeError):
            kind, message = "", _excerpt(body)
        known = _KNOWN.get(kind)
        if status == 400 and known is not None:
            return known(message)
        named = f"{kind}: " if kind else ""
        return JudgeServerError(
            f"{self.what} {url} refused the request: HTTP {status} {named}{message}"
        )


class _Retry:
    """An attempt that failed in a way worth retrying."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retry_after = retry_after


def _excerpt(body: bytes) -> str:
    return body[:300].decode("utf-8", "replace").strip()
