"""Loading the default judge in a fresh process, against a plain ``from_pretrained``.

Each measure runs in a new Python process (what every worker and every ``make eval`` pays),
from the start of the process to a usable model, imports included:

(a) plain: ``AutoTokenizer`` + ``AutoModelForCausalLM.from_pretrained`` of the judge's cache
    folder, nothing else;
(b) ``load_judge()``: the default path (manifest checked by size, mtime and inode, quiet
    load, float32 output layer, the canary sentence scored);
(c) ``load_judge(verify=True)``: the same with every cached file hashed, as every load did
    before the stat check.

Best and median of ``--repeats`` rounds, the three taking turns.

    python benchmarks/judge_load.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

_CLOCK = "import time; start = time.perf_counter()\n"
_DONE = "print(time.perf_counter() - start)\n"
PLAIN = (
    _CLOCK
    + "from transformers import AutoModelForCausalLM, AutoTokenizer\n"
    + "AutoTokenizer.from_pretrained({folder!r})\n"
    + "AutoModelForCausalLM.from_pretrained({folder!r})\n"
    + _DONE
)
JUDGE = _CLOCK + "from xent_envs.judge import load_judge\nload_judge(**{options})\n" + _DONE


def timed(code: str) -> float:
    """Seconds the code reports, run in a fresh interpreter from the repository root."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from xent_envs.judge.smollm2 import smollm2_folder

    folder, _ = smollm2_folder()
    runs = {
        "a": PLAIN.format(folder=str(folder)),
        "b": JUDGE.format(options={}),
        "c": JUDGE.format(options={"verify": True}),
    }
    times: dict[str, list[float]] = {key: [] for key in runs}
    for _ in range(args.repeats):
        for key, code in runs.items():
            times[key].append(timed(code))
    print("| load | best s | median s | median / (a) |")
    print("|---|---:|---:|---:|")
    plain = statistics.median(times["a"])
    for key, label in (
        ("a", "(a) plain from_pretrained of the folder"),
        ("b", "(b) load_judge(), default path"),
        ("c", "(c) load_judge(verify=True), every file hashed"),
    ):
        median = statistics.median(times[key])
        print(f"| {label} | {min(times[key]):.2f} | {median:.2f} | {median / plain:.2f} |")


if __name__ == "__main__":
    main()
