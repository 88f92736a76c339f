"""OpenAIAgent: any OpenAI-compatible ``/v1/chat/completions`` server as a player.

Works with OpenAI, vLLM, llama.cpp's server, Ollama, LM Studio... through the standard library
(``urllib``), so it adds no dependency. Every bound holds whatever the server does:

- ``timeout`` bounds each request as a whole (connection, headers and body), not each read,
  so a server trickling its answer cannot hold a move; ``move_timeout`` bounds a move with all
  its retries and waits;
- an answer larger than ``max_response_bytes`` is refused before it fills the memory;
- connection errors, timeouts, 429 and 5xx answers are retried with exponential backoff,
  honouring ``Retry-After`` up to ``max_retry_after`` seconds;
- an answer that is not a chat completion (not JSON, a ``content`` that is not text) is
  refused, never played.

When a move cannot be had, an :class:`~xent_envs.errors.AgentError` subclass says why
(:class:`~xent_envs.errors.ServerUnavailableError`,
:class:`~xent_envs.errors.BadResponseError`), and the evaluation runner records it for that map
and goes on.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from agents.base import TextAgent, build_messages, parse_move
from agents.http_post import post
from xent_envs.errors import BadResponseError, ConfigError, ServerUnavailableError

__all__ = ["BadResponseError", "OpenAIAgent", "ServerUnavailableError"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_MAX_BACKOFF = 60.0


class OpenAIAgent(TextAgent):
    """A chat model behind an OpenAI-compatible HTTP API.

    Args:
        model: model name; default ``$OPENAI_MODEL``.
        base_url: API root ending in ``/v1``; default ``$OPENAI_BASE_URL`` or OpenAI's.
        api_key: bearer token; default ``$OPENAI_API_KEY`` (may be empty for local servers).
        temperature: sampling temperature sent to the server.
        max_completion_tokens: sent as ``max_tokens`` when set (leave unset for reasoning
            models, which need room to think).
        timeout: seconds for one HTTP request, all of it (connection, headers, body).
        move_timeout: seconds for one move, every retry and wait included.
        max_retries: retries after the first attempt on retryable failures.
        backoff: first wait in seconds; doubled at each retry (capped at 60 s).
        max_retry_after: the longest wait a server's ``Retry-After`` can ask for.
        max_response_bytes: the largest answer accepted.
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
        timeout: float = 120.0,
        move_timeout: float = 300.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_retry_after: float = 30.0,
        max_response_bytes: int = 8 * 2**20,
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
        for option, value in (("timeout", timeout), ("move_timeout", move_timeout),
                              ("max_response_bytes", max_response_bytes)):  # fmt: skip
            if not value > 0:
                raise ConfigError(f"OpenAIAgent's {option} must be above 0, got {value!r}")
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip(
            "/"
        )
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        self.temperature = temperature
        self.max_completion_tokens = max_completion_tokens
        self.timeout = timeout
        self.move_timeout = move_timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_response_bytes = max_response_bytes
        self.fallback_move = fallback_move
        self.system_prompt = system_prompt
        self.extra_body = dict(extra_body or {})
        self.sleep = sleep

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def _request(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body``; retry what is worth retrying within the move's time; return the
        checked chat completion."""
        data = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        deadline = time.monotonic() + self.move_timeout
        last = "no time left for an attempt"
        made = 0
        for attempt in range(self.max_retries + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            made += 1
            wait = min(_MAX_BACKOFF, self.backoff * 2**attempt)
            try:
                response = post(self.url, data, headers, timeout=min(self.timeout, left),
                                max_bytes=self.max_response_bytes)  # fmt: skip
            except (OSError, http.client.HTTPException) as exc:  # TimeoutError included
                last = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
            else:
                if 200 <= response.status < 300:
                    return self._completion(response.body)
                detail = response.body[:300].decode("utf-8", "replace")
                if response.status != 429 and response.status < 500:
                    raise BadResponseError(
                        f"chat server {self.url} refused the request: HTTP {response.status} "
                        f"{detail}"
                    )
                last = f"HTTP {response.status} {detail}"
                retry_after = response.headers.get("Retry-After") if response.headers else None
                if retry_after and retry_after.strip().isdigit():
                    wait = min(self.max_retry_after, float(retry_after))
            self.count("retries")
            if attempt == self.max_retries:
                break
            if wait >= deadline - time.monotonic():
                last += f"; the next wait ({wait:g} s) would pass move_timeout"
                break
            self.sleep(wait)
        self.count("failed_requests")
        raise ServerUnavailableError(
            f"chat server {self.url} did not answer after {made} attempts in at most "
            f"{self.move_timeout:g} s (last error: {last}); check OPENAI_BASE_URL and that the "
            "server is running"
        )

    def _completion(self, raw: bytes) -> dict[str, Any]:
        """``raw`` as a chat completion whose first message's ``content`` is text or null."""
        try:
            answer = json.loads(raw)
            if not isinstance(answer, dict) or not isinstance(answer.get("choices"), list):
                raise TypeError("no list of choices")
            message = answer["choices"][0]["message"]
            if not isinstance(message, dict):
                raise TypeError("the message is not an object")
            content = message.get("content")
            if content is not None and not isinstance(content, str):
                raise TypeError(f"the message content is {type(content).__name__}, not text")
            if not isinstance(answer.get("usage") or {}, Mapping):
                raise TypeError("usage is not an object")
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
            value = usage.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.count(key, value)
        self.last_details = {"raw": content, "usage": usage}
        move = parse_move(content)
        if move is None:
            self.count("unparseable")
            self.last_details["unparseable"] = True
            return self.fallback_move
        return move
