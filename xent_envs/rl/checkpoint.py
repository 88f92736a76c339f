"""Checkpoints of a training run, written whole or not at all.

``<out>/checkpoints/step-000020/`` holds the policy's trainable weights (``policy/``: a LoRA
adapter as peft saves it, or a safetensors file), the optimiser's state
(``optimizer.pt``) and ``state.json`` (the step). A checkpoint is written under a temporary
name and renamed into place, so a crash or a Ctrl-C leaves the previous checkpoints intact
and never a partial one under a ``step-*`` name. Everything else a run needs to continue
is a function of the config and the step (maps, their order, the sampling seed), so these
three files resume a run exactly.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xent_envs.errors import ConfigError
from xent_envs.files import atomic_write_json

if TYPE_CHECKING:
    import torch

    from xent_envs.rl.policy import Policy

__all__ = ["CHECKPOINTS", "latest_checkpoint", "load_checkpoint", "save_checkpoint"]

CHECKPOINTS = "checkpoints"
_STEP = re.compile(r"^step-(\d{6,})$")


def save_checkpoint(
    out: Path, step: int, policy: Policy, optimizer: torch.optim.Optimizer, keep: int
) -> Path:
    """Save ``step`` under ``out/checkpoints`` and keep only the ``keep`` newest."""
    import torch

    folder = Path(out) / CHECKPOINTS
    final = folder / f"step-{step:06d}"
    tmp = folder / f".step-{step:06d}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    policy.save(tmp / "policy")
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    atomic_write_json(tmp / "state.json", {"step": step})
    if final.exists():  # the same step saved again (a resumed run's last step)
        shutil.rmtree(final)
    os.replace(tmp, final)
    for old in _steps(folder)[:-keep]:
        shutil.rmtree(old[1], ignore_errors=True)
    return final


def latest_checkpoint(out: Path) -> tuple[int, Path] | None:
    """``(step, folder)`` of the newest complete checkpoint, or ``None``."""
    found = _steps(Path(out) / CHECKPOINTS)
    return found[-1] if found else None


def load_checkpoint(folder: Path, policy: Policy, optimizer: torch.optim.Optimizer | None) -> int:
    """Load the checkpoint in ``folder`` into ``policy`` (and ``optimizer``); its step.

    Raises:
        ConfigError: the folder is not a checkpoint this version can read.
    """
    import json

    import torch

    try:
        state: Any = json.loads((Path(folder) / "state.json").read_text())
        step = int(state["step"])
        policy.load(Path(folder) / "policy")
        if optimizer is not None:
            optimizer.load_state_dict(torch.load(Path(folder) / "optimizer.pt", weights_only=True))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise ConfigError(f"{folder} is not a readable checkpoint: {exc}") from exc
    return step


def _steps(folder: Path) -> list[tuple[int, Path]]:
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _STEP.match(path.name)
        if match and (path / "state.json").is_file():
            found.append((int(match[1]), path))
    return sorted(found)
