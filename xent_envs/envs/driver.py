"""Answering machines' judge requests, many machines at once.

The interpreter never calls the model: it stops with a ``ScoreRequest``. Here the requests
of any number of machines (one env, the candidates of ``score_actions``, the sub-envs of a
vector env) are merged, de-duplicated and answered with one ``judge.score_batch`` call per
wave, until every machine waits for a move or is over.
"""

from __future__ import annotations

from collections.abc import Sequence

from xent_envs.judge.base import Judge
from xent_envs.lang import ElicitRequest, GameOver, Machine, ScoreRequest

__all__ = ["advance_all"]


def advance_all(machines: Sequence[Machine], judge: Judge) -> list[ElicitRequest | GameOver]:
    """Run every machine until it needs a move or ends; one batched judge call per wave."""
    pending = [m.advance() for m in machines]
    while True:
        waiting = [i for i, req in enumerate(pending) if isinstance(req, ScoreRequest)]
        if not waiting:
            return pending  # type: ignore[return-value]
        items = list(dict.fromkeys(item for i in waiting for item in pending[i].items))
        table = dict(zip(items, judge.score_batch(items)))
        for i in waiting:
            machines[i].provide_scores([table[item] for item in pending[i].items])
            pending[i] = machines[i].advance()
