"""The open game space, measured: sampler speed and validity, filter pass rates, an evolution
run, and a covering suite against the 12 built-in games on a ladder of agents.

Sections (``--sections``, comma-separated; all by default):

- ``sampler``: programs sampled per second (sampling, checking and annotating a program, card
  included), the share that pass the checker and the static rules, distinct digests; the
  share of mutants the checker refuses.
- ``filters``: each playability filter's pass rate over the first ``--filter-games`` sampled
  games on the tiny judge, and over ``--real-games`` of them on the real judge.
- ``evolution``: a MAP-Elites run on the tiny judge; archive size and coverage per generation
  (``benchmarks/generation_evolution.png``).
- ``cover``: ``--k`` games chosen from that archive by facility location, against the 12
  built-in games, on a ladder of agents of known order (random, then the judge-guided search
  probe with budgets 1, 4, 16, 64): for each suite, Kendall tau between the order its scores
  give and the true order, overall and per game, and the judge cost of each suite. Both
  suites have the same number of games and maps and the same agents, so equal cost in
  episodes; their judge costs (requests, tokens) are reported.

    PYTHONPATH=. python benchmarks/generation.py                     # everything (long)
    PYTHONPATH=. python benchmarks/generation.py --sections sampler,filters --real-games 0
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

import xent_envs  # noqa: F401  (registers the built-in games)
from xent_envs.games import builtin_games
from xent_envs.generation import (
    FILTERS,
    EvolutionConfig,
    evaluate,
    evolve,
    mutate,
    sample_game,
)
from xent_envs.generation.archive import CELLS, Archive
from xent_envs.generation.covering import coverage, distance_matrix, select
from xent_envs.generation.filters import ensure_registered
from xent_envs.generation.probes import CountingJudge, RandomProbe, SearchProbe, play_episode
from xent_envs.judge import load_judge
from xent_envs.seeding import derive_seed

HERE = Path(__file__).parent
LADDER = [
    RandomProbe(tries=4),
    *(SearchProbe(b, "mixed", label=f"search-{b}") for b in (1, 4, 16, 64)),
]


def kendall_tau(order: list[float]) -> float:
    """Kendall tau between ``order`` (scores of the ladder, weakest first) and the true
    order 0 < 1 < ... (tau-a; ties count as discordant halves)."""
    pairs = list(itertools.combinations(range(len(order)), 2))
    score = sum(np.sign(order[j] - order[i]) for i, j in pairs)
    return float(score / len(pairs))


def section_sampler(samples: int) -> dict[str, Any]:
    start = time.perf_counter()
    games, failures = [], Counter()
    for seed in range(samples):
        try:
            game = sample_game(seed)
            if game.analysis.problems():
                failures["static rules"] += 1
            games.append(game)
            game.card_toml()  # the card is part of what a sample costs
        except Exception as exc:  # counted: every failure is a bug
            failures[type(exc).__name__] += 1
    seconds = time.perf_counter() - start
    refused = tried = 0
    for k, game in enumerate(games[:200]):
        result = mutate(game, k)
        tried += 1 + len(result.refused)
        refused += sum("checker" in r for r in result.refused)
    return {
        "samples": samples,
        "per_second": samples / seconds,
        "checker_pass": (samples - sum(failures.values())) / samples,
        "failures": dict(failures),
        "distinct_digests": len({g.digest for g in games}),
        "cells": len({g.analysis.cell for g in games}),
        "mutation_edits_tried": tried,
        "mutation_edits_refused_by_checker": refused,
    }


def section_filters(judge_name: str, n: int, maps: int) -> dict[str, Any]:
    judge = load_judge(judge_name)
    tally = {name: [0, 0] for name in FILTERS}
    passed, seconds, examples = 0, [], {}
    for seed in range(n):
        game = sample_game(seed)
        start = time.perf_counter()
        evaluation = evaluate(game, judge, maps=maps, seed=0, early_stop=False)
        seconds.append(time.perf_counter() - start)
        for result in evaluation.results:
            tally[result.name][1] += 1
            tally[result.name][0] += bool(result.passed)
        passed += evaluation.passed
        key = "passed" if evaluation.passed else f"failed {evaluation.failed.name}"
        examples.setdefault(
            key,
            {
                "seed": seed,
                "name": game.name,
                "results": [
                    {"name": r.name, "passed": r.passed, "detail": r.detail}
                    for r in evaluation.results
                ],
            },
        )
        print(f"  [{judge_name}] {seed} {game.name} {key} ({seconds[-1]:.1f}s)", flush=True)
    return {
        "judge": judge_name,
        "games": n,
        "maps": maps,
        "pass_rates": {k: p / r for k, (p, r) in tally.items()},
        "all_filters": passed / n,
        "seconds_per_game": float(np.median(seconds)),
        "examples": examples,
    }


def section_evolution(out: Path, generations: int, population: int, seed: int) -> dict[str, Any]:
    judge = load_judge("tiny-random-gpt2")
    config = EvolutionConfig(generations=generations, population=population, seed=seed, maps=2)
    start = time.perf_counter()
    archive, history = evolve(config, out, judge, log=lambda m: print("  " + m, flush=True))
    _plot(history, HERE / "generation_evolution.png")
    return {
        "generations": generations,
        "population": population,
        "cells": CELLS,
        "history": [
            {
                k: h[k]
                for k in (
                    "generation",
                    "candidates",
                    "passed",
                    "inserted",
                    "archive",
                    "coverage",
                    "best_fitness",
                    "seconds",
                )
            }
            for h in history
        ],
        "seconds": time.perf_counter() - start,
        "folder": str(out),
        "elites": len(archive),
    }


def _plot(history: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gens = [h["generation"] for h in history]
    fig, left = plt.subplots(figsize=(6.4, 3.6))
    left.plot(gens, [h["archive"] for h in history], "o-", label="elites (archive size)")
    left.plot(gens, [h["passed"] for h in history], "s--", label="playable candidates")
    left.set_xlabel("generation")
    left.set_ylabel("games")
    right = left.twinx()
    right.plot(
        gens,
        [100 * h["coverage"] for h in history],
        "^:",
        color="tab:green",
        label="coverage (% of cells)",
    )
    right.set_ylabel(f"coverage, % of {CELLS} cells")
    lines = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = left.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    left.legend(lines, labels, loc="upper left", fontsize=8)
    left.set_title("MAP-Elites over generated games (tiny judge)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _ladder_scores(definition: Any, judge: Any, maps: int, seed: int) -> dict[str, Any]:
    """Mean return of each ladder agent over ``maps`` maps of one game, and the judge cost."""
    meter = CountingJudge(judge)
    import gymnasium as gym

    env = gym.make(ensure_registered(definition), judge=meter).unwrapped
    returns: dict[str, list[float]] = {p.name: [] for p in LADDER}
    for index in range(maps):
        _, info = env.reset(seed=derive_seed("xent-ladder", seed, definition.name, index) % 2**31)
        instance = info["instance_id"]
        for probe in LADDER:
            rng = np.random.default_rng(derive_seed("xent-ladder-agent", seed, probe.name, index))
            runs = [
                play_episode(env, probe, instance, rng)
                for _ in range(4 if isinstance(probe, RandomProbe) else 1)
            ]
            returns[probe.name].append(float(np.mean([r.total for r in runs])))
    env.close()
    return {
        "means": {k: float(np.mean(v)) for k, v in returns.items()},
        "requests": meter.requests,
        "tokens": meter.tokens,
    }


def _suite_tau(scores: dict[str, dict[str, Any]]) -> dict[str, Any]:
    names = [p.name for p in LADDER]
    normalised, per_game = [], []
    for result in scores.values():
        values = np.array([result["means"][n] for n in names])
        span = values.max() - values.min()
        normalised.append((values - values.min()) / span if span > 0 else np.zeros_like(values))
        per_game.append(kendall_tau(list(values)))
    overall = np.mean(normalised, axis=0)
    return {
        "tau": kendall_tau(list(overall)),
        "mean_normalised": dict(zip(names, map(float, overall))),
        "per_game_tau_mean": float(np.mean(per_game)),
        "games_in_true_order": sum(t == 1.0 for t in per_game),
        "per_game_tau": dict(zip(scores, per_game)),
        "requests": sum(r["requests"] for r in scores.values()),
        "tokens": sum(r["tokens"] for r in scores.values()),
    }


def section_cover(archive_path: Path, k: int, maps: int, judge_name: str) -> dict[str, Any]:
    elites = Archive.load(archive_path).elites()
    distances = distance_matrix([e.profile.vector() for e in elites])
    chosen = select(distances, k, "facility")
    suite = [elites[i].game.definition() for i in chosen]
    builtins = builtin_games()[: len(suite)]
    judge = load_judge(judge_name)
    results = {}
    for label, definitions in (("covering", suite), ("builtin", builtins)):
        start = time.perf_counter()
        scores = {}
        for definition in definitions:
            scores[definition.name] = _ladder_scores(definition, judge, maps, seed=0)
            print(
                f"  [{judge_name}] {label} {definition.name} {scores[definition.name]['means']}",
                flush=True,
            )
        results[label] = {
            **_suite_tau(scores),
            "games": len(definitions),
            "seconds": time.perf_counter() - start,
        }
    return {
        "judge": judge_name,
        "k": len(suite),
        "pool": len(elites),
        "maps": maps,
        "measure": coverage(distances, chosen),
        "ladder": [p.name for p in LADDER],
        **results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="sampler,filters,evolution,cover")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--filter-games", type=int, default=60)
    parser.add_argument("--real-games", type=int, default=12)
    parser.add_argument("--generations", type=int, default=6)
    parser.add_argument("--population", type=int, default=12)
    parser.add_argument("--k", type=int, default=12)
    parser.add_argument("--ladder-maps", type=int, default=2)
    parser.add_argument("--ladder-judge", default="tiny-random-gpt2")
    parser.add_argument("--out", default="results/generation-benchmark")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    sections = set(args.sections.split(","))
    out = Path(args.out)
    results: dict[str, Any] = {}
    report = out / "results.json"
    if report.exists():
        results = json.loads(report.read_text())
    if "sampler" in sections:
        results["sampler"] = section_sampler(args.samples)
        print(json.dumps(results["sampler"], indent=1), flush=True)
    if "filters" in sections:
        results["filters_tiny"] = section_filters("tiny-random-gpt2", args.filter_games, maps=2)
        if args.real_games:
            results["filters_real"] = section_filters("smollm2-135m", args.real_games, maps=1)
    if "evolution" in sections:
        results["evolution"] = section_evolution(
            out / "evolution", args.generations, args.population, seed=0
        )
    if "cover" in sections:
        results[f"cover_{args.ladder_judge}"] = section_cover(
            out / "evolution" / "archive.json", args.k, args.ladder_maps, args.ladder_judge
        )
    out.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(results, indent=1, default=float))
    summary = {k: v for k, v in results.items() if k != "evolution"}
    print(json.dumps(summary, indent=1, default=float)[:6000])
    print(f"results: {report}")


if __name__ == "__main__":
    main()
