"""``is_true``: the reference engine's prompt, its verdict rule, one batched judge call."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from xent_envs.judge.truth import is_false, is_true
from xent_envs.lang.truth import truth_prompt, truth_requests, truth_verdict
from xent_envs.score import Score


class FixedJudge:
    """Scores the "true" text ``true_bits`` and the "false" text ``false_bits``; records calls."""

    def __init__(self, true_bits: float, false_bits: float) -> None:
        self.bits = {"true": true_bits, "false": false_bits}
        self.calls: list[list[tuple[str, str]]] = []

    def score_batch(self, requests: Sequence[tuple[str, str]]) -> list[Score]:
        self.calls.append(list(requests))
        return [Score(("t",), (self.bits[text.rsplit(" ", 1)[-1]],)) for text, _ in requests]


@pytest.mark.parametrize(
    ("true_bits", "false_bits", "verdict"), [(1.0, 2.0, True), (2.0, 1.0, False), (3.0, 3.0, False)]
)
def test_is_true_is_one_call_and_follows_the_cheaper_verdict(
    true_bits: float, false_bits: float, verdict: bool
) -> None:
    judge = FixedJudge(true_bits, false_bits)
    assert is_true(judge, "Water is wet.") is verdict
    assert judge.calls == [truth_requests("Water is wet.")]
    assert is_false(judge, "Water is wet.") is (not verdict)
    assert truth_verdict(Score(("a",), (true_bits,)), Score(("b",), (false_bits,))) is verdict


def test_the_prompt_is_the_reference_engines() -> None:
    prompt = truth_prompt('a "quoted"\nstatement')
    assert prompt.startswith(
        "You are a core knowledge engine. Your function is to evaluate the factual accuracy of a "
        "given statement. When a statement is ambiguous, use the most reasonable human "
        'interpretation. Respond only with "true" or "false".\n\n---\nStatement: "2 plus 2 '
        'equals 4"\nEvaluation: true\n###\n'
    )
    # The statement goes in as it is, quotes and line breaks included, as in the reference.
    assert prompt.endswith('###\nStatement: "a "quoted"\nstatement"\nEvaluation: ')
    assert prompt.count("###") == 5
    assert truth_requests("x") == [
        (truth_prompt("x") + "true", ""),
        (truth_prompt("x") + "false", ""),
    ]
