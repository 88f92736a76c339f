"""Env steps per second: the batched vector env against N single envs, side by side.

Two configurations play the same N maps (the same seeds) with the same moves:

- **single**: ``gym.make_vec(..., vectorization_mode="sync")``, N ordinary ``XentEnv`` stepped
  one after another, each answering its own judge requests;
- **batched**: ``gym.make_vec(..., vectorization_mode="vector_entry_point")``, the
  ``XentVectorEnv``, whose step merges the N envs' judge requests into shared waves.

A timed block is ``--rounds`` times (reset the N maps by seed, step every env once with a new
move), so one "step" is reset + step of a one-move game on a map whose texts are already
generated (map generation is paid once per map, cached, and warmed before timing). The
judge's result cache is emptied before each block, and blocks of the two configurations are
interleaved (``--repeats`` each) so that a noisy machine slows both alike; the median block
is reported, with the ratio batched/single. Also reported: judge forward waves
(``score_batch`` calls) per vector step, and the largest reward difference between the two
configurations (the judge's batched-vs-alone tolerance).

    python benchmarks/env_speed.py                              # real judge, 8 envs
    python benchmarks/env_speed.py --judges tiny-random-gpt2 --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

import xent_envs  # noqa: F401  (registers the envs)
from xent_envs.judge import load_judge

MODES = {"single": "sync", "batched": "vector_entry_point"}


class CountingJudge:
    """Delegates to a judge; counts its ``score_batch`` calls (forward waves)."""

    def __init__(self, judge: Any) -> None:
        self._judge = judge
        self.waves = 0

    def score_batch(self, requests: Sequence[tuple[str, str]]) -> Any:
        self.waves += 1
        return self._judge.score_batch(requests)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._judge, name)


def make(config: str, game: str, judge: CountingJudge, num_envs: int) -> gym.vector.VectorEnv:
    kwargs: dict[str, Any] = {"judge": judge}
    if config == "single":
        kwargs["vector_kwargs"] = {"autoreset_mode": AutoresetMode.DISABLED}
    else:
        kwargs["autoreset_mode"] = AutoresetMode.DISABLED
    return gym.make_vec(
        f"xent/{game}-v0", num_envs=num_envs, vectorization_mode=MODES[config], **kwargs
    )


def block(envs: gym.vector.VectorEnv, judge: CountingJudge, seeds: list[int], rounds: int):
    """Time ``rounds`` x (reset by seed + one step); return (seconds, waves, rewards)."""
    judge.clear_cache()
    judge.waves = 0
    rewards = []
    start = time.perf_counter()
    for r in range(rounds):
        _, infos = envs.reset(seed=seeds)
        moves = [
            [1000 + 97 * r + 13 * i + k for k in range(int(budget))]
            for i, budget in enumerate(infos["max_tokens"])
        ]
        rewards.append(envs.step(moves)[1])
    return time.perf_counter() - start, judge.waves, np.concatenate(rewards)


def bench(game: str, judge_name: str, num_envs: int, rounds: int, repeats: int) -> dict:
    judge = CountingJudge(load_judge(judge_name))
    seeds = list(range(num_envs))
    envs = {config: make(config, game, judge, num_envs) for config in MODES}
    for env in envs.values():  # warm the map cache: map texts are generated once per map
        env.reset(seed=seeds)
    times: dict[str, list[float]] = {config: [] for config in MODES}
    waves: dict[str, int] = {}
    rewards: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        for config, env in envs.items():
            seconds, waves[config], rewards[config] = block(env, judge, seeds, rounds)
            times[config].append(seconds)
    steps = rounds * num_envs
    rate = {config: steps / statistics.median(t) for config, t in times.items()}
    return {
        "game": game,
        "judge": judge_name,
        "envs": num_envs,
        "single": rate["single"],
        "batched": rate["batched"],
        "ratio": rate["batched"] / rate["single"],
        "waves_single": waves["single"] / rounds,
        "waves_batched": waves["batched"] / rounds,
        "max_diff": float(np.max(np.abs(rewards["single"] - rewards["batched"]))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--judges", default="smollm2-135m")
    parser.add_argument("--games", default="Condense,Synthesize")
    parser.add_argument("--envs", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(
        "| game | judge | envs | single steps/s | batched steps/s | batched/single "
        "| waves per vector step (single / batched) | max reward diff (bits) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for judge_name in args.judges.split(","):
        for game in args.games.split(","):
            r = bench(game, judge_name, args.envs, args.rounds, args.repeats)
            print(
                f"| {r['game']} | {r['judge']} | {r['envs']} | {r['single']:.2f} | "
                f"{r['batched']:.2f} | {r['ratio']:.2f}x | {r['waves_single']:.0f} / "
                f"{r['waves_batched']:.0f} | {r['max_diff']:.2g} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
