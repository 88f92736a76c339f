"""``TransformersJudge``: the scoring backend for any transformers causal LM.

How a request ``(text, prefix)`` is scored:

* ``text`` and ``prefix`` are tokenized separately and concatenated, so a text's tokens never
  depend on its prefix. The model's start token goes first (SmolLM2: id 0 ``<|endoftext|>``;
  GPT-2: 50256), so every token of the text is scored. With ``score_first_token=False`` the
  reference engine's convention is reproduced instead: no start token, and the first text token
  is left unscored.
* Rows are right-padded to a bucket length fixed by their own length and batched only with
  rows of their bucket (``xent_envs.judge.batching``), so a request gives the same floats
  whatever it is batched with.
* Whatever the model's dtype, the log-softmax and the sums are computed in float32, and only
  the positions that predict a scored token go through the output layer, in float32 (when the
  model's logits are a plain linear map of its last hidden state, checked once at load;
  otherwise the model's own logits are used, cast to float32).

De-duplication and the result cache are the wrapper's (:class:`~xent_envs.judge.cached.
CachedJudge`); this class computes raw scores only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from xent_envs.errors import ConfigError, ContextLengthError, JudgeError
from xent_envs.judge.backends import Option, boolean, choice, int_at_least
from xent_envs.judge.batching import pad_right, plan_batches
from xent_envs.judge.lm import CausalLM
from xent_envs.judge.sampling import Sampling, seeded_generator
from xent_envs.judge.tokenizer import TokenizerCodec
from xent_envs.score import Score

__all__ = ["CPU_DEFAULT_DTYPE", "TRANSFORMERS_OPTIONS", "Layout", "TransformersJudge"]

# Measured on a 2-core AVX-512 (with bf16) CPU for the scoring workload: bfloat16 794 scored
# tokens/s, float32 547 (benchmarks/README.md, "Judge").
CPU_DEFAULT_DTYPE = "bfloat16"
_LN2 = math.log(2.0)
_DTYPES = ("auto", "float32", "bfloat16", "float16")
_ROWS_PER_HEAD_CHUNK = 1024
# BLAS libraries compute a product of a few rows with other kernels than a product of many,
# which changes the last bits: the output layer always sees at least this many rows.
_MIN_HEAD_ROWS = 16


def _device(key: str, value: Any) -> str:
    """A check for the ``device`` option: ``"auto"`` or a torch device that exists here."""
    if value == "auto":
        return value
    import torch

    try:
        device = torch.device(value)
    except (RuntimeError, TypeError, ValueError):
        raise ConfigError(
            f"{key} must be 'auto' or a torch device like 'cpu', got {value!r}"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"{key}={value!r}, but CUDA is not available here; use 'cpu'")
    return str(value)


TRANSFORMERS_OPTIONS: dict[str, Option] = {
    "dtype": Option("auto", choice(*_DTYPES), "auto (bfloat16), float32, bfloat16 or float16"),
    "device": Option("auto", _device, "auto (CUDA when available, else CPU) or a torch device"),
    "max_tokens_per_batch": Option(4096, int_at_least(1), "padded tokens per forward pass"),
    "score_first_token": Option(True, boolean, "False: the reference engine's convention"),
}
"""The options of every transformers-backed judge (``load_judge(name, **options)``)."""


@dataclass(frozen=True)
class Layout:
    """The token row of one request and the index of its first scored token."""

    row: tuple[int, ...]
    first: int

    @property
    def scored(self) -> int:
        """How many tokens of the row are scored."""
        return len(self.row) - self.first


class TransformersJudge:
    """Raw scores and generation from a transformers causal LM (a :class:`ScoringBackend`).

    Args:
        lm: the model and tokenizer (``xent_envs.judge.lm.CausalLM``); moved to ``device``
            and ``dtype`` here.
        name: the judge's name (in the fingerprint).
        weights_sha256: hash of the weights, or ``revision``: the model's commit; one of
            them identifies the weights in the fingerprint.
        dtype: ``"auto"`` (bfloat16 on CUDA; on CPU :data:`CPU_DEFAULT_DTYPE`, chosen by
            measurement), ``"float32"``, ``"bfloat16"`` or ``"float16"``.
        device: ``"auto"`` (CUDA when available, else CPU) or any torch device string.
        max_tokens_per_batch: cap on padded tokens per forward pass (bounds memory).
        score_first_token: True (default): start token first, every text token scored. False:
            the reference engine's convention (first text token unscored).
        start_token_id: the token put first; default the tokenizer's BOS, else its EOS.

    Example:
        >>> from xent_envs.judge import load_judge
        >>> backend = load_judge("tiny-random-gpt2").backend
        >>> backend.layout(" world", "Hello").row
        (50256, 15496, 995)
    """

    def __init__(
        self,
        lm: CausalLM,
        *,
        name: str,
        weights_sha256: str | None = None,
        revision: str | None = None,
        dtype: str = "auto",
        device: str = "auto",
        max_tokens_per_batch: int = 4096,
        score_first_token: bool = True,
        start_token_id: int | None = None,
    ) -> None:
        import torch

        dtype = choice(*_DTYPES)("dtype", dtype)
        device = _device("device", device)
        max_tokens_per_batch = int_at_least(1)("max_tokens_per_batch", max_tokens_per_batch)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if dtype == "auto":
            dtype = "bfloat16" if str(device).startswith("cuda") else CPU_DEFAULT_DTYPE
        self.name = name
        self.device = torch.device(device)
        self.dtype = dtype
        self.max_tokens_per_batch = max_tokens_per_batch
        self.score_first_token = bool(score_first_token)
        lm.model.to(device=self.device, dtype=getattr(torch, dtype)).eval()
        self.lm = lm
        tokenizer = lm.tokenizer
        self.vocab_size = int(lm.model.get_output_embeddings().weight.shape[0])
        self.codec = TokenizerCodec(tokenizer, self.vocab_size, name)  # checks ids it decodes
        config = lm.model.config
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
        self._head = self._float32_head() if self._logits_are_linear_head() else None

    # -- identity ------------------------------------------------------------------------------

    @property
    def fingerprint(self) -> dict[str, Any]:
        """``{"model", "weights_sha256" or "revision", "dtype", "device", "convention",
        "start_token"}``; ``device`` names the GPU model on CUDA (kernels, hence the last
        bits, differ between devices)."""
        convention = "all-tokens" if self.score_first_token else "reference-first-token-unscored"
        return {
            "model": self.name,
            **self._weights,
            "dtype": self.dtype,
            "device": self._device_name(),
            "convention": convention,
            "start_token": self.start_token_id if self.score_first_token else None,
        }

    def _device_name(self) -> str:
        if self.device.type != "cuda":
            return self.device.type
        import torch

        return f"cuda ({torch.cuda.get_device_name(self.device)})"

    def __repr__(self) -> str:
        device = str(self.device)
        return f"TransformersJudge({self.name!r}, dtype={self.dtype!r}, device={device!r})"

    # -- codec ---------------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no start token)."""
        return self.codec.encode(text)

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``.

        Raises:
            JudgeRequestError: an id that is not an int in ``[0, vocab_size)``.
        """
        return self.codec.decode(ids)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """Readable string of each id (a byte fragment of a longer character shows as U+FFFD).

        Raises:
            JudgeRequestError: an id that is not an int in ``[0, vocab_size)``.
        """
        return self.codec.token_strings(ids)

    # -- scoring -------------------------------------------------------------------------------

    def layout(self, text: str, prefix: str) -> Layout:
        """The token row scored for ``(text, prefix)`` and where its scored tokens start.

        Raises:
            ContextLengthError: start token + prefix + text exceed the model's context.
        """
        return self._layout(self.encode(text), self.encode(prefix) if prefix else [])

    def _layout(self, text_ids: list[int], prefix_ids: list[int]) -> Layout:
        if self.score_first_token:
            row = (self.start_token_id, *prefix_ids, *text_ids)
            first = len(row) - len(text_ids)
        else:
            row = (*prefix_ids, *text_ids)
            first = len(row) - len(text_ids) + 1
        if len(row) > self.max_length:
            raise ContextLengthError(
                f"text and prefix take {len(row)} tokens (prefix {len(prefix_ids)}, text "
                f"{len(text_ids)}{', start 1' if self.score_first_token else ''}); the judge "
                f"{self.name!r} reads at most {self.max_length} tokens"
            )
        return Layout(row, first)

    def score(self, requests: Sequence[tuple[str, str]]) -> list[Score]:
        """Bits of every token of each text given its prefix (requests distinct, texts
        non-empty: see :class:`~xent_envs.judge.cached.CachedJudge`), in passes planned by
        ``xent_envs.judge.batching``."""
        strings = list(dict.fromkeys(s for request in requests for s in request if s))
        ids = dict(zip(strings, self._encode_all(strings)))
        layouts = [
            self._layout(ids[text], ids[prefix] if prefix else []) for text, prefix in requests
        ]
        scores: list[Score] = [Score()] * len(requests)
        live = [i for i, layout in enumerate(layouts) if layout.scored > 0]
        with self.lm.lock:
            for width, group in self.plan([layouts[i] for i in live]):
                members = [live[g] for g in group]
                bits = self.forward_bits([layouts[m] for m in members], width)
                for m, row_bits in zip(members, bits):
                    layout = layouts[m]
                    tokens = tuple(self.token_strings(layout.row[layout.first :]))
                    scores[m] = Score(tokens, tuple(row_bits))
        return scores

    def _encode_all(self, strings: list[str]) -> list[list[int]]:
        if not strings:
            return []
        encoded = self.lm.tokenizer(strings, add_special_tokens=False)
        return [list(ids) for ids in encoded["input_ids"]]

    def plan(self, layouts: Sequence[Layout]) -> list[tuple[int, list[int]]]:
        """The forward passes that score ``layouts``: ``(padded length, indices)`` each."""
        lengths = [len(layout.row) for layout in layouts]
        return plan_batches(lengths, self.max_tokens_per_batch, self.max_length)

    def forward_bits(self, layouts: Sequence[Layout], width: int) -> list[list[float]]:
        """One forward pass of ``layouts`` right-padded to ``width`` tokens; the bits of every
        scored token of every row."""
        import torch

        ids = pad_right([layout.row for layout in layouts], self.pad_token_id, width, self.device)
        # Position p predicts token p + 1: the scored tokens first..n-1 read positions
        # first-1..n-2.
        batch_index = torch.tensor(
            [r for r, layout in enumerate(layouts) for _ in range(layout.scored)],
            dtype=torch.long,
            device=self.device,
        )
        pos_index = torch.tensor(
            [p for layout in layouts for p in range(layout.first - 1, len(layout.row) - 1)],
            dtype=torch.long,
            device=self.device,
        )
        targets = ids[batch_index, pos_index + 1]
        model = self.lm.model
        with torch.inference_mode():
            # No attention mask: with right padding, causal attention already keeps padding
            # out of every real token's view, and every pass takes the same kernels.
            if self._head is not None:
                hidden = model.base_model(input_ids=ids, use_cache=False)[0]
                flat = self._head_bits(hidden[batch_index, pos_index], targets)
            else:
                logits = model(input_ids=ids, use_cache=False).logits
                flat = _bits(logits[batch_index, pos_index], targets)
        values = flat.cpu().tolist()
        out, start = [], 0
        for layout in layouts:
            out.append(values[start : start + layout.scored])
            start += layout.scored
        return out

    def _head_bits(self, picked: Any, targets: Any) -> Any:
        """Bits through the float32 output layer, in chunks of at most
        ``_ROWS_PER_HEAD_CHUNK`` rows (bounds the logits' memory), each padded to at least
        ``_MIN_HEAD_ROWS`` rows (so a row's floats never depend on how many rows it shares a
        chunk with)."""
        import torch

        assert self._head is not None
        weight, bias = self._head
        chunks = []
        for start in range(0, len(targets), _ROWS_PER_HEAD_CHUNK):
            rows = picked[start : start + _ROWS_PER_HEAD_CHUNK].float()
            n = len(rows)
            if n < _MIN_HEAD_ROWS:
                rows = torch.cat([rows, rows.new_zeros(_MIN_HEAD_ROWS - n, rows.shape[1])])
            logits = torch.nn.functional.linear(rows, weight, bias)[:n]
            chunks.append(_bits(logits, targets[start : start + n]))
        return torch.cat(chunks)

    def _float32_head(self) -> tuple[Any, Any]:
        # The output layer runs in float32 on the scored rows only: bf16 logits of size ~20
        # would be rounded to steps of 1/8 nat (0.18 bit) before any float32 log-softmax.
        head = self.lm.model.get_output_embeddings()
        bias = getattr(head, "bias", None)
        return head.weight.detach().float(), None if bias is None else bias.detach().float()

    def _logits_are_linear_head(self) -> bool:
        """Whether logits == output_layer(last hidden state) for this model (no soft-capping,
        scaling or the like), checked on a probe so any architecture stays correct."""
        import torch

        model = self.lm.model
        head = model.get_output_embeddings()
        if head is None or getattr(model, "base_model", None) is model:
            return False
        probe = torch.tensor([[self.start_token_id, 1, 2, 3]], device=self.device) % self.vocab_size
        try:
            with torch.inference_mode():
                full = model(input_ids=probe, use_cache=False).logits.float()
                mine = head(model.base_model(input_ids=probe, use_cache=False)[0]).float()
        except Exception:
            return False
        return bool(torch.allclose(full, mine, rtol=1e-3, atol=1e-3))

    # -- generation ----------------------------------------------------------------------------

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
        """Sample a continuation of ``prompt`` with a ``torch.Generator`` seeded by ``seed``
        alone (the global RNG is never touched), and return the new text only.

        Sampling stops after ``max_new_tokens`` tokens, at the start token or the tokenizer's
        end token (not
        before ``min_new_tokens``), or at the first string of ``stop`` (cut off before it).
        The same prompt, seed and options give the same text on the same machine and dtype.

        Raises:
            ConfigError: bad sampling options (``top_p=0``, ``temperature=nan``), a seed out of
                :data:`~xent_envs.judge.sampling.SEED_RANGE`, a negative token count, or an
                empty stop string.
            ContextLengthError: the prompt fills the model's context.
        """
        sampling = Sampling(temperature=temperature, top_k=top_k, top_p=top_p)
        generator = seeded_generator(seed)
        stops = (stop,) if isinstance(stop, str) else tuple(stop)
        if not all(isinstance(s, str) and s for s in stops):
            raise ConfigError(f"stop strings must be non-empty str, got {stops!r}")
        prompt_ids = [self.start_token_id, *self.encode(prompt)]
        if len(prompt_ids) > self.max_length:
            raise ContextLengthError(
                f"prompt takes {len(prompt_ids)} tokens; the judge {self.name!r} reads at most "
                f"{self.max_length}"
            )
        budget = min(int(max_new_tokens), self.max_length - len(prompt_ids))
        end_ids = {self.start_token_id, self.lm.tokenizer.eos_token_id} - {None}
        found: Callable[[list[int]], bool] | None = None
        if stops:

            def found(new: list[int]) -> bool:
                text = self.decode(new)
                return any(s in text for s in stops)

        new = self.lm.generate_ids(
            prompt_ids,
            budget,
            sampling=sampling,
            generator=generator,
            end_ids=end_ids,
            min_new_tokens=min_new_tokens,
            stop=found,
        )
        text = self.decode(new)
        cut = min((text.find(s) for s in stops if s in text), default=-1)
        return text[:cut] if cut >= 0 else text


def _bits(logits: Any, targets: Any) -> Any:
    import torch

    logprobs = torch.log_softmax(logits.float(), dim=-1)
    return -logprobs.gather(-1, targets[:, None])[:, 0] / _LN2
