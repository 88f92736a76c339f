"""The judge's load check: one fixed sentence scored right after loading.

A judge whose weights are corrupt can load without error and answer ``nan`` for every request,
or plausible but wrong numbers (a tampered cache whose manifest was rewritten to match). So
every judge scores :data:`CANARY` once at load: the answer must be a finite, positive number of
bits, and for a judge whose value is recorded here (the default judge), that value within
:data:`CANARY_TOLERANCE` (kernels differ between machines and devices in the last bits, not by
whole bits).
"""

from __future__ import annotations

import math
from typing import Any

from xent_envs.errors import JudgeError
from xent_envs.judge.base import Judge

__all__ = ["CANARY", "CANARY_TOLERANCE", "RECORDED_BITS", "check_canary"]

CANARY = "The children walked to school together in the morning rain, laughing at the puddles."

RECORDED_BITS: dict[tuple[str, str, str], float] = {
    # (model, dtype, convention) -> total bits of CANARY (18 tokens), on a 2-core x86 CPU.
    ("smollm2-135m", "bfloat16", "all-tokens"): 112.7711,
    ("smollm2-135m", "float16", "all-tokens"): 110.9576,
    ("smollm2-135m", "float32", "all-tokens"): 110.9341,
}
CANARY_TOLERANCE = 3.0
"""Bits the canary may differ from its recorded value by: rounding inside the model moves it
(bfloat16 is 1.8 bits from float32 here), so another device's kernels may move it by about
as much; corrupt or substituted weights move it by tens of bits."""


def check_canary(judge: Judge) -> float:
    """Score :data:`CANARY` with ``judge`` and return its total bits.

    Raises:
        JudgeError: the score is not a finite positive number, or differs from the recorded
            value for this judge by more than :data:`CANARY_TOLERANCE`; the message says what
            to do (rebuild the cache, check the weights).
    """
    fingerprint: dict[str, Any] = judge.fingerprint
    try:
        total = judge.xent(CANARY).total
    except JudgeError as exc:
        raise JudgeError(f"judge {judge.name!r} failed its load check: {exc}") from exc
    key = (
        str(fingerprint.get("model")),
        str(fingerprint.get("dtype")),
        str(fingerprint.get("convention")),
    )
    expected = RECORDED_BITS.get(key)
    if not (math.isfinite(total) and total > 0):
        problem = f"scores its check sentence {total} bits"
    elif expected is not None and abs(total - expected) > CANARY_TOLERANCE:
        problem = f"scores its check sentence {total:.4f} bits where {expected:.4f} are expected"
    else:
        return total
    raise JudgeError(
        f"judge {judge.name!r} {problem}: its weights are corrupt or not the ones named "
        f"(fingerprint {fingerprint}); delete its cache folder to rebuild it, or check the model"
    )
