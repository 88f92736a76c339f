"""Same request, same bits, whatever the batch: the remaining difference and what it costs.

For each dtype, a workload of requests of varied lengths (texts of 4 to 64 tokens cut from
fixed sentences, half of them after a prefix) is scored

* **alone**: each request in a call of its own;
* **in random batches**: each request inside ``--batches`` calls with 1 to 7 random
  partners, in random order;

by (a) **tight packing**, the judge's computation before length buckets (rows sorted by
length, grouped, padded to the longest of their group, with an attention mask; emulated here
from the model's parts), and (b) **the judge** (``score_batch``: rows padded to a bucket length
fixed by their own length, batched only within their bucket, no mask). The difference is the
largest ``|bits alone - bits batched|`` of a request's total over all its batches.

Cost: the time to score the whole workload in one call, (a) against (b), best of
``--repeats`` interleaved rounds, cache off.

    python benchmarks/batch_invariance.py [--requests 32] [--batches 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import os
import random
from typing import Any

from judge_throughput import (
    interleaved_best,  # a sibling script: run from benchmarks/ or its parent
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")


SENTENCES = [
    "The lighthouse keeper counted the ships that passed before dawn.",
    "My grandmother kept every letter she ever received in a tin box.",
    "At the edge of the village, the old mill had stopped turning years ago.",
    "The children built a fort out of blankets and refused to come out for dinner.",
    "Rain fell on the market stalls while the traders packed away their fruit.",
    "He opened the notebook and found a map drawn in faded blue ink.",
    "The train was late again, so she read the same page three times.",
    "Nobody in the office knew who had left the flowers on the desk.",
    "The fox waited by the fence until the farmer's lights went out.",
    "Our teacher said the experiment had failed, but the results surprised everyone.",
    "The bakery on the corner sells bread that is still warm at six in the morning.",
    "A strange sound came from the attic every night at exactly midnight.",
]


def workload(judge: Any, n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` distinct requests: texts cut from :data:`SENTENCES`, half with a prefix."""
    openings = SENTENCES
    rng = random.Random(seed)
    requests: list[tuple[str, str]] = []
    while len(requests) < n:
        ids: list[int] = []
        while len(ids) < 64:
            ids += judge.encode(" " + rng.choice(openings))
        text = judge.decode(ids[: rng.randint(4, 64)])
        prefix = rng.choice(openings)[: rng.randint(10, 60)] if rng.random() < 0.5 else ""
        if (text, prefix) not in requests and text.strip():
            requests.append((text, prefix))
    return requests


class TightPacking:
    """The judge's scoring before length buckets, from the model's parts: length-sorted groups
    padded to their longest row, with an attention mask, float32 output layer."""

    def __init__(self, judge: Any) -> None:
        self.backend = judge.backend
        head = self.backend.lm.model.get_output_embeddings()
        self.weight = head.weight.detach().float()

    def score(self, requests: list[tuple[str, str]]) -> list[float]:
        import torch

        backend = self.backend
        layouts = [backend.layout(text, prefix) for text, prefix in requests]
        order = sorted(range(len(layouts)), key=lambda i: (len(layouts[i].row), i))
        groups: list[list[int]] = []
        for index in order:
            width = len(layouts[index].row)
            if groups and (len(groups[-1]) + 1) * width <= backend.max_tokens_per_batch:
                groups[-1].append(index)
            else:
                groups.append([index])
        totals = [0.0] * len(requests)
        for group in groups:
            rows = [layouts[i].row for i in group]
            width = max(map(len, rows))
            ids = torch.full((len(rows), width), backend.pad_token_id, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for r, row in enumerate(rows):
                ids[r, : len(row)] = torch.tensor(row)
                mask[r, : len(row)] = 1
            b = torch.tensor([r for r, i in enumerate(group) for _ in range(layouts[i].scored)])
            p = torch.tensor(
                [q for i in group for q in range(layouts[i].first - 1, len(layouts[i].row) - 1)]
            )
            with torch.inference_mode():
                hidden = backend.lm.model.base_model(input_ids=ids, attention_mask=mask)[0]
                logits = torch.nn.functional.linear(hidden[b, p].float(), self.weight)
                bits = -torch.log_softmax(logits, -1).gather(-1, ids[b, p + 1][:, None])[:, 0]
            values = (bits / math.log(2)).tolist()
            start = 0
            for i in group:
                totals[i] = math.fsum(values[start : start + layouts[i].scored])
                start += layouts[i].scored
        return totals


def judge_totals(judge: Any, requests: list[tuple[str, str]]) -> list[float]:
    judge.clear_cache()
    return [score.total for score in judge.score_batch(requests)]


def difference(score: Any, requests: list[tuple[str, str]], batches: int, seed: int) -> dict:
    """Largest and mean per-request difference between alone and random batches."""
    rng = random.Random(seed)
    alone = [score([request])[0] for request in requests]
    worst = [0.0] * len(requests)
    for index, request in enumerate(requests):
        others = [r for r in requests if r != request]
        for _ in range(batches):
            batch = rng.sample(others, rng.randint(1, 7))
            batch.insert(rng.randint(0, len(batch)), request)
            total = score(batch)[batch.index(request)]
            worst[index] = max(worst[index], abs(total - alone[index]))
    return {
        "max_bits": max(worst),
        "mean_bits": sum(worst) / len(worst),
        "identical": sum(w == 0 for w in worst) / len(worst),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", default="smollm2-135m")
    parser.add_argument("--dtypes", default="bfloat16,float32")
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from xent_envs.judge import load_judge

    print("| dtype | computation | max diff (bits) | mean diff | identical | tok/s | time |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for dtype in args.dtypes.split(","):
        measure(load_judge(args.judge, dtype=dtype, cache_size=0), args)


def measure(judge: Any, args: argparse.Namespace) -> None:
    """One dtype's rows of the table: (a) and (b), and the ratio of their times."""
    dtype = judge.fingerprint["dtype"]
    requests = workload(judge, args.requests, seed=0)
    tight = TightPacking(judge)
    scored = sum(len(s) for s in judge.score_batch(requests))
    diffs = {
        "a": difference(tight.score, requests, args.batches, seed=1),
        "b": difference(lambda r: judge_totals(judge, r), requests, args.batches, seed=1),
    }
    times = interleaved_best(
        {"a": lambda: tight.score(requests), "b": lambda: judge_totals(judge, requests)},
        args.repeats,
    )
    for key, label in (("a", "(a) tight packing"), ("b", "(b) length buckets")):
        d = diffs[key]
        print(
            f"| {dtype} | {label} | {d['max_bits']:.3g} | {d['mean_bits']:.3g} | "
            f"{100 * d['identical']:.0f}% | {scored / times[key]:.0f} | {times[key]:.2f} s |",
            flush=True,
        )
    print(f"| {dtype} | b/a time | | | | | {times['b'] / times['a']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
