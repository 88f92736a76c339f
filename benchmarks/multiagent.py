"""Two-seat self-play episodes per second: the PettingZoo AEC view against the single-agent view.

Both views play the same episodes of a two-seat game (Debate by default) with the same moves:

- **single**: ``gym.make("xent/Debate-v1", opponents={"white": policy})`` (the game's current
  env id): the first seat steps, the second is played inside the step by an opponent policy;
- **aec**: ``xent_envs.multiagent.env("Debate")``: both seats step through ``agent_iter`` /
  ``last()`` / ``step()``, the dead steps included, observations as code-point arrays.

Each seat's move is a list of token ids as long as its budget, new for every episode and the
same in both views (the single view's opponent answers with the very ids the AEC view's second
seat plays). The maps (``--maps`` seeds) are generated and cached before timing, and the
judge's result cache is emptied before every episode, so both views pay the same judge work.

The machine may be shared and noisy, so the views are compared **episode by episode**: each
episode is played in both views back to back (the order alternating), and the AEC view's
extra cost is the median over episodes of its time over the single view's. Reported too:
episodes per second of each view, and each view's own time per episode outside the judge
(``score_batch`` timed apart), the part a view can add: wall time, and the main thread's CPU
time (``time.thread_time``), which other processes on a shared machine do not inflate. The
first seat's rewards of the two views are compared: they must be equal (same maps, same
moves).

    PYTHONPATH=. python benchmarks/multiagent.py                    # real judge, Debate
    PYTHONPATH=. python benchmarks/multiagent.py --judge tiny-random-gpt2 --episodes 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from typing import Any

import gymnasium as gym

import xent_envs
from xent_envs.judge import load_judge
from xent_envs.multiagent import env as aec_env


class TimedJudge:
    """Delegates to a judge; adds up the seconds (wall, and this thread's CPU) spent in
    ``score_batch``."""

    def __init__(self, judge: Any) -> None:
        self._judge = judge
        self.seconds = 0.0
        self.cpu = 0.0

    def score_batch(self, requests: Sequence[tuple[str, str]]) -> Any:
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return self._judge.score_batch(requests)
        finally:
            self.seconds += time.perf_counter() - start
            self.cpu += time.thread_time() - cpu

    def __getattr__(self, name: str) -> Any:
        return getattr(self._judge, name)


def moves_for(episode: int, seat_index: int, budget: int) -> list[int]:
    """A seat's move in an episode: ``budget`` ids, new for every (episode, seat)."""
    start = 1000 + 101 * episode + 37 * seat_index
    return [start + 7 * k for k in range(budget)]


class SingleView:
    """The first seat as a Gymnasium env, the second played by an opponent policy."""

    def __init__(self, judge: TimedJudge, game: str, seats: list[str], budgets: dict) -> None:
        self.episode = 0
        self.seats, self.budgets = seats, budgets
        first, second = seats

        def opponent(observation: str, info: dict[str, Any]) -> list[int]:
            return moves_for(self.episode, 1, budgets[second])

        self.env = gym.make(
            xent_envs.game_space(game).env_id,
            judge=judge,
            seat=first,
            opponents={second: opponent},
        )

    def play(self, seed: int, episode: int) -> float:
        self.episode = episode
        self.env.reset(seed=seed)
        move = moves_for(episode, 0, self.budgets[self.seats[0]])
        _, reward, terminated, truncated, _ = self.env.step(move)
        assert terminated and not truncated
        return float(reward)


class AECView:
    """Both seats through the PettingZoo AEC loop."""

    def __init__(self, judge: TimedJudge, game: str, seats: list[str], budgets: dict) -> None:
        self.env = aec_env(game, judge=judge)
        self.seats, self.budgets = seats, budgets

    def play(self, seed: int, episode: int) -> float:
        env = self.env
        env.reset(seed=seed)
        total = 0.0
        for seat in env.agent_iter(10):
            _, reward, terminated, truncated, _ = env.last()
            if seat == self.seats[0]:
                total += reward
            if terminated or truncated:
                env.step(None)
            else:
                env.step(moves_for(episode, self.seats.index(seat), self.budgets[seat]))
        return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--judge", default="smollm2-135m")
    parser.add_argument("--game", default="Debate")
    parser.add_argument("--maps", type=int, default=4, help="maps (seeds) the episodes cycle on")
    parser.add_argument("--episodes", type=int, default=60, help="episodes played in each view")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()

    judge = TimedJudge(load_judge(args.judge))
    probe = aec_env(args.game, judge=judge)
    seats, budgets = list(probe.possible_agents), dict(probe.seated.table.budgets)
    if len(seats) != 2:
        raise SystemExit(f"{args.game} has {len(seats)} seats; this benchmark plays two-seat games")
    for seed in range(args.maps):  # generate and cache the maps outside the timing
        probe.reset(seed=seed)
    views: dict[str, SingleView | AECView] = {
        "single": SingleView(judge, args.game, seats, budgets),
        "aec": AECView(judge, args.game, seats, budgets),
    }
    seconds: dict[str, list[float]] = {name: [] for name in views}
    outside: dict[str, list[float]] = {name: [] for name in views}
    outside_cpu: dict[str, list[float]] = {name: [] for name in views}
    largest_difference = 0.0
    for episode in range(args.episodes):
        seed = episode % args.maps
        order = ("single", "aec") if episode % 2 == 0 else ("aec", "single")
        rewards = {}
        for name in order:
            judge.clear_cache()
            judge.seconds = judge.cpu = 0.0
            start, cpu = time.perf_counter(), time.thread_time()
            rewards[name] = views[name].play(seed, episode)
            took = time.perf_counter() - start
            seconds[name].append(took)
            outside[name].append(took - judge.seconds)
            outside_cpu[name].append(time.thread_time() - cpu - judge.cpu)
        largest_difference = max(largest_difference, abs(rewards["single"] - rewards["aec"]))
    ratios = [a / s for a, s in zip(seconds["aec"], seconds["single"])]
    extra = statistics.median(ratios) - 1.0
    rate = {name: len(times) / sum(times) for name, times in seconds.items()}
    view_ms = {name: 1000 * statistics.median(times) for name, times in outside.items()}
    view_cpu_ms = {name: 1000 * statistics.median(times) for name, times in outside_cpu.items()}
    episode_ms = {name: 1000 * statistics.median(times) for name, times in seconds.items()}
    extra_cpu_ms = view_cpu_ms["aec"] - view_cpu_ms["single"]
    figures = {
        "judge": args.judge,
        "game": args.game,
        "episodes": args.episodes,
        "maps": args.maps,
        "episodes_per_second": rate,
        "median_episode_ms": episode_ms,
        "median_ms_outside_the_judge": view_ms,
        "median_cpu_ms_outside_the_judge": view_cpu_ms,
        "aec_extra_cost_median_of_paired_ratios": extra,
        "aec_extra_cpu_ms_outside_the_judge": extra_cpu_ms,
        "paired_ratio_quartiles": statistics.quantiles(ratios, n=4),
        "largest_reward_difference": largest_difference,
    }
    print(f"{args.game}, judge {args.judge}: {args.episodes} two-seat episodes in each view, "
          f"played in pairs (order alternating), judge cache emptied before each")  # fmt: skip
    print(
        "| view | episodes/s | median episode (ms) | median outside the judge (ms) "
        "| median CPU outside the judge (ms) |"
    )
    print("|---|---:|---:|---:|---:|")
    for name in views:
        print(
            f"| {name} | {rate[name]:.2f} | {episode_ms[name]:.1f} | {view_ms[name]:.2f} "
            f"| {view_cpu_ms[name]:.2f} |"
        )
    low, _, high = figures["paired_ratio_quartiles"]
    print(
        f"\nAEC view extra cost (median of per-episode ratios): {100 * extra:+.1f}% "
        f"(quartiles {100 * (low - 1):+.1f}% .. {100 * (high - 1):+.1f}%; aim: at most +5%)"
    )
    print(
        f"AEC view's own extra CPU per episode: {extra_cpu_ms:+.2f} ms, "
        f"{100 * extra_cpu_ms / episode_ms['single']:+.3f}% of a median single-view episode"
    )
    print(f"largest difference of the first seat's rewards between the views: {largest_difference}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=1)


if __name__ == "__main__":
    main()
