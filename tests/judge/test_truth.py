"""is_true on the tiny judge: one batched call of the language's truth prompt."""

from xent_envs.judge import is_true, truth_requests


def test_is_true_is_one_batched_call(tiny_judge):
    calls = []
    original = tiny_judge.score_batch
    tiny_judge.score_batch = lambda requests: calls.append(len(requests)) or original(requests)
    try:
        verdict = is_true(tiny_judge, "Water is wet.")
    finally:
        del tiny_judge.score_batch
    assert isinstance(verdict, bool) and calls == [2]
    (t, prompt), (f, same) = truth_requests("Water is wet.")
    assert t.endswith('"Water is wet."\nEvaluation: true') and f == t[: -len("true")] + "false"
    assert prompt == same == ""
