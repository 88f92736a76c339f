"""The ``openai-completions`` judge against a faithful vLLM-style completions server over our
own transformers model (``completions_server.py``), started on 127.0.0.1: the bits equal the
in-process judge's; the requests are what vLLM needs; a server that misbehaves is refused."""

from __future__ import annotations

import time

import pytest

from xent_envs.errors import (
    ContextLengthError,
    FingerprintMismatchError,
    JudgeServerError,
)
from xent_envs.judge import load_judge
from xent_envs.judge.openai_logprobs import OpenAICompletionsJudge
from xent_envs.judge.server import ServerThread

from .completions_server import completions_app

REQUESTS = [("Hello world", ""), ("the cat sat on the mat", "A story: "), ("ok", "Hello world")]


@pytest.fixture
def serve(tiny_judge):
    servers = []

    def start(**misbehave):
        app = completions_app(tiny_judge.backend, **misbehave)
        servers.append(ServerThread(app).__enter__())
        servers[-1].app = app
        return servers[-1]

    yield start
    for s in servers:
        s.stop(timeout=5)


def connect(server, **options):
    return OpenAICompletionsJudge("openai+" + server.url, tokenizer="tiny-random-gpt2", **options)


def test_bits_equal_the_in_process_judge(serve, tiny_judge):
    server = serve()
    judge = load_judge("openai+" + server.url, tokenizer="tiny-random-gpt2", batch_size=2)
    scores = judge.score_batch(REQUESTS)
    expected = tiny_judge.score_batch(REQUESTS)
    assert [s.tokens for s in scores] == [s.tokens for s in expected]
    for got, want in zip(scores, expected):
        assert got.bits == pytest.approx(want.bits, rel=1e-12, abs=1e-12)
    # Two requests (after the load check's): batch_size 2 over 3 rows, each a prompt of
    # token ids, echoed, no new tokens.
    bodies = server.app.state.requests[-2:]
    assert [len(b["prompt"]) for b in bodies] == [2, 1]
    start = tiny_judge.backend.start_token_id
    assert bodies[0]["prompt"][0] == [start, *tiny_judge.encode("Hello world")]
    assert {(b["echo"], b["logprobs"], b["max_tokens"], b["model"]) for b in bodies} == {
        (True, 1, 0, "tiny-gpt2")
    }
    assert judge.fingerprint["model"] == "tiny-gpt2"
    assert judge.fingerprint["start_token"] == start


def test_servers_that_refuse_max_tokens_zero_are_read_with_max_tokens_one(serve, tiny_judge):
    server = serve(refuse_zero=True)
    with pytest.raises(JudgeServerError, match="HTTP 400.*max_tokens must be at least 1"):
        connect(server).score(REQUESTS[:1])
    judge = connect(server, max_tokens=1)
    for got, want in zip(judge.score(REQUESTS), tiny_judge.score_batch(REQUESTS)):
        assert got.bits == pytest.approx(want.bits, rel=1e-12, abs=1e-12)


def test_generate_reads_the_servers_seeded_continuation(serve, tiny_judge):
    judge = connect(serve())
    text = judge.generate("Once upon", 8, seed=3, temperature=0.7)
    assert text == judge.generate("Once upon", 8, seed=3, temperature=0.7)
    assert isinstance(text, str) and text


@pytest.mark.parametrize(
    ("misbehave", "message"),
    [
        ({"drop_logprob": True}, "echoed 2 prompt log-probabilities for a prompt of 3 tokens"),
        ({"nan": True}, "NaN is not a number"),
    ],
)
def test_a_server_that_answers_garbage_is_refused(serve, misbehave, message):
    judge = connect(serve(**misbehave), max_retries=0)
    with pytest.raises(JudgeServerError, match=message):
        judge.score([("Hello world", "")])


def test_a_slow_server_is_cut_at_the_timeout(serve):
    judge = connect(serve(delay=3), timeout=0.5, max_retries=0)
    start = time.monotonic()
    with pytest.raises(JudgeServerError, match="within 0.5 s"):
        judge.score([("Hello world", "")])
    assert time.monotonic() - start < 2


def test_the_model_and_fingerprint_are_checked(serve, tiny_judge):
    server = serve()
    with pytest.raises(JudgeServerError, match="does not serve 'gpt-4'; it serves tiny-gpt2"):
        connect(server, model="gpt-4")
    fingerprint = connect(server).fingerprint
    assert connect(server, expect_fingerprint=fingerprint).fingerprint == fingerprint
    with pytest.raises(FingerprintMismatchError, match="model: expected 'other'"):
        connect(server, expect_fingerprint={**fingerprint, "model": "other"})
    with pytest.raises(ContextLengthError, match="reads at most"):
        connect(server).score([("word " * 3000, "")])


def test_a_server_that_is_down_is_reported():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(JudgeServerError, match="cannot be reached.*inference server"):
        OpenAICompletionsJudge(f"openai+http://127.0.0.1:{port}", max_retries=1, timeout=5)
    assert time.monotonic() - start < 5
