"""What one env step costs beyond the judge's forward pass, timed side by side in one run.

A Synthesize round (three stories of about 26 tokens, one 2-word move, three ``xed`` terms)
on the default judge; each move is new, so its three ``xent(s | x)`` are computed, while the
baselines ``xent(s)`` are cached from an earlier move of the map, as in play. Timed per move:

(a) ``XentEnv.step``, the whole step;
(b) ``judge.score_batch`` of the step's three requests in one call (cache emptied first);
(c) the raw floor: one forward pass of the model on the three rows batched (padded to the
    longest, full logits, nothing else);
(d) three raw forward passes of one row each: the floor for a step whose three requests come
    to the judge one at a time.

Medians over ``--repeats`` rounds of ``--moves`` moves (8 by default), the four taking turns.

    python benchmarks/step_overhead.py [--repeats 3] [--moves 8] [--judge smollm2-135m]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MOVES = [
    "quantum zebra",
    "velvet algebra",
    "nebula ferret",
    "copper tango",
    "saffron robot",
    "glacier violin",
    "marble comet",
    "orchid turbine",
]


class RecordingJudge:
    """Delegates to a judge and keeps the request lists of its ``score_batch`` calls."""

    def __init__(self, judge: Any) -> None:
        self._judge = judge
        self.calls: list[list[tuple[str, str]]] = []

    def score_batch(self, requests: Sequence[tuple[str, str]]) -> list[Any]:
        self.calls.append(list(requests))
        return self._judge.score_batch(requests)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._judge, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", default="smollm2-135m")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--moves", type=int, default=len(MOVES), help="moves per round (<= 8)")
    args = parser.parse_args()
    moves = MOVES[: max(1, args.moves)]

    import gymnasium as gym
    import torch

    import xent_envs  # noqa: F401  (registers the envs)
    from xent_envs.judge import TransformersJudge, load_judge
    from xent_envs.judge.batching import pad_right

    judge = load_judge(args.judge)
    backend = judge.backend
    if not isinstance(backend, TransformersJudge):
        raise SystemExit(f"judge {args.judge!r} is not a transformers model: no raw forward")
    model = backend.lm.model
    params: dict[str, Any] = {"story_tokens": 26, "rounds": 10}

    recorder = RecordingJudge(judge)
    probe = gym.make("xent/Synthesize-v1", judge=recorder, **params)
    probe.reset(seed=args.seed)
    requests: dict[str, list[tuple[str, str]]] = {}
    waves = []
    for move in moves:
        judge.clear_cache()
        probe.reset(seed=args.seed)
        probe.step(judge.encode("warm up"))  # the baselines xent(s) enter the cache
        recorder.calls.clear()
        probe.step(judge.encode(move))
        waves.append(len(recorder.calls))
        requests[move] = [r for call in recorder.calls for r in call]
    rows = {m: [backend.layout(t, p).row for t, p in requests[m]] for m in moves}

    env = gym.make("xent/Synthesize-v1", judge=judge, **params)

    def step(move: str) -> None:
        env.step(judge.encode(move))

    def score(move: str) -> None:
        judge.clear_cache()
        judge.score_batch(requests[move])

    def raw(batch: list[tuple[int, ...]]) -> None:
        ids = pad_right(batch, backend.pad_token_id, max(map(len, batch)), backend.device)
        with torch.inference_mode():
            model(input_ids=ids, use_cache=False).logits.sum().item()

    def one_by_one(batch: list[tuple[int, ...]]) -> None:
        for row in batch:
            raw([row])

    times: dict[str, list[float]] = {key: [] for key in "abcd"}
    for _ in range(args.repeats):
        for move in moves:
            judge.clear_cache()
            env.reset(seed=args.seed)
            env.step(judge.encode("warm up"))
            for key, fn in (
                ("a", lambda m=move: step(m)),
                ("b", lambda m=move: score(m)),
                ("c", lambda m=move: raw(rows[m])),
                ("d", lambda m=move: one_by_one(rows[m])),
            ):
                start = time.perf_counter()
                fn()
                times[key].append(time.perf_counter() - start)
    ms = {key: 1000 * statistics.median(values) for key, values in times.items()}
    lengths = sorted({len(r) for m in moves for r in rows[m]})
    print(
        f"judge {judge.fingerprint['model']} ({judge.fingerprint['dtype']}, "
        f"{judge.fingerprint['device']}, {torch.get_num_threads()} threads); rows of "
        f"{lengths[0]}-{lengths[-1]} tokens; judge calls per step: {sorted(set(waves))}"
    )
    print("| measure | median ms | / (c) |")
    print("|---|---:|---:|")
    for key, label in (
        ("a", "(a) XentEnv.step"),
        ("b", "(b) judge.score_batch, one call"),
        ("c", "(c) raw forward, 3 rows batched"),
        ("d", "(d) raw forward, 3 rows one by one"),
    ):
        print(f"| {label} | {ms[key]:.1f} | {ms[key] / ms['c']:.2f} |")
    print(f"step / three single-row forwards (a/d): {ms['a'] / ms['d']:.2f}")


if __name__ == "__main__":
    main()
