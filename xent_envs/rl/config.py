"""What a training run does: :class:`TrainConfig`, one documented dataclass.

The CLI (``xent-envs train``) and Python (``train(TrainConfig(...), "runs/x")``) build the
same object. It is saved as the run folder's ``config.json``; a folder holding a run of
another configuration is refused, naming the fields that differ, except the fields of
:data:`RESUMABLE_FIELDS` (how long to train, how often to save, how many eval maps), which a
resumed run may change.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from xent_envs.errors import ConfigError
from xent_envs.judge.models import DEFAULT_JUDGE

__all__ = ["CONFIG_FORMAT", "RESUMABLE_FIELDS", "TrainConfig"]

#: Version of ``config.json`` and of the checkpoints' layout.
CONFIG_FORMAT = 1
#: Fields a resumed run may change.
RESUMABLE_FIELDS = frozenset({"steps", "save_every", "keep_checkpoints", "eval_maps"})


@dataclass(frozen=True)
class TrainConfig:
    """A GRPO training run on one game.

    Attributes:
        game: the game name (``xent-envs list``).
        policy: ``smollm2-135m`` (SmolLM2-135M-Instruct), ``tiny-random-gpt2`` (tests),
            ``token-table`` (a table of logits over judge token ids, blind to the
            observation), or a Hugging Face model id or folder.
        judge: the judge's name, as ``load_judge`` takes it.
        seat: the seat the policy plays.
        opponents: a policy for every other seat: ``echo`` or ``package.module:function``.
        params: fixed game parameters (``{"budget": 6}``).
        steps: optimiser steps; each plays ``maps_per_step`` maps ``group`` times.
        group: episodes per map (the GRPO group: advantages are relative within it).
        maps_per_step: maps per step.
        train_maps: the train-split maps the run cycles through (a fresh order per pass);
            few maps make a step cheap (a map's texts are generated once) and let a
            story-blind policy such as ``token-table`` learn.
        eval_maps: held-out eval-split maps the policy is evaluated on before and after.
        seed: seeds the train maps, their order, the sampling and the initial weights.
        lora: train LoRA adapters (LM policies); ``False`` trains every weight.
        lora_rank, lora_alpha: the adapters' rank and scale.
        learning_rate: Adam's step size.
        beta: weight of the KL penalty to the untrained policy (k3 estimator, per token).
        temperature: sampling temperature of training completions.
        credit: ``"episode"``: every token of an episode gets its group-normalised return
            (GRPO); ``"prefix"``: token ``k`` gets the return still to come after the
            prefix before it (the reward of the move cut to ``k - 1`` tokens is subtracted),
            a baseline per token that the judge computes exactly (see ``docs/TRAINING.md``).
        scale_rewards: divide advantages by the group's standard deviation of returns.
        refusal_penalty: bits taken from a move an ``ensure`` refuses (the seat is asked
            again, as in the env; without a penalty a refusal would cost nothing).
        max_grad_norm: gradients are clipped to this norm.
        save_every: steps between checkpoints (and at the last step).
        keep_checkpoints: checkpoints kept on disk (the newest).
        policy_options: more keyword arguments of the policy class (``dtype``,
            ``max_new_tokens``, ``vocab``, ``length``...).
    """

    game: str = "Condense"
    policy: str = "smollm2-135m"
    judge: str = DEFAULT_JUDGE
    seat: str = "black"
    opponents: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    steps: int = 60
    group: int = 8
    maps_per_step: int = 1
    train_maps: int = 16
    eval_maps: int = 24
    seed: int = 0
    lora: bool = True
    lora_rank: int = 16
    lora_alpha: int = 32
    learning_rate: float = 2e-4
    beta: float = 0.02
    temperature: float = 1.0
    credit: str = "episode"
    scale_rewards: bool = True
    refusal_penalty: float = 5.0
    max_grad_norm: float = 1.0
    save_every: int = 10
    keep_checkpoints: int = 2
    policy_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("steps", "group", "maps_per_step", "train_maps", "eval_maps"):
            _positive_int(name, getattr(self, name), minimum=0 if name == "eval_maps" else 1)
        for name in ("save_every", "keep_checkpoints", "lora_rank", "lora_alpha"):
            _positive_int(name, getattr(self, name), minimum=1)
        if self.group < 2:
            raise ConfigError(
                f"group must be at least 2 (advantages compare the episodes of a map), "
                f"got {self.group}"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"seed must be a non-negative int, got {self.seed!r}")
        for name in ("learning_rate", "temperature", "max_grad_norm"):
            _finite(name, getattr(self, name), positive=True)
        for name in ("beta", "refusal_penalty"):
            _finite(name, getattr(self, name), positive=False)
        if self.credit not in ("episode", "prefix"):
            raise ConfigError(f"credit must be 'episode' or 'prefix', got {self.credit!r}")
        for name in ("opponents", "params", "policy_options"):
            value = getattr(self, name)
            if not isinstance(value, Mapping):
                raise ConfigError(f"{name} must be a mapping, got {value!r}")
            try:
                plain = json.loads(json.dumps(dict(value), allow_nan=False))
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{name} must hold JSON values ({exc})") from None
            object.__setattr__(self, name, plain)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Inverse of ``to_json``.

        Raises:
            ConfigError: a field this version does not know, or an invalid value.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown training config fields {unknown}")
        return cls(**dict(data))

    def differences(self, other: TrainConfig) -> list[str]:
        """The fields (outside :data:`RESUMABLE_FIELDS`) where ``other`` differs, as
        ``name: old -> new``."""
        mine, theirs = self.to_json(), other.to_json()
        return [
            f"{name}: {json.dumps(mine[name])} -> {json.dumps(theirs[name])}"
            for name in mine
            if name not in RESUMABLE_FIELDS and mine[name] != theirs[name]
        ]


def _positive_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an int of at least {minimum}, got {value!r}")


def _finite(name: str, value: Any, positive: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (value <= 0 if positive else value < 0):
        kind = "above 0" if positive else "at least 0"
        raise ConfigError(f"{name} must be a finite number {kind}, got {value!r}")
