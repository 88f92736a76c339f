"""The files a training run writes for people: ``log.csv``, ``learning_curve.png`` and
``comparison.md``/``comparison.json``.

``log.csv`` has one row per optimiser step (:data:`LOG_FIELDS`), appended as the step ends,
so an interrupted run keeps every finished step; a resumed run drops the rows after the
checkpoint it continues from (they are trained again).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xent_envs.files import atomic_write_json, atomic_write_text
from xent_envs.rl.grpo import StepStats
from xent_envs.rl.heldout import Comparison

__all__ = [
    "LOG_FIELDS",
    "append_log",
    "plot_learning_curve",
    "read_log",
    "truncate_log",
    "write_comparison",
]

LOG_FIELDS = (
    "step",
    *(f.name for f in dataclasses.fields(StepStats)),
    "rollout_seconds",
    "update_seconds",
    "moves_per_second",
)


def append_log(path: Path, step: int, stats: StepStats, rollout_s: float, update_s: float) -> None:
    """Append the row of ``step`` (writing the header to a new file)."""
    row: dict[str, Any] = {"step": step, **dataclasses.asdict(stats)}
    row.update(
        rollout_seconds=round(rollout_s, 3),
        update_seconds=round(update_s, 3),
        moves_per_second=round(stats.moves / rollout_s, 3) if rollout_s > 0 else math.nan,
    )
    new = not path.is_file()
    with open(path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=LOG_FIELDS)
        if new:
            writer.writeheader()
        writer.writerow(row)


def read_log(path: Path) -> list[dict[str, float]]:
    """The rows of ``log.csv`` as numbers (an absent file: no rows)."""
    if not path.is_file():
        return []
    with open(path, newline="") as handle:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def truncate_log(path: Path, last_step: int) -> None:
    """Drop the rows after ``last_step`` (a resumed run trains those steps again)."""
    if not path.is_file():
        return
    with open(path, newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if int(row["step"]) <= last_step]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LOG_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())


def plot_learning_curve(
    rows: Sequence[dict[str, float]], path: Path, title: str, comparison: Comparison | None = None
) -> None:
    """Reward per step (with a running mean) and KL per step; the held-out scores before
    and after as dashed lines when known."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in rows]
    reward = [r["reward"] for r in rows]
    window = max(1, len(rows) // 10)
    smooth = [
        sum(reward[max(0, i - window + 1) : i + 1]) / len(reward[max(0, i - window + 1) : i + 1])
        for i in range(len(reward))
    ]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, height_ratios=[3, 1])
    top.plot(steps, reward, ".", alpha=0.4, label="train reward (mean of the step)")
    top.plot(steps, smooth, "-", label=f"running mean ({window} steps)")
    if comparison is not None and comparison.maps:
        top.axhline(comparison.before_bits, ls="--", c="grey", label="held-out, before")
        top.axhline(comparison.after_bits, ls="--", c="green", label="held-out, after")
    top.set_ylabel("bits")
    top.set_title(title)
    top.legend(fontsize=8)
    bottom.plot(steps, [r["kl"] for r in rows], "-", c="purple")
    bottom.set_ylabel("KL")
    bottom.set_xlabel("step")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_comparison(out: Path, comparison: Comparison, extra: dict[str, Any]) -> None:
    """``comparison.json`` (with ``extra``: steps, wall time...) and ``comparison.md``."""
    atomic_write_json(out / "comparison.json", {**comparison.to_json(), **extra})
    c = comparison
    lines = [
        f"# Held-out comparison: {c.game}",
        "",
        c.summary() + ".",
        "",
        "Scores are each map's best round in bits (eval-split maps, greedy moves); the "
        "interval is a percentile bootstrap of the mean per-map difference.",
        "",
        "| map | before | after | difference |",
        "|---|---|---|---|",
        *(f"| {i} | {a:+.2f} | {b:+.2f} | {b - a:+.2f} |" for i, a, b in c.per_map),
        "",
        *(f"- {k}: {v}" for k, v in extra.items()),
    ]
    if c.errors:
        lines.append(f"- maps left out (one of the two failed): {c.errors}")
    atomic_write_text(out / "comparison.md", "\n".join(lines) + "\n")
