"""The evaluation and the rollouts on a local Ray runtime (2 CPUs, the tiny judge): the same
records as the local backend, runs resumed across backends, a worker that dies mid-map, an
unreachable cluster address."""

from __future__ import annotations

import functools
import socket
import time
from pathlib import Path

import gymnasium as gym
import pytest

from agents.random_agent import RandomAgent
from xent_envs.distributed import ray_rollouts, ray_runtime, rollout
from xent_envs.distributed.rollouts import default_policy_seed
from xent_envs.errors import ClusterError
from xent_envs.evaluation import (
    AgentSpec,
    EvalConfig,
    RayBackend,
    ResultsStore,
    agent_seed,
    evaluate,
    map_seed,
)

ray = pytest.importorskip("ray")
ROOT = str(Path(__file__).resolve().parents[2])
SEARCH = AgentSpec("search", options={"budget": 8, "batch_size": 4, "generate_tokens": 4})
CONFIG = EvalConfig(agents=(AgentSpec("random"), SEARCH), games=("Condense",), maps=2,
                    judge="tiny-random-gpt2")  # fmt: skip


def played(folder):
    records = ResultsStore(folder).scan(lambda record: record.slot).records
    return {
        slot: (r.status, r.seed, r.score, [(s.action, s.reward) for s in r.steps])
        for slot, r in records.items()
    }


def test_an_unreachable_address_fails_fast():
    assert not ray.is_initialized()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with (
        pytest.raises(ClusterError, match="cannot reach Ray at '127.0.0.1:.*Leave out"),
        ray_runtime(f"127.0.0.1:{port}", connect_timeout=2),
    ):
        pass
    with pytest.raises(ClusterError, match="bad Ray address 'nohost'"), ray_runtime("nohost"):
        pass
    assert time.monotonic() - start < 5
    assert not ray.is_initialized()


@pytest.fixture(scope="module")
def runtime():
    """One small local runtime for the module; ``ray_runtime`` uses it as it is."""
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        configure_logging=False,
        runtime_env={"env_vars": {"PYTHONPATH": ROOT, "HF_HUB_OFFLINE": "1"}},
    )
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, tiny_judge):
    folder = tmp_path_factory.mktemp("local")
    evaluate(CONFIG, folder, reports=False)
    return played(folder)


def test_ray_eval_equals_local_and_resumes_across_backends(runtime, local_run, tmp_path):
    evaluate(CONFIG, tmp_path / "ray", reports=False, backend=RayBackend(2))
    assert played(tmp_path / "ray") == local_run
    assert len(local_run) == 4 and all(v[0] == "ok" for v in local_run.values())
    # Half a run here, grown to the whole on Ray: the same records.
    evaluate(EvalConfig(**{**CONFIG.__dict__, "maps": 1}), tmp_path / "mixed", reports=False)
    assert len(played(tmp_path / "mixed")) == 2
    evaluate(CONFIG, tmp_path / "mixed", reports=False, backend=RayBackend(2))
    assert played(tmp_path / "mixed") == local_run


def test_a_worker_that_dies_mid_map_is_retried_once_then_recorded(runtime, tmp_path):
    seeds = [agent_seed(map_seed(0, "Condense", i)) for i in range(2)]
    crashing = "tests.evaluation.ray_agents:Crashing"
    config = EvalConfig(
        agents=(
            AgentSpec("once", source=crashing,
                      options={"crash_seeds": [seeds[0]], "marker": str(tmp_path / "m")}),
            AgentSpec("doomed", source=crashing, options={"crash_seeds": [seeds[1]]}),
        ),
        games=("Condense",), maps=2, judge="tiny-random-gpt2",
    )  # fmt: skip
    evaluate(config, tmp_path / "run", reports=False, backend=RayBackend(2, map_timeout=120))
    records = ResultsStore(tmp_path / "run").scan(lambda r: r.slot).records
    status = {(r.agent, r.map): r.status for r in records.values()}
    assert status == {("once", 0): "ok", ("once", 1): "ok", ("doomed", 0): "ok",
                      ("doomed", 1): "error"}  # fmt: skip
    assert (tmp_path / "m").read_text() == "crashed once"
    error = next(r.error for r in records.values() if r.status == "error")
    assert (error.where, error.type) == ("worker", "WorkerDied")
    assert "(2 attempts)" in error.message


def test_ray_rollouts_equal_rollouts_in_process(runtime, tiny_judge):
    make_env = functools.partial(gym.make, "xent/Condense-v0", judge="tiny-random-gpt2")
    seeds = [3, 3, 11]
    remote = ray_rollouts(make_env, RandomAgent(), seeds, workers=2)
    env = make_env()
    local = [
        rollout(env, RandomAgent(), s, policy_seed=default_policy_seed(s, i))
        for i, s in enumerate(seeds)
    ]

    def moves(t):
        return t.seed, t.policy_seed, [(s.action, s.reward) for s in t.steps], t.error

    assert [moves(t) for t in remote] == [moves(t) for t in local]
    assert remote[0].steps[0].action != remote[1].steps[0].action  # a group samples apart
    assert all(t.steps and t.error is None for t in remote)
