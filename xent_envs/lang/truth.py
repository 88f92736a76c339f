"""``is_true`` as judge requests: the reference engine's prompt and verdict rule.

The judge reads a few-shot prompt of statements and evaluations ending in the statement to
judge, once followed by ``true`` and once by ``false``; the statement is true when the first
text costs fewer bits. The prompt and the rule are those of the reference engine
(``xent==0.5.0``, ``Judge.is_true``), so a game that uses ``is_true`` gets the reference's
verdicts. Each text is scored whole, with no prefix: the verdict word is then never the first
token of a text, which the reference convention leaves unscored (``score_first_token=False``).

The interpreter asks for the two scores as ordinary judge requests, so a condition costs two
rows of a batched forward pass, not a pass of its own.
"""

from __future__ import annotations

from xent_envs.score import Score

__all__ = ["truth_prompt", "truth_requests", "truth_verdict"]

_PROMPT = """You are a core knowledge engine. Your function is to evaluate the factual \
accuracy of a given statement. When a statement is ambiguous, use the most reasonable human \
interpretation. Respond only with "true" or "false".

---
Statement: "2 plus 2 equals 4"
Evaluation: true
###
Statement: "2 plus 2 equals 5"
Evaluation: false
###
Statement: "The sky is blue"
Evaluation: true
###
Statement: "Pigs can fly"
Evaluation: false
###
Statement: "A triangle has three sides"
Evaluation: true
###
Statement: "{statement}"
Evaluation: """


def truth_prompt(statement: str) -> str:
    """The few-shot prompt that ends where the judge's verdict on ``statement`` goes.

    Example:
        >>> truth_prompt("Ice is cold").endswith('Statement: "Ice is cold"\\nEvaluation: ')
        True
    """
    return _PROMPT.format(statement=statement)


def truth_requests(statement: str) -> list[tuple[str, str]]:
    """The two judge requests ``[(prompt + "true", ""), (prompt + "false", "")]``."""
    prompt = truth_prompt(statement)
    return [(prompt + "true", ""), (prompt + "false", "")]


def truth_verdict(true_score: Score, false_score: Score) -> bool:
    """True when the ``true`` text costs fewer bits than the ``false`` one (a tie is false)."""
    return true_score.total < false_score.total
