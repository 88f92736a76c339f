"""``xent-envs serve-judge``: one judge served over HTTP to many workers.

The judge's forward pass is the whole cost of a Xent game, so a large run puts the judge on
the machine that computes fastest (a GPU) and lets many CPU workers play games against it.
:func:`create_app` builds the FastAPI application of the protocol in
:mod:`xent_envs.judge.wire`; scoring requests of concurrent clients go through one
:class:`~xent_envs.judge.microbatch.MicroBatcher`, so requests arriving together are
answered in one judge call. :func:`serve_judge` runs it with uvicorn;
:class:`ServerThread` runs any ASGI app in a background thread (tests, notebooks,
benchmarks).

Defaults are for a trusted machine: the server binds to 127.0.0.1. To serve a cluster, bind
to an address the workers reach (``--host 0.0.0.0``) and set an API key
(``--api-key`` or ``$XENT_JUDGE_API_KEY``), which clients send as a bearer token.

Needs the ``serve`` extra: ``pip install 'xent-envs[serve]'``.
"""

# No ``from __future__ import annotations``: FastAPI reads the route handlers' annotations
# (``request: Request``, imported inside ``create_app``) as objects.

import asyncio
import base64
import hmac
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

from xent_envs.errors import ConfigError, JudgeServerError, XentError
from xent_envs.judge.base import Judge
from xent_envs.judge.microbatch import MicroBatcher, QueueFullError
from xent_envs.judge.wire import (
    PROTOCOL,
    Limits,
    dumps,
    encode_scores,
    fingerprint_digest,
)

__all__ = ["GENERATE_OPTIONS", "ServerThread", "create_app", "require_serve_extra", "serve_judge"]

#: the options of ``Judge.generate`` a client may send
GENERATE_OPTIONS = frozenset({"temperature", "top_k", "top_p", "stop", "min_new_tokens"})


def require_serve_extra() -> None:
    """Raise a ``ConfigError`` with the install command when FastAPI or uvicorn is missing."""
    import importlib.util

    missing = [m for m in ("fastapi", "uvicorn", "httpx") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"serving or reaching a judge over HTTP needs {', '.join(missing)}: "
            "pip install 'xent-envs[serve]'"
        )


def _tokenizer_of(judge: Judge) -> Any:
    backend = getattr(judge, "backend", judge)
    lm = getattr(backend, "lm", None)
    tokenizer = getattr(lm, "tokenizer", None) or getattr(backend, "tokenizer", None)
    if tokenizer is None:
        raise ConfigError(f"judge {judge.name!r} has no tokenizer to serve")
    return tokenizer


def create_app(
    judge: Judge,
    *,
    window: float = 0.002,
    limits: Limits | None = None,
    max_queue: int = 256,
    api_key: str | None = None,
) -> Any:
    """The FastAPI app serving ``judge`` (routes in :mod:`xent_envs.judge.wire`).

    Args:
        judge: the judge to serve (``load_judge(...)``).
        window: seconds the batching queue waits for more clients after a first request.
        limits: what one request may hold (:class:`~xent_envs.judge.wire.Limits`).
        max_queue: scoring requests (and generations) waiting at most; more are answered
            503 with ``Retry-After: 1``.
        api_key: when set, every request must carry ``Authorization: Bearer <api_key>``.
    """
    require_serve_extra()
    from fastapi import FastAPI, Request
    from fastapi.responses import Response
    from pydantic import BaseModel, ConfigDict, Field, ValidationError

    from xent_envs.judge.tokenizer import files_digest, tokenizer_files

    limits = limits or Limits()
    files = tokenizer_files(_tokenizer_of(judge))
    tokenizer_body = dumps(
        {
            "digest": files_digest(files),
            "files": {name: base64.b64encode(data).decode("ascii") for name, data in files.items()},
        }
    )
    fingerprint = dict(judge.fingerprint)
    digest = fingerprint_digest(fingerprint)
    info = dumps(
        {
            "protocol": PROTOCOL,
            "name": judge.name,
            "fingerprint": fingerprint,
            "fingerprint_digest": digest,
            "vocab_size": judge.vocab_size,
            "tokenizer_digest": files_digest(files),
            "limits": limits.to_json(),
        }
    )
    batcher = MicroBatcher(
        judge.score_batch, window=window, max_items=limits.max_items, max_queue=max_queue
    )
    generating = 0

    class ScoreBody(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        requests: list[tuple[str, str]]

    class GenerateBody(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        prompt: str
        max_new_tokens: int = Field(ge=0)
        seed: int
        options: dict[str, Any] = Field(default_factory=dict)

    app = FastAPI(title="xent-envs judge", version=str(PROTOCOL), docs_url=None, redoc_url=None)

    def answer(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Any:
        body = data if isinstance(data, bytes) else dumps(data)
        return Response(body, status, headers=dict(headers or {}), media_type="application/json")

    def error(status: int, kind: str, message: str, **headers: str) -> Any:
        return answer({"error": {"type": kind, "message": message}}, status, headers)

    def authorized(request: Request) -> bool:
        if api_key is None:
            return True
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {api_key}".encode())

    async def read_body(request: Request) -> bytes:
        """The body, refused past ``max_body_bytes`` before it is all in memory."""
        announced = request.headers.get("Content-Length", "")
        if announced.isdigit() and int(announced) > limits.max_body_bytes:
            raise _TooLarge(f"a body of {announced} bytes; at most {limits.max_body_bytes}")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limits.max_body_bytes:
                raise _TooLarge(f"a body over {limits.max_body_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def guarded(request: Request, handle: Any) -> Any:
        if not authorized(request):
            return error(401, "Unauthorized", "a valid 'Authorization: Bearer <key>' is required")
        try:
            return await handle()
        except _TooLarge as exc:
            return error(413, "TooLarge", str(exc))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                for e in exc.errors()[:5]
            )
            return error(422, "ValidationError", problems)
        except QueueFullError as exc:
            return error(503, "Busy", str(exc), **{"Retry-After": "1"})
        except XentError as exc:
            return error(400, type(exc).__name__, str(exc))

    @app.get("/v1/judge")
    async def judge_info(request: Request) -> Any:
        async def handle() -> Any:
            return answer(info)

        return await guarded(request, handle)

    @app.get("/v1/tokenizer")
    async def tokenizer(request: Request) -> Any:
        async def handle() -> Any:
            return answer(tokenizer_body)

        return await guarded(request, handle)

    @app.get("/v1/stats")
    async def stats(request: Request) -> Any:
        async def handle() -> Any:
            return answer({**batcher.stats.to_json(), "queued": batcher.queued})

        return await guarded(request, handle)

    @app.post("/v1/score")
    async def score(request: Request) -> Any:
        async def handle() -> Any:
            body = ScoreBody.model_validate_json(await read_body(request))
            if len(body.requests) > limits.max_items:
                raise _TooLarge(f"{len(body.requests)} requests; at most {limits.max_items}")
            longest = max((len(s) for pair in body.requests for s in pair), default=0)
            if longest > limits.max_text_chars:
                raise _TooLarge(f"a text of {longest} characters; at most {limits.max_text_chars}")
            scores = await batcher.score(body.requests)
            return answer({"fingerprint_digest": digest, "scores": encode_scores(scores)})

        return await guarded(request, handle)

    @app.post("/v1/generate")
    async def generate(request: Request) -> Any:
        async def handle() -> Any:
            nonlocal generating
            body = GenerateBody.model_validate_json(await read_body(request))
            unknown = sorted(set(body.options) - GENERATE_OPTIONS)
            if unknown:
                raise ConfigError(
                    f"unknown generation option {unknown[0]!r}; options: "
                    f"{', '.join(sorted(GENERATE_OPTIONS))}"
                )
            if body.max_new_tokens > limits.max_new_tokens:
                raise _TooLarge(
                    f"max_new_tokens {body.max_new_tokens}; at most {limits.max_new_tokens}"
                )
            if len(body.prompt) > limits.max_text_chars:
                raise _TooLarge(f"a prompt of {len(body.prompt)} characters")
            if generating >= max_queue:
                raise QueueFullError(f"{generating} generations are running or waiting")
            generating += 1
            try:
                text = await asyncio.to_thread(
                    judge.generate, body.prompt, body.max_new_tokens, body.seed, **body.options
                )
            finally:
                generating -= 1
            return answer({"fingerprint_digest": digest, "text": text})

        return await guarded(request, handle)

    app.state.batcher = batcher
    app.state.judge = judge
    return app


class _TooLarge(Exception):
    """A request over a limit (413)."""


class ServerThread:
    """Serve an ASGI ``app`` with uvicorn in a daemon thread, as a context manager.

    Args:
        app: the application.
        host: the address to bind (``127.0.0.1``).
        port: the port (0: a free one; read :attr:`url`).
        start_timeout: seconds to wait for the server to accept connections.

    Example:
        >>> from xent_envs.judge import load_judge
        >>> with ServerThread(create_app(load_judge("tiny-random-gpt2"))) as server:
        ...     load_judge(server.url).xent("Hello").total > 0              # doctest: +SKIP
        True
    """

    def __init__(
        self, app: Any, host: str = "127.0.0.1", port: int = 0, start_timeout: float = 30.0
    ) -> None:
        import uvicorn

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((host, port))
        self.host, self.port = self.socket.getsockname()[:2]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_keep_alive=30)
        self.server = uvicorn.Server(config)
        self.start_timeout = start_timeout
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        """``http://host:port`` of the server."""
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise JudgeServerError(f"the server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit and wait for it (at most ``timeout`` seconds)."""
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout)
        self.socket.close()


def serve_judge(
    judge: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    window: float = 0.002,
    max_queue: int = 256,
    api_key: str | None = None,
    limits: Limits | None = None,
    log: Any = print,
    **judge_options: Any,
) -> None:
    """Load the judge called ``judge`` and serve it until interrupted (``serve-judge``).

    Raises:
        ConfigError: the ``serve`` extra is missing, or a bad option.
    """
    require_serve_extra()
    import uvicorn

    from xent_envs.judge.models import load_judge

    loaded = load_judge(judge, **judge_options)
    app = create_app(loaded, window=window, limits=limits, max_queue=max_queue, api_key=api_key)
    digest = fingerprint_digest(loaded.fingerprint)
    log(
        f"serving judge {judge!r} (fingerprint {digest}: {loaded.fingerprint}) on "
        f"http://{host}:{port}; clients: load_judge('http://{host}:{port}')"
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_keep_alive=30)
