"""OpenAIAgent against a real OpenAI-compatible HTTP server started on loopback."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agents.openai_agent import BadResponseError, OpenAIAgent, ServerUnavailableError
from xent_envs.errors import ConfigError, XentError


def completion(content):
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
    }  # fmt: skip


class FakeServer:
    """Answers POST /v1/chat/completions from a script: each entry is (status, body) where a
    dict body is sent as JSON and a str body as is; the last entry repeats."""

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
                status, body = server.script[min(len(server.requests), len(server.script)) - 1]
                data = json.dumps(body).encode() if isinstance(body, dict) else body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


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


def test_move_is_cut_to_budget(serve, codec):
    agent = agent_for(serve((200, completion("Move: abcdefgh"))), codec)
    assert agent.act("obs", {"max_tokens": 3}) == codec.encode("abc")


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
