"""HFVAgent: generate, then verify. The LLM proposes several moves, the judge picks the best.

A plain LLM player (:class:`~agents.hf_agent.HFAgent`) writes one move and hopes; a Xent game
lets a player do better, because its reward is a judge's cross-entropy that the env can
compute for any candidate without playing it (``env.unwrapped.score_actions``). This agent:

1. reads the observation (and, with ``show_scores``, the candidates it verified on this map
   before, with their scores, best first) as HFAgent would;
2. writes ``candidates`` answers side by side in one batched decode: the greedy one (HFAgent's
   own move) and ``candidates - 1`` sampled ones (``temperature``, ``top_p``, seeded);
3. with ``recall``, adds the best move it verified earlier on this map for the same
   register (an earlier round's, usually): a round replays the map's texts, so that move
   would earn about what it earned then, and the judge says so again;
4. scores them all in one ``score_actions`` call and plays the best; a candidate the game
   refuses (``-inf``) ranks below every legal one.

Because the greedy answer is always a candidate, the move it plays is expected to earn at least
what HFAgent's would on the same prompt; with ``recall``, at least its best earlier try too.
Recall is off by default, for a measured reason (benchmarks/README.md, "Rounds per map"): the
leaderboard scores a map's best round, which pays for trying new moves in later rounds, and
with recall the agent replays its best try whenever the new ones are worse (mean best round
9.95 bits against 11.01 without, 29 maps). Its per-round scores, and so the sum of rounds
(the RL return), are far higher with it (9.8 against 4.6 bits in rounds 2 and 3): the 135M
model, shown its tries, writes worse ones than its first.
HFAgent stays the no-tools baseline; this is the LLM-with-a-verifier reference.
"""

from __future__ import annotations

import json
import math
from typing import Any

from agents.base import AgentError, as_reward, parse_move
from agents.hf_agent import _PREFILL, HFAgent
from xent_envs.errors import ConfigError
from xent_envs.judge.models import DEFAULT_JUDGE

__all__ = ["HFVAgent"]

_YOUR_MOVE = "\n## Your move"


class HFVAgent(HFAgent):
    """A transformers causal LM that proposes candidate moves and keeps the one the judge
    scores best.

    Args:
        model: as :class:`~agents.hf_agent.HFAgent` (default SmolLM2-135M-Instruct, sharing
            the judge's weights).
        candidates: answers written per move (the greedy one plus ``candidates - 1`` samples).
        temperature: sampling temperature of the sampled answers (above 0).
        top_p: nucleus threshold of the sampled answers.
        show_scores: the prompt lists the candidates verified earlier on this map (earlier
            rounds, refused tries) with their scores, best first, so the LLM learns in context
            from every answer it tried, not only the move it played (the observation shows
            those). False: the observation alone.
        memory: how many earlier candidates ``show_scores`` lists.
        recall: the best candidate verified earlier on this map for the same register is
            scored again with the new ones (default False: only this move's answers; see
            above for when to turn it on).
        max_new_tokens, max_prompt_tokens, fallback_move, system_prompt, device, seed, codec:
            as :class:`~agents.hf_agent.HFAgent`.
    """

    name = "hfv"

    def __init__(
        self,
        model: str = DEFAULT_JUDGE,
        candidates: int = 8,
        temperature: float = 1.0,
        top_p: float = 0.95,
        show_scores: bool = True,
        memory: int = 8,
        recall: bool = False,
        max_new_tokens: int | None = None,
        max_prompt_tokens: int = 1024,
        fallback_move: str = "...",
        system_prompt: str | None = None,
        device: str = "cpu",
        seed: int = 0,
        codec: Any = None,
    ) -> None:
        if candidates < 1 or memory < 0:
            raise ConfigError(
                f"candidates must be at least 1 and memory at least 0, got candidates="
                f"{candidates}, memory={memory}"
            )
        if temperature <= 0:
            raise ConfigError(
                f"temperature must be above 0 (the greedy answer is always a candidate), "
                f"got {temperature}"
            )
        super().__init__(
            model, temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens,
            max_prompt_tokens=max_prompt_tokens, fallback_move=fallback_move,
            system_prompt=system_prompt, device=device, seed=seed, codec=codec,
        )  # fmt: skip
        self.candidates = candidates
        self.show_scores = show_scores
        self.memory = memory
        self.recall = recall
        self.tries: list[tuple[str, str, float]] = []  # (register, text, score) on this map

    def reset(self, env: Any = None, seed: int | None = None) -> None:
        super().reset(env, seed)
        self.tries = []

    def ranked_tries(self, register: str) -> list[tuple[str, float]]:
        """This map's candidates for ``register``, each with its best score, best first (the
        earliest among equals; refused ones, ``-inf``, last)."""
        best: dict[str, float] = {}
        for reg, text, score in self.tries:
            if reg == register and (text not in best or score > best[text]):
                best[text] = score
        return sorted(best.items(), key=lambda kv: -kv[1])

    def with_tries(self, observation: str, register: str) -> str:
        """The observation with this map's earlier candidates for ``register`` inserted
        before its ``## Your move`` section (appended when it has none)."""
        ranked = self.ranked_tries(register)[: self.memory]
        if not ranked:
            return observation
        lines = ["## Your tries on this map (scored by the judge, best first)"]
        lines += [
            f"{register} = {json.dumps(text, ensure_ascii=False)} -> "
            + (f"{score:+.2f} bits" if math.isfinite(score) else "refused")
            for text, score in ranked
        ]
        block = "\n".join(lines)
        head, sep, tail = observation.rpartition(_YOUR_MOVE)
        return f"{head}\n{block}{sep}{tail}" if sep else f"{observation}\n{block}"

    def best_try(self, register: str) -> str | None:
        """The legal candidate verified on this map for ``register`` with the highest score
        (the earliest among equals), or None."""
        ranked = self.ranked_tries(register)
        return ranked[0][0] if ranked and math.isfinite(ranked[0][1]) else None

    def act(self, observation: str, info: dict[str, Any]) -> list[int]:
        env = self.unwrapped_env
        if not hasattr(env, "score_actions"):
            raise AgentError(f"HFVAgent needs env.score_actions; {type(env).__name__} has none")
        register = str(info.get("register", "x"))
        shown = self.with_tries(observation, register) if self.show_scores else observation
        budget = int(info.get("max_tokens", 16))
        limit = self.max_new_tokens or 2 * budget + 4
        prompt = self.prompt(shown, info)
        answers, n_prompt, n_new = self._generate_rows(
            prompt, self.candidates, limit, greedy_first=True
        )
        texts = []
        for answer in answers:
            move = parse_move(_PREFILL + answer.split('"')[0])
            if move is None:
                self.count("unparseable")
            texts.append(self.fallback_move if move is None else move)
        unique = list(dict.fromkeys(texts))  # the greedy answer first
        recalled = self.best_try(register) if self.recall else None
        if recalled is not None and recalled not in unique:
            unique.append(recalled)
        actions = [list(self.codec.encode(t)) for t in unique]
        scores = [as_reward(r) for r in env.score_actions(actions)]
        best = max(range(len(unique)), key=lambda i: (scores[i], -i))
        self.tries += [(register, t, s) for t, s in zip(unique, scores)]
        self.count("moves")
        self.count("candidates", len(unique))
        self.count("refused_candidates", sum(1 for s in scores if s == -math.inf))
        self.count("prompt_tokens", n_prompt)
        self.count("completion_tokens", n_new)
        self.count("move_tokens", len(actions[best]))
        self.count("greedy_chosen", int(best == 0))
        self.count("recalled_chosen", int(recalled is not None and unique[best] == recalled))
        self.last_text = unique[best]
        self.last_details = {
            "text": unique[best],
            "expected_reward": scores[best],
            "candidates": [{"text": t, "reward": s} for t, s in zip(unique, scores)],
            "prompt_tokens": n_prompt,
            "completion_tokens": n_new,
        }
        return actions[best]
