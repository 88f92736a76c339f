"""``CachedJudge``: the Judge every backend is used through.

One wrapper, whatever computes the scores (a local model, a server): it cleans request texts,
answers empty texts without a model call, asks the backend only once for each distinct
request, keeps results in a bounded LRU cache (within a map, ``xed``'s baseline ``xent(s)``
is the same every round and for every candidate move), and refuses an answer that is not a
finite number of bits per token, so a broken backend can never pay a silent ``nan``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from xent_envs.errors import JudgeError
from xent_envs.judge.backends import ScoringBackend
from xent_envs.judge.base import clean_text, first_n_tokens, last_n_tokens
from xent_envs.judge.cache import LRUCache
from xent_envs.score import Score

__all__ = ["DEFAULT_CACHE_SIZE", "CachedJudge"]

DEFAULT_CACHE_SIZE = 4096


class CachedJudge:
    """A :class:`~xent_envs.judge.base.Judge` over any :class:`ScoringBackend`.

    Args:
        backend: computes raw scores; reachable as ``judge.backend``.
        cache_size: results kept (least recently used go first; 0 keeps none).

    Example:
        >>> from xent_envs.judge import load_judge
        >>> judge = load_judge("tiny-random-gpt2")
        >>> judge.xent(" world", prefix="Hello").tokens
        (' world',)
    """

    def __init__(self, backend: ScoringBackend, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.backend = backend
        self.name = backend.name
        self.vocab_size = backend.vocab_size
        self._cache: LRUCache[Score] = LRUCache(cache_size)

    @property
    def fingerprint(self) -> dict[str, Any]:
        """The backend's fingerprint (the cache never changes a result)."""
        return self.backend.fingerprint

    def __repr__(self) -> str:
        return f"CachedJudge({self.backend!r}, cache_size={self._cache.maxsize})"

    # -- codec ---------------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no start token)."""
        return self.backend.encode(text)

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``."""
        return self.backend.decode(ids)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """Readable string of each token id."""
        return self.backend.token_strings(ids)

    def first_n_tokens(self, text: str, n: int) -> str:
        """``text`` cut to its first ``n`` tokens (unchanged when it has no more)."""
        return first_n_tokens(self, text, n)

    def last_n_tokens(self, text: str, n: int) -> str:
        """``text`` cut to its last ``n`` tokens (unchanged when it has no more)."""
        return last_n_tokens(self, text, n)

    def generate(self, prompt: str, max_new_tokens: int, seed: int, **options: Any) -> str:
        """The backend's seeded continuation of ``prompt`` (see its ``generate``)."""
        return self.backend.generate(prompt, max_new_tokens, seed, **options)

    # -- scoring -------------------------------------------------------------------------------

    def xent(self, text: str, prefix: str = "") -> Score:
        """Cross-entropy of ``text`` given ``prefix``, in bits per token."""
        return self.score_batch([(text, prefix)])[0]

    def score_batch(self, requests: Sequence[tuple[str, str]]) -> list[Score]:
        """Score every ``(text, prefix)``; one ``Score`` per request, in order.

        Empty texts score ``Score()`` without a model call; repeated and cached requests are
        computed once. Thread-safe.

        Raises:
            ContextLengthError: a request does not fit in the judge's context.
            JudgeRequestError: a text or prefix that is not a str.
            JudgeError: the backend answered with a non-finite value or the wrong number of
                values (a corrupt model, a broken server).
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
            keys = list(pending)
            scores = self.backend.score(keys)
            if len(scores) != len(keys):
                raise JudgeError(
                    f"judge {self.name!r} answered {len(scores)} scores for {len(keys)} requests"
                )
            for key, score in zip(keys, scores):
                self._check(key, score)
                self._cache.put(key, score)
                for index in pending[key]:
                    results[index] = score
        return [score for score in results if score is not None]

    def _check(self, key: tuple[str, str], score: Score) -> None:
        if not all(math.isfinite(b) for b in score.bits):
            text, prefix = (repr(k if len(k) <= 40 else k[:40] + "...") for k in key)
            raise JudgeError(
                f"judge {self.name!r} returned a non-finite score for text {text} after prefix "
                f"{prefix}: its weights may be corrupt (fingerprint {self.fingerprint})"
            )

    def cache_info(self) -> dict[str, int]:
        """Size, capacity, hits and misses of the result cache."""
        return self._cache.info()

    def clear_cache(self) -> None:
        """Forget cached results (e.g. between maps, or before timing)."""
        self._cache.clear()
