"""Sampling new games: whole programs assembled from the typed blocks of ``grammar``.

A sampled program has three parts:

1. **Map texts**: one to three sources (a generated story, a fixed text, an item drawn from
   a generated list), then up to two windows of them (an opening, the continuation after an
   opening, an ending, a first sentence).
2. **Seats**: ``solo`` (black alone), ``duel`` (black and white, the zero-sum pair, each
   paid the same kind of term on its own side), ``helper`` (a seat that sees only public
   registers and what black reveals to it, and whose move pays both), or ``trio`` (one
   partial-information seat moves before black, another after).
3. **One or two moves of black**, each followed by its ``ensure`` constraints, an optional
   processing (words struck out, a frame) that is revealed, and the rewards that pay it: a
   signed, weighted sum of ``xent``/``xed``/``nex``/``dex`` terms in which the move sits as a
   prefix, as the predicted text, or between a context and a target.

Assignments nothing reads are then pruned (a story no term uses would cost a generation per
map for nothing). Every choice comes from one ``Draw`` seeded with the sampler seed, so
``sample_game(seed)`` is
a pure function of ``seed`` and the ``SamplerConfig``. By construction every program passes
the checker and the static playability rules (``Analysis.problems``); ``sample_game`` checks
both and raises if a block ever breaks them (a bug, counted by the benchmark).

Example:
    >>> game = sample_game(7)
    >>> game.digest == sample_game(7).digest, game.analysis.problems()
    (True, [])
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from xent_envs.errors import ConfigError, XentCheckError
from xent_envs.generation.analysis import unused_assignments
from xent_envs.generation.game import GeneratedGame
from xent_envs.generation.grammar import (
    HELPERS,
    Draw,
    Scope,
    TermSpec,
    constraint,
    reward_lines,
    term_spec,
    text_source,
    text_window,
    transform,
)
from xent_envs.lang import load
from xent_envs.lang.names import MAIN_PLAYER

__all__ = ["SEAT_TEMPLATES", "SamplerConfig", "sample_game", "sample_games"]

SEAT_TEMPLATES = ("solo", "duel", "helper", "trio")


@dataclass(frozen=True)
class SamplerConfig:
    """The shape of the sampled space (every field has a sensible default).

    Attributes:
        budgets: token budgets a move may get.
        max_sources: most map-text sources (stories, fixed texts, list items).
        max_windows: most windows cut from them.
        max_terms: most reward terms per move.
        second_move: probability that black moves twice.
        transform: probability that a move is processed (words struck out, a frame).
        constraint: probability that a move must pass an ``ensure``.
        seats: weights of the seat templates ``solo``, ``duel``, ``helper``, ``trio``.
    """

    budgets: tuple[int, ...] = (4, 6, 8, 10, 12, 16)
    max_sources: int = 3
    max_windows: int = 2
    max_terms: int = 3
    second_move: float = 0.2
    transform: float = 0.5
    constraint: float = 0.35
    seats: tuple[tuple[str, float], ...] = (
        ("solo", 0.6),
        ("duel", 0.15),
        ("helper", 0.15),
        ("trio", 0.1),
    )

    def __post_init__(self) -> None:
        if not self.budgets or any(not isinstance(b, int) or b < 1 for b in self.budgets):
            raise ConfigError(f"budgets must be positive integers, got {self.budgets!r}")
        for name in ("max_sources", "max_terms"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_windows < 0:
            raise ConfigError(f"max_windows must be at least 0, got {self.max_windows}")
        for name in ("second_move", "transform", "constraint"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"{name} is a probability, got {getattr(self, name)}")
        unknown = [s for s, _ in self.seats if s not in SEAT_TEMPLATES]
        if unknown or not self.seats or any(w < 0 for _, w in self.seats):
            raise ConfigError(
                f"seats must weigh some of {', '.join(SEAT_TEMPLATES)} (weights >= 0), "
                f"got {self.seats!r}"
            )
        if sum(w for _, w in self.seats) <= 0:
            raise ConfigError("at least one seat template needs a positive weight")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["budgets"] = list(self.budgets)
        data["seats"] = dict(self.seats)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SamplerConfig:
        """Inverse of ``to_json`` (missing fields take their defaults).

        Raises:
            ConfigError: an unknown field or a bad value.
        """
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(
                f"unknown sampler settings {sorted(unknown)}; valid: {', '.join(sorted(known))}"
            )
        values = dict(data)
        if "budgets" in values:
            values["budgets"] = tuple(values["budgets"])
        if "seats" in values:
            seats = values["seats"]
            values["seats"] = tuple(
                (str(k), float(v))
                for k, v in (seats.items() if isinstance(seats, Mapping) else seats)
            )
        return cls(**values)

    def key(self) -> str:
        """A short hash of the configuration (part of a sampled game's provenance)."""
        blob = json.dumps(self.to_json(), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:8]


DEFAULT_CONFIG = SamplerConfig()


def sample_game(seed: int, config: SamplerConfig = DEFAULT_CONFIG) -> GeneratedGame:
    """The game that sampler seed ``seed`` gives under ``config``.

    Raises:
        XentCheckError: the program breaks a rule of the language or a static playability
            rule: a bug of the grammar (never expected; the benchmark counts them).
    """
    draw = Draw(seed, config.key())
    lines = _pruned(_program(draw, config))
    origin = f"sample seed={seed}" + ("" if config == DEFAULT_CONFIG else f" config={config.key()}")
    game = GeneratedGame.from_lines(lines, origin)
    problems = game.analysis.problems()
    if problems:
        raise XentCheckError(f"sampled game {seed} breaks a static rule: {'; '.join(problems)}")
    return game


def sample_games(
    n: int, seed: int = 0, config: SamplerConfig = DEFAULT_CONFIG
) -> Iterator[tuple[int, GeneratedGame]]:
    """``n`` games with sampler seeds derived from ``seed``: ``(game_seed, game)`` pairs."""
    draw = Draw(seed, "seeds")
    for _ in range(n):
        game_seed = int(draw.rng.integers(0, 2**63 - 1))
        yield game_seed, sample_game(game_seed, config)


def _pruned(lines: list[str]) -> list[str]:
    """``lines`` without assignments nothing reads (a text source no term uses, a window
    left aside), repeated until none is left: they would cost map generation for nothing."""
    while True:
        dead = set(unused_assignments(load("\n".join(lines))))
        if not dead:
            return lines
        lines = [line for i, line in enumerate(lines) if i not in dead]


def _program(draw: Draw, config: SamplerConfig) -> list[str]:
    scope = Scope()
    lines: list[str] = []
    seats = draw.weighted(dict(config.seats))
    for _ in range(draw.integer(1, config.max_sources)):
        lines += text_source(draw, scope)
    for _ in range(draw.integer(0, config.max_windows)):
        lines += text_window(draw, scope)
    helpers: list[str] = []
    if seats in ("helper", "trio"):
        helpers = [draw.pick(HELPERS)]
        if seats == "trio":
            helpers.append(draw.pick([h for h in HELPERS if h != helpers[0]]))
        if not any(t.startswith("p") for t in scope.texts):
            lines += text_window(draw, scope, public=True)
    budget = draw.pick(config.budgets)
    moves = 2 if draw.chance(config.second_move) else 1
    for k in range(moves):
        lines += _move(draw, scope, config, seats, helpers, k, budget)
    return lines


def _move(
    draw: Draw,
    scope: Scope,
    config: SamplerConfig,
    seats: str,
    helpers: list[str],
    k: int,
    budget: int,
) -> list[str]:
    """Black's ``k``-th move with the other seats' moves around it and the rewards."""
    lines: list[str] = []
    contexts = scope.player_moves(MAIN_PLAYER)  # later moves may continue earlier ones
    if seats == "trio" and k == 0:  # the first helper moves first, on public texts only
        early = scope.fresh("y")
        scope.moves[early] = helpers[0]
        lines.append(f"elicit({helpers[0]}, {early}, {budget})")
        public = [t for t in scope.texts if t.startswith("p")]
        spec = TermSpec("predict", "xed", "", draw.pick(public), 1.0)
        lines += reward_lines([spec.render(early, early)], helpers[0], split=False)
        contexts.append(early)
    move = scope.fresh("x")
    scope.moves[move] = MAIN_PLAYER
    lines.append(f"elicit({move}, {budget})")
    if draw.chance(config.constraint):
        conditions = [constraint(draw, scope, move)]
        if draw.chance(0.25):
            conditions.append(constraint(draw, scope, move))
        lines.append(f"ensure({', '.join(dict.fromkeys(conditions))})")
    processing = transform(draw, scope) if draw.chance(config.transform) else None
    shown = move
    if processing is not None:
        line, shown = processing.apply(scope, move)
        lines += [line, f"reveal({shown})"]
    # A term drawn twice is kept once: the sum would only double its weight.
    specs = list(
        {
            spec.render(move, shown)[1]: spec
            for spec in (
                term_spec(draw, scope, contexts) for _ in range(draw.integer(1, config.max_terms))
            )
        }.values()
    )
    mine = [spec.render(move, shown) for spec in specs]
    split = draw.chance(0.5)
    if seats == "duel":
        other = scope.fresh("y")
        scope.moves[other] = "white"
        lines.append(f"elicit(white, {other}, {budget})")
        other_shown = other
        if processing is not None:
            line, other_shown = processing.apply(scope, other)
            lines.append(line)
        theirs = [spec.mirrored(scope.texts).render(other, other_shown) for spec in specs]
        return lines + reward_lines(mine, MAIN_PLAYER, split) + reward_lines(theirs, "white", split)
    if seats in ("helper", "trio"):
        helper = helpers[-1]
        guess = scope.fresh("y")
        scope.moves[guess] = helper
        lines += [f"reveal({helper}, {shown})", f"elicit({helper}, {guess}, {budget})"]
        hidden = draw.pick([t for t in scope.texts if not t.startswith("p")] or scope.texts)
        shared = (1.0, f"xed({hidden} | {guess})")
        return (
            lines
            + reward_lines([*mine, shared], MAIN_PLAYER, split)
            + reward_lines([shared], helper, split=False)
        )
    return lines + reward_lines(mine, MAIN_PLAYER, split)
