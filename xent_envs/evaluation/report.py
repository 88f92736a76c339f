"""Reports of an evaluation run: ``results.json`` (every round of every map), ``report.md``
(the leaderboard), ``leaderboard.png`` (scores per game) and ``rounds.png`` (per-round learning
curves), plotted with matplotlib's Agg backend.

``results.json`` is strict JSON::

    {"key": "<run key>",
     "config": {...EvalConfig.to_json()}, "judge_fingerprint": {...},
     "versions": {"python": ..., "torch": ...},
     "leaderboard": {...Leaderboard.to_json()},
     "maps": [...MapRecord.to_json(), one per map of this configuration],
     "skipped": [{"path": "maps/...", "reason": "..."}]}   # files of the folder not used
"""

from __future__ import annotations

import importlib.metadata
import math
import platform
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xent_envs.evaluation.config import AgentSpec, EvalConfig
from xent_envs.evaluation.json_record import JsonRecord
from xent_envs.evaluation.records import MapRecord
from xent_envs.evaluation.scoring import Leaderboard
from xent_envs.files import atomic_write_bytes, atomic_write_json

__all__ = [
    "RunSummary",
    "format_table",
    "markdown_report",
    "package_versions",
    "plot_leaderboard",
    "plot_rounds",
    "write_reports",
]

_PACKAGES = ("xent-envs", "gymnasium", "numpy", "torch", "transformers")


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that can change a score."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            if name == "xent-envs":
                import xent_envs

                versions[name] = getattr(xent_envs, "__version__", "unknown")
            else:
                versions[name] = "not installed"
    return versions


def _num(x: float, digits: int = 1) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def format_table(board: Leaderboard) -> str:
    """The leaderboard as a Markdown table (also what ``xent-envs eval`` prints)."""
    level = round(board.confidence * 100)
    lines = [
        f"| Rank | Agent | Score | {level}% CI | Raw bits | Maps | Errors | s/move | tokens/move |",
        "|---:|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for rank, r in enumerate(board.rows, 1):
        ci = f"[{_num(r.ci_low)}, {_num(r.ci_high)}]"
        lines.append(
            f"| {rank} | {r.agent} | {_num(r.score)} | {ci} | {_num(r.raw_bits, 2)} | {r.maps} "
            f"| {r.errors} | {_num(r.seconds_per_move, 2)} | {_num(r.tokens_per_move)} |"
        )
    return "\n".join(lines)


def _game_table(board: Leaderboard, attr: str, digits: int) -> str:
    head = "| Agent | " + " | ".join(board.games) + " |"
    rule = "|---|" + "---:|" * len(board.games)
    rows = [
        f"| {r.agent} | "
        + " | ".join(_num(getattr(r, attr)[g], digits) for g in board.games)
        + " |"
        for r in board.rows
    ]
    return "\n".join([head, rule, *rows])


@dataclass(frozen=True)
class RunSummary(JsonRecord):
    """The head of ``results.json`` and of the report: what was run, on what.

    Attributes:
        key: the run key.
        config: the configuration of this evaluation.
        judge_fingerprint: the judge's fingerprint.
        versions: Python's and the scoring stack's versions (:func:`package_versions`).
    """

    key: str
    config: EvalConfig
    judge_fingerprint: Mapping[str, Any]
    versions: Mapping[str, str] = field(default_factory=dict)


_SCORE_NOTES = {
    "baseline": "Score: a map's score is its best round, normalised between the baseline "
    "({baseline}: 0) and the best agent on that map (100), clipped to [-100, 100], so maps "
    "where every agent scores below zero count too; averaged over maps, then games.",
    "reference": "Score: the reference engine's normalisation: a map's score is its best "
    "round divided by the absolute best score any agent reached on that map (x 100); maps "
    "whose best is 0 are left out; averaged over maps, then games.",
}


def markdown_report(
    board: Leaderboard,
    run: RunSummary,
    plot_name: str | None = "leaderboard.png",
    rounds_plot_name: str | None = "rounds.png",
) -> str:
    """The Markdown report: configuration, leaderboard, per-game tables, per-round curves,
    conventions.

    Args:
        board: the leaderboard.
        run: what was run.
        plot_name: the plot's file name next to the report (None: no plot).
        rounds_plot_name: the learning curves' file name (None: no plot); shown only when a
            map has several rounds.
    """
    config = run.config
    fingerprint = ", ".join(f"{k}={v}" for k, v in run.judge_fingerprint.items())
    baseline = f"`{board.baseline}`" if board.baseline else "the worst agent of each map"
    parts = [
        "# xent-envs evaluation",
        "",
        f"- Judge: `{config.judge}` ({fingerprint})",
        f"- Agents: {', '.join(_agent_line(a) for a in config.agents)}",
        f"- Games: {', '.join(config.games)}",
        f"- Maps per game: {config.maps}; rounds: {config.rounds or 'game default'};"
        f" seed: {config.seed}",
        f"- Normalisation shown: `{board.normalisation}`"
        + (f" (baseline: {baseline})" if board.normalisation == "baseline" else ""),
        f"- Run key: `{run.key}`",
        f"- Versions: {', '.join(f'{k} {v}' for k, v in run.versions.items())}",
        "",
        "## Leaderboard",
        "",
        format_table(board),
        "",
        _SCORE_NOTES[board.normalisation].format(baseline=baseline)
        + " Raw bits: the mean best-round score in bits. CI: paired bootstrap over maps "
        "within each game.",
    ]
    if board.unscored_maps:
        listed = ", ".join(f"{g} #{m}" for g, m in board.unscored_maps)
        why = "no agent completed a round" if board.normalisation == "baseline" else (
            "no agent completed a round, or their best score is 0"
        )  # fmt: skip
        parts += ["", f"Maps left out of the score ({why}): {listed}."]
    if board.flat_maps:
        listed = ", ".join(f"{g} #{m}" for g, m in board.flat_maps)
        parts += ["", f"Maps where no agent beat the baseline (everyone 0 or below): {listed}."]
    parts += [
        "",
        "## Per game (normalised)",
        "",
        _game_table(board, "per_game", 1),
        "",
        "## Per game (raw bits)",
        "",
        _game_table(board, "per_game_bits", 2),
    ]
    if plot_name:
        parts += ["", f"![leaderboard]({plot_name})"]
    n_rounds = max((len(r.per_round) for r in board.rows), default=0)
    if n_rounds > 1:
        parts += [
            "",
            "## Rounds",
            "",
            "Each round's score normalised like its map (same baseline and best), averaged "
            "over maps then games: whether an agent improves as it reads its earlier rounds "
            "(the observation lists them). Best so far: the best round up to this one.",
            "",
            _round_table(board, n_rounds),
        ]
        if rounds_plot_name:
            parts += ["", f"![rounds]({rounds_plot_name})"]
    return "\n".join(parts) + "\n"


def _round_table(board: Leaderboard, n_rounds: int) -> str:
    head = "| Agent | | " + " | ".join(f"R{k + 1}" for k in range(n_rounds)) + " |"
    rule = "|---|---|" + "---:|" * n_rounds
    rows = []
    for r in board.rows:
        for label, values in (("round", r.per_round), ("best so far", r.per_round_best)):
            cells = [_num(values[k]) if k < len(values) else "-" for k in range(n_rounds)]
            rows.append(f"| {r.agent} | {label} | " + " | ".join(cells) + " |")
    return "\n".join([head, rule, *rows])


def _agent_line(spec: AgentSpec) -> str:
    data = spec.to_json()
    options = ", ".join(f"{k}={v!r}" for k, v in data["options"].items())
    source = f" = {spec.source}" if spec.source else ""
    return f"`{spec.name}{source}`" + (f" ({options})" if options else "")


def _png(fig: Any, path: Path) -> None:
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_leaderboard(board: Leaderboard, path: Path) -> None:
    """Grouped bars: normalised score per game and overall (with its CI), one bar per agent."""
    import numpy as np

    plt = _pyplot()
    groups = [*board.games, "overall"]
    width = 0.8 / max(1, len(board.rows))
    x = np.arange(len(groups))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(groups) + 2), 4.0))
    low = 0.0
    for i, r in enumerate(board.rows):
        values = [r.per_game.get(g, math.nan) for g in board.games] + [r.score]
        values = [0.0 if math.isnan(v) else v for v in values]
        low = min(low, *values)
        err = np.zeros((2, len(groups)))
        if not math.isnan(r.ci_low):
            err[:, -1] = [max(0.0, r.score - r.ci_low), max(0.0, r.ci_high - r.score)]
        ax.bar(x + (i - (len(board.rows) - 1) / 2) * width, values, width, yerr=err,
               label=r.agent, capsize=3)  # fmt: skip
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xticks(x, groups, rotation=20, ha="right")
    ax.set_ylabel(f"normalised score ({board.normalisation}; best = 100)")
    ax.set_ylim(min(-10.0, 1.1 * low), 110)
    ax.set_title("xent-envs leaderboard")
    ax.legend(fontsize="small")
    fig.tight_layout()
    _png(fig, path)


def plot_rounds(board: Leaderboard, path: Path) -> None:
    """Learning curves: per agent, the mean normalised score of each round (solid) and of the
    best round so far (dashed), as the reference benchmark's site draws them."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    for i, r in enumerate(board.rows):
        color = f"C{i % 10}"
        rounds = range(1, len(r.per_round) + 1)
        ax.plot(rounds, r.per_round, marker="o", color=color, label=r.agent)
        ax.plot(rounds, r.per_round_best, linestyle="--", color=color, alpha=0.6)
    n_rounds = max((len(r.per_round) for r in board.rows), default=1)
    ax.set_xticks(range(1, n_rounds + 1))
    ax.set_xlabel("round (dashed: best round so far)")
    ax.set_ylabel(f"normalised score ({board.normalisation})")
    ax.set_title("xent-envs: score by round")
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.legend(fontsize="small")
    fig.tight_layout()
    _png(fig, path)


def write_reports(
    folder: Path,
    board: Leaderboard,
    run: RunSummary,
    records: Iterable[MapRecord],
    skipped: Sequence[tuple[str, str]] = (),
) -> dict[str, Path]:
    """Write ``results.json``, ``report.md``, ``leaderboard.png`` and ``rounds.png`` into
    ``folder``.

    Args:
        folder: the results folder.
        board: the leaderboard of ``records``.
        run: what was run.
        records: the maps of the configuration.
        skipped: (path, reason) of the folder's files that were not used.
    """
    folder = Path(folder)
    paths = {
        "results": folder / "results.json",
        "report": folder / "report.md",
        "plot": folder / "leaderboard.png",
        "rounds_plot": folder / "rounds.png",
    }
    atomic_write_json(
        paths["results"],
        {
            **run.to_json(),
            "leaderboard": board.to_json(),
            "maps": [r.to_json() for r in records],
            "skipped": [{"path": path, "reason": reason} for path, reason in skipped],
        },
    )
    plot_leaderboard(board, paths["plot"])
    plot_rounds(board, paths["rounds_plot"])
    text = markdown_report(board, run, paths["plot"].name, paths["rounds_plot"].name)
    atomic_write_bytes(paths["report"], text.encode("utf-8"))
    return paths
