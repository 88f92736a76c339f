"""One HTTP POST bounded in time and in size, for agents that call model servers.

urllib's ``timeout`` bounds each socket operation, not the request: a server that sends one
byte every few seconds holds a request open for as long as it likes, and a huge answer fills
the memory. :func:`post` bounds the whole exchange (connection, request, headers and body) by
one deadline: a watchdog thread shuts the connection's socket down when the deadline passes,
which ends any read in progress. It reads at most ``max_bytes`` of the answer. Proxies set in
the environment still apply (urllib's own machinery is used; only its connections are
watched). A TLS handshake in progress when the deadline passes is bounded by the per-read
timeout only.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from xent_envs.errors import BadResponseError

__all__ = ["Response", "post"]

_CHUNK = 1 << 16


@dataclass(frozen=True)
class Response:
    """A whole HTTP answer: status, headers (case-insensitive ``get``) and body."""

    status: int
    headers: Any
    body: bytes


class _Watchdog:
    """Shuts down every socket it watches once ``seconds`` have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                _shut(sock)
            else:
                self._sockets.append(sock)

    def connection(
        self, base: type[http.client.HTTPConnection]
    ) -> type[http.client.HTTPConnection]:
        """``base`` whose sockets this watchdog watches from the moment they connect."""
        watchdog = self

        class Watched(base):  # type: ignore[valid-type,misc]
            def connect(self) -> None:
                super().connect()
                watchdog.watch(self.sock)

        return Watched


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown (on the file descriptor), also for a TLS socket: it wakes a
    # blocked read in another thread without touching the TLS state that thread is using.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self.watchdog.connection(http.client.HTTPConnection), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = self.watchdog.connection(http.client.HTTPSConnection)
        return self.do_open(connection, req, context=self._context)  # type: ignore[attr-defined]


def post(
    url: str, data: bytes, headers: Mapping[str, str], *, timeout: float, max_bytes: int
) -> Response:
    """POST ``data`` to ``url`` and read the whole answer, whatever its status.

    Args:
        url: ``http://`` or ``https://`` URL.
        data: the request body.
        headers: request headers.
        timeout: seconds for the whole exchange.
        max_bytes: the largest answer body accepted.

    Raises:
        TimeoutError: no complete answer within ``timeout`` seconds.
        BadResponseError: the answer is larger than ``max_bytes``.
        OSError: the connection failed (``urllib.error.URLError`` and
            ``http.client.HTTPException`` included, which the caller may retry).
    """
    watchdog = _Watchdog(timeout)
    opener = urllib.request.build_opener(_HTTPHandler(watchdog), _HTTPSHandler(watchdog))
    request = urllib.request.Request(url, data=data, headers=dict(headers), method="POST")
    with watchdog:
        try:
            try:
                response: Any = opener.open(request, timeout=timeout)
            except urllib.error.HTTPError as exc:  # an error status: its body says why
                response = exc
            with response:
                stream = response.fp if isinstance(response, urllib.error.HTTPError) else response
                body = _read(stream, response.headers, max_bytes, url)
                status = response.status
        except (OSError, http.client.HTTPException) as exc:
            if watchdog.expired:
                raise TimeoutError(f"no complete answer within {timeout:g} s") from exc
            raise
        if watchdog.expired:  # the watchdog ended the body early
            raise TimeoutError(f"no complete answer within {timeout:g} s")
    return Response(int(status), response.headers, body)


def _read(stream: Any, headers: Any, max_bytes: int, url: str) -> bytes:
    """The body of ``stream``, refused beyond ``max_bytes`` (as announced or as read)."""
    announced = headers.get("Content-Length") if headers is not None else None
    if announced and announced.strip().isdigit() and int(announced) > max_bytes:
        raise BadResponseError(
            f"server {url} announced an answer of {int(announced)} bytes, more than the "
            f"{max_bytes} accepted (max_response_bytes)"
        )
    chunks, size = [], 0
    while True:
        chunk = stream.read1(_CHUNK) if stream is not None else b""
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise BadResponseError(
                f"server {url} sent an answer of more than {max_bytes} bytes (max_response_bytes)"
            )
        chunks.append(chunk)
    missing = getattr(stream, "length", None)
    if missing:
        raise http.client.IncompleteRead(b"".join(chunks), missing)
    return b"".join(chunks)
