"""RL on the suite: reward throughput, episode vs prefix credit, and training runs' results.

Three tables (markdown, for ``benchmarks/README.md``):

1. **Reward throughput**: completions scored per second by ``score_moves`` when a whole
   GRPO batch (``--maps`` maps x ``--group`` completions) is judged together (one ``Match``
   per completion, merged waves) against one completion at a time. Both score the same
   moves; the judge's result cache is emptied before each block and the blocks of the two
   ways are interleaved (``--repeats`` each), the median reported, so a noisy machine slows
   both alike. The maps' texts are generated before timing (a trainer pays that once per map).
2. **Credit**: the token-table policy (``--vocab`` ids, ``--length`` tokens) trained with
   ``credit="episode"`` and ``credit="prefix"`` on one fixed map, ``--steps`` steps of
   ``--group`` episodes, for ``--seeds`` seeds each: mean reward of the first and last five
   steps, and of the greedy move at the end, with wall time (prefix credit scores
   ``length + 1`` moves per move).
3. **Runs**: for each ``--runs`` folder made by ``xent-envs train``, the held-out
   comparison (``comparison.json``): before, after, improvement and its 95% CI, steps, wall
   time, peak memory.

    python benchmarks/rl.py                                   # real judge (tables 1 and 2)
    python benchmarks/rl.py --judge tiny-random-gpt2 --seeds 2 --steps 10
    python benchmarks/rl.py --skip throughput,credit --runs runs/condense,runs/taboo
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from xent_envs.envs.match import Match
from xent_envs.judge import load_judge
from xent_envs.registration import game_space
from xent_envs.rl.config import TrainConfig
from xent_envs.rl.rollout import score_moves
from xent_envs.rl.run import train

WORDS = [
    "the",
    "old",
    "man",
    "sea",
    "night",
    "farmer",
    "dog",
    "river",
    "stone",
    "light",
    "wind",
    "house",
    "road",
    "king",
    "child",
]


def moves_for(n: int, salt: int) -> list[str]:
    """``n`` distinct short moves (``salt`` makes every block's moves new)."""
    rng = np.random.default_rng(salt)
    return [" ".join(rng.choice(WORDS, size=3)) + f" {salt}-{i}" for i in range(n)]


def throughput(game: str, judge_name: str, maps: int, group: int, repeats: int) -> dict[str, Any]:
    judge = load_judge(judge_name)
    space = game_space(game)
    rng = np.random.default_rng(0)
    # A match binds each drawn instance to the judge and text source: ids of played maps.
    ids = [Match(space.sample(rng, split="train"), judge).instance.id for _ in range(maps)]
    score_moves(judge, ids, ["warm"] * maps)  # map texts generated once, outside the timing
    batch = [i for i in ids for _ in range(group)]
    times: dict[str, list[float]] = {"batched": [], "one at a time": []}
    for r in range(repeats):
        for way in times:
            moves = moves_for(len(batch), salt=2 * r + (way == "batched"))
            judge.clear_cache()
            t0 = time.perf_counter()
            if way == "batched":
                score_moves(judge, batch, moves)
            else:
                for instance_id, move in zip(batch, moves):
                    score_moves(judge, [instance_id], [move])
            times[way].append(time.perf_counter() - t0)
    rate = {way: len(batch) / statistics.median(t) for way, t in times.items()}
    return {"game": game, "judge": judge_name, "batch": f"{maps} x {group}", **rate}


def credit(
    judge: str, credit_name: str, seed: int, steps: int, group: int, vocab: int, length: int
) -> dict[str, float]:
    config = TrainConfig(
        game="Condense",
        policy="token-table",
        judge=judge,
        params={"budget": max(length, 3), "story_tokens": 16},
        policy_options={"vocab": vocab, "length": length},
        train_maps=1,
        group=group,
        steps=steps,
        eval_maps=0,
        learning_rate=1.0,
        beta=0.0,
        save_every=steps,
        credit=credit_name,
        seed=seed,
    )
    rewards: list[float] = []
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        train(config, out, progress=False, on_step=lambda step, s: rewards.append(s.reward))
        seconds = time.perf_counter() - t0
        greedy = _greedy_reward(config, Path(out))
    return {
        "first": float(np.mean(rewards[:5])),
        "last": float(np.mean(rewards[-5:])),
        "greedy": greedy,
        "seconds": seconds,
    }


def _greedy_reward(config: TrainConfig, out: Path) -> float:
    from xent_envs.rl.agent import load_run_policy
    from xent_envs.rl.run import train_instances

    policy = load_run_policy(out)
    judge = load_judge(config.judge)
    instance = Match(train_instances(config)[0], judge).instance
    info = {"max_tokens": config.params["budget"]}
    move = policy.move(policy.sample(policy.prompt("", info), 1, None, greedy=True)[0])
    return score_moves(judge, [instance.id], [move], text=False)[0].reward


def runs_table(folders: list[str]) -> list[str]:
    lines = [
        "| game | policy | steps | before (bits) | after (bits) | improvement [95% CI] "
        "| maps | wall (s) | peak memory (MB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for folder in folders:
        c = json.loads((Path(folder) / "comparison.json").read_text())
        lines.append(
            f"| {c['game']} | {c['policy']} | {c['steps']} | {c['before_bits']:+.2f} | "
            f"{c['after_bits']:+.2f} | {c['improvement']:+.2f} [{c['ci_low']:+.2f}, "
            f"{c['ci_high']:+.2f}] | {c['maps']} | {c['wall_seconds_this_call']:.0f} | "
            f"{c['peak_memory_mb']:.0f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--judge", default="smollm2-135m")
    parser.add_argument("--games", default="Condense,Taboo")
    parser.add_argument("--maps", type=int, default=2)
    parser.add_argument("--group", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--vocab", type=int, default=256)
    parser.add_argument("--length", type=int, default=3)
    parser.add_argument("--runs", default="", help="run folders of xent-envs train, by commas")
    parser.add_argument("--skip", default="", help="tables to skip: throughput,credit")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    if "throughput" not in skip:
        print("| game | judge | completions (maps x group) | batched /s | one at a time /s "
              "| ratio |\n|---|---|---|---|---|---|")  # fmt: skip
        for game in args.games.split(","):
            r = throughput(game, args.judge, args.maps, args.group, args.repeats)
            print(f"| {r['game']} | {r['judge']} | {r['batch']} | {r['batched']:.2f} | "
                  f"{r['one at a time']:.2f} | {r['batched'] / r['one at a time']:.2f}x |",
                  flush=True)  # fmt: skip
    if "credit" not in skip:
        print("\n| credit | seeds | reward, first 5 steps | reward, last 5 steps | greedy move "
              "| seconds per run |\n|---|---|---|---|---|---|")  # fmt: skip
        for name in ("episode", "prefix"):
            results = [
                credit(args.judge, name, seed, args.steps, args.group, args.vocab, args.length)
                for seed in range(args.seeds)
            ]
            mean = {k: float(np.mean([r[k] for r in results])) for k in results[0]}
            print(f"| {name} | {args.seeds} | {mean['first']:+.2f} | {mean['last']:+.2f} | "
                  f"{mean['greedy']:+.2f} | {mean['seconds']:.1f} |", flush=True)  # fmt: skip
    if args.runs:
        print("\n" + "\n".join(runs_table(args.runs.split(","))))


if __name__ == "__main__":
    main()
