"""Judge throughput on the real judge: reference-style scoring vs our batched judge vs the raw
forward pass, side by side.

(a) reference: one request per forward pass, full logits, no cache (an ``xed`` costs two passes),
    as the reference engine scores;
(b) ours: ``judge.score_batch`` on the whole workload (dedup, cache within the map, padded
    batches, output layer on scored rows only, float32 log-softmax);
(c) ceiling: the raw model forward pass (full logits) on exactly the padded batches (b) runs.

Throughput = scored tokens delivered (summed over every requested term) per second; the
numerator is the same for (a), (b) and (c). Best of ``--repeats`` interleaved rounds. Peak
memory is the process's maximum resident set size (``resource.ru_maxrss``), model included.

    python benchmarks/judge_throughput.py [--repeats 3] [--dtype auto|float32|bfloat16]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from dataclasses import dataclass

os.environ.setdefault("HF_HUB_OFFLINE", "1")

STORIES = [
    "The lighthouse keeper rowed out at dawn to fetch the mail, but the crate on the jetty held "
    "only a brass compass and a note in his late brother's handwriting, asking him to follow the "
    "needle wherever it pointed, even if it pointed out to sea.",
    "Every spring the village held a race for wheelbarrows, and every spring the baker won it, "
    "until a girl of nine turned up with a barrow she had built from a bicycle, two planks and "
    "a great deal of stubbornness, and left him standing at the bridge.",
    "The committee met to decide what to do about the pigeons on the town hall roof. After three "
    "hours, two votes and one broken chair, it agreed to build them a better roof somewhere "
    "else, and the pigeons, for reasons of their own, moved into the library.",
]
MOVES = [
    "coastal mystery inheritance",
    "village contest underdog triumph",
    "bureaucracy absurd birds",
    "small towns odd traditions and stubborn people",
    "sea brother compass race bakery",
    "meeting pigeons library lighthouse",
    "funny short tales rural life",
    "a summary of three quirky local stories",
]


@dataclass
class Workload:
    name: str
    requests: list[tuple[str, str]]


def synthesize_workload() -> Workload:
    """Synthesize with 8 candidate moves: for each move x and story s, xed(s | x) =
    xent(s) - xent(s | x). The reference engine computes both terms for every move."""
    requests = []
    for move in MOVES:
        for story in STORIES:
            requests += [(story, ""), (story, move)]
    return Workload("synthesize: 3 stories x 8 moves (48 xent terms)", requests)


def batch16_workload(judge) -> Workload:
    from xent_envs.maps import OpeningSpace

    openings = [OpeningSpace.default().draw(seed, "train").text for seed in range(64)]
    requests = []
    for i in range(16):
        ids: list[int] = []
        j = i
        while len(ids) < 64:
            ids += judge.encode(" " + openings[j % len(openings)])
            j += 7
        requests.append((judge.decode(ids[:63]).strip(), ""))
    return Workload("16 sequences of ~64 tokens", requests)


def reference_style(judge, requests) -> list[int]:
    """One request per forward pass with full logits; cross-entropy in the model's dtype."""
    import torch

    counts = []
    for text, prefix in requests:
        text_ids = judge.encode(text)
        row = [judge.start_token_id, *judge.encode(prefix), *text_ids]
        ids = torch.tensor([row], device=judge.device)
        with torch.inference_mode():
            logits = judge.model(input_ids=ids).logits[0]
            first = len(row) - len(text_ids)
            xent = torch.nn.functional.cross_entropy(
                logits[first - 1 : -1], ids[0, first:], reduction="none"
            )
        counts.append(len(xent.tolist()))
    return counts


def padded_batches(judge, requests):
    """The padded (input_ids, attention_mask) batches judge.score_batch runs for ``requests``."""
    from xent_envs.judge.batching import pad_right, plan_batches

    unique = list(dict.fromkeys(requests))
    rows = [judge._layout(text, prefix)[0] for text, prefix in unique]
    groups = plan_batches([len(r) for r in rows], judge.max_tokens_per_batch)
    return [pad_right([rows[i] for i in g], judge.pad_token_id, judge.device) for g in groups]


def raw_forward(judge, batches) -> None:
    import torch

    with torch.inference_mode():
        for ids, mask in batches:
            judge.model(input_ids=ids, attention_mask=mask).logits.sum().item()


def interleaved_best(fns: dict, repeats: int) -> dict:
    """Best time of each function over ``repeats`` rounds, the functions taking turns within a
    round so that load from other processes hits them alike."""
    best = {key: float("inf") for key in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[key] = min(best[key], time.perf_counter() - start)
    return best


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(workload: Workload, judge, repeats: int) -> dict:
    requests = workload.requests
    tokens = sum(len(s) for s in judge.score_batch(requests))
    judge.clear_cache()

    def ours():
        judge.clear_cache()
        judge.score_batch(requests)

    batches = padded_batches(judge, requests)
    reference_style(judge, requests[:2])  # warm-up
    best = interleaved_best(
        {
            "a": lambda: reference_style(judge, requests),
            "b": ours,
            "c": lambda: raw_forward(judge, batches),
        },
        repeats,
    )
    t_a, t_b, t_c = best["a"], best["b"], best["c"]
    rss = round(rss_mib())
    result = {
        "workload": workload.name,
        "requests": len(requests),
        "unique_requests": len(set(requests)),
        "scored_tokens": tokens,
        "forward_passes": {"a": len(requests), "b": len(batches), "c": len(batches)},
        "padded_tokens": sum(int(ids.numel()) for ids, _ in batches),
        "seconds": {"a": round(t_a, 3), "b": round(t_b, 3), "c": round(t_c, 3)},
        "tokens_per_s": {k: round(tokens / t, 1) for k, t in zip("abc", (t_a, t_b, t_c))},
        "b/a": round(t_a / t_b, 2),
        "b/c": round(t_c / t_b, 2),
        "peak_rss_mib": rss,
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()

    import torch

    from xent_envs.judge import load_judge

    start = time.perf_counter()
    judge = load_judge(dtype=args.dtype, device=args.device)
    load_s = time.perf_counter() - start
    report = {
        "judge": judge.fingerprint,
        "device": str(judge.device),
        "threads": torch.get_num_threads(),
        "load_seconds": round(load_s, 2),
        "rss_mib_after_load": round(rss_mib()),
        "results": [
            run(synthesize_workload(), judge, args.repeats),
            run(batch16_workload(judge), judge, args.repeats),
        ],
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"judge {report['judge']} on {report['device']} ({report['threads']} threads), "
        f"load {report['load_seconds']} s, RSS after load {report['rss_mib_after_load']} MiB"
    )
    for r in report["results"]:
        print(
            f"\n{r['workload']}: {r['scored_tokens']} scored tokens, {r['requests']} requests "
            f"({r['unique_requests']} unique), passes a/b/c {r['forward_passes']}"
        )
        for key, label in (("a", "reference style"), ("b", "batched judge"), ("c", "raw forward")):
            print(
                f"  ({key}) {label:16s} {r['seconds'][key]:7.3f} s "
                f"{r['tokens_per_s'][key]:9.1f} tok/s"
            )
        print(f"  b/a = {r['b/a']}x   b/c = {r['b/c']}   peak RSS {r['peak_rss_mib']} MiB")


if __name__ == "__main__":
    main()
