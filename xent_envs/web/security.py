"""The guard in front of the web app: what every request must be before the app sees it.

The server listens on the loopback interface, but any web page the person opens could still
send requests to it through their browser. So, besides the app's own validation:

- ``Host`` must name this server (loopback names, or those the operator allowed), which
  defeats DNS rebinding;
- a request that changes something (not ``GET``/``HEAD``) must not come from another origin
  (its ``Origin`` header, when a browser sends one, names this server) and must carry JSON
  (``Content-Type: application/json``), which a cross-site form cannot send;
- a body is read up to ``max_body`` bytes and refused beyond (``Content-Length`` or not);
- every response says how the page may be used: a Content-Security-Policy allowing only
  this server's own scripts and styles (no inline script, so text that slipped into markup
  could not run), no framing, no MIME sniffing, no referrer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

__all__ = ["LOOPBACK_HOSTS", "SECURITY_HEADERS", "RequestGuard", "error_body"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)
_SAFE_METHODS = frozenset({"GET", "HEAD"})


def error_body(code: str, message: str) -> dict[str, Any]:
    """The JSON of every error response: ``{"error": {"code": ..., "message": ...}}``."""
    return {"error": {"code": code, "message": message}}


def _hostname(netloc: str) -> str:
    """The host part of ``host[:port]`` (``[::1]:80`` -> ``::1``), lower case."""
    try:
        return (urlsplit(f"//{netloc}").hostname or "").lower()
    except ValueError:
        return ""


class RequestGuard:
    """ASGI middleware enforcing the rules of the module's docstring.

    Args:
        app: the app it guards.
        allowed_hosts: host names accepted in ``Host`` besides the loopback ones.
        max_body: bytes of a request body accepted at most.
    """

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str], max_body: int) -> None:
        self.app = app
        self.hosts = LOOPBACK_HOSTS | {h.lower() for h in allowed_hosts}
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if _hostname(host) not in self.hosts:
            await _refuse(send, 421, "wrong_host", f"this server does not answer for {host!r:.80}")
            return
        method = scope["method"]
        if method not in _SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
                await _refuse(send, 403, "cross_origin", "requests from other sites are refused")
                return
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            if method == "POST" and kind != "application/json":
                await _refuse(send, 415, "not_json", "a request body must be JSON")
                return
        try:
            declared = int(headers.get("content-length", "0"))
        except ValueError:
            declared = -1
        if declared < 0 or declared > self.max_body:
            await _refuse(
                send, 413, "too_large", f"a request body is at most {self.max_body} bytes"
            )
            return
        body = bytearray()
        more = method not in _SAFE_METHODS
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > self.max_body:
                await _refuse(
                    send, 413, "too_large", f"a request body is at most {self.max_body} bytes"
                )
                return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        unsafe = method not in _SAFE_METHODS
        await self.app(scope, replay if unsafe else receive, _with_headers(send))


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
        await send(message)

    return wrapped


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    payload = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
