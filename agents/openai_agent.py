"""OpenAIAgent: any OpenAI-compatible ``/v1/chat/completions`` server as a player.

Works with OpenAI, vLLM, llama.cpp's server, Ollama, LM Studio... through the standard library
(``urllib``), so it adds no dependency. Connection errors, timeouts, 429 and 5xx answers are
retried with exponential backoff (honouring ``Retry-After``); when the retries run out, or the
server answers something that is not a chat completion, an :class:`AgentError` subclass says
what happened, and the evaluation runner records it for that map and goes on.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from agents.base import AgentError, TextAgent, build_messages, parse_move
from xent_envs.errors import ConfigError

__all__ = ["BadResponseError", "OpenAIAgent", "ServerUnavailableError"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class ServerUnavailableError(AgentError):
    """Raised when the chat server cannot be reached or keeps failing (connection refused,
    timeouts, 429/5xx) after every retry."""


class BadResponseError(AgentError):
    """Raised when the chat server answers something that is not a chat completion, or
    refuses the request (4xx other than 429)."""


class OpenAIAgent(TextAgent):
    """A chat model behind an OpenAI-compatible HTTP API.

    Args:
        model: model name; default ``$OPENAI_MODEL``.
        base_url: API root ending in ``/v1``; default ``$OPENAI_BASE_URL`` or OpenAI's.
        api_key: bearer token; default ``$OPENAI_API_KEY`` (may be empty for local servers).
        temperature: sampling temperature sent to the server.
        max_completion_tokens: sent as ``max_tokens`` when set (leave unset for reasoning
            models, which need room to think).
        timeout: seconds per HTTP request.
        max_retries: retries after the first attempt on retryable failures.
        backoff: first wait in seconds; doubled at each retry (capped at 60 s).
        fallback_move: played (and counted in ``stats["unparseable"]``) when the answer holds
            no move.
        system_prompt: replaces :data:`agents.base.SYSTEM_PROMPT`.
        extra_body: extra JSON fields for the request (``top_p``, ``stop``...).
        sleep: the sleeping function (tests pass a fake).
    """

    name = "openai"

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        temperature: float = 0.0,
        max_completion_tokens: int | None = None,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        fallback_move: str = "...",
        system_prompt: str | None = None,
        extra_body: dict[str, Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        codec: Any = None,
    ) -> None:
        super().__init__(codec)
        self.model = model or os.environ.get("OPENAI_MODEL")
        if not self.model:
            raise ConfigError("OpenAIAgent needs a model: pass model= or set OPENAI_MODEL")
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip(
            "/"
        )
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        self.temperature = temperature
        self.max_completion_tokens = max_completion_tokens
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.fallback_move = fallback_move
        self.system_prompt = system_prompt
        self.extra_body = dict(extra_body or {})
        self.sleep = sleep

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def _request(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body``; retry what is worth retrying; return the decoded JSON answer."""
        data = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last = ""
        for attempt in range(self.max_retries + 1):
            wait = min(60.0, self.backoff * 2**attempt)
            request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                break
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:300].decode("utf-8", "replace")
                if exc.code != 429 and exc.code < 500:
                    raise BadResponseError(
                        f"chat server {self.url} refused the request: HTTP {exc.code} {detail}"
                    ) from exc
                last = f"HTTP {exc.code} {detail}"
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                if retry_after and retry_after.strip().isdigit():
                    wait = min(60.0, float(retry_after))
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
            self.count("retries")
            if attempt < self.max_retries:
                self.sleep(wait)
        else:
            self.count("failed_requests")
            raise ServerUnavailableError(
                f"chat server {self.url} did not answer after {self.max_retries + 1} attempts "
                f"(last error: {last}); check OPENAI_BASE_URL and that the server is running"
            )
        try:
            answer = json.loads(raw)
            if not isinstance(answer, dict) or not isinstance(
                answer["choices"][0]["message"], dict
            ):
                raise TypeError("not a chat completion object")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            excerpt = raw[:200].decode("utf-8", "replace")
            raise BadResponseError(
                f"chat server {self.url} answered something that is not a chat completion "
                f"({exc}): {excerpt!r}"
            ) from exc
        return answer

    def act_text(self, observation: str, info: dict[str, Any]) -> str:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": build_messages(observation, info, self.system_prompt),
            "temperature": self.temperature,
        }
        if self.seed is not None:
            body["seed"] = int(self.seed) % 2**31
        if self.max_completion_tokens:
            body["max_tokens"] = self.max_completion_tokens
        body.update(self.extra_body)
        answer = self._request(body)
        content = answer["choices"][0]["message"].get("content") or ""
        usage = answer.get("usage") or {}
        for key in ("prompt_tokens", "completion_tokens"):
            if isinstance(usage.get(key), (int, float)):
                self.count(key, usage[key])
        self.last_details = {"raw": content, "usage": usage}
        move = parse_move(content if isinstance(content, str) else str(content))
        if move is None:
            self.count("unparseable")
            self.last_details["unparseable"] = True
            return self.fallback_move
        return move
