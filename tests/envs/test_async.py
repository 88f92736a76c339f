"""The async vector env with default settings, in a fresh process whose torch keeps its
default thread count (the test session's conftest sets one thread, which hid the deadlock)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Seconds the fresh process may take to load, build 3 workers, reset and step (about 15 s).
TIMEOUT = 240

SCRIPT = r"""
import json, sys, time
import gymnasium as gym
import torch
import xent_envs

assert torch.get_num_threads() > 1 or torch.get_num_interop_threads() >= 1
seeds = [1, 2, 3]
asynced = gym.make_vec("xent/Condense-v0", num_envs=3, vectorization_mode="async",
                       judge="tiny-random-gpt2")
synced = gym.make_vec("xent/Condense-v0", num_envs=3, vectorization_mode="sync",
                      judge="tiny-random-gpt2")
out = {"threads": torch.get_num_threads(),
       "pids": [p.pid for p in asynced.unwrapped.processes]}
for envs in (asynced, synced):
    obs, _ = envs.reset(seed=seeds)
    _, rewards, terminated, _, _ = envs.step(([5, 6], [7], [8, 9, 10]))
    out.setdefault("obs", []).append(list(obs))
    out.setdefault("rewards", []).append([float(r) for r in rewards])
print(json.dumps(out), flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_async_vector_env_works_with_default_settings_and_dies_with_its_parent():
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    env.pop("XENT_TEST_TORCH_THREADS", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        line = _read_line(proc, timeout=TIMEOUT)
        assert line, f"the async vector env did not answer within {TIMEOUT} s (deadlock?)"
        out = json.loads(line)
        assert out["threads"] > 1  # the condition under which forked workers deadlocked
        (async_obs, sync_obs), (async_rew, sync_rew) = out["obs"], out["rewards"]
        assert async_obs == sync_obs and all("\n" in o for o in async_obs)
        assert async_rew == sync_rew
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in out["pids"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in out["pids"]), "workers outlived their parent"


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    """The first line of ``proc``'s stdout, or "" after ``timeout`` seconds."""
    import selectors

    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
        return proc.stdout.readline()
