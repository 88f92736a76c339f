"""Evaluate agents on Xent games: seeded maps shared by all agents, resumable results, a
leaderboard in the reference benchmark's convention, JSON + Markdown + PNG reports.

>>> from xent_envs.evaluation import EvalConfig, evaluate           # doctest: +SKIP
>>> board = evaluate(EvalConfig(agents=("random", "search"), judge="tiny-random-gpt2"), "out/")
"""

from xent_envs.evaluation.report import (
    format_table,
    markdown_report,
    package_versions,
    plot_leaderboard,
    write_reports,
)
from xent_envs.evaluation.runner import EvalConfig, evaluate, map_seed, play_map
from xent_envs.evaluation.scoring import AgentResult, Leaderboard, leaderboard, normalise_map
from xent_envs.evaluation.store import ResultsStore

__all__ = [
    "AgentResult",
    "EvalConfig",
    "Leaderboard",
    "ResultsStore",
    "evaluate",
    "format_table",
    "leaderboard",
    "map_seed",
    "markdown_report",
    "normalise_map",
    "package_versions",
    "play_map",
    "plot_leaderboard",
    "write_reports",
]
