"""Scale-out figures, in one run: the eval on Ray against the local backend, and the judge
over HTTP against the judge in process.

1. **Eval throughput**: the same run (``--maps`` maps of ``--games`` for the random agent,
   ``--eval-judge``) played by the local backend and by ``RayBackend(workers)``, interleaved
   ``--repeats`` times, each repeat with a new run seed (new maps, so no judge cache helps).
   The Ray runtime is started once, timed apart; each Ray run starts its actors, which load
   the judge. Reported per backend (median): maps per minute over the whole call (actor
   setup included), and the Ray overhead per map,
   ``workers * ray_wall / maps - local_wall / maps`` (worker-seconds a map costs more on Ray
   than here).
2. **HTTP judge throughput**: ``--http-judge`` served by ``serve-judge``'s app on 127.0.0.1;
   1, 4 and 16 client threads each send scoring requests of ``--rows`` texts until
   ``--requests`` requests are answered; against the same requests scored in process by one
   caller, before and after the HTTP runs (after a warm-up). Reported: scored tokens per
   second and the mean number of clients a judge call answered (the micro-batching). Every
   configuration scores texts no other has seen.

    python benchmarks/scale.py --requests 16 --rows 2 --words 12     # ~6 min on 2 busy cores
    python benchmarks/scale.py --eval-judge smollm2-135m --maps 4 --repeats 1
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import xent_envs  # noqa: F401  (registers the envs)
from xent_envs.evaluation import (
    AgentSpec,
    EvalConfig,
    LocalBackend,
    RayBackend,
    ResultsStore,
    evaluate,
)
from xent_envs.judge import load_judge
from xent_envs.judge.http import HttpJudge
from xent_envs.judge.server import ServerThread, create_app

WORDS = [
    "river",
    "stone",
    "light",
    "garden",
    "music",
    "winter",
    "paper",
    "window",
    "forest",
    "signal",
    "harbor",
    "lantern",
]


def eval_once(config: EvalConfig, backend: Any, folder: Path) -> dict[str, float]:
    """Wall time of a whole run, and its maps."""
    start = time.perf_counter()
    evaluate(config, folder, reports=False, progress=False, backend=backend)
    wall = time.perf_counter() - start
    records = ResultsStore(folder).scan(lambda r: r.slot).records
    ok = sum(r.status == "ok" for r in records.values())
    return {"wall": wall, "maps": len(records), "ok": ok}


def bench_eval(args: argparse.Namespace) -> dict[str, Any]:
    import ray

    load_judge(args.eval_judge)  # the driver's judge loads once, outside the timings
    start = time.perf_counter()
    ray.init(num_cpus=args.workers, include_dashboard=False, configure_logging=False)
    ray_start = time.perf_counter() - start
    print(f"  Ray runtime started in {ray_start:.1f} s (once; every Ray run uses it)")
    results: dict[str, list[dict[str, float]]] = {"local": [], "ray": []}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for name in ("local", "ray"):
                config = EvalConfig(agents=(AgentSpec("random"),), games=tuple(args.games),
                                    maps=args.maps, seed=1000 * repeat + (name == "ray"),
                                    judge=args.eval_judge)  # fmt: skip
                backend = LocalBackend() if name == "local" else RayBackend(args.workers)
                out = eval_once(config, backend, Path(tmp) / f"{name}-{repeat}")
                results[name].append(out)
                print(f"  eval {name} repeat {repeat}: {out['maps']} maps in {out['wall']:.1f} s")
    ray.shutdown()
    summary: dict[str, Any] = {"ray_start_s": ray_start}
    for name, runs in results.items():
        wall = statistics.median(r["wall"] for r in runs)
        maps = runs[0]["maps"]
        summary[name] = {"wall_s": wall, "maps": maps, "maps_per_min": 60 * maps / wall}
    maps = summary["local"]["maps"]
    summary["ray_overhead_s_per_map"] = (
        args.workers * summary["ray"]["wall_s"] / maps - summary["local"]["wall_s"] / maps
    )
    return summary


def texts_for(tag: str, count: int, words: int) -> list[tuple[str, str]]:
    out = []
    for i in range(count):
        body = " ".join(WORDS[(i * 7 + j * 3 + len(tag)) % len(WORDS)] for j in range(words))
        out.append((f"{tag} {i}: {body}", ""))
    return out


_FEED_LOCK = threading.Lock()


def _client(remote: HttpJudge, requests: list[tuple[str, str]], rows: int, feed: Any) -> None:
    """Score the next request of ``feed`` until it is empty."""
    while True:
        with _FEED_LOCK:
            i = next(feed, None)
        if i is None:
            return
        remote.score(requests[i * rows : (i + 1) * rows])


def bench_http(args: argparse.Namespace) -> dict[str, Any]:
    judge = load_judge(args.http_judge)
    rows = args.rows
    total = args.requests
    summary: dict[str, Any] = {}
    judge.score_batch(texts_for("warm-up", 8, args.words))  # first passes pay one-off costs

    def in_process(tag: str) -> None:
        """One caller, the same request sizes, in this process."""
        requests = texts_for(tag, total * rows, args.words)
        tokens = sum(len(judge.encode(t)) for t, _ in requests)
        start = time.perf_counter()
        for i in range(total):
            judge.score_batch(requests[i * rows : (i + 1) * rows])
        wall = time.perf_counter() - start
        summary[tag] = {"tokens_per_s": tokens / wall, "wall_s": wall}
        print(f"  {tag}: {tokens / wall:.0f} tokens/s")

    in_process("in-process (before)")
    with ServerThread(create_app(judge, window=args.window)) as server:
        batcher = server.server.config.app.state.batcher
        for clients in args.clients:
            requests = texts_for(f"clients{clients}", total * rows, args.words)
            tokens = sum(len(judge.encode(t)) for t, _ in requests)
            remotes = [HttpJudge(server.url) for _ in range(clients)]
            before = (batcher.stats.requests, batcher.stats.batches)
            feed = iter(range(total))
            threads = [
                threading.Thread(target=_client, args=(r, requests, rows, feed)) for r in remotes
            ]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            calls = batcher.stats.batches - before[1]
            merged = (batcher.stats.requests - before[0]) / max(1, calls)
            summary[f"http x{clients}"] = {
                "tokens_per_s": tokens / wall,
                "wall_s": wall,
                "clients_per_judge_call": merged,
            }
            print(f"  http, {clients} clients: {tokens / wall:.0f} tokens/s, "
                  f"{merged:.1f} requests per judge call")  # fmt: skip
            for remote in remotes:
                remote.close()
    in_process("in-process (after)")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--games", nargs="+", default=["Condense"])
    parser.add_argument("--maps", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--eval-judge", default="tiny-random-gpt2")
    parser.add_argument("--http-judge", default="smollm2-135m")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--requests", type=int, default=48, help="scoring requests per setup")
    parser.add_argument("--rows", type=int, default=4, help="texts per scoring request")
    parser.add_argument("--words", type=int, default=40, help="words per text")
    parser.add_argument("--window", type=float, default=0.002)
    parser.add_argument("--skip", choices=("eval", "http"), default=None)
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch threads here (1: on a shared machine, a spinning thread pool in the "
        "calling thread makes in-process scoring many times slower than in a server thread)",
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.torch_threads)
    if args.skip != "http":
        print("HTTP judge:")
        http = bench_http(args)
        print("| setup | scored tokens/s | requests per judge call |\n|---|---:|---:|")
        for name, row in http.items():
            per = row.get("clients_per_judge_call")
            print(f"| {name} | {row['tokens_per_s']:.0f} | {'' if per is None else f'{per:.1f}'} |")
    if args.skip != "eval":
        print("Eval:")
        ev = bench_eval(args)
        print("| backend | maps | wall (s) | maps/min |\n|---|---:|---:|---:|")
        for name in ("local", "ray"):
            row = ev[name]
            print(f"| {name} | {row['maps']} | {row['wall_s']:.1f} | {row['maps_per_min']:.1f} |")
        print(f"Ray overhead per map: {ev['ray_overhead_s_per_map']:.2f} worker-seconds; "
              f"Ray runtime start: {ev['ray_start_s']:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
