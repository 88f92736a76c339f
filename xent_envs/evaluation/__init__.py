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
- :mod:`~xent_envs.evaluation.scoring` (normalised leaderboard, per-round curves) and
  :mod:`~xent_envs.evaluation.report` (JSON, Markdown, plots);
- :mod:`~xent_envs.evaluation.validity`: the suite's own measurements (a ladder of known
  strength ranked per game, rank stability across seed sets, rounds against cost).

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
    plot_rounds,
    write_reports,
)
from xent_envs.evaluation.runner import evaluate, plan
from xent_envs.evaluation.scoring import (
    DEFAULT_BASELINE,
    NORMALISATIONS,
    AgentResult,
    Leaderboard,
    MapTable,
    completed_rounds,
    leaderboard,
    map_score,
    map_table,
    normalise_map,
)
from xent_envs.evaluation.store import ResultsStore, Scan
from xent_envs.evaluation.validity import (
    SeedSets,
    ValidityReport,
    evaluate_seed_sets,
    first_rounds,
    kendall_tau,
    rounds_study,
    spearman_rho,
    validity_report,
)

__all__ = [
    "DEFAULT_BASELINE",
    "ENTRY_POINT_GROUP",
    "MAX_MAPS",
    "NORMALISATIONS",
    "RECORD_FORMAT",
    "Agent",
    "AgentFactory",
    "AgentResult",
    "AgentSpec",
    "EvalConfig",
    "Leaderboard",
    "MapError",
    "MapRecord",
    "MapSlot",
    "MapTable",
    "ResultsStore",
    "RewardTerm",
    "RoundRecord",
    "RunManifest",
    "RunSummary",
    "Scan",
    "SeedSets",
    "StepRecord",
    "Timing",
    "ValidityReport",
    "agent_names",
    "agent_seed",
    "build_agent",
    "completed_rounds",
    "evaluate",
    "evaluate_seed_sets",
    "first_rounds",
    "format_table",
    "kendall_tau",
    "leaderboard",
    "load_agent_factory",
    "map_score",
    "map_seed",
    "map_table",
    "markdown_report",
    "normalise_map",
    "package_versions",
    "plan",
    "play_map",
    "plot_leaderboard",
    "plot_rounds",
    "rounds_study",
    "spearman_rho",
    "validity_report",
    "write_reports",
]
