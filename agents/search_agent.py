"""SearchAgent: a strong non-LLM baseline that asks the judge which move pays best.

It needs ``env.unwrapped.score_actions(actions) -> list[float]``: the reward each candidate
action would earn from the current state, computed in one batched judge call, without
stepping. Every judge call scores one batch of candidates, and a move costs a fixed budget of
candidate evaluations (``budget / batch_size`` calls, a few seconds on CPU):

1. **The judge's phrase.** The judge writes a short text after the observation (what the
   texts are about, in words they need not contain); cut to full length, half length...,
   these are the first candidates. They come first because they are fluent, full-length
   moves, which games with a coherence ``ensure`` or a reward for length need and which
   token search rarely finds: even a budget of 1 plays a whole move, not a lone token.
2. **Rank single tokens.** Candidates come from the phrase's words, the observation's most
   frequent tokens, a small set of common tokens and a seeded shuffle of the other
   observation tokens. One batch scores them as one-token moves.
3. **Compositions.** The best tokens side by side at full length, half length..., and
   seeded random draws from the best ones. One batch.
4. **Local search.** Around the best move so far: substitute, insert or delete one token,
   the token drawn half from the best single tokens and half from every candidate, one batch
   of fresh edits at a time, until the budget is spent. The neighbourhood is wide enough not to
   run dry, so a larger budget keeps finding better moves rather than stopping early.

The best move seen is played; ``last_details["expected_reward"]`` is what it should earn. A
candidate the game refuses (``score_actions`` gives it ``-inf``, or no number) ranks below every
legal one, so it is played only when every candidate was refused.

**Budgets nest.** The candidates of a move form one stream that does not depend on the budget
(batches of ``batch_size``, a generator seeded by the agent's seed and the move's number), and
the budget only cuts it: with the same seed, the moves a budget of ``b`` evaluates are the first
``b`` of those any larger budget evaluates. So on the first move of a map, the expected reward
of the move played never decreases with the budget: ``SearchAgent(budget=1)``,
``budget=4``, ``16``... are agents of known strength order, the ladder that
:mod:`xent_envs.evaluation.validity` checks the suite against.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from agents.base import Agent, AgentError, as_reward
from xent_envs.errors import ConfigError
from xent_envs.seeding import derive_seed

__all__ = ["COMMON_WORDS", "SearchAgent"]

COMMON_WORDS: tuple[str, ...] = (
    " the", " a", " and", " of", " to", " in", " is", " was", " it", " that",
    " he", " she", " they", " with", " for", " on", ".", ",", "\n", " story",
)  # fmt: skip

_WORD = re.compile(r"\S+")
_ABOUT = "\n\nIn a few words, this is about"


class SearchAgent(Agent):
    """Batched local search over candidate tokens, scored by the env's judge.

    Args:
        budget: candidate moves evaluated per move (the cost knob).
        batch_size: candidates per ``score_actions`` call.
        generate_tokens: tokens the judge writes after the observation to suggest related
            words (0 disables; one short generation per move).
        common_words: texts whose tokens are always candidates.
        seed: seed of the sampling of candidates, used when ``reset`` gets no seed; each move
            draws from its own generator, seeded by this seed and the move's number in the map.
    """

    name = "search"

    def __init__(
        self,
        budget: int = 96,
        batch_size: int = 16,
        generate_tokens: int = 24,
        common_words: Sequence[str] = COMMON_WORDS,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if budget < 1 or batch_size < 1:
            raise ConfigError(
                f"budget and batch_size must be at least 1, got budget={budget}, "
                f"batch_size={batch_size}"
            )
        self.budget = budget
        self.batch_size = batch_size
        self.generate_tokens = generate_tokens
        self.common_words = tuple(common_words)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.phrase: list[int] = []
        self._move_number = 0

    def reset(self, env: Any = None, seed: int | None = None) -> None:
        super().reset(env, seed)
        self._move_number = 0

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
            rewards.extend(as_reward(r) for r in got)
        self.count("evaluations", len(actions))
        return rewards

    # -- candidates -------------------------------------------------------------------------
    def candidate_tokens(self, observation: str) -> list[int]:
        """Phase-1 candidates, without repeats, taken in turn from four sources: tokens the
        judge itself writes after the observation (words *related* to the texts, which games
        that strike out the texts' own words need), the most frequent observation tokens, the
        common tokens, and a seeded shuffle of the other observation tokens."""
        judge = self.unwrapped_env.judge
        self.phrase = []
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
            self.phrase = judge.encode(" " + text.strip())
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
    def _edits(
        self,
        seq: list[int],
        best_tokens: list[int],
        pool: list[int],
        max_tokens: int,
        seen: set[tuple[int, ...]],
        count: int,
    ) -> list[list[int]]:
        """Up to ``count`` unseen one-token edits of ``seq``, drawn from the move's generator
        (at most ``20 * count`` draws, so a neighbourhood that is used up ends the search)."""
        out: list[list[int]] = []
        fresh: set[tuple[int, ...]] = set()
        for _ in range(20 * count):
            if len(out) == count:
                break
            source = best_tokens if self.rng.random() < 0.5 and best_tokens else pool
            token = source[int(self.rng.integers(len(source)))] if source else 0
            op, where = int(self.rng.integers(3)), int(self.rng.integers(len(seq) + 1))
            cand = _edit(seq, op, where, token, max_tokens)
            if cand and tuple(cand) not in seen and tuple(cand) not in fresh:
                fresh.add(tuple(cand))
                out.append(cand)
        return out

    def act(self, observation: str, info: dict[str, Any]) -> list[int]:
        max_tokens = max(1, int(info.get("max_tokens", 1)))
        # A generator per move, and batches of batch_size whatever the budget: the candidate
        # stream is then the same for every budget, which only cuts it (budgets nest).
        self.rng = np.random.default_rng(derive_seed("search", self.seed, self._move_number))
        self._move_number += 1
        batch = self.batch_size
        seen: set[tuple[int, ...]] = set()
        best: tuple[list[int], float] | None = None
        remaining = self.budget

        def evaluate(candidates: list[list[int]]) -> list[tuple[list[int], float]]:
            """Score the new candidates (one batch at most), keep the best; best first."""
            nonlocal remaining, best
            fresh: list[list[int]] = []
            for cand in candidates:
                if cand and tuple(cand) not in seen and len(fresh) < min(batch, remaining):
                    seen.add(tuple(cand))
                    fresh.append(cand)
            if not fresh:
                return []
            scored = sorted(zip(fresh, self._score(fresh)), key=lambda p: -p[1])
            remaining -= len(fresh)
            if best is None or scored[0][1] > best[1]:
                best = scored[0]
            return scored

        tokens = self.candidate_tokens(observation)
        # 1. the judge's phrase, a fluent move, at full length and shorter (before any
        #    single token, so that the smallest budgets already play whole moves)
        if max_tokens > 1:
            evaluate([self.phrase[:n] for n in _lengths(max_tokens)])
        # 2. rank single tokens
        singles = evaluate([[t] for t in tokens])
        while max_tokens == 1 and remaining > 0 and len(singles) < len(tokens):
            more = evaluate([[t] for t in tokens[len(singles) :]])
            if not more:
                break
            singles = sorted(singles + more, key=lambda p: -p[1])
        ranked = [c[0] for c, _ in singles]
        # 3. compositions of the best tokens, at several lengths and orders
        if max_tokens > 1 and remaining > 0:
            comps = [ranked[:n] for n in _lengths(max_tokens)]
            pool = ranked[: 2 * max_tokens]
            while len(comps) < batch and pool:
                n = int(self.rng.integers(1, max_tokens + 1))
                comps.append([pool[i] for i in self.rng.choice(len(pool), size=n)])
            evaluate(comps)
        # 4. local search around the best: substitute, insert or delete one token, with
        #    tokens drawn half from the best singles and half from the whole candidate pool,
        #    so the neighbourhood does not run dry and more budget keeps finding better moves
        chosen = set(ranked)
        pool = ranked + [t for t in tokens if t not in chosen]
        while remaining > 0 and max_tokens > 1 and best is not None:
            edits = self._edits(best[0], ranked[:8], pool, max_tokens, seen, batch)
            if not evaluate(edits):
                break
        move, expected = best if best is not None else ([], -math.inf)
        self.count("moves")
        self.count("move_tokens", len(move))
        if expected == -math.inf:
            self.count("refused_moves")
        self.last_details = {"expected_reward": expected, "evaluations": self.budget - remaining}
        return list(move)


def _edit(seq: list[int], op: int, where: int, token: int, max_tokens: int) -> list[int] | None:
    """``seq`` with one token substituted (op 0), inserted (1) or deleted (2) at ``where``;
    None when the edit does not apply (too long, nothing to delete)."""
    if op == 0 and where < len(seq):
        return [*seq[:where], token, *seq[where + 1 :]]
    if op == 1 and len(seq) < max_tokens:
        return [*seq[:where], token, *seq[where:]]
    if op == 2 and where < len(seq) and len(seq) > 1:
        return seq[:where] + seq[where + 1 :]
    return None


def _lengths(max_tokens: int) -> list[int]:
    """Full length, then halving: 10 -> [10, 5, 2]."""
    out, n = [], max_tokens
    while n >= 2:
        out.append(n)
        n //= 2
    return out
