"""HFAgent: a local chat model (transformers) that reads the observation and writes a move.

The default model is SmolLM2-135M-Instruct: for a judge name (``"smollm2-135m"``,
``"tiny-random-gpt2"``) the agent plays with that judge's own model
(``xent_envs.judge.load_causal_lm``), so nothing is downloaded and the weights are in memory
once. Any Hugging Face model id or local folder also works. Models without a chat template get
a plain prompt. In both cases the prompt ends with ``Move: "`` (prefilled in the assistant turn
for chat models), so even a small model answers with a move; generation stops at the closing
quote or the end of the line. Tokens are drawn by the judge package's one decoding loop
(``CausalLM.generate_rows``; ``HFVAgent`` decodes several rows in the same loop).
"""

from __future__ import annotations

from typing import Any

from agents.base import TextAgent, build_messages, parse_move, plain_prompt
from xent_envs.judge.lm import CausalLM, load_causal_lm
from xent_envs.judge.models import DEFAULT_JUDGE
from xent_envs.judge.sampling import Sampling, seeded_generator

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

    Raises:
        ConfigError: bad sampling options (``top_p=0``, ``temperature=nan``).
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
        self.sampling = Sampling(temperature=temperature, top_k=0, top_p=top_p)
        self.max_new_tokens = max_new_tokens
        self.max_prompt_tokens = max_prompt_tokens
        self.fallback_move = fallback_move
        self.system_prompt = system_prompt
        self.device = device
        self.seed = seed
        self.lm: CausalLM | None = None
        self._generator: Any = None

    def reset(self, env: Any = None, seed: int | None = None) -> None:
        super().reset(env, seed)
        self._generator = None  # reseeded from self.seed at the first move

    # -- loading ----------------------------------------------------------------------------
    def _load(self) -> CausalLM:
        if self.lm is None:
            self.lm = load_causal_lm(self.model_name, device=self.device)
        return self.lm

    def close(self) -> None:
        self.lm = None

    # -- prompting --------------------------------------------------------------------------
    def _shorten(self, observation: str, tokenizer: Any) -> str:
        ids = tokenizer.encode(observation, add_special_tokens=False)
        if len(ids) <= self.max_prompt_tokens:
            return observation
        half = self.max_prompt_tokens // 2
        self.count("shortened_prompts")
        head = tokenizer.decode(ids[:half])
        tail = tokenizer.decode(ids[-half:])
        return f"{head}\n[...]\n{tail}"

    def prompt(self, observation: str, info: dict[str, Any]) -> str:
        """The full prompt text, ending where the move begins."""
        tokenizer = self._load().tokenizer
        observation = self._shorten(observation, tokenizer)
        if getattr(tokenizer, "chat_template", None):
            messages = build_messages(observation, info, self.system_prompt)
            text = tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
            return f"{text}{_PREFILL}"
        return plain_prompt(observation, info, self.system_prompt) + _PREFILL[len("Move:") :]

    # -- generation -------------------------------------------------------------------------
    def _generate(self, prompt: str, max_new_tokens: int) -> tuple[str, int, int]:
        """Decode after ``prompt`` until a newline or a quote; returns (text, prompt tokens,
        new tokens)."""
        texts, n_prompt, n_new = self._generate_rows(prompt, 1, max_new_tokens)
        return texts[0], n_prompt, n_new

    def _generate_rows(
        self, prompt: str, rows: int, max_new_tokens: int, greedy_first: bool = False
    ) -> tuple[list[str], int, int]:
        """Decode ``rows`` answers after ``prompt`` side by side, each until a newline or a
        quote, with the judge package's one decoding loop (``CausalLM.generate_rows``: the
        prompt is read once). Row 0 is greedy when ``greedy_first``; the others follow
        ``self.sampling`` with the seeded generator. Returns (texts, prompt tokens, new tokens
        over all rows)."""
        lm = self._load()
        tokenizer = lm.tokenizer
        ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        if self._generator is None:
            self._generator = seeded_generator(int(self.seed or 0))

        def closed(new: list[int]) -> bool:
            text = tokenizer.decode(new, skip_special_tokens=True).lstrip()
            return "\n" in text or '"' in text

        out = lm.generate_rows(
            ids,
            rows,
            max_new_tokens,
            sampling=self.sampling,
            generator=self._generator,
            end_ids=lm.end_ids(),
            stop=closed,
            greedy_first=greedy_first,
        )
        texts = [tokenizer.decode(row, skip_special_tokens=True) for row in out]
        return texts, len(ids), sum(len(row) for row in out)

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
