"""The ``xent-envs train`` command (hooked into ``xent_envs.cli`` by :func:`add_commands`).

::

    xent-envs train --game Condense --policy smollm2-135m --lora --steps 60 --group 8 \\
                    --seed 0 --judge smollm2-135m --out runs/condense
    xent-envs train ... --out runs/condense --resume      # continue after a Ctrl-C

Exit status (as every command): 0, 1 on a user error (unknown game or policy, a seat
without an opponent, a folder of another run), 130 when interrupted (the checkpoint of the
step in progress is saved first; ``--resume`` continues).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from xent_envs.judge.models import DEFAULT_JUDGE

__all__ = ["add_commands", "cmd_train", "train_config"]


def add_commands(sub: Any) -> None:
    """Add ``train`` to the CLI's subparsers."""
    from xent_envs.rl.config import TrainConfig

    d = TrainConfig()
    p = sub.add_parser(
        "train",
        help="train a policy on a game with GRPO, then test it on held-out maps",
        description="Train a policy on a game with GRPO (LoRA by default), log reward, KL "
        "and loss per step, save checkpoints, and evaluate the policy before and after "
        "training on the same eval-split maps (docs/TRAINING.md).",
    )
    p.add_argument("--game", default=d.game, help=f"game name (default {d.game})")
    p.add_argument(
        "--policy",
        default=d.policy,
        help="smollm2-135m, tiny-random-gpt2, token-table, or a model id/folder "
        f"(default {d.policy})",
    )
    p.add_argument("--judge", default=DEFAULT_JUDGE, help=f"judge model (default {DEFAULT_JUDGE})")
    p.add_argument("--out", required=True, help="run folder (config, log, checkpoints, eval)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument(
        "--lora",
        action=argparse.BooleanOptionalAction,
        default=d.lora,
        help="train LoRA adapters (default); --no-lora trains every weight",
    )
    for flag, name, kind, text in (
        ("--steps", "steps", int, "optimiser steps"),
        ("--group", "group", int, "episodes per map (the GRPO group)"),
        ("--maps-per-step", "maps_per_step", int, "maps per step"),
        ("--train-maps", "train_maps", int, "train-split maps the run cycles through"),
        ("--eval-maps", "eval_maps", int, "held-out eval maps (0: no evaluation)"),
        ("--seed", "seed", int, "run seed"),
        ("--lr", "learning_rate", float, "learning rate"),
        ("--beta", "beta", float, "KL penalty weight"),
        ("--temperature", "temperature", float, "sampling temperature"),
        ("--lora-rank", "lora_rank", int, "LoRA rank"),
        ("--refusal-penalty", "refusal_penalty", float, "bits taken from a refused move"),
        ("--save-every", "save_every", int, "steps between checkpoints"),
    ):
        default = getattr(d, name)
        p.add_argument(flag, dest=name, type=kind, default=default, help=f"{text} ({default})")
    p.add_argument(
        "--credit",
        choices=("episode", "prefix"),
        default=d.credit,
        help="episode: GRPO's return per episode; prefix: per-token credit from the reward "
        "of every prefix of the move (docs/TRAINING.md)",
    )
    p.add_argument("--seat", default=d.seat, help=f"the seat the policy plays ({d.seat})")
    p.add_argument(
        "--opponent",
        action="append",
        default=[],
        metavar="SEAT=POLICY",
        help="a policy for another seat: echo (the judge-free baseline) or "
        "package.module:function; required for every other seat of a multi-seat game",
    )
    p.add_argument(
        "-p", "--param", action="append", default=[], metavar="NAME=VALUE", help="a game parameter"
    )
    p.add_argument(
        "-P",
        "--policy-option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a policy option, e.g. dtype=float32, max_new_tokens=12, vocab=256, length=4",
    )
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_train)


def train_config(args: argparse.Namespace) -> Any:
    """The ``TrainConfig`` of ``xent-envs train``'s arguments.

    Raises:
        ConfigError: a malformed ``--opponent``, ``-p`` or ``-P`` item, or a bad value.
    """
    from xent_envs.cli import _pairs
    from xent_envs.rl.config import TrainConfig

    fields = [
        "game",
        "policy",
        "judge",
        "seat",
        "lora",
        "steps",
        "group",
        "maps_per_step",
        "train_maps",
        "eval_maps",
        "seed",
        "learning_rate",
        "beta",
        "temperature",
        "lora_rank",
        "credit",
        "refusal_penalty",
        "save_every",
    ]
    return TrainConfig(
        **{name: getattr(args, name) for name in fields},
        opponents={k: str(v) for k, v in _pairs(args.opponent, "--opponent", False).items()},
        params=_pairs(args.param, "--param", dotted=False),
        policy_options=_pairs(args.policy_option, "--policy-option", dotted=False),
    )


def cmd_train(args: argparse.Namespace) -> int:
    from xent_envs.rl.run import train

    config = train_config(args)
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    try:
        result = train(config, args.out, resume=args.resume, progress=not args.quiet)
    except KeyboardInterrupt:
        print(
            f"\nInterrupted: the checkpoints in {args.out} are kept; run the same command "
            "with --resume to continue.",
            file=sys.stderr,
        )
        return 130
    print(f"Trained {result.steps} steps in {result.seconds:.0f} s; policy in {args.out}/policy")
    if result.comparison is not None:
        print(result.comparison.summary())
        print(f"Report: {args.out}/comparison.md; plot: {args.out}/learning_curve.png")
    return 0
