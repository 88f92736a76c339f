"""Env steps per second, single env and sync vector env, and the time spent outside the model.

Each episode of Condense and Synthesize is one move, so a "step" here is reset + step on a
map whose texts are already generated (map generation is measured apart: it is paid once per
map and cached); the judge's result cache is emptied before each timed run. The judge's
``score_batch`` is timed from outside, so "outside model" is
everything else: interpreter, observation text, tokenisation, Gymnasium wrappers.

    python benchmarks/env_speed.py                      # tiny and real judge
    python benchmarks/env_speed.py --judges tiny-random-gpt2 --episodes 50
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym

import xent_envs  # noqa: F401  (registers the envs)
from xent_envs.judge import load_judge


class TimedJudge:
    """Delegates to a judge and adds up the wall time of its batched scoring calls."""

    def __init__(self, judge):
        self._judge = judge
        self.seconds = 0.0

    def score_batch(self, requests):
        start = time.perf_counter()
        try:
            return self._judge.score_batch(requests)
        finally:
            self.seconds += time.perf_counter() - start

    def __getattr__(self, name):
        return getattr(self._judge, name)


def bench(game: str, judge_name: str, num_envs: int, episodes: int) -> dict:
    judge = TimedJudge(load_judge(judge_name))
    env_id = f"xent/{game}-v0"

    def moves(budget) -> list[int]:
        return list(range(1000, 1000 + int(budget)))

    if num_envs == 1:
        env = gym.make(env_id, judge=judge)
        batches = [[s] for s in range(episodes)]

        def reset(batch):
            return env.reset(seed=batch[0])[1]

        def play(batch):
            env.step(moves(reset(batch)["max_tokens"]))
    else:
        envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="sync", judge=judge)
        batches = [
            list(range(i, i + num_envs)) for i in range(0, episodes - num_envs + 1, num_envs)
        ]

        def reset(batch):
            return envs.reset(seed=batch)[1]

        def play(batch):
            envs.step(tuple(moves(m) for m in reset(batch)["max_tokens"]))

    for batch in batches:  # warm the map cache: map texts are generated once per map
        reset(batch)
    judge.clear_cache()  # scores of an earlier run must not be free now
    judge.seconds = 0.0
    start = time.perf_counter()
    for batch in batches:
        play(batch)
    elapsed = time.perf_counter() - start
    return {
        "game": game,
        "judge": judge_name,
        "envs": num_envs,
        "steps_per_s": sum(map(len, batches)) / elapsed,
        "outside_model": 1 - judge.seconds / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judges", default="tiny-random-gpt2,smollm2-135m")
    parser.add_argument("--episodes", type=int, default=16)
    args = parser.parse_args()
    print("| game | judge | envs | steps/s | share of time outside the model |")
    print("|---|---|---|---|---|")
    for judge_name in args.judges.split(","):
        for game in ("Condense", "Synthesize"):
            for num_envs in (1, 8):
                r = bench(game, judge_name, num_envs, args.episodes)
                print(
                    f"| {r['game']} | {r['judge']} | {r['envs']} | {r['steps_per_s']:.1f} | "
                    f"{100 * r['outside_model']:.0f}% |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
