"""``TransformersJudge``: any causal LM from transformers, scoring texts in bits, in batches.

How a request ``(text, prefix)`` is scored:

* ``text`` and ``prefix`` are tokenized separately and concatenated, so a text's tokens never
  depend on its prefix. The model's start token goes first (SmolLM2: id 0 ``<|endoftext|>``;
  GPT-2: 50256), so every token of the text is scored. With ``score_first_token=False`` the
  reference engine's convention is reproduced instead: no start token, and the first text token
  is left unscored.
* Requests are deduplicated, answered from a bounded LRU cache when possible, and the rest are
  packed into right-padded forward passes of at most ``max_tokens_per_batch`` padded tokens.
* Whatever the model's dtype, the log-softmax and the sums are computed in float32.
* Only the positions that predict a scored token go through the output layer, in float32 (when
  the model's logits are a plain linear map of its last hidden state, checked once at load;
  otherwise the model's own logits are used, cast to float32).

The same request on the same machine, dtype and batch gives the same floats; across batch
compositions results agree within 1e-4 bits per token in float32 (padding changes the shapes
the kernels see, not the maths).
"""

from __future__ import annotations

import inspect
import math
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xent_envs.errors import ConfigError, ContextLengthError, JudgeError, ModelNotFoundError
from xent_envs.judge.base import first_n_tokens, last_n_tokens
from xent_envs.judge.batching import pad_right, plan_batches
from xent_envs.judge.cache import LRUCache
from xent_envs.score import Score

__all__ = ["CPU_DEFAULT_DTYPE", "TransformersJudge", "clean_text"]

# Measured on a 2-core AVX-512 (with bf16) CPU for the scoring workload: bfloat16 794 scored
# tokens/s, float32 547 (benchmarks/README.md, "Judge").
CPU_DEFAULT_DTYPE = "bfloat16"
_LN2 = math.log(2.0)
_DTYPES = ("auto", "float32", "bfloat16", "float16")
_ROWS_PER_HEAD_CHUNK = 1024


def clean_text(value: str | bytes) -> str:
    """A str that encodes to UTF-8: bytes are decoded with U+FFFD for invalid sequences, and
    lone surrogates in a str become U+FFFD (a valid surrogate pair becomes its character)."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        raise TypeError(f"a judge scores str (or UTF-8 bytes), got {type(value).__name__}")
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class TransformersJudge:
    """A judge backed by a transformers causal LM.

    Args:
        model: a ``PreTrainedModel`` with a causal LM head.
        tokenizer: its tokenizer.
        name: the judge's name (in the fingerprint).
        weights_sha256: hash of the weights file, or ``revision``: the model's commit; one of
            them identifies the weights in the fingerprint.
        dtype: ``"auto"`` (bfloat16 on CUDA; on CPU :data:`CPU_DEFAULT_DTYPE`, chosen by
            measurement), ``"float32"``, ``"bfloat16"`` or ``"float16"``.
        device: ``"auto"`` (CUDA when available, else CPU) or any torch device string.
        max_tokens_per_batch: cap on padded tokens per forward pass (bounds memory).
        cache_size: results kept in the LRU cache (0 disables it).
        score_first_token: True (default): start token first, every text token scored. False:
            the reference engine's convention (first text token unscored).
        start_token_id: the token put first; default the tokenizer's BOS, else its EOS.

    Example:
        >>> from xent_envs.judge import load_judge
        >>> judge = load_judge("tiny-random-gpt2")
        >>> s = judge.xent(" world", prefix="Hello")
        >>> s.tokens
        (' world',)
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        name: str,
        weights_sha256: str | None = None,
        revision: str | None = None,
        dtype: str = "auto",
        device: str = "auto",
        max_tokens_per_batch: int = 4096,
        cache_size: int = 4096,
        score_first_token: bool = True,
        start_token_id: int | None = None,
    ) -> None:
        import torch

        if dtype not in _DTYPES:
            raise ConfigError(f"dtype must be one of {list(_DTYPES)}, got {dtype!r}")
        if int(max_tokens_per_batch) < 1:
            raise ConfigError(f"max_tokens_per_batch must be >= 1, got {max_tokens_per_batch}")
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if dtype == "auto":
            dtype = "bfloat16" if str(device).startswith("cuda") else CPU_DEFAULT_DTYPE
        self.name = name
        self.device = torch.device(device)
        self.dtype = dtype
        self.max_tokens_per_batch = int(max_tokens_per_batch)
        self.score_first_token = bool(score_first_token)
        self.tokenizer = tokenizer
        self.model = model.to(device=self.device, dtype=getattr(torch, dtype)).eval()
        self.vocab_size = int(self.model.get_output_embeddings().weight.shape[0])
        config = self.model.config
        self.max_length = int(
            getattr(config, "max_position_embeddings", None)
            or getattr(config, "n_positions", None)
            or tokenizer.model_max_length
        )
        if start_token_id is None:
            start_token_id = tokenizer.bos_token_id
            if start_token_id is None:
                start_token_id = tokenizer.eos_token_id
        if start_token_id is None:
            raise JudgeError(f"model {name!r} has no BOS or EOS token; pass start_token_id")
        self.start_token_id = int(start_token_id)
        self.pad_token_id = self.start_token_id
        self._weights = (
            {"weights_sha256": weights_sha256} if weights_sha256 else {"revision": revision}
        )
        self._cache: LRUCache[Score] = LRUCache(int(cache_size))
        self._token_text: dict[int, str] = {}
        self._lock = threading.RLock()
        self._head_only = self._logits_are_linear_head()
        if self._head_only:
            # The output layer runs in float32 on the scored rows only: bf16 logits of size ~20
            # would be rounded to steps of 1/8 nat (0.18 bit) before any float32 log-softmax.
            head = self.model.get_output_embeddings()
            bias = getattr(head, "bias", None)
            self._head_f32 = (
                head.weight.detach().float(),
                None if bias is None else bias.detach().float(),
            )

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str,
        *,
        name: str | None = None,
        weights_sha256: str | None = None,
        revision: str | None = None,
        **options: Any,
    ) -> TransformersJudge:
        """Load a causal LM by Hugging Face id or local folder (``**options`` as in
        ``__init__``). Raises ``ModelNotFoundError`` when it cannot be found (offline, typo)."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        dtype = options.get("dtype", "auto")
        # "auto" loads in the checkpoint's dtype; __init__ casts once the device is known.
        load_dtype = getattr(torch, dtype) if dtype in _DTYPES[1:] else None
        try:
            tokenizer = AutoTokenizer.from_pretrained(name_or_path, revision=revision)
            model = AutoModelForCausalLM.from_pretrained(
                name_or_path, revision=revision, dtype=load_dtype
            )
        except (OSError, ValueError) as exc:
            raise ModelNotFoundError(f"cannot load model {name_or_path!r}: {exc}") from exc
        if weights_sha256 is None and revision is None:
            revision = getattr(model.config, "_commit_hash", None)
            if revision is None and os.path.isdir(name_or_path):
                weights_sha256 = _folder_weights_sha256(Path(name_or_path))
        return cls(
            model,
            tokenizer,
            name=name or name_or_path,
            weights_sha256=weights_sha256,
            revision=revision,
            **options,
        )

    # -- identity ----------------------------------------------------------------------------

    @property
    def fingerprint(self) -> dict[str, Any]:
        """``{"model", "weights_sha256" or "revision", "dtype", "convention", "start_token"}``."""
        convention = "all-tokens" if self.score_first_token else "reference-first-token-unscored"
        return {
            "model": self.name,
            **self._weights,
            "dtype": self.dtype,
            "convention": convention,
            "start_token": self.start_token_id if self.score_first_token else None,
        }

    def __repr__(self) -> str:
        device = str(self.device)
        return f"TransformersJudge({self.name!r}, dtype={self.dtype!r}, device={device!r})"

    # -- codec -------------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no start token)."""
        return list(self.tokenizer(clean_text(text), add_special_tokens=False)["input_ids"])

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``."""
        return self.tokenizer.decode([int(i) for i in ids])

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """Readable string of each id (a byte fragment of a longer character shows as U+FFFD)."""
        out = []
        for i in ids:
            text = self._token_text.get(int(i))
            if text is None:
                text = self._token_text[int(i)] = self.tokenizer.decode([int(i)])
            out.append(text)
        return out

    def first_n_tokens(self, text: str, n: int) -> str:
        """``text`` cut to its first ``n`` tokens (unchanged when it has no more)."""
        return first_n_tokens(self, text, n)

    def last_n_tokens(self, text: str, n: int) -> str:
        """``text`` cut to its last ``n`` tokens (unchanged when it has no more)."""
        return last_n_tokens(self, text, n)

    # -- scoring -----------------------------------------------------------------------------

    def xent(self, text: str, prefix: str = "") -> Score:
        """Cross-entropy of ``text`` given ``prefix``, in bits per token."""
        return self.score_batch([(text, prefix)])[0]

    def score_batch(self, requests: Sequence[tuple[str, str]]) -> list[Score]:
        """Score every ``(text, prefix)``; one ``Score`` per request, in order.

        Empty texts score ``Score()`` without a model call; repeated and cached requests are
        computed once.

        Raises:
            ContextLengthError: start token + prefix + text exceed the model's context.
        """
        results: list[Score | None] = [None] * len(requests)
        pending: dict[tuple[str, str], list[int]] = {}
        for index, (text, prefix) in enumerate(requests):
            key = (clean_text(text), clean_text(prefix))
            if not key[0]:
                results[index] = Score()
                continue
            cached = self._cache.get(key)
            if cached is not None:
                results[index] = cached
            else:
                pending.setdefault(key, []).append(index)
        if pending:
            with self._lock:
                scores = self._score_uncached(list(pending))
            for key, score in zip(pending, scores):
                self._cache.put(key, score)
                for index in pending[key]:
                    results[index] = score
        return results  # type: ignore[return-value]

    def cache_info(self) -> dict[str, int]:
        """Size, capacity, hits and misses of the result cache."""
        return self._cache.info()

    def clear_cache(self) -> None:
        """Forget cached results (e.g. between maps)."""
        self._cache.clear()

    def _layout(self, text: str, prefix: str) -> tuple[list[int], int]:
        """Token row for a request and the index of its first scored token."""
        text_ids = self.encode(text)
        prefix_ids = self.encode(prefix) if prefix else []
        if self.score_first_token:
            row = [self.start_token_id, *prefix_ids, *text_ids]
            first = len(row) - len(text_ids)
        else:
            row = [*prefix_ids, *text_ids]
            first = len(row) - len(text_ids) + 1
        if len(row) > self.max_length:
            raise ContextLengthError(
                f"text and prefix take {len(row)} tokens (prefix {len(prefix_ids)}, text "
                f"{len(text_ids)}{', start 1' if self.score_first_token else ''}); the judge "
                f"{self.name!r} reads at most {self.max_length} tokens"
            )
        return row, first

    def _score_uncached(self, requests: list[tuple[str, str]]) -> list[Score]:
        layouts = [self._layout(text, prefix) for text, prefix in requests]
        scores: list[Score] = [Score()] * len(requests)
        live = [i for i, (row, first) in enumerate(layouts) if first < len(row)]
        lengths = [len(layouts[i][0]) for i in live]
        for group in plan_batches(lengths, self.max_tokens_per_batch):
            members = [live[g] for g in group]
            bits = self._forward_bits([layouts[m] for m in members])
            for m, row_bits in zip(members, bits):
                row, first = layouts[m]
                scores[m] = Score(tuple(self.token_strings(row[first:])), tuple(row_bits))
        return scores

    def _forward_bits(self, layouts: list[tuple[list[int], int]]) -> list[list[float]]:
        """One padded forward pass; the bits of every scored token of every row."""
        import torch

        rows = [row for row, _ in layouts]
        ids, mask = pad_right(rows, self.pad_token_id, self.device)
        # Position p predicts token p + 1: the scored tokens first..n-1 read positions
        # first-1..n-2.
        batch_index = torch.cat(
            [
                torch.full((len(row) - first,), r, dtype=torch.long)
                for r, (row, first) in enumerate(layouts)
            ]
        ).to(self.device)
        pos_index = torch.cat([torch.arange(first - 1, len(row) - 1) for row, first in layouts]).to(
            self.device
        )
        targets = ids[batch_index, pos_index + 1]
        with torch.inference_mode():
            if self._head_only:
                hidden = self.model.base_model(input_ids=ids, attention_mask=mask)[0]
                picked = hidden[batch_index, pos_index].float()
                weight, bias = self._head_f32
                step = _ROWS_PER_HEAD_CHUNK
                chunks = [
                    self._bits(
                        torch.nn.functional.linear(picked[s : s + step], weight, bias),
                        targets[s : s + step],
                    )
                    for s in range(0, len(targets), step)
                ]
                flat = torch.cat(chunks)
            else:
                logits = self.model(input_ids=ids, attention_mask=mask).logits
                flat = self._bits(logits[batch_index, pos_index], targets)
        values = flat.cpu().tolist()
        out, start = [], 0
        for row, first in layouts:
            out.append(values[start : start + len(row) - first])
            start += len(row) - first
        return out

    @staticmethod
    def _bits(logits: Any, targets: Any) -> Any:
        import torch

        logprobs = torch.log_softmax(logits.float(), dim=-1)
        return -logprobs.gather(-1, targets[:, None])[:, 0] / _LN2

    def _logits_are_linear_head(self) -> bool:
        """Whether logits == output_layer(last hidden state) for this model (no soft-capping,
        scaling or the like), checked on a probe so any architecture stays correct."""
        import torch

        head = self.model.get_output_embeddings()
        if head is None or getattr(self.model, "base_model", None) is self.model:
            return False
        probe = torch.tensor([[self.start_token_id, 1, 2, 3]], device=self.device) % self.vocab_size
        try:
            with torch.inference_mode():
                full = self.model(input_ids=probe).logits.float()
                hidden = self.model.base_model(input_ids=probe)[0]
                mine = head(hidden).float()
        except Exception:
            return False
        return bool(torch.allclose(full, mine, rtol=1e-3, atol=1e-3))

    # -- generation --------------------------------------------------------------------------

    def generate(
        self,
        prompt: str,
        max_new_tokens: int,
        seed: int,
        *,
        temperature: float = 1.0,
        top_k: int = 50,
        top_p: float = 0.95,
        stop: Sequence[str] = (),
        min_new_tokens: int = 0,
    ) -> str:
        """Sample a continuation of ``prompt`` with a ``torch.Generator`` seeded by ``seed``
        alone (the global RNG is never touched), and return the new text only.

        Sampling stops after ``max_new_tokens`` tokens, at the model's start/end token (not
        before ``min_new_tokens``), or at the first string of ``stop`` (cut off before it).
        The same prompt, seed and options give the same text on the same machine and dtype.
        """
        import torch

        generator = torch.Generator(device="cpu").manual_seed(int(seed))
        prompt_ids = [self.start_token_id, *self.encode(prompt)]
        budget = min(int(max_new_tokens), self.max_length - len(prompt_ids))
        if budget < 0:
            raise ContextLengthError(
                f"prompt takes {len(prompt_ids)} tokens; the judge {self.name!r} reads at most "
                f"{self.max_length}"
            )
        end_ids = {self.start_token_id, self.tokenizer.eos_token_id}
        new: list[int] = []
        # transformers 5 renamed `past_key_values` to `cache`; accept both generations.
        cache_arg = (
            "cache"
            if "cache" in inspect.signature(self.model.forward).parameters
            else ("past_key_values")
        )
        past = None
        step_ids = torch.tensor([prompt_ids], device=self.device)
        with self._lock, torch.inference_mode():
            while len(new) < budget:
                out = self.model(input_ids=step_ids, use_cache=True, **{cache_arg: past})
                past = getattr(out, cache_arg)
                logits = out.logits[0, -1].float().cpu()
                if len(new) < min_new_tokens:
                    logits[[i for i in end_ids if i is not None]] = -math.inf
                token = _sample(logits, generator, temperature, top_k, top_p)
                if token in end_ids:
                    break
                new.append(token)
                if stop:
                    text = self.decode(new)
                    cut = min((text.find(s) for s in stop if s in text), default=-1)
                    if cut >= 0:
                        return text[:cut]
                step_ids = torch.tensor([[token]], device=self.device)
        return self.decode(new)


def _sample(logits: Any, generator: Any, temperature: float, top_k: int, top_p: float) -> int:
    """One token id from float32 CPU ``logits`` (greedy when ``temperature <= 0``)."""
    import torch

    if temperature <= 0:
        return int(torch.argmax(logits))
    k = top_k if 0 < top_k < logits.numel() else logits.numel()
    # topk returns the k best in descending order, so top-p works on k values, not the vocab.
    values, order = torch.topk(logits / temperature, k)
    probs = torch.softmax(values, dim=-1)
    if top_p < 1.0:
        # Keep the smallest head of the distribution whose mass reaches top_p.
        probs = probs.masked_fill(torch.cumsum(probs, dim=-1) - probs >= top_p, 0.0)
    return int(order[torch.multinomial(probs, 1, generator=generator)])


def _folder_weights_sha256(folder: Path) -> str | None:
    """One hash over a local model folder's weight files (name and content, sorted)."""
    import hashlib

    from xent_envs.judge.convert import sha256_file

    files = sorted(p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin"))
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.name}:{sha256_file(path)}\n".encode())
    return digest.hexdigest()
