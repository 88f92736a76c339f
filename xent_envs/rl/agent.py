"""``PolicyAgent``: a trained (or untrained) policy as a player of the evaluation.

It reads the observation through the very prompt the policy was trained on
(:mod:`xent_envs.rl.prompts`) and answers with its most likely completion (greedy), so the
evaluation measures the policy, not a sampling draw. Build it from a run folder::

    xent-envs eval --agent trained=xent_envs.rl.agent:PolicyAgent,search \
                   -O trained.run=runs/condense --games Condense

or from a policy in memory (``PolicyAgent(policy=p)``; ``reference=True`` plays the policy
as it was before training: the base model without its adapters).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from xent_envs.errors import ConfigError
from xent_envs.rl.policy import Policy

__all__ = ["PolicyAgent", "load_run_policy"]


class PolicyAgent:
    """A policy of :mod:`xent_envs.rl.policy` behind the evaluation's ``Agent`` contract.

    Args:
        run: a training run folder (its ``config.json`` names the policy and judge).
        step: the checkpoint step to play (default: the run's final policy, else its
            newest checkpoint); ``0`` plays the untrained policy.
        policy: a policy in memory (instead of ``run``).
        reference: play the untrained policy (``Policy.reference``).
    """

    name = "policy"

    def __init__(
        self,
        run: str | None = None,
        step: int | None = None,
        *,
        policy: Policy | None = None,
        reference: bool = False,
    ) -> None:
        if (run is None) == (policy is None):
            raise ConfigError("PolicyAgent needs a run folder (run=...) or a policy, not both")
        if policy is None:
            policy, reference = load_run_policy(Path(str(run)), step), reference or step == 0
        self.policy = policy
        self.reference = reference
        self.env: Any = None
        self.stats: dict[str, float] = {}
        self.last_details: dict[str, Any] = {}

    def reset(self, env: Any = None, seed: int | None = None) -> None:
        """Greedy play needs no seed; ``env`` gives the judge that encodes text moves."""
        self.env = env

    def act(self, observation: str, info: dict[str, Any]) -> list[int]:
        policy = self.policy
        mode = policy.reference() if self.reference else contextlib.nullcontext()
        with mode:
            prompt = policy.prompt(observation, info)
            completion = policy.sample(prompt, 1, None, greedy=True)[0]
        move = policy.move(completion)
        self.stats["moves"] = self.stats.get("moves", 0) + 1
        self.stats["completion_tokens"] = self.stats.get("completion_tokens", 0) + len(completion)
        if isinstance(move, str):
            if self.env is None:
                raise ConfigError("PolicyAgent plays text moves: call reset(env) first")
            self.last_details = {"text": move}
            return list(getattr(self.env, "unwrapped", self.env).judge.encode(move))
        self.last_details = {"tokens": list(move)}
        return list(move)

    def close(self) -> None:
        """Nothing to release: the policy may be shared with the trainer."""


def load_run_policy(run: Path, step: int | None = None) -> Policy:
    """The policy of the training run in ``run``: its final weights, checkpoint ``step``,
    or (``step=0``) the untrained policy.

    Raises:
        ConfigError: not a run folder, or no such checkpoint.
    """
    from xent_envs.judge import load_judge
    from xent_envs.rl.checkpoint import CHECKPOINTS, latest_checkpoint, load_checkpoint
    from xent_envs.rl.config import TrainConfig
    from xent_envs.rl.policy import load_policy
    from xent_envs.rl.run import CONFIG_FILE, FINAL_POLICY, policy_options

    try:
        saved = json.loads((run / CONFIG_FILE).read_text())
        config = TrainConfig.from_json(saved["config"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{run} is not a training run folder ({exc})") from exc
    policy = load_policy(config.policy, load_judge(config.judge), **policy_options(config))
    if step == 0:
        return policy
    if step is not None:
        folder = run / CHECKPOINTS / f"step-{step:06d}"
        if not folder.is_dir():
            raise ConfigError(f"{run} has no checkpoint of step {step}")
        load_checkpoint(folder, policy, None)
    elif (run / FINAL_POLICY).is_dir():
        policy.load(run / FINAL_POLICY)
    else:
        latest = latest_checkpoint(run)
        if latest is None:
            raise ConfigError(f"{run} holds no trained policy yet")
        load_checkpoint(latest[1], policy, None)
    return policy
