"""One GRPO update: from groups of scored episodes to a step of the optimiser.

The loss is TRL's GRPO loss with one update per batch of rollouts (``num_iterations=1``,
where the clipped importance ratio is 1 and only its gradient remains), averaged over all
completion tokens of the step (TRL's default ``loss_type="dapo"``)::

    loss = sum_t [ -A_t * log pi(a_t) + beta * KL_t ] / T
    KL_t = exp(r_t) - r_t - 1,  r_t = log pi_ref(a_t) - log pi(a_t)   (the k3 estimator)

with ``A_t`` from :mod:`xent_envs.rl.advantages` and ``pi_ref`` the untrained policy. Tokens
sharing a prompt (a group's first moves) are scored in one pass of the policy, which runs
the prompt once (:meth:`~xent_envs.rl.policy.LMPolicy.log_probs`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from xent_envs.rl.advantages import episode_advantages, prefix_advantages, unbiased_std
from xent_envs.rl.policy import Policy, Sample
from xent_envs.rl.rollout import Credit, Episode

if TYPE_CHECKING:
    import torch

__all__ = ["StepStats", "grpo_update"]


@dataclass(frozen=True)
class StepStats:
    """What one update did (one row of ``log.csv``)."""

    reward: float  # mean episode return (bits)
    reward_std: float  # mean over groups of the returns' standard deviation
    reward_max: float
    map_score: float  # mean best round (the evaluation's score of a map)
    refused: float  # share of moves an ensure refused
    kl: float  # mean per-token KL to the untrained policy (k3)
    loss: float
    grad_norm: float  # before clipping
    tokens: int  # completion tokens trained on
    moves: int  # moves played and scored


def grpo_update(
    policy: Policy,
    optimizer: torch.optim.Optimizer,
    groups: Sequence[Sequence[Episode]],
    *,
    credit: Credit = "episode",
    beta: float = 0.0,
    scale_rewards: bool = True,
    max_grad_norm: float = 1.0,
) -> StepStats:
    """Compute the loss of ``groups`` (one list of episodes per map), back-propagate it
    and step ``optimizer``."""
    import torch

    advantage = prefix_advantages if credit == "prefix" else episode_advantages
    by_prompt: dict[Any, list[tuple[Sample, list[float]]]] = {}
    for group in groups:
        for episode, per_turn in zip(group, advantage(group, scale=scale_rewards)):
            for turn, values in zip(episode.turns, per_turn):
                if turn.completion:
                    by_prompt.setdefault(turn.prompt, []).append((turn.completion, values))
    tokens = sum(len(c) for rows in by_prompt.values() for c, _ in rows)
    optimizer.zero_grad(set_to_none=True)
    total_loss = total_kl = 0.0
    for prompt, rows in by_prompt.items():
        completions = [c for c, _ in rows]
        logp, mask = policy.log_probs(prompt, completions)
        with torch.no_grad(), policy.reference():
            ref, _ = policy.log_probs(prompt, completions)
        adv = torch.zeros_like(logp)
        for i, (_, values) in enumerate(rows):
            adv[i, : len(values)] = torch.tensor(values, dtype=adv.dtype)
        diff = (ref - logp).masked_fill(~mask, 0.0)
        kl = torch.exp(diff) - diff - 1.0
        per_token = (-adv * logp + beta * kl).masked_fill(~mask, 0.0)
        loss = per_token.sum() / max(tokens, 1)
        loss.backward()
        total_loss += float(loss.detach())
        total_kl += float(kl.masked_fill(~mask, 0.0).sum().detach())
    params = policy.parameters()
    norm = float(torch.nn.utils.clip_grad_norm_(params, max_grad_norm)) if tokens else 0.0
    if tokens and math.isfinite(norm):
        optimizer.step()
    returns = [e.episode_return for g in groups for e in g]
    turns = [t for g in groups for e in g for t in e.turns]
    return StepStats(
        reward=math.fsum(returns) / len(returns),
        reward_std=math.fsum(unbiased_std([e.episode_return for e in g]) for g in groups)
        / len(groups),
        reward_max=max(returns),
        map_score=math.fsum(e.map_score for g in groups for e in g) / len(returns),
        refused=sum(t.refused for t in turns) / max(len(turns), 1),
        kl=total_kl / max(tokens, 1),
        loss=total_loss,
        grad_norm=norm,
        tokens=tokens,
        moves=len(turns),
    )
