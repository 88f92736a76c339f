"""``is_true`` on a judge directly (tools and tests); the prompt and the verdict rule belong to
the language (``xent_envs.lang.truth``), which asks for the same two scores as judge requests.
"""

from __future__ import annotations

from typing import Any

from xent_envs.lang.truth import truth_prompt, truth_requests, truth_verdict

__all__ = ["is_false", "is_true", "truth_prompt", "truth_requests", "truth_verdict"]


def is_true(judge: Any, statement: str) -> bool:
    """Whether ``judge`` rates ``statement`` true (one batched call of two requests)."""
    return truth_verdict(*judge.score_batch(truth_requests(statement)))


def is_false(judge: Any, statement: str) -> bool:
    """``not is_true(judge, statement)``."""
    return not is_true(judge, statement)
