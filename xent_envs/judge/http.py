"""``HttpJudge``: a judge served by ``xent-envs serve-judge``, as a scoring backend.

``load_judge("http://host:port")`` connects once (``GET /v1/judge``), checks the server's
protocol and, when the run expects one, its fingerprint, and fetches its tokenizer, so
``encode``/``decode``/``token_strings`` run locally and only scoring and generation cross
the network. The judge's fingerprint is the server's: a run scored through the server
has the same run key as one scored by the same judge in process, so an evaluation can be
interrupted on one and resumed on the other.

Every answer carries the digest of the server's fingerprint; an answer with another digest
(a server restarted with another model behind the same address) is refused with
:class:`~xent_envs.errors.FingerprintMismatchError`, and nothing it scored is used. All
calls are bounded (:mod:`xent_envs.judge.transport`).

Options (``load_judge("http://...", **options)``):

- ``timeout`` (60): seconds for one call, retries included;
- ``max_retries`` (3): retries of a refused connection, 429, 502, 503 or 504;
- ``expect_fingerprint`` (None): a fingerprint dict, or its digest
  (:func:`~xent_envs.judge.wire.fingerprint_digest`), the server must have;
- ``api_key`` (None; default ``$XENT_JUDGE_API_KEY``): the server's bearer token.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from xent_envs.errors import ConfigError, FingerprintMismatchError, JudgeServerError
from xent_envs.judge.backends import Option, int_at_least, positive_number
from xent_envs.judge.tokenizer import TokenizerCodec, files_digest, tokenizer_from_files
from xent_envs.judge.transport import Transport
from xent_envs.judge.wire import PROTOCOL, Limits, WireError, decode_scores, fingerprint_digest
from xent_envs.score import Score

__all__ = [
    "API_KEY_ENV",
    "HTTP_OPTIONS",
    "HttpJudge",
    "check_fingerprint",
    "fingerprint_option",
    "optional_text",
]

#: the environment variable holding the bearer token of a judge server
API_KEY_ENV = "XENT_JUDGE_API_KEY"


def fingerprint_option(key: str, value: Any) -> str | None:
    """A check for ``expect_fingerprint``: None, a digest, or a dict (kept as canonical JSON,
    so that the load options stay hashable)."""
    if value is None or (isinstance(value, str) and value and not value.startswith("{")):
        return value
    if isinstance(value, str):  # canonical JSON already (the option is checked again)
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, Mapping):
        try:
            return json.dumps(dict(value), sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):
            pass
    raise ConfigError(f"{key} must be a fingerprint dict or its digest, got {value!r}")


def optional_text(key: str, value: Any) -> str | None:
    """A check that accepts None or a non-empty str."""
    if value is not None and not (isinstance(value, str) and value):
        raise ConfigError(f"{key} must be a non-empty str, got {value!r}")
    return value


HTTP_OPTIONS: dict[str, Option] = {
    "timeout": Option(60.0, positive_number, "seconds for one call, retries included"),
    "max_retries": Option(3, int_at_least(0), "retries of refused connections, 429 and 50x"),
    "expect_fingerprint": Option(
        None, fingerprint_option, "the fingerprint (dict or digest) required"
    ),
    "api_key": Option(None, optional_text, f"bearer token (default ${API_KEY_ENV})"),
}
"""The options of ``load_judge("http://...")``."""


def check_fingerprint(where: str, found: Mapping[str, Any], expected: Any) -> None:
    """Refuse ``found`` unless it is ``expected``: a fingerprint dict, its canonical JSON (as
    the ``expect_fingerprint`` option keeps it) or its digest; None accepts any.

    Raises:
        FingerprintMismatchError: they differ; the message names the fields that do.
    """
    if expected is None:
        return
    if isinstance(expected, str) and not expected.startswith("{"):
        if fingerprint_digest(found) == expected:
            return
        raise FingerprintMismatchError(
            f"{where} serves the judge {dict(found)} (fingerprint {fingerprint_digest(found)}), "
            f"not the expected fingerprint {expected}"
        )
    want = json.loads(expected) if isinstance(expected, str) else dict(expected)
    if fingerprint_digest(found) == fingerprint_digest(want):
        return
    changed = [
        f"{k}: expected {want.get(k)!r}, found {found.get(k)!r}"
        for k in sorted(set(want) | set(found))
        if want.get(k) != found.get(k)
    ]
    raise FingerprintMismatchError(
        f"{where} serves another judge than the run expects ({'; '.join(changed)}); scores of "
        "two judges are never mixed: point the run at a server of the expected judge"
    )


class HttpJudge:
    """The scoring backend of a judge served by ``serve-judge`` (a ``ScoringBackend``).

    Args:
        url: the server's root, ``http://host:port``.
        timeout, max_retries, expect_fingerprint, api_key: see the module docstring.

    Raises:
        JudgeServerError: the server cannot be reached in time, or answers garbage or another
            protocol version.
        FingerprintMismatchError: the server's judge is not the one expected.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 60.0,
        max_retries: int = 3,
        expect_fingerprint: Any = None,
        api_key: str | None = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        self.url = url.rstrip("/")
        self.name = self.url
        self.transport = Transport(
            self.url,
            headers={"Authorization": f"Bearer {key}"} if key else None,
            timeout=timeout,
            max_retries=max_retries,
            hint="; is `xent-envs serve-judge` running there?",
        )
        info = self.transport.get("/v1/judge")
        try:
            if not isinstance(info, dict) or info.get("protocol") != PROTOCOL:
                found = info.get("protocol") if isinstance(info, dict) else None
                raise WireError(f"protocol {found!r}, this client speaks protocol {PROTOCOL}")
            fingerprint = info["fingerprint"]
            if not isinstance(fingerprint, dict) or not fingerprint:
                raise WireError("no fingerprint")
            self.vocab_size = int(info["vocab_size"])
            self.limits = Limits.from_json(info["limits"])
            tokenizer_digest = str(info["tokenizer_digest"])
        except (WireError, KeyError, TypeError, ValueError) as exc:
            raise JudgeServerError(
                f"{self.url} is not a judge server of this version: {exc}"
            ) from None
        self._fingerprint: dict[str, Any] = fingerprint
        self.digest = fingerprint_digest(fingerprint)
        if info.get("fingerprint_digest") != self.digest:
            raise JudgeServerError(f"{self.url} sent a fingerprint that does not match its digest")
        check_fingerprint(f"the judge server {self.url}", fingerprint, expect_fingerprint)
        self.codec = TokenizerCodec(self._tokenizer(tokenizer_digest), self.vocab_size, self.name)

    def _tokenizer(self, digest: str) -> Any:
        answer = self.transport.get("/v1/tokenizer")
        try:
            files = {str(k): base64.b64decode(v, validate=True) for k, v in answer["files"].items()}
        except (KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise JudgeServerError(
                f"{self.url} sent a tokenizer that is not files ({exc})"
            ) from None
        if files_digest(files) != digest:
            raise JudgeServerError(
                f"{self.url} sent tokenizer files that do not match their digest"
            )
        return tokenizer_from_files(files)

    @classmethod
    def connect(cls, name: str, **options: Any) -> HttpJudge:
        """The backend factory of ``load_judge("http://...")``."""
        return cls(name, **options)

    def __repr__(self) -> str:
        return f"HttpJudge({self.url!r}, fingerprint {self.digest})"

    @property
    def fingerprint(self) -> dict[str, Any]:
        """The server's judge fingerprint (read once, checked on every answer)."""
        return dict(self._fingerprint)

    # -- codec (local) ---------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return self.codec.encode(text)

    def decode(self, ids: Sequence[int]) -> str:
        return self.codec.decode(ids)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return self.codec.token_strings(ids)

    # -- remote ------------------------------------------------------------------------------
    def _checked(self, answer: Any, path: str) -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise JudgeServerError(
                f"{self.url}{path} answered {type(answer).__name__}, not an object"
            )
        digest = answer.get("fingerprint_digest")
        if digest != self.digest:
            raise FingerprintMismatchError(
                f"the judge server {self.url} now serves another judge (fingerprint {digest}, "
                f"connected to {self.digest}); it was restarted with another model? Its "
                "answers are not used"
            )
        return answer

    def score(self, requests: Sequence[tuple[str, str]]) -> list[Score]:
        """Scores from the server, in requests of at most its ``max_items`` pairs."""
        out: list[Score] = []
        step = self.limits.max_items
        for start in range(0, len(requests), step):
            chunk = [list(pair) for pair in requests[start : start + step]]
            answer = self._checked(
                self.transport.post("/v1/score", {"requests": chunk}), "/v1/score"
            )
            try:
                out += decode_scores(answer.get("scores"), len(chunk))
            except WireError as exc:
                raise JudgeServerError(f"{self.url}/v1/score answered badly: {exc}") from None
        return out

    def generate(self, prompt: str, max_new_tokens: int, seed: int, **options: Any) -> str:
        """The server judge's continuation of ``prompt`` (the same text it gives in process)."""
        body = {
            "prompt": prompt,
            "max_new_tokens": int(max_new_tokens),
            "seed": int(seed),
            "options": {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()},
        }
        answer = self._checked(self.transport.post("/v1/generate", body), "/v1/generate")
        text = answer.get("text")
        if not isinstance(text, str):
            raise JudgeServerError(f"{self.url}/v1/generate answered no text")
        return text

    def close(self) -> None:
        """Close the connections."""
        self.transport.close()
