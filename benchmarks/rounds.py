"""How many in-context rounds per map should the main job play? Stability against cost.

Plays the main job's agents (``hf,hfv,search,random`` by default, as ``make eval``) with
``--rounds`` rounds per map on two disjoint seed sets, then, for every r up to that number,
scores the maps as if only their first r rounds had been played (exact: a round is played
before the next is seen, see ``xent_envs.evaluation.validity.first_rounds``) and reports:

- Kendall's tau between the two seed sets' rankings of the agents (overall, and the mean of
  the per-game taus);
- the wall time of one map's moves, all agents together, so the main job's cost is
  ``games x maps x seconds``.

Each seed set is a resumable evaluation in ``OUT/set-K`` with its own report and per-round
learning curves (``rounds.png``). Writes ``OUT/rounds.md`` and prints it.

    python benchmarks/rounds.py --judge tiny-random-gpt2 --maps 1 --rounds 3 --threads 1
    nice python benchmarks/rounds.py --maps 2 --rounds 4 --threads 1 --out results/rounds

Two processes can play the two sets in parallel: ``--seed-sets 1 --seed 100 --out A`` and
``--seed-sets 1 --seed 101 --out B``, then ``cp -r B/set-1 A/set-2`` and the first command
with ``--seed-sets 2`` (it finds every map saved and only writes the report).

Exit status: 0 when the report is written, 1 on a user error, 130 when interrupted (rerun the
same command to resume).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agents.hf_agent import HFAgent
from agents.hfv_agent import HFVAgent
from agents.random_agent import RandomAgent
from agents.search_agent import SearchAgent
from xent_envs.errors import XentError
from xent_envs.evaluation import AgentSpec, EvalConfig
from xent_envs.evaluation.validity import RoundsPoint, evaluate_seed_sets, rounds_study
from xent_envs.files import atomic_write_text
from xent_envs.judge.models import DEFAULT_JUDGE

#: the main job's agents by name (as the entry points name them)
AGENTS: dict[str, Any] = {
    "hf": HFAgent,
    "hfv": HFVAgent,
    "search": SearchAgent,
    "random": RandomAgent,
}


def markdown(points: Sequence[RoundsPoint], agents: Sequence[str], meta: dict[str, Any]) -> str:
    """The table: rounds -> tau between seed sets, seconds per map, each agent's scores."""
    lines = ["# Rounds per map: rank stability against cost", ""]
    lines += [f"- {k}: {v}" for k, v in meta.items()]
    lines += [
        "",
        "| Rounds | tau (overall) | tau (mean per game) | s/map (all agents) | "
        + " | ".join(f"{a} (set 1 / set 2)" for a in agents)
        + " |",
        "|---:|---:|---:|---:|" + "---:|" * len(agents),
    ]
    for p in points:
        cells = [
            " / ".join("-" if math.isnan(s[a]) else f"{s[a]:.1f}" for s in p.scores) for a in agents
        ]
        lines.append(
            f"| {p.rounds} | {p.tau:.2f} | {p.game_tau:.2f} | {p.seconds_per_map:.1f} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--judge", default=DEFAULT_JUDGE, help=f"judge (default {DEFAULT_JUDGE})")
    p.add_argument("--agents", default="hf,hfv,search,random", help="agents, weakest last")
    p.add_argument("--games", default="", help="comma-separated games (default: all)")
    p.add_argument("--maps", type=int, default=2, help="maps per game per seed set (default 2)")
    p.add_argument("--rounds", type=int, default=4, help="most rounds per map (default 4)")
    p.add_argument("--seed", type=int, default=100, help="seed of the first set (default 100)")
    p.add_argument(
        "--seed-sets",
        type=int,
        default=2,
        choices=(1, 2),
        help="2 (default) plays both sets and reports; 1 plays the first only, so that two "
        "processes can play the sets in parallel (copy one's set-1 to the other's set-2, then "
        "run with 2: nothing is played again)",
    )
    p.add_argument("--out", default="results/rounds", help="folder (default results/rounds)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default torch's)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    if args.threads is not None:
        import torch

        torch.set_num_threads(max(1, args.threads))
    names = [a.strip() for a in args.agents.split(",") if a.strip()]
    unknown = [a for a in names if a not in AGENTS]
    if unknown:
        p.error(f"unknown agents {unknown}; this benchmark knows {sorted(AGENTS)}")
    config = EvalConfig(
        agents=tuple(AgentSpec(a) for a in names),
        games=tuple(g.strip() for g in args.games.split(",") if g.strip()),
        maps=args.maps,
        rounds=args.rounds,
        seed=args.seed,
        judge=args.judge,
    )
    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    start = time.perf_counter()
    try:
        played = evaluate_seed_sets(
            config,
            args.out,
            args.seed_sets,
            agent_factories=AGENTS,
            progress=not args.quiet,
            log=log,
        )
        if args.seed_sets == 1:
            log(f"seed set played in {args.out}/set-1; report with --seed-sets 2")
            return 0
        points = rounds_study(played.records, names, args.rounds)
    except KeyboardInterrupt:
        return 130
    except XentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    meta = {
        "Judge": f"`{args.judge}`",
        "Agents": ", ".join(f"`{a}`" for a in names),
        "Games": ", ".join(config.games) or "all",
        "Maps per game and seed set": args.maps,
        "Seeds of the sets": f"{args.seed}, {args.seed + 1}",
        "Wall time of this run (s)": f"{time.perf_counter() - start:.0f}",
    }
    text = markdown(points, names, meta)
    atomic_write_text(Path(args.out) / "rounds.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
