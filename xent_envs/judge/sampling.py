"""Sampling options and one token drawn from logits: the one sampling rule of the suite.

The judge's map texts (``TransformersJudge.generate``) and the HF agent's moves both draw
tokens here, each from a ``torch.Generator`` of its own (the global RNG is never touched), so
the same seed gives the same text on the same machine and dtype.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any

from xent_envs.errors import ConfigError

__all__ = ["SEED_RANGE", "Sampling", "sample_token", "seeded_generator"]

SEED_RANGE = (-(2**63), 2**64)
"""Seeds a ``torch.Generator`` takes: ``SEED_RANGE[0] <= seed < SEED_RANGE[1]``."""


@dataclass(frozen=True)
class Sampling:
    """How the next token is chosen.

    Args:
        temperature: 0 for greedy decoding (the most likely token); above 0, logits are
            divided by it before sampling.
        top_k: sample among the ``top_k`` most likely tokens (0: the whole vocabulary).
        top_p: then keep the smallest head of those whose probability mass reaches ``top_p``
            (nucleus sampling; 1: keep them all).

    Raises:
        ConfigError: a temperature that is negative or not finite, a negative ``top_k``, a
            ``top_p`` outside ``(0, 1]``.

    Example:
        >>> Sampling(top_p=0)
        Traceback (most recent call last):
        ...
        xent_envs.errors.ConfigError: top_p must be in (0, 1], got 0
    """

    temperature: float = 1.0
    top_k: int = 50
    top_p: float = 0.95

    def __post_init__(self) -> None:
        for name in ("temperature", "top_p"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{name} must be a number, got {value!r}")
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ConfigError(f"temperature must be a finite number >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 0:
            raise ConfigError(f"top_k must be an int >= 0 (0: no limit), got {self.top_k!r}")


def seeded_generator(seed: int) -> Any:
    """A CPU ``torch.Generator`` seeded with ``seed`` alone.

    Raises:
        ConfigError: ``seed`` is not an int in :data:`SEED_RANGE`.
    """
    import torch

    try:
        value = operator.index(seed)
    except TypeError:
        raise ConfigError(f"a seed must be an int, got {type(seed).__name__}") from None
    low, high = SEED_RANGE
    if isinstance(seed, bool) or not low <= value < high:
        raise ConfigError(f"a seed must be an int in [-2**63, 2**64), got {seed!r}")
    return torch.Generator(device="cpu").manual_seed(value)


def sample_token(logits: Any, generator: Any, sampling: Sampling) -> int:
    """One token id from a 1-D tensor of ``logits`` (any dtype, any device).

    Greedy when ``sampling.temperature == 0``; otherwise top-k, then top-p on those k
    values, then one draw from ``generator``.
    """
    import torch

    logits = logits.float().cpu()
    if sampling.temperature == 0:
        return int(torch.argmax(logits))
    k = sampling.top_k if 0 < sampling.top_k < logits.numel() else logits.numel()
    # topk returns the k best in descending order, so top-p works on k values, not the vocab.
    values, order = torch.topk(logits / sampling.temperature, k)
    probs = torch.softmax(values, dim=-1)
    if sampling.top_p < 1.0:
        # Keep the smallest head of the distribution whose mass reaches top_p.
        probs = probs.masked_fill(torch.cumsum(probs, dim=-1) - probs >= sampling.top_p, 0.0)
    return int(order[torch.multinomial(probs, 1, generator=generator)])
