"""``CausalLM``: a transformers causal LM with its tokenizer, and the one decoding loop.

The judge writes map texts with it and the HF agent writes moves with it; when the agent
plays with a judge's model (``load_causal_lm("smollm2-135m")``) both share one copy of the
weights and one lock.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from xent_envs.errors import ConfigError, ModelNotFoundError
from xent_envs.judge.sampling import Sampling, sample_token

__all__ = ["CausalLM", "load_causal_lm", "quiet_progress"]


@contextlib.contextmanager
def quiet_progress(quiet: bool = True) -> Iterator[None]:
    """transformers' progress bars off inside the block (and back as they were after).

    A bar helps a person during a download or a first conversion; on every load of a local
    copy, in tests and in every worker, it is noise.
    """
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    if quiet and was_on:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if quiet and was_on:
            hf_logging.enable_progress_bar()


class CausalLM:
    """A transformers causal LM and its tokenizer.

    Args:
        model: a ``PreTrainedModel`` with a causal LM head, already on its device.
        tokenizer: its tokenizer.

    ``lock`` serialises use of the model by the judge and by agents that share it.
    """

    def __init__(self, model: Any, tokenizer: Any) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.lock = threading.RLock()
        forward = inspect.signature(model.forward).parameters
        # transformers 5 renamed `past_key_values` to `cache`; accept both generations.
        self._cache_arg = "cache" if "cache" in forward else "past_key_values"
        # Only the last position's logits are needed while decoding (a long prompt times a
        # 50k vocabulary is large).
        self._last_only = {"logits_to_keep": 1} if "logits_to_keep" in forward else {}

    @property
    def device(self) -> Any:
        """The model's ``torch.device``."""
        return self.model.device

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str,
        *,
        revision: str | None = None,
        dtype: Any = None,
        device: str = "cpu",
    ) -> CausalLM:
        """Load a model by local folder or Hugging Face id (``dtype=None``: the checkpoint's).

        A local folder loads quietly; an id not in the local Hugging Face cache fails at once
        when it cannot be downloaded (see ``xent_envs.judge.hub``).

        Raises:
            ModelNotFoundError: no such folder, or an id that cannot be loaded.
        """
        from transformers import AutoModelForCausalLM, AutoTokenizer

        local = os.path.isdir(name_or_path)
        if not local and name_or_path.startswith((".", "~", os.path.sep)):
            raise ModelNotFoundError(f"no model folder at {name_or_path!r}")
        if local:
            files_only = True
        else:
            from xent_envs.judge.hub import local_files_only

            files_only = local_files_only(name_or_path, revision)
        try:
            with quiet_progress(files_only):
                tokenizer = AutoTokenizer.from_pretrained(
                    name_or_path, revision=revision, local_files_only=files_only
                )
                model: Any = AutoModelForCausalLM.from_pretrained(
                    name_or_path, revision=revision, dtype=dtype, local_files_only=files_only
                )
        except (OSError, ValueError) as exc:
            raise ModelNotFoundError(f"cannot load model {name_or_path!r}: {exc}") from exc
        return cls(model.to(device).eval(), tokenizer)

    def end_ids(self) -> frozenset[int]:
        """The tokenizer's and the generation config's end-of-sequence ids."""
        eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        ids = {self.tokenizer.eos_token_id, *(eos if isinstance(eos, list) else [eos])}
        return frozenset(int(i) for i in ids if i is not None)

    def generate_ids(
        self,
        prompt_ids: Sequence[int],
        max_new_tokens: int,
        *,
        sampling: Sampling,
        generator: Any,
        end_ids: Collection[int],
        min_new_tokens: int = 0,
        stop: Callable[[list[int]], bool] | None = None,
    ) -> list[int]:
        """New token ids after ``prompt_ids``: :meth:`generate_rows` with one row."""
        return self.generate_rows(
            prompt_ids,
            1,
            max_new_tokens,
            sampling=sampling,
            generator=generator,
            end_ids=end_ids,
            min_new_tokens=min_new_tokens,
            stop=stop,
        )[0]

    def generate_rows(
        self,
        prompt_ids: Sequence[int],
        rows: int,
        max_new_tokens: int,
        *,
        sampling: Sampling,
        generator: Any,
        end_ids: Collection[int],
        min_new_tokens: int = 0,
        stop: Callable[[list[int]], bool] | None = None,
        greedy_first: bool = False,
    ) -> list[list[int]]:
        """``rows`` continuations of ``prompt_ids`` decoded side by side with the model's
        key-value cache: the prompt is read once and its cache copied to every row.

        A row stops after ``max_new_tokens`` tokens, at a token of ``end_ids`` (not kept;
        never before ``min_new_tokens`` tokens), or when ``stop(row_ids)`` is true (the last
        token kept). Tokens are drawn by :func:`~xent_envs.judge.sampling.sample_token` from
        ``generator``, row by row at each step (row 0 greedy when ``greedy_first``).

        Raises:
            ConfigError: ``rows`` below 1, ``max_new_tokens`` or ``min_new_tokens`` negative,
                or an empty prompt.
        """
        import torch

        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
            raise ConfigError(f"rows must be an int >= 1, got {rows!r}")
        if max_new_tokens < 0 or min_new_tokens < 0:
            raise ConfigError(
                f"max_new_tokens and min_new_tokens must be >= 0, got {max_new_tokens} "
                f"and {min_new_tokens}"
            )
        if not prompt_ids:
            raise ConfigError("generation needs a prompt of at least one token")
        greedy = Sampling(temperature=0.0, top_k=0, top_p=1.0)
        blocked = sorted(end_ids)
        new: list[list[int]] = [[] for _ in range(rows)]
        active = [True] * rows
        past = None
        step_ids = torch.tensor([list(prompt_ids)], device=self.device)
        with self.lock, torch.inference_mode():
            for step in range(max_new_tokens):
                out = self.model(
                    input_ids=step_ids, use_cache=True, **self._last_only, **{self._cache_arg: past}
                )
                past = getattr(out, self._cache_arg)
                logits = out.logits[:, -1].float()
                if step == 0 and rows > 1:
                    past.batch_repeat_interleave(rows)  # one prompt pass serves every row
                    logits = logits.expand(rows, -1).clone()
                if step < min_new_tokens and blocked:
                    logits[:, blocked] = -float("inf")
                picks = []
                for row in range(rows):
                    token = int(blocked[0]) if blocked else 0  # fed to finished rows
                    if active[row]:
                        rule = greedy if row == 0 and greedy_first else sampling
                        token = sample_token(logits[row], generator, rule)
                        if token in end_ids:
                            active[row] = False
                        else:
                            new[row].append(token)
                            if stop is not None and stop(new[row]):
                                active[row] = False
                    picks.append([token])
                if not any(active):
                    break
                step_ids = torch.tensor(picks, device=self.device)
        return new


def load_causal_lm(name: str, *, device: str = "cpu") -> CausalLM:
    """The model called ``name``, for generation (the HF agent).

    A judge name (``"smollm2-135m"``, ``"tiny-random-gpt2"``) gives that judge's own model,
    so the weights are in memory once and nothing is downloaded (``device`` is then the
    judge's); any other name is a local folder or a Hugging Face id, loaded on ``device``.

    Raises:
        ModelNotFoundError: ``name`` cannot be loaded.
        ConfigError: ``name`` is a judge whose backend has no local model (an HTTP judge).
    """
    from xent_envs.judge.backends import known_judges
    from xent_envs.judge.hf import TransformersJudge
    from xent_envs.judge.models import load_judge

    if name not in known_judges():
        return CausalLM.from_pretrained(name, dtype="auto", device=device)
    backend = load_judge(name).backend
    if not isinstance(backend, TransformersJudge):
        raise ConfigError(f"judge {name!r} has no local model to generate with")
    return backend.lm
