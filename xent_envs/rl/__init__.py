"""Reinforcement learning on Xent games: TRL adapters and the suite's own GRPO loop.

- :mod:`~xent_envs.rl.trl_adapter`: ``xent_dataset`` (train-split instances as prompts,
  with their ``instance_id``), ``XentReward`` (a TRL reward function judging a whole batch
  in merged waves), ``XentToolEnv`` (multi-turn games through TRL's
  ``environment_factory``);
- :mod:`~xent_envs.rl.run`: ``train(TrainConfig(...), out)``, the ``xent-envs train``
  command: GRPO with LoRA on a CPU, checkpoints and resume, then the policy before and
  after on the same held-out maps;
- :mod:`~xent_envs.rl.rollout`: ``collect_episodes`` and ``score_moves``, the rollout path
  (a distributed runner can replace ``collect_episodes``); ``prefix_rewards`` for
  per-token credit;
- :mod:`~xent_envs.rl.policy`: ``LMPolicy`` and ``TokenTablePolicy``;
  :mod:`~xent_envs.rl.agent`: ``PolicyAgent`` plays a trained policy in evaluations.

Importing this package is cheap: torch, transformers, peft, TRL and datasets load when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xent_envs.rl.agent import PolicyAgent
    from xent_envs.rl.config import TrainConfig
    from xent_envs.rl.heldout import Comparison, paired_bootstrap
    from xent_envs.rl.policy import LMPolicy, Policy, TokenTablePolicy, load_policy
    from xent_envs.rl.rollout import (
        Episode,
        Turn,
        collect_episodes,
        prefix_rewards,
        score_moves,
    )
    from xent_envs.rl.run import TrainResult, train
    from xent_envs.rl.trl_adapter import XentReward, XentToolEnv, dataset_rows, xent_dataset

__all__ = [
    "Comparison",
    "Episode",
    "LMPolicy",
    "Policy",
    "PolicyAgent",
    "TokenTablePolicy",
    "TrainConfig",
    "TrainResult",
    "Turn",
    "XentReward",
    "XentToolEnv",
    "collect_episodes",
    "dataset_rows",
    "load_policy",
    "paired_bootstrap",
    "prefix_rewards",
    "score_moves",
    "train",
    "xent_dataset",
]

_LAZY = {
    "PolicyAgent": "agent",
    "TrainConfig": "config",
    "Comparison": "heldout",
    "paired_bootstrap": "heldout",
    "LMPolicy": "policy",
    "Policy": "policy",
    "TokenTablePolicy": "policy",
    "load_policy": "policy",
    "Episode": "rollout",
    "Turn": "rollout",
    "collect_episodes": "rollout",
    "prefix_rewards": "rollout",
    "score_moves": "rollout",
    "TrainResult": "run",
    "train": "run",
    "XentReward": "trl_adapter",
    "XentToolEnv": "trl_adapter",
    "dataset_rows": "trl_adapter",
    "xent_dataset": "trl_adapter",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xent_envs.rl' has no attribute {name!r}")
    return getattr(importlib.import_module(f"xent_envs.rl.{module}"), name)
