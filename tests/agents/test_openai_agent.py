"""OpenAIAgent against a real OpenAI-compatible HTTP server started on loopback."""

from __future__ import annotations

import json
import socket
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agents.openai_agent import OpenAIAgent
from xent_envs.errors import BadResponseError, ConfigError, ServerUnavailableError, XentError


def completion(content):
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
    }  # fmt: skip


class FakeServer:
    """Answers POST /v1/chat/completions from a script: each entry is ``(status, body)`` or
    ``(status, body, headers)`` where a dict body is sent as JSON and a str body as is, or a
    function that writes the whole answer itself (to misbehave); the last entry repeats."""

    def __init__(self, script):
        self.script = list(script)
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                server.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                entry = server.script[min(len(server.requests), len(server.script)) - 1]
                try:
                    if callable(entry):
                        entry(self)
                        return
                    status, body, *headers = entry
                    data = json.dumps(body).encode() if isinstance(body, dict) else body.encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers[0] if headers else {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client hung up on a misbehaving answer: as intended
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def trickle_body(handler):
    """A valid status and headers, then the body one byte every 0.3 s."""
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    for _ in range(1000):
        handler.wfile.write(b" ")
        time.sleep(0.3)


def trickle_headers(handler):
    """The status line and headers one byte every 0.3 s."""
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
        handler.wfile.write(bytes([byte]))
        time.sleep(0.3)


def huge_body(announce):
    """A 600 MB answer of spaces, announced in Content-Length or not."""

    def answer(handler):
        handler.send_response(200)
        if announce:
            handler.send_header("Content-Length", str(600 * 2**20))
        handler.send_header("Connection", "close")
        handler.end_headers()
        block = b" " * 2**16
        for _ in range(600 * 2**20 // len(block)):
            handler.wfile.write(block)

    return answer


@pytest.fixture
def serve():
    servers = []

    def start(*script):
        servers.append(FakeServer(script))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def agent_for(server, codec, **options):
    waits = []
    agent = OpenAIAgent(model="test-model", base_url=server.base_url, api_key="sk-test",
                        codec=codec, sleep=waits.append, **options)  # fmt: skip
    agent.waits = waits
    return agent


def test_valid_completion_becomes_the_move(serve, codec):
    server = serve((200, completion("Thinking...\nMove: a cat")))
    agent = agent_for(server, codec)
    agent.reset(seed=4)
    assert agent.act("THE STORY", {"max_tokens": 10}) == codec.encode("a cat")
    req = server.requests[0]
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sk-test"
    assert req["body"]["model"] == "test-model" and req["body"]["seed"] == 4
    assert req["body"]["messages"][1] == {"role": "user", "content": "THE STORY"}
    assert agent.stats["prompt_tokens"] == 11 and agent.stats["completion_tokens"] == 3
    assert agent.last_details["raw"] == "Thinking...\nMove: a cat"


def test_a_long_move_is_left_for_the_env_to_cut(serve, codec):
    agent = agent_for(serve((200, completion("Move: abcdefgh"))), codec)
    assert agent.act("obs", {"max_tokens": 3}) == codec.encode("abcdefgh")


def test_unparseable_answer_plays_the_fallback_and_is_flagged(serve, codec):
    agent = agent_for(serve((200, completion("   ")), (200, completion(None))), codec)
    assert agent.act("obs", {"max_tokens": 5}) == codec.encode("...")
    assert agent.act("obs", {"max_tokens": 5}) == codec.encode("...")
    assert agent.stats["unparseable"] == 2 and agent.last_details["unparseable"] is True


def test_garbage_is_a_clear_error(serve, codec):
    agent = agent_for(serve((200, "<html>not json</html>")), codec)
    with pytest.raises(BadResponseError, match="not a chat completion.*not json"):
        agent.act("obs", {"max_tokens": 5})
    agent = agent_for(serve((200, {"object": "list", "data": []})), codec)
    with pytest.raises(BadResponseError, match="not a chat completion"):
        agent.act("obs", {"max_tokens": 5})


def test_500s_then_success_are_retried_with_backoff(serve, codec):
    server = serve((500, "oops"), (503, "busy"), (429, "slow down"), (200, completion("Move: ok")))
    agent = agent_for(server, codec, backoff=0.5)
    assert agent.act("obs", {"max_tokens": 5}) == codec.encode("ok")
    assert len(server.requests) == 4
    assert agent.waits == [0.5, 1.0, 2.0]
    assert agent.stats["retries"] == 3


def test_client_errors_are_not_retried(serve, codec):
    server = serve((401, '{"error": "bad key"}'))
    agent = agent_for(server, codec)
    with pytest.raises(BadResponseError, match="HTTP 401.*bad key"):
        agent.act("obs", {"max_tokens": 5})
    assert len(server.requests) == 1


def test_server_that_keeps_failing_gives_up(serve, codec):
    server = serve((500, "down"))
    agent = agent_for(server, codec, max_retries=2)
    with pytest.raises(ServerUnavailableError, match="did not answer after 3 attempts.*HTTP 500"):
        agent.act("obs", {"max_tokens": 5})
    assert len(server.requests) == 3


def test_closed_port_is_a_clear_error(codec):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    waits = []
    agent = OpenAIAgent(model="m", base_url=f"http://127.0.0.1:{port}/v1", codec=codec,
                        max_retries=2, timeout=2, sleep=waits.append)  # fmt: skip
    with pytest.raises(ServerUnavailableError) as info:
        agent.act("obs", {"max_tokens": 5})
    assert isinstance(info.value, XentError)
    assert f"127.0.0.1:{port}" in str(info.value) and "OPENAI_BASE_URL" in str(info.value)
    assert waits == [1.0, 2.0]


def test_options_come_from_the_environment(monkeypatch, serve, codec):
    server = serve((200, completion("Move: env")))
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url + "/")
    monkeypatch.setenv("OPENAI_MODEL", "from-env")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    agent = OpenAIAgent(codec=codec)
    assert agent.act("obs", {"max_tokens": 5}) == codec.encode("env")
    assert server.requests[0]["body"]["model"] == "from-env"
    assert server.requests[0]["headers"]["Authorization"] == "Bearer sk-env"


def test_missing_model_is_a_config_error(monkeypatch):
    monkeypatch.delenv("OPENAI_MODEL", raising=False)
    with pytest.raises(ConfigError, match="pass model= or set OPENAI_MODEL"):
        OpenAIAgent()


@pytest.mark.parametrize("answer", [trickle_body, trickle_headers], ids=["body", "headers"])
def test_a_trickling_server_cannot_hold_a_move_past_the_timeout(serve, codec, answer):
    agent = agent_for(serve(answer), codec, timeout=1, max_retries=0)
    start = time.monotonic()
    with pytest.raises(ServerUnavailableError, match="TimeoutError: no complete answer within 1 s"):
        agent.act("obs", {"max_tokens": 5})
    assert time.monotonic() - start < 2.5  # one byte every 0.3 s would take 300 s


def test_move_timeout_bounds_a_move_with_all_its_retries(serve, codec):
    server = serve(trickle_body)
    agent = agent_for(server, codec, timeout=2, move_timeout=2.5, max_retries=10, backoff=0.01)
    start = time.monotonic()
    with pytest.raises(ServerUnavailableError, match=r"after 2 attempts in at most 2.5 s"):
        agent.act("obs", {"max_tokens": 5})
    assert time.monotonic() - start < 3.5  # the second attempt gets the 0.5 s left, not 2 s
    assert len(server.requests) == 2 and agent.stats["failed_requests"] == 1


@pytest.mark.parametrize("announce", [True, False], ids=["announced", "streamed"])
def test_a_huge_answer_is_refused_without_filling_the_memory(serve, codec, announce):
    agent = agent_for(serve(huge_body(announce)), codec, max_response_bytes=2**20)
    tracemalloc.start()
    try:
        with pytest.raises(
            BadResponseError, match="more than the 1048576 accepted|more than 1048576 bytes"
        ):
            agent.act("obs", {"max_tokens": 5})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


def test_retry_after_is_capped(serve, codec):
    server = serve((429, "slow down", {"Retry-After": "99999"}), (200, completion("Move: ok")))
    agent = agent_for(server, codec)
    assert agent.act("obs", {"max_tokens": 5}) == codec.encode("ok")
    assert agent.waits == [30.0]  # max_retry_after, not 99999 s
    agent = agent_for(serve((429, "slow down", {"Retry-After": "99999"})), codec, move_timeout=5)
    with pytest.raises(
        ServerUnavailableError, match=r"the next wait \(30 s\) would pass move_timeout"
    ):
        agent.act("obs", {"max_tokens": 5})
    assert agent.waits == []


@pytest.mark.parametrize(
    ("content", "kind"),
    [({"text": "Move: a dict"}, "dict"), (["Move: a list"], "list"), (7, "int")],
)
def test_content_that_is_not_text_is_refused_not_played(serve, codec, content, kind):
    agent = agent_for(serve((200, completion(content))), codec)
    with pytest.raises(BadResponseError, match=f"the message content is {kind}, not text"):
        agent.act("obs", {"max_tokens": 5})
    assert agent.stats.get("moves", 0) == 0


def test_bad_bounds_are_config_errors():
    with pytest.raises(ConfigError, match="timeout must be above 0, got 0"):
        OpenAIAgent(model="m", timeout=0)
