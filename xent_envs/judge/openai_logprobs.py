"""A judge read from an OpenAI-compatible completions server's prompt log-probabilities.

An inference server on a GPU (vLLM, or any server that implements the legacy completions
API's ``echo`` the way vLLM does) can score for many CPU workers: asked to echo a prompt with
its log-probabilities and to generate nothing, it returns the log-probability of every prompt
token given those before it, which is all a judge needs. ``load_judge("openai+http://gpu:8000/
v1", tokenizer="smollm2-135m")`` builds one.

How a request ``(text, prefix)`` is scored: the client tokenizes locally (the tokenizer must
be the served model's), sends the row ``[start token, *prefix ids, *text ids]`` as a prompt of
token ids, and reads the text's tokens' log-probabilities (nats) back as bits. Rows are sent
in batches (``prompt`` as a list of id lists)::

    POST /v1/completions
    {"model": M, "prompt": [[0, 504, 3260], ...], "echo": true, "logprobs": 1,
     "max_tokens": 0, "temperature": 0}

Server options it needs (vLLM):

- ``vllm serve <model>`` with the tokenizer the client loads (the default);
- ``--dtype`` as wanted (float32 or bfloat16; the bits depend on it, the fingerprint does not
  see it: put it in ``--served-model-name``, e.g. ``smollm2-135m-bf16``, to keep runs apart);
- ``--max-logprobs`` at least 1 (the default, 20, is fine);
- older vLLM versions (before its V1 engine) return wrong prompt log-probabilities with
  prefix caching: add ``--no-enable-prefix-caching`` there;
- a server that refuses ``max_tokens: 0`` (the OpenAI API allows it with ``echo``; some
  servers do not): pass ``max_tokens=1`` to the client, which then drops the generated
  token's entry.

``generate`` asks the same endpoint for a continuation (``seed``, ``temperature``, ``top_p``,
and vLLM's ``top_k`` and ``min_tokens``); its sampler is the server's, so map texts written
through a server differ from the in-process judge's.

The fingerprint is ``{"model": <served model id>, "server": "openai-completions",
"tokenizer_digest", "convention": "all-tokens", "start_token"}``: it names the model as
served, not its weights, so pass ``expect_fingerprint`` to pin a run to one server setup.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from xent_envs.errors import ConfigError, ContextLengthError, JudgeServerError
from xent_envs.judge.backends import Option, choice, int_at_least, positive_number
from xent_envs.judge.http import check_fingerprint, fingerprint_option, optional_text
from xent_envs.judge.tokenizer import (
    TokenizerCodec,
    files_digest,
    load_tokenizer,
    tokenizer_files,
)
from xent_envs.judge.transport import Transport
from xent_envs.score import Score

__all__ = ["API_KEY_ENV", "OPENAI_OPTIONS", "OPENAI_PREFIXES", "OpenAICompletionsJudge"]

OPENAI_PREFIXES = ("openai+http://", "openai+https://")
#: the environment variable read for the server's API key when ``api_key`` is not given
API_KEY_ENV = "OPENAI_API_KEY"
_LN2 = math.log(2.0)


def _optional_int(key: str, value: Any) -> int | None:
    if value is None:
        return None
    return int_at_least(0)(key, value)


OPENAI_OPTIONS: dict[str, Option] = {
    "model": Option(None, optional_text, "the served model id (default: the server's only one)"),
    "tokenizer": Option(
        None, optional_text, "a judge name, folder or HF id of the tokenizer (default: model)"
    ),
    "start_token": Option(
        None, _optional_int, "the id put first (default: the tokenizer judge's, BOS, EOS)"
    ),
    "max_tokens": Option(0, choice(0, 1), "0, or 1 for servers that refuse 0"),
    "batch_size": Option(64, int_at_least(1), "prompts per request"),
    "timeout": Option(120.0, positive_number, "seconds for one call, retries included"),
    "max_retries": Option(3, int_at_least(0), "retries of refused connections, 429 and 50x"),
    "expect_fingerprint": Option(
        None, fingerprint_option, "the fingerprint (dict or digest) required"
    ),
    "api_key": Option(None, optional_text, f"bearer token (default ${API_KEY_ENV})"),
}
"""The options of ``load_judge("openai+http://...")``."""


class OpenAICompletionsJudge:
    """The scoring backend of an OpenAI-compatible completions server (a ``ScoringBackend``).

    Args:
        url: ``openai+http://host:port/v1`` (``/v1`` is added when missing).
        model, tokenizer, start_token, max_tokens, batch_size, timeout, max_retries,
        expect_fingerprint, api_key: see :data:`OPENAI_OPTIONS`.

    Raises:
        JudgeServerError: the server cannot be reached, serves no model or several (without
            ``model``), or answers what the API does not promise.
        ModelNotFoundError: the tokenizer cannot be loaded here.
        FingerprintMismatchError: the server is not the one the run expects.
    """

    def __init__(
        self,
        url: str,
        *,
        model: str | None = None,
        tokenizer: str | None = None,
        start_token: int | None = None,
        max_tokens: int = 0,
        batch_size: int = 64,
        timeout: float = 120.0,
        max_retries: int = 3,
        expect_fingerprint: Any = None,
        api_key: str | None = None,
    ) -> None:
        base = url.removeprefix("openai+").rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"expected openai+http://host:port/v1, got {url!r}")
        if not parts.path.endswith("/v1"):
            base += "/v1"
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        self.name = url
        self.url = base
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.transport = Transport(
            base,
            what="completions server",
            headers={"Authorization": f"Bearer {key}"} if key else None,
            timeout=timeout,
            max_retries=max_retries,
            hint="; is the inference server running there?",
        )
        self.model, self.max_length = self._served_model(model)
        source = tokenizer or self.model
        loaded = load_tokenizer(source)
        self.codec = TokenizerCodec(loaded, name=self.name)
        self.vocab_size = self.codec.vocab_size
        self.start_token_id = self._start_token(source, loaded, start_token)
        self._fingerprint = {
            "model": self.model,
            "server": "openai-completions",
            "tokenizer_digest": files_digest(tokenizer_files(loaded)),
            "convention": "all-tokens",
            "start_token": self.start_token_id,
        }
        check_fingerprint(f"the completions server {base}", self._fingerprint, expect_fingerprint)

    @classmethod
    def connect(cls, name: str, **options: Any) -> OpenAICompletionsJudge:
        """The backend factory of ``load_judge("openai+http://...")``."""
        return cls(name, **options)

    def __repr__(self) -> str:
        return f"OpenAICompletionsJudge({self.url!r}, model={self.model!r})"

    def _served_model(self, wanted: str | None) -> tuple[str, int | None]:
        answer = self.transport.get("/models")
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list) or not all(isinstance(m, dict) and "id" in m for m in data):
            raise JudgeServerError(f"{self.url}/models did not list models: {str(answer)[:200]}")
        ids = [str(m["id"]) for m in data]
        if wanted is None:
            if len(ids) != 1:
                raise JudgeServerError(
                    f"{self.url} serves {len(ids)} models ({', '.join(ids) or 'none'}); pass "
                    "model= to choose one"
                )
            wanted = ids[0]
        elif wanted not in ids:
            raise JudgeServerError(
                f"{self.url} does not serve {wanted!r}; it serves {', '.join(ids)}"
            )
        entry = data[ids.index(wanted)]
        limit = entry.get("max_model_len")
        return wanted, limit if isinstance(limit, int) and limit > 0 else None

    @staticmethod
    def _start_token(source: str, tokenizer: Any, given: int | None) -> int:
        if given is not None:
            return given
        from xent_envs.judge.backends import known_judges

        if source in known_judges():  # the judge's own convention (SmolLM2: id 0)
            from xent_envs.judge.models import load_judge

            start = getattr(load_judge(source).backend, "start_token_id", None)
            if start is not None:
                return int(start)
        for candidate in (tokenizer.bos_token_id, tokenizer.eos_token_id):
            if candidate is not None:
                return int(candidate)
        raise ConfigError(f"the tokenizer {source!r} has no BOS or EOS token; pass start_token=")

    @property
    def fingerprint(self) -> dict[str, Any]:
        """The served model, the tokenizer's digest and the scoring convention."""
        return dict(self._fingerprint)

    # -- codec (local) ---------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return self.codec.encode(text)

    def decode(self, ids: Sequence[int]) -> str:
        return self.codec.decode(ids)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return self.codec.token_strings(ids)

    # -- scoring -----------------------------------------------------------------------------
    def _row(self, text: str, prefix: str) -> tuple[list[int], int]:
        text_ids = self.encode(text)
        row = [self.start_token_id, *(self.encode(prefix) if prefix else []), *text_ids]
        if self.max_length is not None and len(row) > self.max_length:
            raise ContextLengthError(
                f"text and prefix take {len(row)} tokens (text {len(text_ids)}, start 1); the "
                f"model {self.model!r} reads at most {self.max_length}"
            )
        return row, len(row) - len(text_ids)

    def score(self, requests: Sequence[tuple[str, str]]) -> list[Score]:
        """Bits of every token of each text, from the server's prompt log-probabilities."""
        rows = [self._row(text, prefix) for text, prefix in requests]
        out: list[Score] = []
        for start in range(0, len(rows), self.batch_size):
            chunk = rows[start : start + self.batch_size]
            answer = self.transport.post(
                "/completions",
                {
                    "model": self.model,
                    "prompt": [row for row, _ in chunk],
                    "echo": True,
                    "logprobs": 1,
                    "max_tokens": self.max_tokens,
                    "temperature": 0,
                },
            )
            for (row, first), choice_ in zip(chunk, self._choices(answer, len(chunk))):
                values = self._logprobs(choice_, len(row))
                ids = row[first:]
                bits = tuple(-lp / _LN2 for lp in values[first : len(row)])
                out.append(Score(tuple(self.token_strings(ids)), bits))
        return out

    def _choices(self, answer: Any, expected: int) -> list[dict[str, Any]]:
        choices = answer.get("choices") if isinstance(answer, dict) else None
        if not isinstance(choices, list) or len(choices) != expected:
            got = f"{len(choices)} choices" if isinstance(choices, list) else repr(answer)[:200]
            raise JudgeServerError(
                f"{self.url}/completions: expected {expected} choices, got {got}"
            )
        if not all(isinstance(c, dict) for c in choices):
            raise JudgeServerError(f"{self.url}/completions: a choice is not an object")
        indices = [c.get("index", i) for i, c in enumerate(choices)]
        if sorted(indices) != list(range(expected)):
            raise JudgeServerError(f"{self.url}/completions: choice indices {indices[:8]}...")
        return [c for _, c in sorted(zip(indices, choices), key=lambda pair: pair[0])]

    def _logprobs(self, choice_: dict[str, Any], length: int) -> list[float]:
        """The log-probabilities of the echoed prompt's tokens (the first is ``None``)."""
        logprobs = choice_.get("logprobs")
        values = logprobs.get("token_logprobs") if isinstance(logprobs, dict) else None
        if not isinstance(values, list) or not length <= len(values) <= length + self.max_tokens:
            got = len(values) if isinstance(values, list) else "none"
            raise JudgeServerError(
                f"{self.url}/completions echoed {got} prompt log-probabilities for a prompt of "
                f"{length} tokens (max_tokens={self.max_tokens}): the server must support "
                "echo with logprobs (see xent_envs.judge.openai_logprobs)"
            )
        scored = values[1:length]
        if not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in scored
        ):
            raise JudgeServerError(
                f"{self.url}/completions sent log-probabilities that are not numbers"
            )
        return [0.0, *(float(v) for v in scored)]

    def generate(
        self,
        prompt: str,
        max_new_tokens: int,
        seed: int,
        *,
        temperature: float = 1.0,
        top_k: int = 50,
        top_p: float = 0.95,
        stop: str | Sequence[str] = (),
        min_new_tokens: int = 0,
    ) -> str:
        """The server's continuation of ``prompt`` (after the start token), seeded."""
        stops = [stop] if isinstance(stop, str) else list(stop)
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": [self.start_token_id, *self.encode(prompt)],
            "max_tokens": int(max_new_tokens),
            "temperature": temperature,
            "top_p": top_p,
            "top_k": top_k if top_k > 0 else -1,
            "seed": int(seed) % 2**63,
            "min_tokens": int(min_new_tokens),
        }
        if stops:
            body["stop"] = stops
        choices = self._choices(self.transport.post("/completions", body), 1)
        text = choices[0].get("text")
        if not isinstance(text, str):
            raise JudgeServerError(f"{self.url}/completions answered no text")
        return text

    def close(self) -> None:
        """Close the connections."""
        self.transport.close()
