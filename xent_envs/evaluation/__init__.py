"""Evaluate agents on Xent games: seeded maps shared by all agents, typed records saved per
map (resumable, growable), a leaderboard in the reference benchmark's convention, JSON +
Markdown + PNG reports.

The pieces, in the order a map flows through them:

- :mod:`~xent_envs.evaluation.config`: what a run plays (``EvalConfig``, ``AgentSpec``) and
  the keys that decide which saved maps it reuses;
- :mod:`~xent_envs.evaluation.agent`: the ``Agent`` contract and agent factories (the
  entry-point group ``xent_envs.agents``, ``package.module:Class``);
- :mod:`~xent_envs.evaluation.episode`: ``play_map``, one map into a ``MapRecord``;
- :mod:`~xent_envs.evaluation.records`: the typed records and their JSON;
- :mod:`~xent_envs.evaluation.store`: the results folder (lock, checked reads);
- :mod:`~xent_envs.evaluation.runner`: ``evaluate``, the loop over a run;
- :mod:`~xent_envs.evaluation.backends` and :mod:`~xent_envs.evaluation.ray_backend`: where
  maps are played (here one by one or ``concurrency`` at once, or on Ray workers);
- :mod:`~xent_envs.evaluation.scoring` and :mod:`~xent_envs.evaluation.report`.

>>> from xent_envs.evaluation import EvalConfig, evaluate
>>> config = EvalConfig(agents=("random", "search"), judge="tiny-random-gpt2")
>>> board = evaluate(config, "results/")                           # doctest: +SKIP
"""

from xent_envs.evaluation.agent import (
    ENTRY_POINT_GROUP,
    Agent,
    AgentFactory,
    agent_names,
    build_agent,
    load_agent_factory,
)
from xent_envs.evaluation.backends import LocalBackend, PlayBackend, PlayJob
from xent_envs.evaluation.config import (
    MAX_MAPS,
    RECORD_FORMAT,
    AgentSpec,
    EvalConfig,
    RunManifest,
    agent_seed,
    map_seed,
)
from xent_envs.evaluation.episode import play_map
from xent_envs.evaluation.ray_backend import RayBackend
from xent_envs.evaluation.records import (
    MapError,
    MapRecord,
    MapSlot,
    RewardTerm,
    RoundRecord,
    StepRecord,
    Timing,
)
from xent_envs.evaluation.report import (
    RunSummary,
    format_table,
    markdown_report,
    package_versions,
    plot_leaderboard,
    write_reports,
)
from xent_envs.evaluation.runner import evaluate, plan, play_slots
from xent_envs.evaluation.scoring import AgentResult, Leaderboard, leaderboard, normalise_map
from xent_envs.evaluation.store import ResultsStore, Scan

__all__ = [
    "ENTRY_POINT_GROUP",
    "MAX_MAPS",
    "RECORD_FORMAT",
    "Agent",
    "AgentFactory",
    "AgentResult",
    "AgentSpec",
    "EvalConfig",
    "Leaderboard",
    "LocalBackend",
    "MapError",
    "MapRecord",
    "MapSlot",
    "PlayBackend",
    "PlayJob",
    "RayBackend",
    "ResultsStore",
    "RewardTerm",
    "RoundRecord",
    "RunManifest",
    "RunSummary",
    "Scan",
    "StepRecord",
    "Timing",
    "agent_names",
    "agent_seed",
    "build_agent",
    "evaluate",
    "format_table",
    "leaderboard",
    "load_agent_factory",
    "map_seed",
    "markdown_report",
    "normalise_map",
    "package_versions",
    "plan",
    "play_map",
    "play_slots",
    "plot_leaderboard",
    "write_reports",
]
