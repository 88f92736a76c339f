"""SearchAgent: a strong non-LLM baseline that asks the judge which move pays best.

It needs ``env.unwrapped.score_actions(actions) -> list[float]``: the reward each candidate
action would earn from the current state, computed in one batched judge call, without
stepping. The search runs in two phases under a fixed budget of candidate evaluations (so a
move costs a bounded number of judge forward passes, a few seconds on CPU):

1. **Rank single tokens.** Candidates come from the observation (its most frequent tokens,
   then a seeded shuffle of the others), from a short text the judge writes after it
   (related words that the texts do not contain) and from a small set of common tokens. Up to
   half the budget goes to scoring them as one-token moves.
2. **Beam growth.** Starting from the best one-token moves, each beam is extended by the best
   ranked tokens, one position at a time, up to the budget of tokens; the best move seen at
   any length is played.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any, Sequence

import numpy as np

from agents.base import Agent, AgentError

__all__ = ["SearchAgent", "COMMON_WORDS"]

COMMON_WORDS: tuple[str, ...] = (
    " the", " a", " and", " of", " to", " in", " is", " was", " it", " that",
    " he", " she", " they", " with", " for", " on", ".", ",", "\n", " story",
)  # fmt: skip

_WORD = re.compile(r"\S+")
_ABOUT = "\n\nIn a few words, this is about"


class SearchAgent(Agent):
    """Greedy/beam search over candidate tokens, scored by the env's judge.

    Args:
        budget: candidate moves evaluated per move (the cost knob).
        batch_size: candidates per ``score_actions`` call.
        beam_width: beams kept while growing moves.
        generate_tokens: tokens the judge writes after the observation to suggest related
            words (0 disables; one short generation per move).
        common_words: texts whose tokens are always candidates.
        seed: seed of the sampling of candidates, used when ``reset`` gets no seed.
    """

    name = "search"

    def __init__(
        self,
        budget: int = 48,
        batch_size: int = 16,
        beam_width: int = 2,
        generate_tokens: int = 24,
        common_words: Sequence[str] = COMMON_WORDS,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if budget < 1 or batch_size < 1 or beam_width < 1:
            raise ValueError("budget, batch_size and beam_width must be at least 1")
        self.budget = budget
        self.batch_size = batch_size
        self.beam_width = beam_width
        self.generate_tokens = generate_tokens
        self.common_words = tuple(common_words)
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def reset(self, env: Any = None, seed: int | None = None) -> None:
        super().reset(env, seed)
        self.rng = np.random.default_rng(self.seed)

    # -- scoring ----------------------------------------------------------------------------
    def _score(self, actions: list[list[int]]) -> list[float]:
        env = self.unwrapped_env
        if not hasattr(env, "score_actions"):
            raise AgentError(f"SearchAgent needs env.score_actions; {type(env).__name__} has none")
        rewards: list[float] = []
        for start in range(0, len(actions), self.batch_size):
            chunk = actions[start : start + self.batch_size]
            got = env.score_actions(chunk)
            self.count("score_calls")
            rewards.extend(_as_reward(r) for r in got)
        self.count("evaluations", len(actions))
        return rewards

    # -- candidates -------------------------------------------------------------------------
    def candidate_tokens(self, observation: str) -> list[int]:
        """Phase-1 candidates, without repeats, taken in turn from four sources: tokens the
        judge itself writes after the observation (words *related* to the texts, which games
        that strike out the texts' own words need), the most frequent observation tokens, the
        common tokens, and a seeded shuffle of the other observation tokens."""
        judge = self.unwrapped_env.judge
        counts: Counter[int] = Counter()
        for word in _WORD.findall(observation):
            for tok in judge.encode(" " + word):
                counts[tok] += 1
        ranked = [t for t, _ in counts.most_common()]  # ties keep first-seen order
        top, rest = ranked[: len(ranked) // 4 + 1], ranked[len(ranked) // 4 + 1 :]
        shuffled = [rest[i] for i in self.rng.permutation(len(rest))]
        common = [t for text in self.common_words for t in judge.encode(text)]
        generated: list[int] = []
        if self.generate_tokens > 0 and hasattr(judge, "generate"):
            seed = int(self.rng.integers(2**31))
            text = judge.generate(observation + _ABOUT, self.generate_tokens, seed)
            generated = [t for word in _WORD.findall(text) for t in judge.encode(" " + word)]
            self.count("generations")
        out: list[int] = []
        sources = [generated, top, common, shuffled]
        for i in range(max(map(len, sources))):
            for source in sources:
                if i < len(source) and source[i] not in out:
                    out.append(source[i])
        return out

    # -- search -----------------------------------------------------------------------------
    def act(self, observation: str, info: dict[str, Any]) -> list[int]:
        max_tokens = max(1, int(info.get("max_tokens", 1)))
        tokens = self.candidate_tokens(observation)
        remaining = self.budget
        phase1 = tokens[: max(1, min(len(tokens), self.budget // 2 if max_tokens > 1 else remaining))]
        rewards = self._score([[t] for t in phase1])
        remaining -= len(phase1)
        order = sorted(range(len(phase1)), key=lambda i: -rewards[i])
        ranked = [phase1[i] for i in order]
        best: tuple[float, list[int]] = (rewards[order[0]], [ranked[0]])
        beams = [([ranked[i]], rewards[order[i]]) for i in range(min(self.beam_width, len(ranked)))]
        seen = {tuple(seq) for seq, _ in beams}

        for length in range(2, max_tokens + 1):
            steps_left = max_tokens - length + 1
            per_step = remaining // steps_left
            if per_step < 1:
                break
            width = min(len(beams), max(1, per_step // 2))
            k = max(1, per_step // width)
            candidates: list[list[int]] = []
            for seq, _ in beams[:width]:
                for tok in ranked[:k]:
                    cand = seq + [tok]
                    if tuple(cand) not in seen:
                        seen.add(tuple(cand))
                        candidates.append(cand)
            candidates = candidates[:per_step]
            if not candidates:
                break
            scores = self._score(candidates)
            remaining -= len(candidates)
            pool = sorted(zip(candidates, scores), key=lambda p: -p[1])
            beams = pool[: self.beam_width]
            if beams[0][1] > best[0]:
                best = (beams[0][1], beams[0][0])

        self.count("moves")
        self.count("move_tokens", len(best[1]))
        self.last_details = {"expected_reward": best[0], "evaluations": self.budget - remaining}
        return list(best[1])


def _as_reward(value: Any) -> float:
    """A candidate's reward as a float; a missing or NaN reward ranks last."""
    try:
        r = float(value)
    except (TypeError, ValueError):
        return -math.inf
    return -math.inf if math.isnan(r) else r
