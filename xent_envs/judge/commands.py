"""The ``xent-envs serve-judge`` command: a judge served over HTTP.

::

    xent-envs serve-judge --judge smollm2-135m --port 8000 [--host 127.0.0.1]
                          [-o dtype=float32 -o device=cuda] [--window 0.002]
                          [--max-queue 256] [--api-key KEY]

Clients use it as ``load_judge("http://host:8000")``, ``gym.make(..., judge="http://...")``
or ``xent-envs eval --judge http://host:8000``. The CLI adds it with
``add_commands(subparsers)``.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from xent_envs.judge.models import DEFAULT_JUDGE

__all__ = ["add_commands", "cmd_serve_judge"]


def add_commands(subparsers: Any) -> None:
    """Add ``serve-judge`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "serve-judge",
        help="serve a judge over HTTP, batching the requests of concurrent clients",
        description="Serve a judge over HTTP (FastAPI + uvicorn). Clients: "
        "load_judge('http://HOST:PORT') or --judge http://HOST:PORT.",
    )
    p.add_argument("--judge", default=DEFAULT_JUDGE, help=f"the judge (default {DEFAULT_JUDGE})")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 serves the "
        "network, with --api-key)",
    )
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "-o",
        "--judge-option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a judge option (VALUE is JSON, else a string), e.g. dtype=float32 or device=cuda",
    )
    p.add_argument(
        "--window",
        type=float,
        default=0.002,
        help="seconds to wait for more clients after a request, to batch them (default 0.002)",
    )
    p.add_argument(
        "--max-queue",
        type=int,
        default=256,
        help="requests waiting at most; more are answered 503 (default 256)",
    )
    p.add_argument(
        "--api-key",
        default=None,
        help="require 'Authorization: Bearer KEY' (default $XENT_JUDGE_API_KEY; none if unset)",
    )
    p.set_defaults(func=cmd_serve_judge)


def cmd_serve_judge(args: argparse.Namespace) -> int:
    """Serve until interrupted; a user error raises an ``XentError`` (the CLI prints it)."""
    from xent_envs.cli import _pairs
    from xent_envs.errors import ConfigError
    from xent_envs.judge.http import API_KEY_ENV
    from xent_envs.judge.server import serve_judge

    if not 0 <= args.port < 65536:
        raise ConfigError(f"--port must be in [0, 65536), got {args.port}")
    if not args.window >= 0 or args.max_queue < 1:
        raise ConfigError("--window must be >= 0 and --max-queue at least 1")
    serve_judge(
        args.judge,
        host=args.host,
        port=args.port,
        window=args.window,
        max_queue=args.max_queue,
        api_key=args.api_key or os.environ.get(API_KEY_ENV) or None,
        **_pairs(args.judge_option, "--judge-option", dotted=False),
    )
    return 0
