"""The judge served over HTTP (``serve-judge``) and its client ``load_judge("http://...")``,
against real servers on 127.0.0.1: the same bits, tokens and texts as in process; requests of
concurrent clients merged; fingerprints checked; a server that is down, slow, answers garbage
or another model gives a clear error within a bounded time."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import gymnasium as gym
import httpx
import pytest

from xent_envs.errors import (
    ContextLengthError,
    FingerprintMismatchError,
    JudgeServerError,
)
from xent_envs.judge import load_judge
from xent_envs.judge.http import HttpJudge
from xent_envs.judge.microbatch import MicroBatcher
from xent_envs.judge.server import ServerThread, create_app
from xent_envs.judge.wire import Limits, dumps, fingerprint_digest, loads
from xent_envs.score import Score

REQUESTS = [("Hello world", ""), ("the cat sat on the mat", "A story: "), ("ok", "Hello world")]


@pytest.fixture(scope="module")
def server(tiny_judge):
    with ServerThread(create_app(tiny_judge, window=0.05)) as running:
        yield running


@pytest.fixture(scope="module")
def remote(server):
    return load_judge(server.url)


def test_remote_judge_scores_tokenizes_and_generates_as_in_process(remote, tiny_judge):
    assert remote.fingerprint == tiny_judge.fingerprint
    assert remote.vocab_size == tiny_judge.vocab_size
    assert remote.score_batch(REQUESTS) == tiny_judge.score_batch(REQUESTS)
    text = "Naïve café, 東京 and emoji 🙂"
    assert remote.encode(text) == tiny_judge.encode(text)
    ids = tiny_judge.encode(text)
    assert remote.token_strings(ids) == tiny_judge.token_strings(ids)
    assert remote.decode(ids) == tiny_judge.decode(ids)
    assert remote.generate("Once upon", 8, seed=3, temperature=0.7, stop=["\n"]) == (
        tiny_judge.generate("Once upon", 8, seed=3, temperature=0.7, stop=["\n"])
    )


def test_an_env_played_through_the_server_pays_the_same_rewards(server, tiny_judge):
    rewards = []
    for judge in (tiny_judge, server.url):
        env = gym.make("xent/Condense-v0", judge=judge)
        env.reset(seed=5)
        _, reward, *_ = env.step("a short story about a cat")
        rewards.append(reward)
        env.close()
    assert rewards[0] == rewards[1]


def test_concurrent_clients_are_answered_in_shared_judge_calls(tiny_judge):
    texts = [(f"client {i} says the word number {i * 7}", "") for i in range(8)]
    with ServerThread(create_app(tiny_judge, window=0.2)) as running:
        clients = [HttpJudge(running.url) for _ in texts]
        out: dict[int, list[Score]] = {}
        barrier = threading.Barrier(len(texts))

        def ask(i: int) -> None:
            barrier.wait()
            out[i] = clients[i].score([texts[i]])

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        stats = running.server.config.app.state.batcher.stats
    assert [out[i][0] for i in range(len(texts))] == tiny_judge.score_batch(texts)
    assert stats.requests == len(texts)
    assert stats.batches < len(texts)  # at least two clients shared a judge call
    assert stats.largest >= 2


def test_microbatcher_gives_each_caller_its_own_error():
    """A merged call that fails is retried caller by caller: only the bad one fails."""
    import asyncio

    def score_batch(requests):
        if any(text == "bad" for text, _ in requests):
            raise ContextLengthError("too long")
        return [Score((text,), (float(len(text)),)) for text, _ in requests]

    async def main():
        batcher = MicroBatcher(score_batch, window=0.05)
        return await asyncio.gather(
            batcher.score([("good", "")]), batcher.score([("bad", "")]), return_exceptions=True
        ), batcher.stats

    (good, bad), stats = asyncio.run(main())
    assert good == [Score(("good",), (4.0,))]
    assert isinstance(bad, ContextLengthError)
    assert stats.batches == 1 and stats.merged == 1


def test_the_server_validates_and_bounds_requests(tiny_judge):
    limits = Limits(max_items=4, max_text_chars=50, max_body_bytes=2000, max_new_tokens=16)
    with ServerThread(create_app(tiny_judge, limits=limits, api_key="k")) as running:
        auth = {"Authorization": "Bearer k"}
        with httpx.Client(base_url=running.url, timeout=10) as http:
            assert http.get("/v1/judge").status_code == 401
            assert http.get("/v1/judge", headers={"Authorization": "Bearer x"}).status_code == 401

            def score(body, **kw):
                return http.post("/v1/score", content=body, headers=auth, **kw)

            bad = score(b'{"requests": [["a", 1]]}')
            assert (
                bad.status_code == 422 and loads(bad.content)["error"]["type"] == "ValidationError"
            )
            assert score(b"not json").status_code == 422
            assert score(b'{"requests": [], "extra": 1}').status_code == 422
            many = dumps({"requests": [["a", ""]] * 5})
            assert score(many).status_code == 413
            assert score(dumps({"requests": [["a" * 51, ""]]})).status_code == 413
            assert score(b" " * 2001).status_code == 413
            ok = score(dumps({"requests": [["Hello", ""]]}))
            assert ok.status_code == 200
            assert loads(ok.content)["fingerprint_digest"] == fingerprint_digest(
                tiny_judge.fingerprint
            )
            gen = http.post("/v1/generate", headers=auth, content=dumps(
                {"prompt": "a", "max_new_tokens": 17, "seed": 0}))  # fmt: skip
            assert gen.status_code == 413
            gen = http.post("/v1/generate", headers=auth, content=dumps(
                {"prompt": "a", "max_new_tokens": 2, "seed": 0, "options": {"beam": 2}}))  # fmt: skip
            assert gen.status_code == 400 and "unknown generation option 'beam'" in gen.text
        remote = HttpJudge(running.url, api_key="k")
        # The client splits a batch to the server's limit.
        many_texts = [(f"text {i}", "") for i in range(9)]
        assert remote.score(many_texts) == list(tiny_judge.backend.score(many_texts))
        with pytest.raises(JudgeServerError, match="HTTP 401"):
            HttpJudge(running.url, api_key="wrong")


def test_a_refusal_raises_the_judges_own_error(remote, tiny_judge):
    text = "word " * 3000
    with pytest.raises(ContextLengthError):
        tiny_judge.xent(text)
    with pytest.raises(ContextLengthError):
        remote.xent(text)


def test_client_refuses_a_server_of_another_judge(server, tiny_judge):
    fingerprint = dict(tiny_judge.fingerprint)
    assert HttpJudge(server.url, expect_fingerprint=fingerprint).digest == fingerprint_digest(
        fingerprint
    )
    assert HttpJudge(server.url, expect_fingerprint=fingerprint_digest(fingerprint))
    other = {**fingerprint, "dtype": "float32"}
    with pytest.raises(
        FingerprintMismatchError, match="dtype: expected 'float32', found 'bfloat16'"
    ):
        load_judge(server.url, expect_fingerprint=other)
    with pytest.raises(FingerprintMismatchError, match="not the expected fingerprint 0123"):
        HttpJudge(server.url, expect_fingerprint="0123456789abcdef")


class FakeServer:
    """Answers every GET and POST with ``handler(path) -> (status, bytes)`` (or sleeps)."""

    def __init__(self, handler):
        outer = self
        self.handler = handler

        class Handler(BaseHTTPRequestHandler):
            def answer(self):
                length = int(self.headers.get("Content-Length", 0) or 0)
                self.rfile.read(length)
                status, body = outer.handler(self.path)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def proxy(server):
    """A fake server that answers like ``server`` except where the test says otherwise."""
    servers = []

    def start(overrides):
        def handler(path):
            if path in overrides:
                return overrides[path]()
            answer = httpx.get(server.url + path, timeout=10)
            return answer.status_code, answer.content

        servers.append(FakeServer(handler))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def test_a_server_that_is_down_is_reported_within_the_timeout():
    with socket_closed_port() as port:
        start = time.monotonic()
        with pytest.raises(JudgeServerError, match="cannot be reached: 2 attempt.*serve-judge"):
            HttpJudge(f"http://127.0.0.1:{port}", max_retries=1, timeout=5)
        assert time.monotonic() - start < 5


def test_a_slow_server_is_cut_at_the_timeout(proxy):
    def slow():
        time.sleep(3)
        return 200, b"{}"

    fake = proxy({"/v1/judge": slow})
    start = time.monotonic()
    with pytest.raises(JudgeServerError, match="no complete answer to GET /v1/judge within 0.5 s"):
        HttpJudge(fake.url, timeout=0.5)
    assert time.monotonic() - start < 2


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/v1/judge", b"<html>hello</html>", "not JSON"),
        ("/v1/judge", b'{"protocol": 99}', "protocol 99"),
        ("/v1/tokenizer", b'{"files": {"vocab.json": "AAAA"}, "digest": "x"}', "do not match"),
    ],
)
def test_a_server_that_answers_garbage_is_refused_at_connect(proxy, path, body, message):
    fake = proxy({path: lambda: (200, body)})
    with pytest.raises(JudgeServerError, match=message):
        HttpJudge(fake.url, max_retries=0)


def test_garbage_scores_are_refused_not_used(proxy, tiny_judge):
    digest = fingerprint_digest(tiny_judge.fingerprint)
    answers = {
        "short": {"fingerprint_digest": digest, "scores": []},
        "nan": b'{"fingerprint_digest": "%s", "scores": [{"tokens": ["a"], "bits": [NaN]}]}'
        % digest.encode(),
        "uneven": {"fingerprint_digest": digest, "scores": [{"tokens": ["a", "b"], "bits": [1]}]},
    }
    for kind, message in [("short", "expected a list of 1 scores"), ("nan", "NaN is not a number"),
                          ("uneven", "2 tokens but 1 values")]:  # fmt: skip
        body = answers[kind]
        raw = body if isinstance(body, bytes) else dumps(body)
        fake = proxy({"/v1/score": lambda raw=raw: (200, raw)})
        client = HttpJudge(fake.url, max_retries=0)
        with pytest.raises(JudgeServerError, match=message):
            client.score([("Hello", "")])


def test_a_server_restarted_with_another_model_is_refused_mid_run(proxy, tiny_judge):
    other = dumps({"fingerprint_digest": "0" * 16, "scores": [{"tokens": ["a"], "bits": [1.0]}]})
    fake = proxy({"/v1/score": lambda: (200, other)})
    client = HttpJudge(fake.url)
    with pytest.raises(FingerprintMismatchError, match="now serves another judge"):
        client.score([("a", "")])


def test_a_busy_server_is_retried_then_reported(proxy):
    calls = []

    def busy():
        calls.append(1)
        return 503, b'{"error": {"type": "Busy", "message": "full"}}'

    fake = proxy({"/v1/score": busy})
    client = HttpJudge(fake.url, max_retries=2, timeout=20)
    client.transport.backoff = 0.01
    with pytest.raises(JudgeServerError, match="3 attempt.*HTTP 503"):
        client.score([("a", "")])
    assert len(calls) == 3


class socket_closed_port:
    """A port nothing listens on (bound, then closed)."""

    def __enter__(self):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def __exit__(self, *exc):
        return False


def test_the_core_imports_neither_ray_nor_the_server_stack():
    import subprocess
    import sys

    code = (
        "import sys, xent_envs, xent_envs.judge, xent_envs.evaluation, xent_envs.distributed\n"
        "from xent_envs.cli import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in ('ray', 'fastapi', 'uvicorn', 'httpx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_an_eval_run_resumes_through_the_server_with_the_same_records(server, tmp_path):
    import dataclasses

    from xent_envs.evaluation import EvalConfig, ResultsStore, evaluate

    def played(folder):
        records = ResultsStore(folder).scan(lambda record: record.slot).records
        return {(r.game, r.map, r.agent): (r.seed, [(s.action, s.reward) for s in r.steps])
                for r in records.values()}  # fmt: skip

    config = EvalConfig(agents=("random",), games=("Condense",), maps=1, judge="tiny-random-gpt2")
    evaluate(config, tmp_path / "mixed", reports=False)
    grown = dataclasses.replace(config, maps=2)
    evaluate(dataclasses.replace(grown, judge=server.url), tmp_path / "mixed", reports=False)
    evaluate(grown, tmp_path / "local", reports=False)
    assert played(tmp_path / "mixed") == played(tmp_path / "local")
    assert len(played(tmp_path / "local")) == 2


def test_the_serve_judge_command_serves_until_stopped(tiny_judge):
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "xent_envs.cli", "serve-judge", "--judge",
               "tiny-random-gpt2", "--port", str(port)]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        remote = HttpJudge(f"http://127.0.0.1:{port}", max_retries=60, timeout=120)
        assert remote.fingerprint == tiny_judge.fingerprint
        assert remote.score(REQUESTS) == list(tiny_judge.backend.score(REQUESTS))
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
    assert f"on http://127.0.0.1:{port}" in out.decode()


def test_eval_backend_options_are_checked():
    from xent_envs.cli import build_parser, eval_backend
    from xent_envs.errors import ConfigError
    from xent_envs.evaluation import LocalBackend, RayBackend

    parser = build_parser()

    def backend(*argv):
        return eval_backend(parser.parse_args(["eval", "--agent", "random", *argv]))

    assert isinstance(backend(), LocalBackend) and backend().concurrency == 1
    assert backend("--concurrency", "4").concurrency == 4
    ray_backend = backend("--backend", "ray", "--workers", "3", "--address", "h:1")
    assert isinstance(ray_backend, RayBackend)
    assert (ray_backend.workers, ray_backend.address) == (3, "h:1")
    with pytest.raises(ConfigError, match="--workers and --address are options of --backend ray"):
        backend("--workers", "2")
    with pytest.raises(ConfigError, match="workers must be an int from 1"):
        backend("--backend", "ray", "--workers", "0")
