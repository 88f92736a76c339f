"""The ``xent-envs serve`` command: the web page on 127.0.0.1.

::

    xent-envs serve [--port 8000] [--results DIR] [--judge NAME] [--opponents random,search]
                    [-O search.budget=32] [--play-folder web] [--max-sessions 32]

``add_commands(subparsers)`` adds the command to the CLI's parser. The agents offered for
the other seats of multi-seat games are named as ``xent-envs eval --agent`` names them (an
entry point of ``xent_envs.agents``, ``package.module:Class``, or ``LABEL=SOURCE``) and
passed to the app as factories: the library itself never imports the reference agents.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xent_envs.judge.models import DEFAULT_JUDGE

if TYPE_CHECKING:
    from xent_envs.web.settings import OpponentSpec

__all__ = ["DEFAULT_OPPONENTS", "add_commands", "cmd_serve", "opponent_specs"]

DEFAULT_OPPONENTS = "random,search"


def add_commands(subparsers: Any) -> None:
    """Add ``serve`` to the CLI's subparsers (``parser.add_subparsers()``)."""
    p = subparsers.add_parser(
        "serve",
        help="serve the web page: play games in a browser, read evaluation results",
        description="Serve a page to play Xent games (per-token heatmaps of every score) and "
        "to read evaluation results folders. Bound to 127.0.0.1 unless --host says otherwise.",
    )
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1: only this machine can connect)",
    )
    p.add_argument(
        "--results",
        default="results",
        help="results root: the page opens run folders under it and records people's maps "
        "in one of them (default results/)",
    )
    p.add_argument(
        "--play-folder",
        default="web",
        help="run folder under --results where people's maps are recorded unless the page "
        "names another (default web)",
    )
    p.add_argument("--judge", default=DEFAULT_JUDGE, help=f"judge model (default {DEFAULT_JUDGE})")
    p.add_argument(
        "--opponents",
        action="append",
        metavar="AGENTS",
        help="comma-separated agents offered to play the other seats of multi-seat games, "
        f"named as for eval --agent (default {DEFAULT_OPPONENTS}; the judge-free echo "
        "baseline is always offered)",
    )
    p.add_argument(
        "-O",
        "--agent-option",
        action="append",
        default=[],
        metavar="AGENT.NAME=VALUE",
        help="an option of an offered agent (VALUE is JSON, else a string), e.g. search.budget=32",
    )
    p.add_argument(
        "--max-sessions", type=int, default=32, help="games in progress at once (default 32)"
    )
    p.add_argument(
        "--idle-minutes",
        type=float,
        default=30.0,
        help="a game nobody touched for this long is closed (default 30)",
    )
    p.set_defaults(func=cmd_serve)


def opponent_specs(
    names: list[str], options: dict[str, dict[str, Any]]
) -> tuple[OpponentSpec, ...]:
    """The ``OpponentSpec`` of each agent name, with its options checked against its
    factory now (a bad option fails at start, not in the middle of a game).

    Raises:
        UnknownNameError: an unknown agent, or options for an agent not offered.
        ConfigError: an option the agent does not take.
    """
    from xent_envs.errors import UnknownNameError, unknown_name
    from xent_envs.evaluation import AgentSpec, load_agent_factory
    from xent_envs.evaluation.agent import check_agent_options
    from xent_envs.web.settings import OpponentSpec

    specs = [AgentSpec.parse(name) for name in names]
    labels = [spec.name for spec in specs]
    for owner in options:
        if owner not in labels:
            raise UnknownNameError(unknown_name("agent", owner, labels, where=" in --agent-option"))
    offered = []
    for spec in specs:
        factory = load_agent_factory(spec.target)
        chosen = options.get(spec.name, {})
        check_agent_options(factory, chosen, spec.name)
        offered.append(OpponentSpec(spec.name, factory, dict(chosen)))
    return tuple(offered)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the server until Ctrl-C."""
    from xent_envs.cli import _pairs, _split
    from xent_envs.errors import ConfigError
    from xent_envs.web.app import create_app
    from xent_envs.web.security import LOOPBACK_HOSTS
    from xent_envs.web.settings import WebSettings

    try:
        import uvicorn
    except ImportError as exc:
        raise ConfigError(f"serve needs uvicorn: pip install 'xent-envs[web]' ({exc})") from None
    if not 0 < args.port < 65536:
        raise ConfigError(f"--port must be in 1..65535, got {args.port}")
    opponents = opponent_specs(
        _split(args.opponents or [DEFAULT_OPPONENTS]),
        _pairs(args.agent_option, "--agent-option", dotted=True),
    )
    host = args.host
    settings = WebSettings(
        judge=args.judge,
        results=Path(args.results),
        play_folder=args.play_folder,
        opponents=opponents,
        max_sessions=args.max_sessions,
        idle_seconds=args.idle_minutes * 60.0,
        allowed_hosts=() if host in LOOPBACK_HOSTS else (host,),
    )
    print(f"Loading the judge {args.judge!r}...", flush=True)
    app = create_app(settings)
    shown = f"[{host}]" if ":" in host else host
    print(
        f"Serving http://{shown}:{args.port}/ (results: {args.results}; Ctrl-C to stop)", flush=True
    )
    if host not in LOOPBACK_HOSTS:
        print(f"warning: listening on {host}: other machines can reach the page", file=sys.stderr)
    uvicorn.run(app, host=host, port=args.port, log_level="warning")
    return 0
