"""Validity benchmark: does the suite rank a ladder of agents of known strength in order, on
every game, and does the ranking hold on fresh maps?

The ladder, weakest first: ``random``, then ``SearchAgent`` with evaluation budgets 4, 16, 64,
256 (``--budgets``). Search budgets nest (a smaller budget evaluates a prefix of what a larger
one evaluates, see ``agents/search_agent.py``), so on a map's first move a rung never expects
less than the rung below it: the true order is known. Budget 1 is not a rung by default: it
verifies nothing (its move is its first candidate token, unscored), so whether it beats
``random`` depends on the game, not on skill (on the real judge it played below random on
Condense, Debate and Alethiometer). Each rung plays one round per map (in-context rounds would
let later moves differ and break the nesting).

Each seed set is one evaluation run in ``OUT/set-K`` (run seed ``--seed + K``), on maps
disjoint from the other sets' (checked: the report warns about any map two sets share). The
eval store makes it resumable: an interrupted benchmark restarts where it stopped, maps a rung
failed to play are played again, and more ``--maps`` or games reuse every map already played.
The judge's result cache serves a rung the judge calls of the rungs below it on the same map,
so the whole ladder costs about what its top rung costs.

Writes ``OUT/validity.md`` and ``OUT/validity.json`` (:mod:`xent_envs.evaluation.validity`),
and prints the Markdown.

    python benchmarks/validity.py --judge tiny-random-gpt2 --maps 1 --threads 1  # ~1 min
    nice python benchmarks/validity.py --maps 3 --out results/validity   # the real judge
    python benchmarks/validity.py --games Condense,Horizon --maps 5 --budgets 1,4,16,64

Exit status: 0 when the report is written, 1 on a user error, 130 when interrupted (rerun the
same command to resume).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.random_agent import RandomAgent
from agents.search_agent import SearchAgent
from xent_envs.errors import ConfigError, XentError
from xent_envs.evaluation import AgentSpec, EvalConfig
from xent_envs.evaluation.validity import ValidityReport, evaluate_seed_sets, validity_report
from xent_envs.files import atomic_write_json, atomic_write_text
from xent_envs.judge.models import DEFAULT_JUDGE


@dataclass
class Settings:
    """What the benchmark runs.

    Attributes:
        judge: the judge (``load_judge`` name).
        games: games to check (empty: every registered game).
        maps: maps per game in each seed set.
        seed_sets: disjoint seed sets (2 for rank stability; 1 checks the order only).
        budgets: search budgets of the ladder, increasing; ``random`` is below them.
        seed: run seed of the first seed set; set K uses ``seed + K``.
        out: the benchmark's folder (one results folder per seed set inside).
        threshold: the Kendall tau that "maps needed" aims at.
        progress: show progress bars.
        game_params: per game, fixed parameters (to try a game's parameters on the ladder).
    """

    judge: str = DEFAULT_JUDGE
    games: tuple[str, ...] = ()
    maps: int = 2
    seed_sets: int = 2
    budgets: tuple[int, ...] = (4, 16, 64, 256)
    seed: int = 0
    out: Path = Path("results/validity")
    threshold: float = 0.9
    progress: bool = True
    game_params: dict[str, dict[str, Any]] = field(default_factory=dict)

    def ladder(self) -> tuple[AgentSpec, ...]:
        """The rungs, weakest first."""
        return (
            AgentSpec("random"),
            *(AgentSpec(f"search{b}", "search", {"budget": b}) for b in self.budgets),
        )

    def config(self) -> EvalConfig:
        """The evaluation of the first seed set (set K adds K - 1 to its seed)."""
        return EvalConfig(
            agents=self.ladder(), games=self.games, maps=self.maps, rounds=1, seed=self.seed,
            judge=self.judge, game_params=self.game_params,
        )  # fmt: skip


def factories(settings: Settings) -> dict[str, Any]:
    """The rungs' builders (the benchmark names its agents; the library never imports them)."""
    out: dict[str, Any] = {"random": RandomAgent}
    out.update({spec.name: SearchAgent for spec in settings.ladder()[1:]})
    return out


def run(
    settings: Settings, log: Any = print, agent_factories: Mapping[str, Any] | None = None
) -> ValidityReport:
    """Play (or resume) every seed set, then check the ladder; writes the report files.

    Args:
        settings: what to run.
        log: where notes go.
        agent_factories: builders of the rungs by name (default: :func:`factories`).

    Raises:
        ConfigError: budgets that do not increase from 1.
        KeyboardInterrupt: passed on after saying how to resume; every map saved is kept.
    """
    if list(settings.budgets) != sorted(set(settings.budgets)) or min(settings.budgets) < 1:
        raise ConfigError(
            f"search budgets must increase from 1 or more, got {list(settings.budgets)}"
        )
    played = evaluate_seed_sets(
        settings.config(),
        settings.out,
        settings.seed_sets,
        agent_factories=agent_factories or factories(settings),
        progress=settings.progress,
        log=log,
    )
    ladder = [spec.name for spec in settings.ladder()]
    meta = {
        "Judge": f"`{settings.judge}`",
        "Maps per game and seed set": settings.maps,
        "Seeds of the sets": ", ".join(str(settings.seed + k) for k in range(settings.seed_sets)),
        "Search budgets": ", ".join(map(str, settings.budgets)),
        "Rounds per map": 1,
        "Game parameters": json.dumps(settings.game_params) if settings.game_params else "defaults",
        "Wall time per seed set (s; small when resumed from saved maps)": ", ".join(
            f"{s:.0f}" for s in played.seconds
        ),
    }
    report = validity_report(played.records, ladder, threshold=settings.threshold, meta=meta)
    atomic_write_text(settings.out / "validity.md", report.to_markdown())
    atomic_write_json(settings.out / "validity.json", report.to_json())
    if report.errors:
        log(
            f"{len(report.errors)} maps failed (listed in the report); run the same command "
            "again to play them again."
        )
    return report


def _list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parse(argv: Sequence[str] | None = None) -> Settings:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--judge", default=DEFAULT_JUDGE, help=f"judge (default {DEFAULT_JUDGE})")
    p.add_argument("--games", default="", help="comma-separated games (default: all)")
    p.add_argument("--maps", type=int, default=2, help="maps per game per seed set (default 2)")
    p.add_argument("--seed-sets", type=int, default=2, help="disjoint seed sets (default 2)")
    p.add_argument("--budgets", default="4,16,64,256", help="search budgets of the ladder")
    p.add_argument("--seed", type=int, default=0, help="seed of the first set (default 0)")
    p.add_argument("--out", default="results/validity", help="folder (default results/validity)")
    p.add_argument("--threshold", type=float, default=0.9, help="tau aimed at (default 0.9)")
    p.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="GAME.NAME=VALUE",
        help="a fixed game parameter (VALUE is JSON, else a string), e.g. Fresh.coherence=0.1",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default: torch's; 1 is fastest for the tiny judge on a busy machine)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    if args.threads is not None:
        import torch

        torch.set_num_threads(max(1, args.threads))
    if args.seed_sets < 1:
        p.error(f"--seed-sets must be at least 1, got {args.seed_sets}")
    try:
        budgets = tuple(int(b) for b in _list(args.budgets))
    except ValueError:
        p.error(f"--budgets must be comma-separated integers, got {args.budgets!r}")
    params: dict[str, dict[str, Any]] = {}
    for item in args.param:
        key, sep, raw = item.partition("=")
        game, dot, name = key.partition(".")
        if not (sep and dot and game and name):
            p.error(f"--param must look like GAME.NAME=VALUE, got {item!r}")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        params.setdefault(game, {})[name] = value
    return Settings(
        game_params=params,
        judge=args.judge,
        games=_list(args.games),
        maps=args.maps,
        seed_sets=args.seed_sets,
        budgets=budgets,
        seed=args.seed,
        out=Path(args.out),
        threshold=args.threshold,
        progress=not args.quiet,
    )


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse(argv)
    start = time.perf_counter()
    try:
        report = run(settings, log=lambda msg: print(msg, file=sys.stderr))
    except KeyboardInterrupt:
        return 130
    except XentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.to_markdown())
    print(
        f"Report: {settings.out / 'validity.md'} ({time.perf_counter() - start:.0f} s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
