"""``is_true`` through the judge: which of " true" and " false" it finds less surprising after
a few-shot prompt of statements and verdicts (XGL.md, "Builtins").

The interpreter asks for the two scores as ordinary judge requests (``truth_requests``), so a
condition costs one slot in a batched forward pass, not a pass of its own.
"""

from __future__ import annotations

from typing import Any

from xent_envs.score import Score

__all__ = ["is_false", "is_true", "truth_prompt", "truth_requests", "truth_verdict"]

_EXAMPLES = (
    ("Water freezes at zero degrees Celsius.", "true"),
    ("A week has nine days.", "false"),
    ("Paris is a city in France.", "true"),
    ("Fish breathe by climbing trees.", "false"),
    ("Three plus four equals seven.", "true"),
    ("The sun rises in the west.", "false"),
)


def truth_prompt(statement: str) -> str:
    """The few-shot prompt that ends where the judge's verdict on ``statement`` goes."""
    shots = "".join(f"Statement: {s}\nVerdict: {v}\n\n" for s, v in _EXAMPLES)
    body = " ".join(statement.split())
    return (
        "Each statement is judged true or false by common knowledge and plain reading.\n\n"
        f"{shots}Statement: {body}\nVerdict:"
    )


def truth_requests(statement: str) -> list[tuple[str, str]]:
    """The two judge requests ``[(" true", prompt), (" false", prompt)]``."""
    prompt = truth_prompt(statement)
    return [(" true", prompt), (" false", prompt)]


def truth_verdict(true_score: Score, false_score: Score) -> bool:
    """True when " true" costs fewer bits than " false" (a tie reads as false)."""
    return true_score.total < false_score.total


def is_true(judge: Any, statement: str) -> bool:
    """Whether ``judge`` rates ``statement`` true (one batched call of two requests)."""
    return truth_verdict(*judge.score_batch(truth_requests(statement)))


def is_false(judge: Any, statement: str) -> bool:
    """``not is_true(judge, statement)``."""
    return not is_true(judge, statement)
