"""Process hygiene for envs that run in worker processes (``AsyncVectorEnv`` and the like).

Two faults made ``gym.make_vec(..., vectorization_mode="async")`` unusable:

- **Deadlock after fork.** The parent builds one env to read its spaces, which loads the
  judge and starts torch's intra-op thread pool; ``fork`` copies the process but not those
  threads, and the child's first forward pass waits for them forever. A forked child
  therefore runs torch on one thread (as PyTorch's own ``DataLoader`` workers do); with N
  workers on N cores that is also the right share.
- **Orphans.** A worker stuck in such a wait, or one whose parent was killed, outlived the
  parent. A worker process that builds an env now watches its parent and exits when it is
  gone.

Both are installed by the first ``XentEnv`` a process builds (``prepare_process``).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time

__all__ = ["PARENT_POLL_SECONDS", "prepare_process"]

#: How often a worker checks that its parent is alive.
PARENT_POLL_SECONDS = 0.5

_lock = threading.Lock()
_fork_hook_installed = False
_watching = False


def prepare_process() -> None:
    """Make this process safe to fork env workers from, and, in a worker, tie it to its
    parent. Idempotent and cheap after the first call."""
    global _fork_hook_installed, _watching
    with _lock:
        if not _fork_hook_installed:
            os.register_at_fork(after_in_child=_one_torch_thread)
            _fork_hook_installed = True
        if not _watching and multiprocessing.parent_process() is not None:
            threading.Thread(
                target=_exit_with_parent,
                args=(os.getppid(),),
                name="xent-envs-parent-watch",
                daemon=True,
            ).start()
            _watching = True


def _one_torch_thread() -> None:
    """In a forked child: keep torch off the thread pool the fork did not copy."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _exit_with_parent(parent: int) -> None:
    """Wait while ``parent`` lives (a dead parent's children are re-parented), then exit."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)
