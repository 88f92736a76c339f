"""RandomAgent: random token ids within the budget (the floor of every leaderboard)."""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.base import Agent, AgentError

__all__ = ["RandomAgent"]


class RandomAgent(Agent):
    """Plays uniformly random token ids of the judge's vocabulary.

    Args:
        seed: seed of the agent's own generator, used when ``reset`` gets no seed.
        full_budget: use every token of the budget; otherwise the length is uniform in
            ``[1, max_tokens]``.
        vocab_size: id range when no env is given (else the judge's ``vocab_size``).

    The generator is reseeded at every ``reset``, so a map replays the same moves.
    """

    name = "random"

    def __init__(self, seed: int = 0, full_budget: bool = True, vocab_size: int | None = None):
        super().__init__()
        self.seed = seed
        self.full_budget = full_budget
        self.vocab_size = vocab_size
        self.rng = np.random.default_rng(seed)

    def reset(self, env: Any = None, seed: int | None = None) -> None:
        super().reset(env, seed)
        self.rng = np.random.default_rng(self.seed)

    def act(self, observation: str, info: dict[str, Any]) -> list[int]:
        vocab = self.vocab_size
        if self.env is not None:
            vocab = self.unwrapped_env.judge.vocab_size
        if not vocab:
            raise AgentError("RandomAgent needs a vocabulary: call reset(env) or pass vocab_size=")
        budget = max(1, int(info.get("max_tokens", 1)))
        length = budget if self.full_budget else int(self.rng.integers(1, budget + 1))
        ids = [int(i) for i in self.rng.integers(0, vocab, size=length)]
        self.count("moves")
        self.count("move_tokens", len(ids))
        self.last_details = {}
        return ids
