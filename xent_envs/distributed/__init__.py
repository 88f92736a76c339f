"""Running the suite on Ray: start or join a Ray runtime, and keep a pool of actors busy.

- :mod:`~xent_envs.distributed.runtime`: :func:`ray_runtime`, Ray started in this process
  (the embedded default) or joined at an address, with a bounded check that the address is
  reachable.
- :mod:`~xent_envs.distributed.pool`: :class:`ActorPool`, actors that each set up once (load
  the judge) and then run tasks; a task whose actor dies or overruns its time is retried on a
  fresh actor, then reported as a :class:`Failure`, and nothing else is lost.
- :mod:`~xent_envs.distributed.rollouts`: :func:`ray_rollouts`, episodes of any env played
  by a policy on Ray actors (the training path); the evaluation's Ray backend is
  :mod:`xent_envs.evaluation.ray_backend`.

Ray is an optional dependency (``pip install 'xent-envs[ray]'``); nothing here imports it
before it is used.
"""

from xent_envs.distributed.pool import ActorPool, Failure
from xent_envs.distributed.rollouts import Step, Trajectory, ray_rollouts, rollout
from xent_envs.distributed.runtime import ray_runtime, require_ray

__all__ = [
    "ActorPool",
    "Failure",
    "Step",
    "Trajectory",
    "ray_rollouts",
    "ray_runtime",
    "require_ray",
    "rollout",
]
