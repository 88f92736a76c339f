"""Episodes of an env played by a policy on Ray actors: the training path's env batches.

A trainer's rollout step plays many episodes and waits for their rewards; the judge's
forward passes are nearly all of that time. :func:`ray_rollouts` spreads the episodes over
Ray actors, each of which builds its env once (``make_env()``: the judge loads once per
actor) and plays whole episodes; :func:`rollout` is the one episode loop, used by the actors
and usable alone. For the same seeds, ``ray_rollouts`` returns exactly what ``rollout``
returns in process (same moves, same bits), in the order of ``seeds``.

The policy travels to each actor once per call (``ray.put``), so this suits policies that
are cheap to ship or frozen for the call: an API model, a sampler reading a weights file, a
small adapter. The learner keeps training where it is and calls ``ray_rollouts`` with the
current policy at each step::

    make_env = functools.partial(gym.make, "xent/Condense-v0", judge="smollm2-135m")
    trajectories = ray_rollouts(make_env, policy, seeds=[s for s in step_seeds for _ in range(8)])
    returns = [t.episode_return for t in trajectories]       # a GRPO group per map

A policy is a callable ``policy(observation, info) -> action`` or an object with
``act(observation, info)`` and, optionally, ``reset(env, seed)`` (the evaluation's ``Agent``
contract, so every agent is a policy). Episode ``i`` resets the env with ``seeds[i]`` and the
policy with ``policy_seeds[i]`` (default: a seed derived from ``seeds[i]`` and ``i``, so the
episodes of a group that share a map still sample differently).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xent_envs.errors import ConfigError, XentRuntimeError
from xent_envs.seeding import derive_seed

__all__ = [
    "MAX_ROLLOUT_STEPS",
    "Step",
    "Trajectory",
    "default_policy_seed",
    "ray_rollouts",
    "rollout",
]

#: steps after which an episode is cut (far above any game; an env without a step limit
#: and a policy the game refuses forever cannot loop without end)
MAX_ROLLOUT_STEPS = 10_000


@dataclass(frozen=True)
class Step:
    """One move of an episode: what the policy saw, did and earned."""

    observation: Any
    info: Mapping[str, Any]
    action: Any
    reward: float
    terminated: bool
    truncated: bool


@dataclass(frozen=True)
class Trajectory:
    """One episode.

    Attributes:
        seed: the env's reset seed.
        policy_seed: the policy's seed for the episode.
        steps: every move, in order.
        final_observation, final_info: what the env returned after the last step.
        error: why the episode could not be played (its Ray worker died or ran out of time,
            each attempt); then ``steps`` is empty.
    """

    seed: int
    policy_seed: int
    steps: tuple[Step, ...] = ()
    final_observation: Any = None
    final_info: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def episode_return(self) -> float:
        """The sum of the rewards (the RL return)."""
        return sum(step.reward for step in self.steps)


def default_policy_seed(seed: int, index: int) -> int:
    """The default policy seed of episode ``index`` reset with ``seed``."""
    return derive_seed("xent-rollout-policy", seed, index)


def rollout(
    env: Any,
    policy: Any,
    seed: int,
    *,
    policy_seed: int | None = None,
    max_steps: int = MAX_ROLLOUT_STEPS,
) -> Trajectory:
    """Play one episode of ``env`` from ``reset(seed=seed)`` with ``policy``.

    Raises:
        XentRuntimeError: the episode is still running after ``max_steps`` steps.
    """
    pseed = default_policy_seed(seed, 0) if policy_seed is None else policy_seed
    act = _act(policy)
    reset = getattr(policy, "reset", None)
    observation, info = env.reset(seed=seed)
    if callable(reset):
        reset(env, seed=pseed)
    steps = []
    for _ in range(max_steps):
        action = act(observation, info)
        next_obs, reward, terminated, truncated, next_info = env.step(action)
        steps.append(
            Step(observation, info, action, float(reward), bool(terminated), bool(truncated))
        )
        observation, info = next_obs, next_info
        if terminated or truncated:
            return Trajectory(seed, pseed, tuple(steps), observation, info)
    raise XentRuntimeError(f"the episode of seed {seed} ran past {max_steps} steps")


def _act(policy: Any) -> Callable[[Any, Any], Any]:
    act = getattr(policy, "act", None)
    if callable(act):
        return act
    if callable(policy):
        return policy
    raise ConfigError(
        f"a policy is a callable (observation, info) -> action or has act(observation, info); "
        f"got {type(policy).__name__}"
    )


class _RolloutWorker:
    """A Ray actor: builds the env once, then plays episodes."""

    def setup(self, make_env: Callable[[], Any], policy: Any) -> None:
        self.env = make_env()
        self.policy = policy

    def run(self, task: tuple[int, int]) -> Trajectory:
        seed, pseed = task
        return rollout(self.env, self.policy, seed, policy_seed=pseed)


def ray_rollouts(
    make_env: Callable[[], Any],
    policy: Any,
    seeds: Sequence[int],
    *,
    policy_seeds: Sequence[int] | None = None,
    workers: int | None = None,
    address: str | None = None,
    episode_timeout: float = 600.0,
    retries: int = 1,
) -> list[Trajectory]:
    """Play an episode per seed on Ray actors (see the module docstring).

    Args:
        make_env: builds the env, once per actor (picklable: a ``functools.partial`` of
            ``gym.make`` with a judge *name*, so each actor loads its own judge).
        policy: the policy (picklable).
        seeds: the env's reset seed of each episode.
        policy_seeds: the policy's seed of each episode (default
            :func:`default_policy_seed`).
        workers: actors (default: the CPUs of the runtime, at most one per episode).
        address: a Ray cluster to join (default: Ray as it is in this process, else a local
            runtime started for the call).
        episode_timeout: seconds an episode may take.
        retries: further attempts of an episode whose worker died or ran out of time; after
            them its trajectory carries the ``error``.

    Returns:
        One trajectory per seed, in order.

    Raises:
        ConfigError: Ray is not installed, or ``policy_seeds`` does not match ``seeds``.
        ClusterError: Ray cannot be started or reached, or its workers keep dying.
        Exception: what the env or the policy raised in an episode.
    """
    from xent_envs.distributed.pool import ActorPool, Failure
    from xent_envs.distributed.runtime import ray_runtime

    pseeds = (
        [default_policy_seed(s, i) for i, s in enumerate(seeds)]
        if policy_seeds is None
        else list(policy_seeds)
    )
    if len(pseeds) != len(seeds):
        raise ConfigError(f"{len(pseeds)} policy seeds for {len(seeds)} episodes")
    if not seeds:
        return []
    with ray_runtime(address, num_cpus=workers) as ray:
        count = workers or max(1, int(ray.cluster_resources().get("CPU", os.cpu_count() or 1)))
        pool = ActorPool(
            ray,
            _RolloutWorker,
            (make_env, ray.put(policy)),
            workers=min(count, len(seeds)),
            task_timeout=episode_timeout,
            retries=retries,
        )
        results: dict[int, Trajectory] = {}
        try:
            tasks = ((i, (s, p)) for i, (s, p) in enumerate(zip(seeds, pseeds)))
            for index, outcome in pool.run(tasks):
                assert isinstance(index, int)
                if isinstance(outcome, Failure):
                    why = f"{outcome.kind} after {outcome.attempts} attempts: {outcome.message}"
                    outcome = Trajectory(seeds[index], pseeds[index], error=why)
                results[index] = outcome
        finally:
            pool.close()
    return [results[i] for i in range(len(seeds))]
