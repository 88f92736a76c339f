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


def test_shared_waves_merge_the_judge_calls_of_concurrent_envs(tiny_judge):
    import gymnasium as gym

    from xent_envs.envs.waves import SharedWaves

    waves = SharedWaves()
    envs = [waves.wrap(gym.make("xent/Condense-v0", judge="tiny-random-gpt2")) for _ in range(4)]
    alone = [gym.make("xent/Condense-v0", judge="tiny-random-gpt2") for _ in range(4)]
    barrier = threading.Barrier(4)
    out = {}

    def play(i):
        barrier.wait()
        envs[i].reset(seed=i)
        barrier.wait()
        out[i] = envs[i].step(f"move number {i}")

    threads = [threading.Thread(target=play, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for i, env in enumerate(alone):
        env.reset(seed=i)
        _, reward, terminated, truncated, _ = env.step(f"move number {i}")
        assert out[i][1:4] == (reward, terminated, truncated)
    assert waves.calls == 8
    assert waves.batches < 8 and waves.largest >= 2
