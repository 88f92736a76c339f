"""``evaluate(..., backend=LocalBackend(concurrency=K))`` (``xent-envs eval --concurrency K``):
maps of agents that wait on a model server overlap their waits, their judge calls merge into
shared waves, and the records equal those of the maps played one by one."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from xent_envs.errors import ConfigError
from xent_envs.evaluation import AgentSpec, EvalConfig, LocalBackend, ResultsStore, evaluate


class SlowChatServer:
    """``/v1/chat/completions`` that takes ``delay`` seconds per answer and counts how many
    requests it holds at once; the move depends on the prompt only (deterministic)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0
        self.count = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.in_flight += 1
                    outer.count += 1
                    outer.most = max(outer.most, outer.in_flight)
                time.sleep(outer.delay)
                with outer.lock:
                    outer.in_flight -= 1
                words = ["cat", "river", "story", "light", "stone"]
                prompt = json.dumps(body["messages"])
                move = " ".join(words[(len(prompt) + i) % 5] for i in range(3))
                data = json.dumps({
                    "id": "c", "object": "chat.completion",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": f"Move: {move}"}}],
                }).encode()  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat():
    server = SlowChatServer(delay=0.3)
    yield server
    server.close()


def played(folder):
    records = ResultsStore(folder).scan(lambda record: record.slot).records
    return {
        slot: (r.status, r.seed, r.score, [(s.action, s.reward) for s in r.steps])
        for slot, r in records.items()
    }


def test_concurrent_maps_overlap_their_waits_and_equal_the_sequential_run(
    chat, tmp_path, tiny_judge
):
    agent = AgentSpec("llm", source="openai", options={
        "model": "m", "base_url": chat.base_url, "api_key": "k", "max_retries": 0})  # fmt: skip
    config = EvalConfig(agents=(agent, AgentSpec("random")), games=("Condense",), maps=4,
                        judge="tiny-random-gpt2")  # fmt: skip
    evaluate(config, tmp_path / "one", reports=False)
    sequential = played(tmp_path / "one")
    assert chat.most == 1
    requests = chat.count
    chat.count = 0
    backend = LocalBackend(concurrency=4)
    start = time.monotonic()
    evaluate(config, tmp_path / "four", reports=False, backend=backend)
    elapsed = time.monotonic() - start
    assert played(tmp_path / "four") == sequential
    assert len(sequential) == 8 and all(v[0] == "ok" for v in sequential.values())
    assert chat.count == requests
    assert chat.most >= 2  # the waits overlapped
    assert elapsed < requests * chat.delay


def test_concurrency_is_checked():
    for bad in (0, -1, 1.5, True, 10**6):
        with pytest.raises(ConfigError, match="concurrency must be an int from 1 to 256"):
            LocalBackend(bad)


def together(waves, calls):
    """Run ``calls`` in threads released at once: the waves are held busy until every call
    is pending, so the first thread to run takes them all in one wave."""
    with waves._cond:
        waves._busy = True
    out = {}
    threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, calls[i]())) for i in
               range(len(calls))]  # fmt: skip
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(waves._pending) < len(calls) and time.monotonic() < deadline:
        time.sleep(0.01)
    with waves._cond:
        waves._busy = False
        waves._cond.notify_all()
    for t in threads:
        t.join(60)
    return [out[i] for i in range(len(calls))]


def test_shared_waves_merge_the_judge_calls_of_concurrent_envs(tiny_judge):
    import gymnasium as gym

    from xent_envs.envs.waves import SharedWaves

    waves = SharedWaves()
    envs = [waves.wrap(gym.make("xent/Condense-v0", judge="tiny-random-gpt2")) for _ in range(4)]
    together(waves, [lambda i=i: envs[i].reset(seed=i) for i in range(4)])
    steps = together(waves, [lambda i=i: envs[i].step(f"move number {i}") for i in range(4)])
    assert (waves.calls, waves.batches, waves.largest) == (8, 2, 4)
    for i in range(4):
        alone = gym.make("xent/Condense-v0", judge="tiny-random-gpt2")
        alone.reset(seed=i)
        _, reward, terminated, truncated, _ = alone.step(f"move number {i}")
        assert steps[i][1:4] == (reward, terminated, truncated)
