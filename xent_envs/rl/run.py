"""``train``: a whole GRPO run, from a config to a trained policy and its held-out test.

What a run folder holds::

    config.json           the TrainConfig, the judge's fingerprint, package versions
    log.csv               one row per step: reward, KL, loss, grad norm, timings
    checkpoints/step-N/   the newest checkpoints (policy weights, optimiser, step)
    policy/               the final trained weights (a LoRA adapter for LoRA runs)
    eval/                 the held-out evaluation (an evaluation results folder)
    comparison.json/.md   before vs after on the same eval maps, with a bootstrap CI
    learning_curve.png    train reward and KL per step, held-out scores as lines

A run is reproducible from its config: the train maps are drawn from the train split by
the seed, each step's maps and sampling seed are functions of (seed, step), and the
initial weights are drawn from a generator seeded by the seed. Resuming from a checkpoint
therefore continues the very run that an uninterrupted one would have made.

Interrupting (Ctrl-C, SIGINT): the first one lets the step in progress finish, saves a
checkpoint and stops (``KeyboardInterrupt`` is raised after); a second one stops at once,
keeping the checkpoints already on disk. Either way ``resume=True`` continues.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from xent_envs.errors import RunConflictError, RunLockedError
from xent_envs.files import atomic_write_json
from xent_envs.games import GameInstance
from xent_envs.rl.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from xent_envs.rl.config import CONFIG_FORMAT, TrainConfig
from xent_envs.rl.grpo import StepStats, grpo_update
from xent_envs.rl.heldout import Comparison, evaluate_before_after
from xent_envs.rl.report import (
    append_log,
    plot_learning_curve,
    read_log,
    truncate_log,
    write_comparison,
)
from xent_envs.rl.rollout import Rollout, check_opponents, collect_episodes, load_opponent
from xent_envs.seeding import derive_seed

if TYPE_CHECKING:
    from xent_envs.rl.policy import Policy

__all__ = [
    "CONFIG_FILE",
    "FINAL_POLICY",
    "LOG_FILE",
    "TrainResult",
    "policy_options",
    "step_instances",
    "train",
    "train_instances",
]

CONFIG_FILE = "config.json"
LOG_FILE = "log.csv"
FINAL_POLICY = "policy"
_LOCK_FILE = ".train.lock"


@dataclass(frozen=True)
class TrainResult:
    """What ``train`` returns.

    Attributes:
        out: the run folder.
        steps: the last step trained.
        comparison: the held-out test (``None`` with ``eval_maps=0``).
        seconds: wall time of this call.
    """

    out: Path
    steps: int
    comparison: Comparison | None
    seconds: float


def policy_options(config: TrainConfig) -> dict[str, Any]:
    """The keyword arguments of ``load_policy`` that the config decides."""
    options = dict(config.policy_options)
    if config.policy == "token-table":
        options.setdefault("temperature", config.temperature)
        return options
    return {
        "lora": config.lora,
        "lora_rank": config.lora_rank,
        "lora_alpha": config.lora_alpha,
        "temperature": config.temperature,
        **options,
    }


def train_instances(config: TrainConfig) -> list[GameInstance]:
    """The ``train_maps`` train-split instances of the run (a function of the seed)."""
    from xent_envs.registration import game_space

    space = game_space(config.game)
    rng = np.random.default_rng(derive_seed("xent-rl-train-maps", config.seed, config.game))
    return [space.sample(rng, fixed=config.params, split="train") for _ in range(config.train_maps)]


def step_instances(
    pool: Sequence[GameInstance], config: TrainConfig, step: int
) -> list[GameInstance]:
    """The maps of ``step`` (1-based): the pool in a fresh seeded order on every pass."""
    out = []
    for k in range((step - 1) * config.maps_per_step, step * config.maps_per_step):
        epoch, position = divmod(k, len(pool))
        order = np.random.default_rng(derive_seed("xent-rl-order", config.seed, epoch))
        out.append(pool[int(order.permutation(len(pool))[position])])
    return out


def train(
    config: TrainConfig,
    out: str | os.PathLike[str],
    *,
    resume: bool = False,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    rollout: Rollout = collect_episodes,
    on_step: Callable[[int, StepStats], None] | None = None,
) -> TrainResult:
    """Train ``config``'s policy on its game into the folder ``out``, then test it.

    Args:
        config: the run.
        out: the run folder (created; see the module for what it holds).
        resume: continue the run in ``out`` from its newest checkpoint (a run that
            finished its steps goes straight to the evaluation, which resumes too).
        progress: show a progress bar.
        log: where notes go (default: standard error).
        rollout: plays the episodes of a step (default :func:`collect_episodes`; a
            distributed runner can pass its own with the same signature).
        on_step: called after each step with its number and statistics.

    Raises:
        UnknownNameError: an unknown game, policy or opponent (with the valid names).
        ConfigError: a seat without an opponent, a bad parameter or option.
        RunConflictError: ``out`` holds a run of another configuration or judge, or a run
            and ``resume`` is False; ``RunLockedError`` when another training writes there.
        KeyboardInterrupt: after a Ctrl-C, once the checkpoint is saved.
    """
    import torch

    from xent_envs.judge import load_judge
    from xent_envs.registration import game_space
    from xent_envs.rl.policy import check_policy, load_policy

    start_time = time.perf_counter()
    note = log or (lambda msg: print(msg, file=sys.stderr))
    out = Path(out)
    space = game_space(config.game)
    opponents = {seat: load_opponent(name) for seat, name in config.opponents.items()}
    seats = list(_seats(space, config))
    check_opponents(space.name, seats, config.seat, opponents)
    check_policy(config.policy, policy_options(config))
    judge = load_judge(config.judge)
    fingerprint = dict(judge.fingerprint)
    out.mkdir(parents=True, exist_ok=True)
    with _locked(out):
        _claim_folder(out, config, fingerprint, resume)
        seed = derive_seed("xent-rl-init", config.seed) % 2**62
        policy = load_policy(config.policy, judge, seed=seed, **policy_options(config))
        optimizer = torch.optim.AdamW(
            policy.parameters(), lr=config.learning_rate, weight_decay=0.0
        )
        start = 0
        latest = latest_checkpoint(out)
        if latest is not None:
            start = load_checkpoint(latest[1], policy, optimizer)
            note(f"resuming {out} from step {start}")
        truncate_log(out / LOG_FILE, start)
        pool = train_instances(config)
        step = start
        with _Interrupts(note) as interrupts:
            bar = _bar(progress, config.steps, start)
            try:
                for step in range(start + 1, config.steps + 1):
                    generator = torch.Generator().manual_seed(
                        derive_seed("xent-rl-sample", config.seed, step)
                    )
                    t0 = time.perf_counter()
                    groups = rollout(
                        policy,
                        step_instances(pool, config, step),
                        group=config.group,
                        judge=judge,
                        seat=config.seat,
                        opponents=opponents,
                        generator=generator,
                        credit=config.credit,  # type: ignore[arg-type]
                        refusal_penalty=config.refusal_penalty,
                    )
                    t1 = time.perf_counter()
                    stats = grpo_update(
                        policy,
                        optimizer,
                        groups,
                        credit=config.credit,  # type: ignore[arg-type]
                        beta=config.beta,
                        scale_rewards=config.scale_rewards,
                        max_grad_norm=config.max_grad_norm,
                    )
                    append_log(out / LOG_FILE, step, stats, t1 - t0, time.perf_counter() - t1)
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(reward=f"{stats.reward:+.2f}", kl=f"{stats.kl:.3f}")
                    if on_step is not None:
                        on_step(step, stats)
                    last = step == config.steps
                    if last or step % config.save_every == 0 or interrupts.requested:
                        save_checkpoint(out, step, policy, optimizer, config.keep_checkpoints)
                    if interrupts.requested:
                        note(f"interrupted: checkpoint of step {step} saved in {out}; "
                             "resume=True (--resume) continues")  # fmt: skip
                        raise KeyboardInterrupt
            finally:
                if bar is not None:
                    bar.close()
        _save_final(out, policy)
        comparison = None
        if config.eval_maps:
            comparison = evaluate_before_after(policy, config, out, step, progress=progress)
            rows = read_log(out / LOG_FILE)
            extra = {
                "steps": step,
                "wall_seconds_this_call": round(time.perf_counter() - start_time, 1),
                "peak_memory_mb": _peak_memory_mb(),
                "policy": config.policy,
                "judge": config.judge,
            }
            write_comparison(out, comparison, extra)
            title = f"{config.game}: {config.policy} (GRPO, group {config.group})"
            plot_learning_curve(rows, out / "learning_curve.png", title, comparison)
        elif read_log(out / LOG_FILE):
            title = f"{config.game}: {config.policy} (GRPO, group {config.group})"
            plot_learning_curve(read_log(out / LOG_FILE), out / "learning_curve.png", title)
    return TrainResult(out, step, comparison, time.perf_counter() - start_time)


def _seats(space: Any, config: TrainConfig) -> dict[str, int]:
    from xent_envs.envs.match import seat_budgets

    return seat_budgets(space.program(config.params))


def _claim_folder(
    out: Path, config: TrainConfig, fingerprint: dict[str, Any], resume: bool
) -> None:
    """Write ``config.json``, or check the one there: same run (a resumable field aside),
    same judge, and ``resume`` asked for."""
    import json

    from xent_envs.evaluation.report import package_versions

    path = out / CONFIG_FILE
    if path.is_file():
        try:
            saved = json.loads(path.read_text())
            old = TrainConfig.from_json(saved["config"])
        except (ValueError, KeyError, TypeError) as exc:
            raise RunConflictError(f"{out} holds a {CONFIG_FILE} this version cannot read ({exc}); "
                                   "use another --out folder") from exc  # fmt: skip
        problems = old.differences(config)
        if saved.get("judge_fingerprint") != fingerprint:
            problems.append(f"judge fingerprint: {saved.get('judge_fingerprint')} -> {fingerprint}")
        if problems:
            raise RunConflictError(
                f"{out} holds another run ({'; '.join(problems)}); use another --out folder"
            )
        if not resume:
            done = latest_checkpoint(out)
            where = f" trained to step {done[0]}" if done else ""
            raise RunConflictError(
                f"{out} already holds this run{where}; pass --resume (resume=True) to "
                "continue it, or use another --out folder"
            )
    data = {
        "format": CONFIG_FORMAT,
        "config": config.to_json(),
        "judge_fingerprint": fingerprint,
        "versions": package_versions(),
    }
    atomic_write_json(path, data)


def _save_final(out: Path, policy: Policy) -> None:
    """The trained weights in ``out/policy``, replaced whole."""
    tmp = out / f".{FINAL_POLICY}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    policy.save(tmp)
    final = out / FINAL_POLICY
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(str(out / _LOCK_FILE))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise RunLockedError(f"another training is writing to {out}") from None
    try:
        yield
    finally:
        lock.release()


class _Interrupts:
    """SIGINT while training: the first asks to stop after the step, the second stops now."""

    def __init__(self, note: Callable[[str], None]) -> None:
        self.note = note
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.note("\nstopping after this step to save a checkpoint (Ctrl-C again stops now)")


def _bar(progress: bool, total: int, initial: int) -> Any:
    if not progress or initial >= total:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="step", desc="train")


def _peak_memory_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / 1024, 1)  # kilobytes on Linux
