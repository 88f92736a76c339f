"""Interpreter time per elicit step, judge time excluded.

A step is everything between two moves: ``provide_move``, the ``advance()`` calls, and
answering score requests from a precomputed table (so no judge work is counted). Run with::

    python benchmarks/interpreter_speed.py [--steps 20000]
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from xent_envs.lang import ElicitRequest, GameOver, Machine, load
from xent_envs.score import Score

CONDENSE = (
    'assign(s="The old lighthouse keeper climbed the stairs every night to light the lamp '
    'that guided ships past the rocks.")\n'
    "elicit(x, 10)\n"
    "assign(x1=remove_common_words(x, s))\n"
    "reveal(x1)\n"
    "reward(xed(s | x1))\n"
)

LOOPS = (
    'assign(s="The old lighthouse keeper climbed the stairs every night.", '
    't="A storm came in from the sea.")\n'
    "beacon(flag_1)\n"
    "elicit(x, 8)\n"
    "ensure(xed(s | x) >= xed(s | t) * 0)\n"
    "beacon(flag_2)\n"
    "elicit(y, 8)\n"
    "reward(xed(s | x + y))\n"
    "reward(white, dex(t | y))\n"
    "replay(flag_2, 2)\n"
    "replay(flag_1, 3)\n"
)


class Codec:
    """A word-level codec, cheap enough not to dominate the measurement."""

    def encode(self, text: str) -> list[int]:
        return [len(w) for w in re.findall(r"\s*\S+", text)]

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join("w" * i for i in ids)


def stub_scores(items: Sequence[tuple[str, str]]) -> list[Score]:
    return [Score(tuple(text.split()), tuple(1.0 for _ in text.split())) for text, _ in items]


@dataclass
class Result:
    game: str
    steps: int
    seconds: float

    @property
    def ms_per_step(self) -> float:
        return 1000 * self.seconds / self.steps


def measure(name: str, source: str, steps: int) -> Result:
    program = load(source)
    codec = Codec()
    moves = [f"move number {i} with a few words" for i in range(64)]
    # Precompute every answer, so the timed loop does no judge work at all.
    answers: dict[tuple[str, str], Score] = {}
    done = 0
    seconds = 0.0
    while done < steps:
        machine = Machine(program, codec, rounds=5, seed=done)
        while True:
            start = time.perf_counter()
            request = machine.advance()
            while not isinstance(request, (ElicitRequest, GameOver)):
                missing = [i for i in request.items if i not in answers]
                seconds += time.perf_counter() - start
                for item, score in zip(missing, stub_scores(missing)):
                    answers[item] = score
                start = time.perf_counter()
                machine.provide_scores([answers[i] for i in request.items])
                request = machine.advance()
            if isinstance(request, GameOver):
                seconds += time.perf_counter() - start
                break
            machine.provide_move(moves[done % len(moves)])
            seconds += time.perf_counter() - start
            done += 1
    return Result(name, done, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20000, help="elicit steps per program")
    args = parser.parse_args()
    results = [measure("Condense", CONDENSE, args.steps), measure("loops", LOOPS, args.steps)]
    print(f"{'program':<10} {'steps':>7} {'ms/step':>8}")
    for r in results:
        print(f"{r.game:<10} {r.steps:>7} {r.ms_per_step:>8.3f}")


if __name__ == "__main__":
    main()
