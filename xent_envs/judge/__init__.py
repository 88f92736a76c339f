"""The judge: a fixed causal LM that scores texts in bits, in batches, and writes map texts.

``import xent_envs.judge`` is cheap: torch and transformers load with the first judge.

Example:
    >>> from xent_envs.judge import load_judge
    >>> judge = load_judge("tiny-random-gpt2")
    >>> [s.total > 0 for s in judge.score_batch([("a cat", ""), ("a cat", "I saw")])]
    [True, True]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xent_envs.judge.base import Codec, Judge, first_n_tokens, last_n_tokens
from xent_envs.judge.models import DEFAULT_JUDGE, KNOWN_JUDGES, load_judge

if TYPE_CHECKING:
    from xent_envs.judge.hf import TransformersJudge
    from xent_envs.judge.truth import is_false, is_true, truth_requests

__all__ = [
    "DEFAULT_JUDGE",
    "KNOWN_JUDGES",
    "Codec",
    "Judge",
    "TransformersJudge",
    "first_n_tokens",
    "is_false",
    "is_true",
    "last_n_tokens",
    "load_judge",
    "truth_requests",
]

_LAZY = {
    "TransformersJudge": "xent_envs.judge.hf",
    "is_true": "xent_envs.judge.truth",
    "is_false": "xent_envs.judge.truth",
    "truth_requests": "xent_envs.judge.truth",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xent_envs.judge' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
