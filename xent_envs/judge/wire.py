"""The protocol of ``xent-envs serve-judge``: routes, limits and the JSON both sides read.

Version :data:`PROTOCOL` of the protocol, all JSON (floats written by ``repr``, so bits cross
the wire exactly; ``NaN`` and infinities are refused on both sides):

``GET /v1/judge``
    ``{"protocol", "name", "fingerprint", "fingerprint_digest", "vocab_size",
    "tokenizer_digest", "limits"}``: who the judge is. A client compares ``fingerprint`` with
    the one its run expects before it scores anything.
``GET /v1/tokenizer``
    ``{"digest", "files": {name: base64}}``: the tokenizer, so that clients tokenize locally.
``POST /v1/score``
    ``{"requests": [[text, prefix], ...]}`` -> ``{"fingerprint_digest", "scores": [{"tokens":
    [...], "bits": [...]}, ...]}``, one score per request, in order. Requests of concurrent
    clients are answered together (:mod:`xent_envs.judge.microbatch`).
``POST /v1/generate``
    ``{"prompt", "max_new_tokens", "seed", "options": {...}}`` -> ``{"fingerprint_digest",
    "text"}``; options as ``Judge.generate`` takes them.
``GET /v1/stats``
    Counters of the batching queue (requests, batches, items, queued).

Every answer to a scoring or generation call carries the fingerprint's digest, so a client
notices a server restarted with another model mid-run. An error is ``{"error": {"type",
"message"}}`` with status 400 (the request cannot be answered: ``ContextLengthError``,
``JudgeRequestError``, ``ConfigError``), 401, 413 (over a limit), 422 (not this protocol's
JSON) or 503 (the queue is full: retry later).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from xent_envs.score import Score

__all__ = [
    "PROTOCOL",
    "Limits",
    "WireError",
    "decode_scores",
    "dumps",
    "encode_scores",
    "fingerprint_digest",
    "loads",
]

PROTOCOL = 1
"""Version of the routes and JSON above; a client refuses a server of another version."""


class WireError(ValueError):
    """A message that is not what the protocol says (the caller turns it into its own error
    with the server's name)."""


@dataclass(frozen=True)
class Limits:
    """What one request may hold; a server refuses more (413), a client splits its batches.

    Attributes:
        max_items: ``(text, prefix)`` pairs per scoring request.
        max_text_chars: characters of one text or prefix (a judge reads a few thousand
            tokens; a longer string is a mistake or an attack).
        max_body_bytes: bytes of one request body.
        max_new_tokens: tokens one generation may ask for.
    """

    max_items: int = 2048
    max_text_chars: int = 100_000
    max_body_bytes: int = 16 * 2**20
    max_new_tokens: int = 4096

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Limits:
        """Limits read from a server's answer.

        Raises:
            WireError: not an object of positive ints for every field.
        """
        if not isinstance(data, Mapping):
            raise WireError(f"limits must be an object, got {type(data).__name__}")
        values = {}
        for f in fields(cls):
            value = data.get(f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise WireError(f"limit {f.name} must be a positive int, got {value!r}")
            values[f.name] = value
        return cls(**values)


def fingerprint_digest(fingerprint: Mapping[str, Any]) -> str:
    """16 hex digits naming a fingerprint (canonical JSON, sha256).

    >>> fingerprint_digest({"model": "m", "dtype": "float32"})
    '1f18d58774d45349'
    """
    blob = json.dumps(dict(fingerprint), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def dumps(data: Any) -> bytes:
    """Compact JSON bytes; a non-finite float raises ``ValueError``."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _no_constant(name: str) -> Any:
    raise WireError(f"{name} is not a number this protocol sends")


def loads(raw: bytes) -> Any:
    """JSON of ``raw``, refusing ``NaN`` and ``Infinity``.

    Raises:
        WireError: not UTF-8 JSON.
    """
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        excerpt = raw[:120].decode("utf-8", "replace")
        raise WireError(f"not JSON ({exc}): {excerpt!r}") from None


def encode_scores(scores: Sequence[Score]) -> list[dict[str, list[Any]]]:
    """Scores as the protocol sends them."""
    return [{"tokens": list(s.tokens), "bits": list(s.bits)} for s in scores]


def decode_scores(data: Any, expected: int) -> list[Score]:
    """The ``expected`` scores of an answer's ``"scores"`` list, checked.

    Raises:
        WireError: not a list of ``expected`` objects with as many token strings as finite
            numbers.
    """
    if not isinstance(data, list) or len(data) != expected:
        got = f"{len(data)} scores" if isinstance(data, list) else type(data).__name__
        raise WireError(f"expected a list of {expected} scores, got {got}")
    out = []
    for index, item in enumerate(data):
        if not isinstance(item, Mapping):
            raise WireError(f"score {index} is not an object")
        tokens, bits = item.get("tokens"), item.get("bits")
        if not (isinstance(tokens, list) and all(isinstance(t, str) for t in tokens)):
            raise WireError(f"score {index}: tokens must be a list of strings")
        if not (
            isinstance(bits, list)
            and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bits)
            and all(math.isfinite(b) for b in bits)
        ):
            raise WireError(f"score {index}: bits must be a list of finite numbers")
        if len(tokens) != len(bits):
            raise WireError(f"score {index}: {len(tokens)} tokens but {len(bits)} values")
        out.append(Score(tuple(tokens), tuple(float(b) for b in bits)))
    return out
