"""HFAgent: a local chat model (transformers) that reads the observation and writes a move.

The default model is SmolLM2-135M-Instruct: for a judge name (``"smollm2-135m"``,
``"tiny-random-gpt2"``) the agent shares the weights of ``load_judge(name)``, which come from
the judge's bf16 cache folder (``xent_envs.judge.smollm2_folder``), so nothing is downloaded
and the model is in memory once. Any Hugging Face model id or local folder also works.
Models without a chat template get a plain prompt. In both cases the prompt ends with
``Move: "`` (prefilled in the assistant turn for chat models), so even a small model answers
with a move; generation stops at the closing quote or the end of the line.
"""

from __future__ import annotations

import inspect
from typing import Any

from agents.base import TextAgent, build_messages, parse_move, plain_prompt
from xent_envs.judge.models import DEFAULT_JUDGE

__all__ = ["HFAgent"]

# The answer starts inside a quoted move: small chat models then write words (often echoing
# the texts) rather than a number or a chat reply; the closing quote or a newline ends it.
_PREFILL = 'Move: "'


class HFAgent(TextAgent):
    """A transformers causal LM as a player.

    Args:
        model: ``"smollm2-135m"`` (default), ``"tiny-random-gpt2"``, a model id or a folder.
        temperature: 0 for greedy decoding; above 0, sampling from a ``torch.Generator``
            seeded by ``reset``'s seed (or ``seed``), so a map replays exactly.
        top_p: nucleus sampling threshold (with ``temperature > 0``).
        max_new_tokens: generation cap; default twice the move budget plus 4.
        max_prompt_tokens: longer observations keep their head and tail.
        fallback_move: played (and counted in ``stats["unparseable"]``) when the answer holds
            no move.
        system_prompt: replaces :data:`agents.base.SYSTEM_PROMPT` (``{max_tokens}`` is filled).
        device: torch device for a model that is not a judge's (a judge's stays where it is).
        seed: sampling seed used when ``reset`` gets none.
    """

    name = "hf"

    def __init__(
        self,
        model: str = DEFAULT_JUDGE,
        temperature: float = 0.0,
        top_p: float = 1.0,
        max_new_tokens: int | None = None,
        max_prompt_tokens: int = 1024,
        fallback_move: str = "...",
        system_prompt: str | None = None,
        device: str = "cpu",
        seed: int = 0,
        codec: Any = None,
    ) -> None:
        super().__init__(codec)
        self.model_name = model
        self.temperature = temperature
        self.top_p = top_p
        self.max_new_tokens = max_new_tokens
        self.max_prompt_tokens = max_prompt_tokens
        self.fallback_move = fallback_move
        self.system_prompt = system_prompt
        self.device = device
        self.seed = seed
        self._model: Any = None
        self._tokenizer: Any = None
        self._generator: Any = None
        self._cache_arg = "cache"
        self._extra: dict[str, Any] = {}

    def reset(self, env: Any = None, seed: int | None = None) -> None:
        super().reset(env, seed)
        self._generator = None  # reseeded from self.seed at the first move

    # -- loading ----------------------------------------------------------------------------
    def _load(self) -> None:
        if self._model is not None:
            return
        from xent_envs.judge import KNOWN_JUDGES

        if self.model_name in KNOWN_JUDGES:
            # The judge of that name is cached per process: share its weights and tokenizer
            # (the same bf16 cache folder, loaded once) instead of loading a second copy.
            from xent_envs.judge import load_judge

            judge = load_judge(self.model_name)
            model, tokenizer = judge.model, judge.tokenizer
        else:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(self.model_name)
            model = AutoModelForCausalLM.from_pretrained(self.model_name, dtype="auto")
            model = model.to(self.device).eval()
        self._model = model
        self._tokenizer = tokenizer
        forward = inspect.signature(model.forward).parameters
        self._cache_arg = "cache" if "cache" in forward else "past_key_values"
        # only the last position's logits are needed (a long prompt x a 50k vocabulary is big)
        self._extra = {"logits_to_keep": 1} if "logits_to_keep" in forward else {}

    def close(self) -> None:
        self._model = None
        self._tokenizer = None

    # -- prompting --------------------------------------------------------------------------
    def _shorten(self, observation: str) -> str:
        ids = self._tokenizer.encode(observation, add_special_tokens=False)
        if len(ids) <= self.max_prompt_tokens:
            return observation
        half = self.max_prompt_tokens // 2
        self.count("shortened_prompts")
        head = self._tokenizer.decode(ids[:half])
        tail = self._tokenizer.decode(ids[-half:])
        return f"{head}\n[...]\n{tail}"

    def prompt(self, observation: str, info: dict[str, Any]) -> str:
        """The full prompt text, ending where the move begins."""
        self._load()
        observation = self._shorten(observation)
        if getattr(self._tokenizer, "chat_template", None):
            messages = build_messages(observation, info, self.system_prompt)
            text = self._tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
            return f"{text}{_PREFILL}"
        return plain_prompt(observation, info, self.system_prompt) + _PREFILL[len("Move:") :]

    # -- generation -------------------------------------------------------------------------
    def _generate(self, prompt: str, max_new_tokens: int) -> tuple[str, int, int]:
        """Decode after ``prompt`` until a newline or a quote; returns (text, prompt tokens,
        new tokens)."""
        texts, n_prompt, n_new = self._generate_rows(
            prompt, 1, max_new_tokens, greedy_first=self.temperature <= 0
        )
        return texts[0], n_prompt, n_new

    def _generate_rows(
        self, prompt: str, rows: int, max_new_tokens: int, greedy_first: bool
    ) -> tuple[list[str], int, int]:
        """Decode ``rows`` answers after ``prompt`` side by side, each until a newline or a
        quote. The prompt is read once and its cache copied to every row, so ``rows``
        answers cost one prompt pass and ``max_new_tokens`` batched steps. Row 0 is greedy
        when ``greedy_first``; the others are drawn by :meth:`_pick` from the seeded
        generator. Returns (texts, prompt tokens, new tokens over all rows)."""
        import torch

        tok = self._tokenizer
        ids = tok(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
        ids = ids.to(self._model.device)
        eos = getattr(self._model.generation_config, "eos_token_id", None)
        stop = {tok.eos_token_id, *(eos if isinstance(eos, list) else [eos])} - {None}
        if self._generator is None:
            self._generator = torch.Generator().manual_seed(int(self.seed or 0))
        out: list[list[int]] = [[] for _ in range(rows)]
        active = [True] * rows
        past = None
        step_input = ids
        with torch.inference_mode():
            for step in range(max_new_tokens):
                result = self._model(
                    input_ids=step_input, use_cache=True, **self._extra, **{self._cache_arg: past}
                )
                past = result.get("cache")
                if past is None:
                    past = result.get("past_key_values")
                logits = result.logits[:, -1].float()
                if step == 0 and rows > 1:
                    past.batch_repeat_interleave(rows)  # one prompt pass serves every row
                    logits = logits.expand(rows, -1)
                picks = []
                for row in range(rows):
                    nxt = (
                        int(torch.argmax(logits[row]))
                        if row == 0 and greedy_first
                        else self._pick(logits[row], self._generator)
                    )
                    picks.append(nxt)
                    if not active[row]:
                        continue
                    if nxt in stop:
                        active[row] = False
                        continue
                    out[row].append(nxt)
                    text = tok.decode(out[row], skip_special_tokens=True).lstrip()
                    if "\n" in text or '"' in text:
                        active[row] = False
                if not any(active):
                    break
                step_input = torch.tensor([[t] for t in picks], device=self._model.device)
        texts = [tok.decode(row, skip_special_tokens=True) for row in out]
        return texts, int(ids.shape[1]), sum(len(row) for row in out)

    def _pick(self, logits: Any, generator: Any) -> int:
        import torch

        if self.temperature <= 0:
            return int(torch.argmax(logits))
        probs = torch.softmax(logits / self.temperature, dim=-1)
        if self.top_p < 1.0:
            sorted_p, order = torch.sort(probs, descending=True)
            keep = torch.cumsum(sorted_p, 0) - sorted_p < self.top_p
            probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_p[keep])
        return int(torch.multinomial(probs.cpu(), 1, generator=generator))

    def act_text(self, observation: str, info: dict[str, Any]) -> str:
        budget = int(info.get("max_tokens", 16))
        limit = self.max_new_tokens or 2 * budget + 4
        prompt = self.prompt(observation, info)
        answer, n_prompt, n_new = self._generate(prompt, limit)
        move = parse_move(_PREFILL + answer.split('"')[0])
        self.count("prompt_tokens", n_prompt)
        self.count("completion_tokens", n_new)
        self.last_details = {"raw": answer, "prompt_tokens": n_prompt, "completion_tokens": n_new}
        if move is None:
            self.count("unparseable")
            self.last_details["unparseable"] = True
            return self.fallback_move
        return move
