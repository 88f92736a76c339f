"""The ``xent-envs maps`` commands: build a map pool, and say what one holds.

::

    xent-envs maps build --game Condense --split train --n 1000 --out pools/condense-train \\
                         [--judge J] [--text-source S] [-p NAME=VALUE] [--vary NAME]
                         [--seed 0] [--workers N]
    xent-envs maps info pools/condense-train [--check]

``build`` resumes: run it again after an interruption (or with a larger ``--n``) and only
the missing maps are made. ``add_commands(subparsers)`` plugs both into the CLI's parser.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from xent_envs.judge.models import DEFAULT_JUDGE
from xent_envs.maps.sources import DEFAULT_TEXT_SOURCE

__all__ = ["add_commands", "cmd_build", "cmd_info"]


def cmd_build(args: argparse.Namespace) -> int:
    """``xent-envs maps build``."""
    from xent_envs.cli import _pairs
    from xent_envs.maps.build import build_pool

    bar: Any = None
    if not args.quiet:
        from tqdm.auto import tqdm

        bar = tqdm(unit="map", desc=f"building {args.game}")
    try:
        report = build_pool(
            args.out,
            args.game,
            n=args.n,
            split=args.split,
            judge=args.judge,
            text_source=args.text_source,
            params=_pairs(args.param, "--param", dotted=False),
            vary=args.vary,
            seed=args.seed,
            workers=args.workers,
            log=lambda msg: print(msg, file=sys.stderr),
            on_map=bar.update if bar is not None else None,
        )
    except KeyboardInterrupt:
        print(
            f"\nInterrupted: the maps saved in {args.out} are kept; run the same command "
            "again to resume.",
            file=sys.stderr,
        )
        return 130
    finally:
        if bar is not None:
            bar.close()
    print(report)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """``xent-envs maps info``: the pool's manifest and map count; ``--check`` reads and
    checks every map file."""
    from xent_envs.maps.pool import MapPool

    pool = MapPool.open(args.folder)
    manifest = pool.manifest.to_json()
    print(json.dumps({**manifest, "maps": len(pool)}, indent=1, ensure_ascii=False))
    if args.check:
        for seed in pool.seeds:
            pool.read(seed)
        print(f"all {len(pool)} maps are intact")
    return 0


def add_commands(subparsers: Any) -> None:
    """Add the ``maps`` command (with ``build`` and ``info``) to the CLI's sub-parsers."""
    maps = subparsers.add_parser("maps", help="build map pools ahead of time (instant resets)")
    sub = maps.add_subparsers(dest="maps_command", required=True, metavar="MAPS_COMMAND")

    p = sub.add_parser("build", help="pre-generate maps into a pool folder (resumable)")
    p.add_argument("--game", required=True, help="game name (see `xent-envs list`)")
    p.add_argument(
        "--split",
        choices=("train", "eval"),
        default="train",
        help="the side of the train/eval split the maps are drawn from (default train)",
    )
    p.add_argument("--n", type=int, required=True, help="maps in the pool")
    p.add_argument("--out", required=True, help="the pool's folder")
    p.add_argument("--judge", default=DEFAULT_JUDGE, help=f"judge model (default {DEFAULT_JUDGE})")
    p.add_argument(
        "--text-source",
        default=DEFAULT_TEXT_SOURCE,
        metavar="SOURCE",
        help="stories (default: openings continued by the judge) or docs:PATH (your texts)",
    )
    p.add_argument(
        "-p", "--param", action="append", default=[], metavar="NAME=VALUE", help="a game parameter"
    )
    p.add_argument(
        "--vary", action="append", default=[], metavar="NAME", help="a parameter drawn per map"
    )
    p.add_argument("--seed", type=int, default=0, help="the pool's seed (default 0)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes building maps side by side, each with its own judge (default 1)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("info", help="what a map pool holds")
    p.add_argument("folder", help="the pool's folder")
    p.add_argument("--check", action="store_true", help="read and check every map file")
    p.set_defaults(func=cmd_info)
