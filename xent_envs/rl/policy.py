"""Trainable policies: what samples moves, scores its own samples, and is saved.

Two kinds share one small contract (:class:`Policy`), so the GRPO loop, the evaluation agent
and the tests drive both the same way:

- :class:`LMPolicy`: a causal language model (SmolLM2-135M-Instruct by default), with LoRA
  adapters or fully fine-tuned. It reads the observation through the prompt of
  :mod:`xent_envs.rl.prompts` and writes a text move.
- :class:`TokenTablePolicy`: a table of logits, one row per move position, over a few hundred
  judge token ids. It ignores the observation, so it can only learn a fixed map; it makes
  learning checkable in seconds (tests, the credit benchmark).

Compute on a CPU is spent where the group shares work: every completion of a GRPO group
continues the same prompt, so :class:`LMPolicy` runs the prompt through the model once and
continues its key/value cache for all completions, when sampling and when computing
log-probabilities with gradients (``benchmarks/rl.py`` measures the saving).

Names (``load_policy``): ``token-table``, a judge name (``smollm2-135m``,
``tiny-random-gpt2``: the judge's weights, copied), or a Hugging Face model id or local folder.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from xent_envs.errors import ConfigError, UnknownNameError, unknown_name
from xent_envs.rl.prompts import parse_move, render_prompt

if TYPE_CHECKING:
    import torch

    from xent_envs.judge.base import Judge

__all__ = [
    "POLICY_NAMES",
    "LMPolicy",
    "Policy",
    "Sample",
    "TokenTablePolicy",
    "check_policy",
    "load_policy",
]

#: Names ``load_policy`` knows besides Hugging Face ids and folders.
POLICY_NAMES = ("smollm2-135m", "tiny-random-gpt2", "token-table")

#: A policy's completion: its own token ids (the LM's tokenizer, or the table's positions).
Sample = tuple[int, ...]


class Policy(Protocol):
    """What the GRPO loop and the evaluation agent need from a policy.

    ``prompt`` turns an observation into the policy's input; ``sample`` draws completions of
    one prompt (all sharing it); ``move`` turns a completion into the game move, a ``str``
    when ``text_moves`` (played with ``Match.play_text``) else judge token ids;
    ``log_probs`` gives each completion token's log-probability (with gradients unless in
    ``reference()``, which is the policy before training: the KL anchor and the "before"
    player of the evaluation).
    """

    text_moves: bool

    def prompt(self, observation: str, info: Mapping[str, Any]) -> Any:
        """The policy's input for ``observation`` (hashable: equal prompts share work)."""
        ...

    def sample(
        self, prompt: Any, n: int, generator: torch.Generator | None, greedy: bool = False
    ) -> list[Sample]:
        """``n`` completions of ``prompt`` (``greedy``: the most likely one, ``n`` times)."""
        ...

    def move(self, completion: Sample) -> str | list[int]:
        """The game move a completion stands for."""
        ...

    def log_probs(
        self, prompt: Any, completions: Sequence[Sample]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(log_probs, mask)``, both ``[n, longest]``: each token's log-probability."""
        ...

    def reference(self) -> contextlib.AbstractContextManager[None]:
        """Within the block, the policy is the untrained one (no gradients needed)."""
        ...

    def parameters(self) -> list[torch.nn.Parameter]:
        """The trainable parameters."""
        ...

    def save(self, folder: Path) -> None:
        """Write the trainable weights into ``folder``."""
        ...

    def load(self, folder: Path) -> None:
        """Read back what ``save`` wrote."""
        ...


def check_policy(name: str, options: Mapping[str, Any]) -> None:
    """Refuse an unknown policy name or option before anything is loaded or written.

    A name is known when it is one of :data:`POLICY_NAMES`, a judge name, a local folder,
    or a Hugging Face ``org/name`` id (with ``HF_HUB_OFFLINE=1``, one in the local cache).

    Raises:
        UnknownNameError: an unknown name (the message lists the known ones).
        ConfigError: an option the policy does not take.
    """
    if not _known_model(name):
        raise UnknownNameError(
            unknown_name("policy", name, POLICY_NAMES)
            + " Or name a model folder or a cached Hugging Face model id (org/name)."
        )
    factory: Any = TokenTablePolicy if name == "token-table" else LMPolicy
    parameters = inspect.signature(factory).parameters
    for key in options:
        if key not in parameters or key in ("name", "judge", "seed"):
            valid = [p for p in parameters if p not in ("self", "name", "judge", "seed")]
            raise ConfigError(unknown_name("policy option", key, valid, f" of {name!r}"))


def load_policy(name: str, judge: Judge, *, seed: int = 0, **options: Any) -> Policy:
    """The policy called ``name``, built for ``judge``'s game (``options`` go to its class);
    ``seed`` draws a language model's initial adapter weights (a table starts at zero).

    Raises:
        UnknownNameError: ``name`` is neither a known policy nor a model id or folder that
            loads offline (the message lists the known names).
        ConfigError: an option the policy does not take.
    """
    check_policy(name, options)
    if name == "token-table":
        return TokenTablePolicy(judge, **options)
    return LMPolicy(name, seed=seed, **options)


def _known_model(name: str) -> bool:
    from xent_envs.judge import known_judges

    if name in POLICY_NAMES or name in known_judges() or Path(name).is_dir():
        return True
    if name.count("/") != 1:
        return False
    from huggingface_hub import try_to_load_from_cache

    try:
        cached = try_to_load_from_cache(name, "config.json")
    except ValueError:  # not a valid repository id
        return False
    return isinstance(cached, str) or os.environ.get("HF_HUB_OFFLINE") != "1"


# --------------------------------------------------------------------- language models
class _ReferenceSwitch:
    """``reference()``: a block in which the policy answers as its frozen starting point (the
    KL term's reference), shared by every policy here."""

    _in_reference = False

    @contextlib.contextmanager
    def reference(self) -> Iterator[None]:
        self._in_reference = True
        try:
            yield
        finally:
            self._in_reference = False


class LMPolicy(_ReferenceSwitch):
    """A causal LM as a policy, trained through LoRA adapters (``lora=True``) or fully.

    Args:
        name: ``smollm2-135m`` or ``tiny-random-gpt2`` (a copy of that judge's weights, so
            nothing is downloaded), or a Hugging Face model id or local folder.
        lora: train LoRA adapters on every linear layer (the base stays frozen, in
            ``dtype``); ``False`` trains every weight, in float32.
        lora_rank, lora_alpha: the adapters' rank and scale.
        dtype: the frozen base's dtype with LoRA (``"bfloat16"`` halves the work on CPUs
            with bf16 units; ``"float32"`` for exact arithmetic).
        temperature: sampling temperature of training completions.
        max_new_tokens: most tokens a completion may have; default the move's budget + 4
            (the closing quote, and a tokenizer other than the judge's).
        prefill: start the answer with ``Move: "`` (see :mod:`xent_envs.rl.prompts`).
        seed: draws the adapters' initial weights (peft's scheme: Kaiming-uniform ``A``,
            zero ``B``, so the untrained policy is the base model exactly).
    """

    text_moves = True

    def __init__(
        self,
        name: str = "smollm2-135m",
        *,
        lora: bool = True,
        lora_rank: int = 16,
        lora_alpha: int = 32,
        dtype: str = "bfloat16",
        temperature: float = 1.0,
        max_new_tokens: int | None = None,
        prefill: bool = True,
        seed: int = 0,
    ) -> None:
        import torch

        if dtype not in ("bfloat16", "float32"):
            raise ConfigError(f"dtype must be 'bfloat16' or 'float32', got {dtype!r}")
        if not temperature > 0:
            raise ConfigError(f"temperature must be above 0, got {temperature!r}")
        self.name = name
        self.lora = lora
        self.temperature = float(temperature)
        self.max_new_tokens = max_new_tokens
        self.prefill = prefill
        # Building modules draws weights from torch's global generator; fork it so the
        # caller's stream is untouched, and draw the adapters from ``seed`` alone.
        with torch.random.fork_rng(devices=[]):
            model, self.tokenizer = _load_lm(name)
            if lora:
                model = _with_adapters(model, getattr(torch, dtype), lora_rank, lora_alpha, seed)
                self._reference_model: Any = None
            else:
                model = model.float()
                self._reference_model = copy.deepcopy(model).eval().requires_grad_(False)
        self.model = model.eval()  # no dropout: sampling and training see the same model
        base = model.get_base_model() if lora else model
        forward = inspect.signature(base.forward).parameters
        self._cache_arg = "cache" if "cache" in forward else "past_key_values"
        self._keep_last = {"logits_to_keep": 1} if "logits_to_keep" in forward else {}
        ends = {self.tokenizer.eos_token_id, getattr(base.generation_config, "eos_token_id", None)}
        flat = {e for x in ends for e in (x if isinstance(x, list) else [x])}
        self._end_ids = {int(e) for e in flat if e is not None}
        self._pad_id = min(self._end_ids) if self._end_ids else 0
        self._in_reference = False

    # -- the contract ----------------------------------------------------------------------
    def prompt(self, observation: str, info: Mapping[str, Any]) -> tuple[tuple[int, ...], int]:
        """``(prompt token ids, most new tokens)``."""
        text = render_prompt(self.tokenizer, observation, info, self.prefill)
        ids = tuple(self.tokenizer(text, add_special_tokens=False)["input_ids"])
        budget = self.max_new_tokens or int(info.get("max_tokens", 16)) + 4
        return ids, budget

    def move(self, completion: Sample) -> str:
        return parse_move(self.tokenizer.decode(list(completion)), self.prefill)

    def sample(
        self,
        prompt: tuple[tuple[int, ...], int],
        n: int,
        generator: torch.Generator | None,
        greedy: bool = False,
    ) -> list[Sample]:
        import torch

        ids, budget = prompt
        done = [False] * n
        out: list[list[int]] = [[] for _ in range(n)]
        with torch.no_grad(), self._mode():
            result = self._forward(torch.tensor([ids]), None, last_only=True)
            cache = self._cache_of(result)
            if n > 1:
                cache.batch_repeat_interleave(n)
            logits = result.logits[:, -1].float().expand(n, -1)
            for _ in range(budget):
                if greedy:
                    picks = torch.argmax(logits, dim=-1)
                else:
                    probs = torch.softmax(logits / self.temperature, dim=-1)
                    picks = torch.multinomial(probs, 1, generator=generator)[:, 0]
                for i, token in enumerate(picks.tolist()):
                    if done[i]:
                        continue
                    out[i].append(int(token))
                    done[i] = self._ends(out[i])
                if all(done):
                    break
                step = torch.tensor([[o[-1] if not d else self._pad_id] for o, d in zip(out, done)])
                result = self._forward(step, cache, last_only=True)
                cache = self._cache_of(result)
                logits = result.logits[:, -1].float()
        return [tuple(o) for o in out]

    def log_probs(
        self, prompt: tuple[tuple[int, ...], int], completions: Sequence[Sample]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Each completion token's log-probability given the prompt: the prompt is run once
        (with gradients) and its cache continued by every completion."""
        import torch

        ids, _ = prompt
        n = len(completions)
        longest = max([1, *(len(c) for c in completions)])
        tokens = torch.full((n, longest), self._pad_id, dtype=torch.long)
        mask = torch.zeros((n, longest), dtype=torch.bool)
        for i, c in enumerate(completions):
            tokens[i, : len(c)] = torch.tensor(c, dtype=torch.long)
            mask[i, : len(c)] = True
        grad = not self._in_reference
        with torch.set_grad_enabled(grad), self._mode():
            head = self._forward(torch.tensor([ids]), None, last_only=True)
            logits = head.logits[:, -1:].expand(n, 1, -1)
            if longest > 1:
                cache = self._cache_of(head)
                cache.batch_repeat_interleave(n)
                tail = self._forward(tokens[:, :-1], cache, last_only=False)
                logits = torch.cat([logits, tail.logits], dim=1)
            logp = torch.log_softmax(logits.float(), dim=-1)
            picked = logp.gather(-1, tokens[..., None])[..., 0]
        return picked.masked_fill(~mask, 0.0), mask

    def parameters(self) -> list[torch.nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def save(self, folder: Path) -> None:
        if self.lora:
            self.model.save_pretrained(str(folder))
        else:
            self.model.save_pretrained(str(folder), safe_serialization=True)
        self.tokenizer.save_pretrained(str(folder))

    def load(self, folder: Path) -> None:
        if self.lora:
            from peft import set_peft_model_state_dict
            from peft.utils import load_peft_weights

            set_peft_model_state_dict(self.model, load_peft_weights(str(folder), device="cpu"))
        else:
            from safetensors.torch import load_file

            state: dict[str, Any] = {}
            for path in sorted(Path(folder).glob("*.safetensors")):
                state.update(load_file(str(path)))
            self.model.load_state_dict(state, strict=False)

    # -- internals -------------------------------------------------------------------------
    @contextlib.contextmanager
    def _mode(self) -> Iterator[None]:
        """The reference model inside ``reference()``: the base without adapters (LoRA), or
        the frozen copy made at load time (full fine-tuning)."""
        if not self._in_reference:
            yield
        elif self.lora:
            with self.model.disable_adapter():
                yield
        else:
            yield

    def _forward(self, input_ids: Any, cache: Any, last_only: bool) -> Any:
        model: Any = self.model
        if self._in_reference and self._reference_model is not None:
            model = self._reference_model
        extra = self._keep_last if last_only else {}
        kwargs = {self._cache_arg: cache} if cache is not None else {}
        return model(input_ids=input_ids, use_cache=True, **kwargs, **extra)

    def _cache_of(self, result: Any) -> Any:
        cache = result.get("cache")
        return result.get("past_key_values") if cache is None else cache

    def _ends(self, completion: list[int]) -> bool:
        if completion[-1] in self._end_ids:
            return True
        text = self.tokenizer.decode(completion)
        return ('"' in text or "\n" in text) if self.prefill else "\n" in text.strip()


def _with_adapters(model: Any, dtype: Any, rank: int, alpha: int, seed: int) -> Any:
    """``model`` frozen in ``dtype`` with LoRA adapters on every linear layer, ``A`` drawn
    as peft draws it (Kaiming-uniform) but from a generator seeded by ``seed``."""
    import math

    import torch
    from peft import LoraConfig, get_peft_model

    model = model.to(dtype).requires_grad_(False)
    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0, target_modules="all-linear")
    model = get_peft_model(model, config)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, module in sorted(model.named_modules()):
            if name.endswith("lora_A.default"):
                torch.nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
    return model


def _load_lm(name: str) -> tuple[Any, Any]:
    """A private, trainable copy of the model called ``name`` and its tokenizer."""
    from xent_envs.judge import known_judges
    from xent_envs.judge.lm import load_causal_lm

    if name in known_judges():
        try:
            lm = load_causal_lm(name)  # the judge's own model: in memory once, never downloaded
        except ConfigError as exc:
            raise ConfigError(
                f"the judge {name!r} has no local weights to train (a remote backend?); "
                "name the policy by a model id or folder instead"
            ) from exc
        return copy.deepcopy(lm.model), lm.tokenizer
    from transformers import AutoModelForCausalLM, AutoTokenizer

    offline = os.environ.get("HF_HUB_OFFLINE") == "1" or not Path(name).exists()
    try:
        tokenizer = AutoTokenizer.from_pretrained(name, local_files_only=offline)
        model = AutoModelForCausalLM.from_pretrained(name, local_files_only=offline)
    except (OSError, ValueError) as exc:
        raise UnknownNameError(
            unknown_name("policy", name, POLICY_NAMES)
            + f" (it is no model id or folder that loads offline either: {exc})"
        ) from None
    return model, tokenizer


# --------------------------------------------------------------------- a table of logits
class TokenTablePolicy(_ReferenceSwitch):
    """Independent categorical choices, one per move position, over ``vocab`` judge ids
    (``first_id`` to ``first_id + vocab - 1``). Blind to the observation: it learns the best
    fixed move of the maps it trains on.

    Args:
        judge: the judge whose token ids the moves are.
        vocab: how many ids the policy chooses among.
        first_id: the first of them.
        length: tokens per move (default: the move's budget, up to ``max_length``).
        temperature: sampling temperature of training completions.
        max_length: rows of the table (the longest move it can write).
    """

    text_moves = False

    def __init__(
        self,
        judge: Judge,
        *,
        vocab: int = 256,
        first_id: int = 256,
        length: int | None = None,
        temperature: float = 1.0,
        max_length: int = 64,
    ) -> None:
        import torch

        if not vocab >= 1 or first_id < 0 or first_id + vocab > judge.vocab_size:
            raise ConfigError(
                f"the token table's ids [{first_id}, {first_id + vocab}) must lie in the "
                f"judge's vocabulary [0, {judge.vocab_size})"
            )
        if length is not None and not 1 <= length <= max_length:
            raise ConfigError(f"length must be between 1 and {max_length}, got {length!r}")
        self.first_id = first_id
        self.length = length
        self.temperature = float(temperature)
        self.logits = torch.nn.Parameter(torch.zeros(length or max_length, vocab))
        self._initial = self.logits.detach().clone()
        self._in_reference = False

    def prompt(self, observation: str, info: Mapping[str, Any]) -> tuple[int, int]:
        """``(0, tokens per move)``: the observation is not read."""
        budget = int(info.get("max_tokens", self.logits.shape[0]))
        return 0, min(self.length or budget, budget, self.logits.shape[0])

    def move(self, completion: Sample) -> list[int]:
        return [self.first_id + k for k in completion]

    def sample(
        self,
        prompt: tuple[int, int],
        n: int,
        generator: torch.Generator | None,
        greedy: bool = False,
    ) -> list[Sample]:
        import torch

        table = self._table()[: prompt[1]].detach()
        if greedy:
            return [tuple(int(k) for k in table.argmax(-1))] * n
        probs = torch.softmax(table / self.temperature, dim=-1)
        picks = torch.multinomial(probs, n, replacement=True, generator=generator)  # [L, n]
        return [tuple(int(k) for k in column) for column in picks.T]

    def log_probs(
        self, prompt: tuple[int, int], completions: Sequence[Sample]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        logp = torch.log_softmax(self._table()[: prompt[1]], dim=-1)
        longest = max([1, *(len(c) for c in completions)])
        out, mask = [], torch.zeros((len(completions), longest), dtype=torch.bool)
        for i, c in enumerate(completions):
            row = logp[torch.arange(len(c)), torch.tensor(c, dtype=torch.long)]
            out.append(torch.nn.functional.pad(row, (0, longest - len(c))))
            mask[i, : len(c)] = True
        return torch.stack(out), mask

    def parameters(self) -> list[torch.nn.Parameter]:
        return [self.logits]

    def save(self, folder: Path) -> None:
        from safetensors.torch import save_file

        Path(folder).mkdir(parents=True, exist_ok=True)
        save_file(
            {"logits": self.logits.detach().contiguous()}, str(Path(folder) / "table.safetensors")
        )

    def load(self, folder: Path) -> None:
        import torch
        from safetensors.torch import load_file

        saved = load_file(str(Path(folder) / "table.safetensors"))["logits"]
        if saved.shape != self.logits.shape:
            raise ConfigError(
                f"{folder}: a token table of shape {tuple(saved.shape)}, this policy's is "
                f"{tuple(self.logits.shape)}"
            )
        with torch.no_grad():
            self.logits.copy_(saved)

    def _table(self) -> torch.Tensor:
        return self._initial if self._in_reference else self.logits
