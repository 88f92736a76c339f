"""Playability: is a generated game a real game, or noise? Measured, not guessed.

A game is kept only if it passes every filter:

========== ================================================================================
static     the program's static rules (``Analysis.problems``): the main player moves, every
           reward depends on a move, every move of the main player is scored in its own step,
           every ``ensure`` checks the move it refuses, every seat's move counts.
varies     on every map, the rewards of a batch of blind and trivial moves (one batched
           ``score_actions`` call at the first move) are not all equal.
skill      a judge-guided search (``SearchProbe``) beats random play by a clear margin: on a
           majority of maps, it scores above every one of several random episodes and at
           least ``skill_bits`` above their mean (random returns are heavy-tailed, so the bar
           is their maximum, not a multiple of their deviation).
trivial    the best score is not reached by a trivial move: on a majority of maps the search
           beats the best of the empty move, a visible text copied verbatim and one token
           repeated, by at least ``trivial_bits``.
completes  the search finishes every episode (its moves can pass the ``ensure`` rules).
cost       judge cost per step is bounded: at most ``max_requests`` scored texts and
           ``max_tokens`` judge tokens per step.
========== ================================================================================

``evaluate`` runs them cheapest first and, with ``early_stop``, stops at the first failure
(the evolution's setting); without it every filter runs, for pass-rate statistics. Each
filter result says why it passed or failed, with numbers.

The search's judge calls are batched (``score_actions`` scores up to 16 moves per call), and
the probes of a map share its map texts (generated once per map and cached by the env).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from xent_envs.errors import UnknownNameError
from xent_envs.games import GameDef
from xent_envs.generation.game import GeneratedGame
from xent_envs.generation.probes import DEFAULT_PANEL, CountingJudge, MapRun, Probe, run_map
from xent_envs.registration import game_space, register_game
from xent_envs.seeding import derive_seed

__all__ = [
    "FILTERS",
    "Evaluation",
    "FilterConfig",
    "FilterResult",
    "GameProfile",
    "ensure_registered",
    "evaluate",
    "profile_game",
]

FILTERS = ("static", "varies", "skill", "trivial", "completes", "cost")
_RANDOM, _TRIVIAL = "random", ("empty", "copy", "repeat")


@dataclass(frozen=True)
class FilterConfig:
    """Thresholds of the playability filters (bits are the judge's cross-entropy bits)."""

    min_spread: float = 1e-3
    skill_bits: float = 1.0
    trivial_bits: float = 1.0
    majority: float = 2 / 3
    max_requests: int = 32
    max_tokens: int = 8192
    search: str = "search-mixed-32"


@dataclass(frozen=True)
class FilterResult:
    """One filter's verdict: ``passed`` is None when it was not run (an earlier one failed)."""

    name: str
    passed: bool | None
    detail: str


@dataclass(frozen=True)
class GameProfile:
    """The probe panel's returns on a few maps of one game: the behavioural profile."""

    name: str
    maps: tuple[MapRun, ...]
    seconds: float = 0.0

    def means(self) -> dict[str, float]:
        """Each probe's mean return over the maps (bits)."""
        names = list(self.maps[0].returns) if self.maps else []
        return {p: float(np.mean([m.mean(p) for m in self.maps])) for p in names}

    def vector(self) -> np.ndarray:
        """The profile as a unit-free vector: the probes' mean returns, centred and scaled
        to unit length, so two games compare by how the probes rank and space on them,
        not by their scales in bits (all zeros when every probe scores the same)."""
        values = np.array(list(self.means().values()), dtype=float)
        values = np.nan_to_num(values - values.mean())
        norm = float(np.linalg.norm(values))
        return values / norm if norm > 1e-12 else np.zeros_like(values)

    def playability(self, search: str) -> float:
        """How much skill pays, in (-1, 1): per map, the search's margin over the best of
        random play and the trivial moves, relative to the size of both scores
        (``(search - floor) / (|search| + |floor| + 1)``); mean over maps. A game where the
        empty move scores 82 bits and the search 84 is barely playable (0.01); one where
        random play loses 20 bits and the search wins 10 is very playable (0.97)."""
        margins = []
        for run in self.maps:
            floor = max([run.mean(_RANDOM), *(run.mean(t) for t in _TRIVIAL if t in run.returns)])
            best = run.mean(search)
            margins.append((best - floor) / (abs(best) + abs(floor) + 1.0))
        return float(np.mean(margins)) if margins else -1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seconds": self.seconds,
            "maps": [m.to_json() for m in self.maps],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GameProfile:
        return cls(
            name=str(data["name"]),
            maps=tuple(MapRun.from_json(m) for m in data["maps"]),
            seconds=float(data.get("seconds", 0.0)),
        )


@dataclass(frozen=True)
class Evaluation:
    """A game's filter results, its profile (when the judge filters ran) and cost."""

    name: str
    results: tuple[FilterResult, ...]
    profile: GameProfile | None = None

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results) and len(self.results) == len(FILTERS)

    def result(self, name: str) -> FilterResult:
        return next(r for r in self.results if r.name == name)

    @property
    def failed(self) -> FilterResult | None:
        """The first filter that failed, if any."""
        return next((r for r in self.results if r.passed is False), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "results": [asdict(r) for r in self.results],
            "profile": self.profile.to_json() if self.profile else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evaluation:
        profile = data.get("profile")
        return cls(
            name=str(data["name"]),
            results=tuple(FilterResult(**r) for r in data["results"]),
            profile=GameProfile.from_json(profile) if profile else None,
        )


def ensure_registered(definition: GameDef, *, listed: bool = False) -> str:
    """Register ``definition`` unless the same program is registered under its name;
    return its env id. Games played on the way (probes, ``xent/Sampled-v0``) are unlisted,
    so ``xent/Random-v0`` never draws them; a suite lists its games."""
    try:
        space = game_space(definition.name)
    except UnknownNameError:
        space = None
    if space is None or space.definition.source != definition.source or listed:
        space = register_game(definition, listed=listed)
    return space.env_id


def profile_game(
    definition: GameDef,
    judge: Any,
    *,
    maps: int = 2,
    seed: int = 0,
    panel: Sequence[Probe] = DEFAULT_PANEL,
    random_episodes: int = 8,
    meter: CountingJudge | None = None,
) -> GameProfile:
    """Play the probe panel on ``maps`` maps of a game (any ``GameDef``: generated or
    built-in, registered on the way), with map seeds and probe randomness from ``seed``."""
    start = time.perf_counter()
    meter = meter or CountingJudge(judge)
    env = gym.make(ensure_registered(definition), judge=meter).unwrapped
    try:
        runs = []
        for index in range(maps):
            map_seed = derive_seed("xent-probe-map", seed, definition.name, index)
            rng = np.random.default_rng(derive_seed("xent-probe", seed, definition.name, index))
            runs.append(run_map(env, map_seed, rng, panel, random_episodes, meter))
    finally:
        env.close()
    return GameProfile(definition.name, tuple(runs), time.perf_counter() - start)


def evaluate(
    game: GeneratedGame,
    judge: Any,
    *,
    maps: int = 2,
    seed: int = 0,
    config: FilterConfig | None = None,
    panel: Sequence[Probe] = DEFAULT_PANEL,
    early_stop: bool = True,
) -> Evaluation:
    """Run the playability filters on ``game`` (see the module docstring).

    With ``early_stop`` the judge is not used for a game that fails the static rules, and the
    probe panel does not run on a game whose first map's rewards do not vary.
    """
    config = config or FilterConfig()
    problems = game.analysis.problems()
    results = [FilterResult("static", not problems, "; ".join(problems) or "all rules hold")]
    if problems and early_stop:
        return Evaluation(game.name, tuple(results))
    definition = game.definition()
    meter = CountingJudge(judge)
    if early_stop:
        first = profile_game(definition, judge, maps=1, seed=seed, panel=(), meter=meter)
        if first.maps[0].spread < config.min_spread:
            results.append(_varies(first.maps, config))
            return Evaluation(game.name, tuple(results), first)
    profile = profile_game(definition, judge, maps=maps, seed=seed, panel=panel, meter=meter)
    results += judge_filters(profile, config)
    return Evaluation(game.name, tuple(results), profile)


def judge_filters(profile: GameProfile, config: FilterConfig) -> list[FilterResult]:
    """The dynamic filters, read off a profile (the panel must include ``config.search``,
    the random probe and the trivial ones)."""
    runs = profile.maps
    need = math.ceil(config.majority * len(runs) - 1e-9)
    search = config.search
    skill, trivial = [], []
    for run in runs:
        random = run.returns[_RANDOM]
        bar = max(float(np.mean(random)) + config.skill_bits, max(random))
        skill.append(run.mean(search) - bar)
        best_trivial = max(run.mean(t) for t in _TRIVIAL)
        trivial.append(run.mean(search) - best_trivial - config.trivial_bits)
    worst_requests = max(r.requests for r in runs)
    worst_tokens = max(r.tokens for r in runs)
    return [
        _varies(runs, config),
        FilterResult(
            "skill",
            sum(m >= 0 for m in skill) >= need,
            f"search minus the best random episode (or their mean + {config.skill_bits} "
            f"bits), per map: {_bits(skill)}",
        ),
        FilterResult(
            "trivial",
            sum(m >= 0 for m in trivial) >= need,
            f"search minus best trivial move, beyond {config.trivial_bits} bits, per map: "
            f"{_bits(trivial)}",
        ),
        FilterResult(
            "completes",
            all(r.finished[search] for r in runs),
            "the search finished every map"
            if all(r.finished[search] for r in runs)
            else "the search's moves were refused until the episode was truncated",
        ),
        FilterResult(
            "cost",
            worst_requests <= config.max_requests and worst_tokens <= config.max_tokens,
            f"at most {worst_requests} judge requests and {worst_tokens} tokens per step "
            f"(bounds {config.max_requests}, {config.max_tokens})",
        ),
    ]


def _varies(runs: Sequence[MapRun], config: FilterConfig) -> FilterResult:
    spreads = [r.spread for r in runs]
    return FilterResult(
        "varies",
        all(s >= config.min_spread for s in spreads),
        f"reward spread of blind and trivial moves per map: {_bits(spreads)}",
    )


def _bits(values: Sequence[float]) -> str:
    return ", ".join(f"{v:+.2f}" for v in values) + " bits"
