"""Probe players: cheap players that measure a game through the public env API.

A probe plays a registered game through ``gym.make`` and ``env.unwrapped.score_actions``,
like any agent, but lives in the library (which must not import the top-level ``agents``):

- ``RandomProbe``: random token ids, the whole budget (the floor);
- ``TrivialProbe``: the moves a game must not reward best: the empty move, a visible text
  copied verbatim, one token repeated;
- ``SearchProbe``: a judge-guided local search that scores its candidates in batches with
  ``score_actions`` (one call per batch of up to ``batch_size`` moves): single tokens first,
  then longer moves grown and edited around the best so far. ``budget`` is the number of
  candidate moves it evaluates per move; ``pool`` says where candidate tokens come from
  (the visible texts' words, random vocabulary, or both), so probes with different pools
  reward different games differently, which is what a behavioural profile needs.

``run_map`` plays a panel of probes on one map (the same instance for all of them) and
``quick_check`` scores a batch of blind and trivial moves in one ``score_actions`` call: the
cheap "rewards are not constant" test ``xent/Sampled-v0`` runs at every reset.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from xent_envs.errors import ConfigError

__all__ = [
    "COMMON_TOKENS",
    "DEFAULT_PANEL",
    "CountingJudge",
    "Episode",
    "MapRun",
    "Probe",
    "RandomProbe",
    "SearchProbe",
    "TrivialProbe",
    "play_episode",
    "quick_check",
    "run_map",
    "visible_texts",
]

#: Texts whose tokens a search always tries (frequent, neutral words).
COMMON_TOKENS = (" the", " a", " and", " of", " to", " in", " is", " was", " it", ".", ",", "\n")
_WORD = re.compile(r"\S+")
_POOLS = ("words", "vocab", "mixed")
#: Most steps one probe episode may take (failed ensures included); the env truncates after
#: ten failures of one ensure, so this bound is never the one that stops a real game.
MAX_EPISODE_STEPS = 64


def visible_texts(observation: str) -> dict[str, str]:
    """The registers an observation shows (its ``## Visible`` section), by name.

    The observation layout is the env's documented contract (``xent_envs.envs.observation``):
    one ``name = "json string"`` line per visible register.

    >>> visible_texts('# G\\n## Visible\\ns = "a b"\\nt = "c"\\n## Your move\\nWrite x.')
    {'s': 'a b', 't': 'c'}
    """
    out: dict[str, str] = {}
    inside = False
    for line in observation.splitlines():
        if line.startswith("## "):
            inside = line == "## Visible"
            continue
        name, sep, raw = line.partition(" = ")
        if inside and sep:
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            if isinstance(value, str):
                out[name] = value
    return out


class Probe(Protocol):
    """A probe player: candidate moves for the current state, best first.

    The episode runner plays the first; if an ``ensure`` refuses it, the next, and so on; when
    the list runs out it asks again.
    """

    @property
    def name(self) -> str:
        """The probe's name in profiles."""
        ...

    def moves(
        self, env: Any, observation: str, info: dict[str, Any], rng: np.random.Generator
    ) -> list[list[int]]: ...


@dataclass(frozen=True)
class RandomProbe:
    """Uniform random token ids, as many as the budget allows (several tries per call)."""

    name: str = "random"
    tries: int = 4

    def moves(
        self, env: Any, observation: str, info: dict[str, Any], rng: np.random.Generator
    ) -> list[list[int]]:
        vocab, budget = env.unwrapped.judge.vocab_size, int(info["max_tokens"])
        return [[int(t) for t in rng.integers(0, vocab, size=budget)] for _ in range(self.tries)]


@dataclass(frozen=True)
class TrivialProbe:
    """A trivial move: ``empty``, ``copy`` (the longest visible text, cut to the budget) or
    ``repeat`` (the first token of the longest visible text, repeated to the budget)."""

    kind: str

    @property
    def name(self) -> str:
        return self.kind

    def moves(
        self, env: Any, observation: str, info: dict[str, Any], rng: np.random.Generator
    ) -> list[list[int]]:
        budget = int(info["max_tokens"])
        if self.kind == "empty":
            return [[]]
        texts = sorted(visible_texts(observation).values(), key=len, reverse=True)
        ids = [env.unwrapped.judge.encode(t) for t in texts if t.strip()]
        if self.kind == "copy":
            return [i[:budget] for i in ids] or [[]]
        return [[i[0]] * budget for i in ids if i] or [[]]


@dataclass(frozen=True)
class SearchProbe:
    """Judge-guided local search over token moves, scored with ``score_actions`` in batches.

    Args:
        budget: candidate moves evaluated per move (the strength knob of a ladder).
        pool: where candidate tokens come from: ``"words"`` (the visible texts' words),
            ``"vocab"`` (random vocabulary) or ``"mixed"`` (both, and common words).
        batch_size: candidates per ``score_actions`` call.
    """

    budget: int = 16
    pool: str = "mixed"
    batch_size: int = 16
    label: str = ""

    def __post_init__(self) -> None:
        if self.budget < 1 or self.batch_size < 1 or self.pool not in _POOLS:
            raise ConfigError(
                f"SearchProbe needs budget >= 1, batch_size >= 1 and a pool among "
                f"{', '.join(_POOLS)}; got {self.budget}, {self.batch_size}, {self.pool!r}"
            )

    @property
    def name(self) -> str:
        return self.label or f"search-{self.pool}-{self.budget}"

    def moves(
        self, env: Any, observation: str, info: dict[str, Any], rng: np.random.Generator
    ) -> list[list[int]]:
        max_tokens = int(info["max_tokens"])
        pool = self._pool(env, observation, rng)
        scored: dict[tuple[int, ...], float] = {}
        remaining = self.budget

        def evaluate(candidates: list[list[int]]) -> bool:
            nonlocal remaining
            fresh = list(dict.fromkeys(tuple(c[:max_tokens]) for c in candidates if c))
            fresh = [c for c in fresh if c not in scored][: min(self.batch_size, remaining)]
            if not fresh:
                return False
            values = env.unwrapped.score_actions([list(c) for c in fresh])
            for cand, value in zip(fresh, values):
                scored[cand] = _finite(value)
            remaining -= len(fresh)
            return True

        # Half the budget (one batch at most) ranks single tokens; the rest grows and edits
        # the best move, so even a small budget tries a few longer moves.
        evaluate([[t] for t in pool[: max(1, min(self.batch_size, (self.budget + 1) // 2))]])
        stale = 0
        while remaining > 0 and stale < 3:
            ranked = sorted(scored, key=scored.__getitem__, reverse=True)
            best, top = list(ranked[0]), [r[0] for r in ranked[:4]]
            grown = [[*best, t] for t in top + pool[:4]] if len(best) < max_tokens else []
            edits = [
                [*best[:i], t, *best[i + 1 :]]
                for i in range(len(best))
                for t in [*top[:2], pool[int(rng.integers(len(pool)))]]
            ]
            draws = [
                [pool[int(i)] for i in rng.integers(0, min(len(pool), 32), size=n)]
                for n in rng.integers(1, max_tokens + 1, size=4)
            ]
            batch = grown + edits + draws
            order = rng.permutation(len(batch))
            stale = 0 if evaluate([batch[i] for i in order]) else stale + 1
        return [list(c) for c in sorted(scored, key=scored.__getitem__, reverse=True)]

    def _pool(self, env: Any, observation: str, rng: np.random.Generator) -> list[int]:
        """Candidate tokens, interleaved from the pool's sources, without repeats."""
        judge = env.unwrapped.judge
        encoded = [
            judge.encode(" " + w)
            for text in visible_texts(observation).values()
            for w in _WORD.findall(text)
        ]
        words = [ids[0] for ids in encoded if ids]
        shuffled = [words[int(i)] for i in rng.permutation(len(words))]
        vocab = [int(t) for t in rng.integers(0, judge.vocab_size, size=64)]
        common = [t for text in COMMON_TOKENS for t in judge.encode(text)[:1]]
        sources = {
            "words": [shuffled],
            "vocab": [vocab],
            "mixed": [shuffled, common, vocab],
        }[self.pool]
        out: list[int] = []
        for i in range(max(map(len, sources))):
            for source in sources:
                if i < len(source):
                    out.append(source[i])
        return list(dict.fromkeys(out)) or vocab


def _finite(value: Any) -> float:
    number = float(value)
    return number if math.isfinite(number) else -math.inf


class CountingJudge:
    """A judge that counts the requests and tokens it is asked to score, and otherwise is
    the judge it wraps (pass it to ``gym.make(..., judge=meter)``)."""

    def __init__(self, judge: Any) -> None:
        self._judge = judge
        self.requests = 0
        self.tokens = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._judge, name)

    def score_batch(self, requests: Sequence[tuple[str, str]]) -> list[Any]:
        items = list(requests)
        self.requests += len(items)
        encode = self._judge.encode
        self.tokens += sum(len(encode(text)) + len(encode(prefix)) for text, prefix in items)
        return list(self._judge.score_batch(items))

    def snapshot(self) -> tuple[int, int]:
        """``(requests, tokens)`` counted so far."""
        return self.requests, self.tokens


# -- playing ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Episode:
    """One probe episode: its return (bits), how it ended, and what it cost."""

    total: float
    finished: bool
    steps: int
    refused: int
    requests: int  # most judge requests one step asked for
    tokens: int  # most judge tokens (texts and prefixes) one step asked for


def play_episode(
    env: Any,
    probe: Probe,
    instance: str,
    rng: np.random.Generator,
    meter: CountingJudge | None = None,
) -> Episode:
    """Play ``instance`` (an instance id) to the end with ``probe``; ``meter`` (a
    ``CountingJudge`` the env was made with) measures the judge cost of each step."""
    obs, info = env.reset(options={"instance": instance})
    total, steps, refused, requests, tokens = 0.0, 0, 0, 0, 0
    queue: list[list[int]] = []
    finished = False
    while steps < MAX_EPISODE_STEPS:
        if not queue:
            queue = probe.moves(env, obs, info, rng) or [[]]
        before = meter.snapshot() if meter is not None else (0, 0)
        obs, reward, terminated, truncated, info = env.step(queue.pop(0))
        if meter is not None:
            after = meter.snapshot()
            requests = max(requests, after[0] - before[0])
            tokens = max(tokens, after[1] - before[1])
        steps += 1
        total += float(reward)
        if terminated or truncated:
            finished = bool(terminated)
            break
        if info.get("ensure_failed"):
            refused += 1
        else:
            queue = []
    return Episode(total, finished, steps, refused, requests, tokens)


def quick_check(
    env: Any,
    observation: str,
    info: dict[str, Any],
    rng: np.random.Generator,
    random_moves: int = 4,
) -> list[float]:
    """Rewards of blind and trivial moves from the current state, in one ``score_actions``
    call: ``random_moves`` random moves, the empty, copy and repeat moves, and as many
    single words of the visible texts. A game whose rewards do not vary over these is
    noise-free but not a game."""
    candidates = RandomProbe(tries=random_moves).moves(env, observation, info, rng)
    for kind in ("empty", "copy", "repeat"):
        candidates += TrivialProbe(kind).moves(env, observation, info, rng)[:1]
    # Single words of the visible texts pass most word and character rules blind moves fail.
    words = SearchProbe(pool="words")._pool(env, observation, rng)
    candidates += [[t] for t in words[:random_moves]]
    return [_finite(v) for v in env.unwrapped.score_actions(candidates)]


@dataclass(frozen=True)
class MapRun:
    """A panel of probes on one map: returns per probe, the quick check, the judge cost."""

    instance: str
    spread: float  # max - min of the quick check's rewards at the first move
    returns: dict[str, list[float]]
    finished: dict[str, bool]
    requests: int
    tokens: int

    def mean(self, probe: str) -> float:
        values = self.returns[probe]
        return float(np.mean(values)) if values else math.nan

    def to_json(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "spread": self.spread,
            "returns": self.returns,
            "finished": self.finished,
            "requests": self.requests,
            "tokens": self.tokens,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MapRun:
        return cls(
            instance=str(data["instance"]),
            spread=float(data["spread"]),
            returns={k: [float(v) for v in vs] for k, vs in data["returns"].items()},
            finished={k: bool(v) for k, v in data["finished"].items()},
            requests=int(data["requests"]),
            tokens=int(data["tokens"]),
        )


#: The probe panel of a behavioural profile: blind, trivial and judge-guided players whose
#: scores differ from game to game in different ways.
DEFAULT_PANEL: tuple[Probe, ...] = (
    RandomProbe(),
    TrivialProbe("empty"),
    TrivialProbe("copy"),
    TrivialProbe("repeat"),
    SearchProbe(4, "mixed"),
    SearchProbe(16, "words"),
    SearchProbe(16, "vocab"),
    SearchProbe(32, "mixed"),
)


def run_map(
    env: Any,
    seed: int,
    rng: np.random.Generator,
    panel: Sequence[Probe] = DEFAULT_PANEL,
    random_episodes: int = 8,
    meter: CountingJudge | None = None,
) -> MapRun:
    """Play every probe of ``panel`` on the map that ``env.reset(seed=seed)`` draws.

    Random probes play ``random_episodes`` episodes (their mean is the random baseline);
    the others play one (they are deterministic given ``rng``'s state).
    """
    obs, info = env.reset(seed=seed)
    instance = str(info["instance_id"])
    scores = quick_check(env, obs, info, rng)
    returns: dict[str, list[float]] = {}
    finished: dict[str, bool] = {}
    requests = tokens = 0
    for probe in panel:
        episodes = random_episodes if isinstance(probe, RandomProbe) else 1
        # Searches are not metered: their score_actions branches fill the machine's cache, so
        # their own steps would look cheaper than they are.
        metered = None if isinstance(probe, SearchProbe) else meter
        runs = [play_episode(env, probe, instance, rng, metered) for _ in range(episodes)]
        returns[probe.name] = [r.total for r in runs]
        finished[probe.name] = all(r.finished for r in runs)
        requests = max([requests, *(r.requests for r in runs)])
        tokens = max([tokens, *(r.tokens for r in runs)])
    finite = [v for v in scores if math.isfinite(v)]
    spread = max(finite) - min(finite) if finite else 0.0
    return MapRun(instance, float(spread), returns, finished, requests, tokens)
