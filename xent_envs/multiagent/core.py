"""``SeatedGame``: what the AEC and parallel views share (the seats, their spaces, the running
match, how an episode ends), so each view is only its stepping rule.

The game and its maps are chosen exactly as the single-agent env chooses them: a
``SeatedGame`` keeps a ``XentEnv`` as its *table* and starts each match through it, so
``reset(seed=s)`` (or ``options={"instance": id}``) plays the very map that
``gym.make(...).reset(seed=s)`` plays, with the same arguments (``vary``, ``split``, game
parameters) and the same checks. Only the table's reset phase is used; the seats are then
driven through the ``Match`` directly.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gymnasium import spaces

from xent_envs.envs.driver import advance_all
from xent_envs.envs.match import Match, MoveResult, RewardTerm, total_bits
from xent_envs.envs.opponents import Opponent, echo_opponent
from xent_envs.envs.xent_env import RESET_OPTIONS, XentEnv
from xent_envs.errors import ConfigError, TurnError, unknown_name
from xent_envs.games import GameSpace
from xent_envs.judge.base import Judge
from xent_envs.judge.models import DEFAULT_JUDGE
from xent_envs.maps.split import SplitChoice
from xent_envs.multiagent.observations import observation, observation_space
from xent_envs.multiagent.phases import parallel_problem
from xent_envs.registration import MAX_EPISODE_STEPS
from xent_envs.spaces import TokenSequence

__all__ = ["Outcome", "SeatEnv", "SeatedGame", "game_over_error", "unknown_seat"]


@dataclass(frozen=True)
class Outcome:
    """How the episode stands after a step: every seat terminated (the game finished),
    truncated (an ``ensure`` limit or the step limit; ``reason`` says which), or neither."""

    terminated: bool = False
    truncated: bool = False
    reason: str = ""

    @property
    def ended(self) -> bool:
        """Whether the episode is over for every seat."""
        return self.terminated or self.truncated


class SeatedGame:
    """One game's seats around a running match.

    Args:
        game: a registered game name or env id (one game: its seats are the agents).
        judge: a judge name or a loaded judge.
        render_mode, vary, split, **params: as for ``XentEnv``.
        step_limit: moves (of all seats together, rejected ones included) after which the
            episode is truncated (``None``: no limit).

    Attributes:
        table: the ``XentEnv`` that draws each map.
        space: the game space; ``seats``: the seats in order of first move.
        judge: the judge; ``match``: the running match (``None`` before ``reset``).
    """

    def __init__(
        self,
        game: str,
        judge: str | Judge = DEFAULT_JUDGE,
        *,
        render_mode: str | None = None,
        vary: Iterable[str] = (),
        split: SplitChoice | None = "train",
        step_limit: int | None = MAX_EPISODE_STEPS,
        **params: Any,
    ) -> None:
        if not isinstance(game, str) or game == "*":
            raise ConfigError(
                "a multi-agent env plays one game (its seats are the agents); give one game "
                f"name, got {game!r}"
            )
        if step_limit is not None and (isinstance(step_limit, bool) or step_limit < 1):
            raise ConfigError(f"step_limit must be a positive int or None, got {step_limit!r}")
        self.table = XentEnv(
            game, judge, seat=None, render_mode=render_mode, vary=vary, split=split,
            step_limit=None, **params,
        )  # fmt: skip
        self.space: GameSpace = self.table.spaces[0]
        self.judge: Judge = self.table.judge
        self.seats: tuple[str, ...] = tuple(self.table.budgets)
        self.step_limit = step_limit
        self.observation_spaces = {seat: observation_space() for seat in self.seats}
        self.action_spaces: dict[str, spaces.Space[Any]] = {
            seat: TokenSequence(self.judge.vocab_size, budget)
            for seat, budget in self.table.budgets.items()
        }
        self.match: Match | None = None
        self.steps = 0

    def parallel_problem(self) -> str | None:
        """Why this game cannot be played as a parallel env (``None`` when it can)."""
        # Seats and phases are the program's structure: parameters only change values.
        return parallel_problem(self.space.program())

    # ----------------------------------------------------------------- episode
    def start(self, seed: int | None, options: Mapping[str, Any] | None) -> Match:
        """Draw the map (as the single-agent env does) and run it to the first move.

        Keys of ``options`` other than the single-agent env's (``instance``, ``map_seed``,
        ``params``) are ignored with a warning: PettingZoo's conformance test passes
        ``{"options": 1}`` to every env to check that ``reset`` takes options at all.
        """
        known = dict(options or {})
        unknown = sorted(k for k in known if k not in RESET_OPTIONS)
        if unknown:
            warnings.warn(
                f"reset options {unknown} are not used; the options are {', '.join(RESET_OPTIONS)}",
                stacklevel=3,
            )
            known = {k: v for k, v in known.items() if k in RESET_OPTIONS}
        self.table._begin_reset(seed, known)
        match = self.table.match
        assert match is not None
        advance_all([match], self.judge)
        self.match = match
        self.steps = 0
        return match

    def running(self) -> Match:
        """The match, or ``TurnError`` before the first ``reset``."""
        if self.match is None:
            raise TurnError("the game has not started: call reset() first")
        return self.match

    def play(self, seat: str, action: Any) -> MoveResult:
        """Play ``seat``'s move (judge token ids; bad ids are rejected, not raised) and, when it
        was played, run the match to the next move or the end."""
        match = self.running()
        moved = match.play(seat, action)
        self.steps += 1
        if moved.accepted:
            advance_all([match], self.judge)
        return moved

    def settle(
        self, seats: Sequence[str], moved: Mapping[str, MoveResult]
    ) -> tuple[dict[str, float], dict[str, dict[str, Any]], Outcome]:
        """After a step: what each of ``seats`` was paid since its previous claim, their step
        infos (``Match.step_info``; a seat absent from ``moved`` is described by the move
        ``moved`` names first), and whether the episode ended."""
        match = self.running()
        default = next(iter(moved.values()))
        terms: dict[str, list[RewardTerm]] = {s: match.claim_rewards(s) for s in seats}
        rewards = {s: total_bits(terms[s]) for s in seats}
        infos = {s: match.step_info(s, moved.get(s, default), terms[s]) for s in seats}
        outcome = self.outcome()
        if outcome.truncated:
            for info in infos.values():
                info["truncation_reason"] = outcome.reason
        return rewards, infos, outcome

    def outcome(self) -> Outcome:
        """Whether the episode is over (game over, or the step limit reached)."""
        over = self.running().over
        if over is not None:
            finished = over.reason == "finished"
            return Outcome(finished, not finished, "" if finished else over.message)
        if self.step_limit is not None and self.steps >= self.step_limit:
            return Outcome(False, True, f"step limit reached: {self.steps} steps")
        return Outcome()

    def observe(self, seat: str) -> dict[str, Any]:
        """``seat``'s observation (see ``xent_envs.multiagent.observations``)."""
        if seat not in self.seats:
            raise ConfigError(unknown_seat(seat, self.seats, self.space.name))
        return observation(self.running().observe(seat))

    def render(self) -> str:
        """The transcript of the match: every seat's moves and rewards."""
        if self.match is None:
            return "(not started: call reset())"
        return "\n".join(self.match.transcript())

    def ended_message(self) -> str:
        """Why nothing more can be played (for errors)."""
        over = self.match.over if self.match is not None else None
        return over.message if over is not None else f"step limit reached: {self.steps} steps"


class SeatEnv:
    """One seat of a multi-agent env as the agents of ``agents/`` expect an env: ``judge``
    (the tokenizer), ``score_actions`` (search) and ``unwrapped`` (itself).

    ``score_actions`` scores candidates of this seat from the current state, the other seats
    played by ``opponents`` (default: ``echo_opponent``) while the round goes on: the seat's
    real opponents are other agents, whose moves the seat cannot know in advance.
    """

    def __init__(
        self,
        seated: SeatedGame,
        seat: str,
        opponents: Mapping[str, Opponent] | None = None,
    ) -> None:
        if seat not in seated.seats:
            raise ConfigError(unknown_seat(seat, seated.seats, seated.space.name))
        self.seated = seated
        self.seat = seat
        self.opponents = dict(opponents or {})

    @property
    def judge(self) -> Judge:
        """The judge (and tokenizer) of the game."""
        return self.seated.judge

    @property
    def unwrapped(self) -> SeatEnv:
        """Itself (agents reach ``env.unwrapped.judge`` and ``env.unwrapped.score_actions``)."""
        return self

    @property
    def match(self) -> Match | None:
        """The running match."""
        return self.seated.match

    def score_actions(
        self,
        actions: Sequence[Any],
        *,
        detail: bool = False,
        continuation: Opponent | None = echo_opponent,
    ) -> list[Any]:
        """The reward each candidate move of this seat would earn now (see
        ``XentEnv.score_actions``); ``detail=True`` returns ``ActionScore`` objects.

        Raises:
            TurnError: this seat is not asked to move now.
        """
        scores = self.seated.running().score_actions(
            self.seat, actions, opponents=self.opponents, continuation=continuation
        )
        return scores if detail else [s.reward for s in scores]


def unknown_seat(seat: Any, seats: Sequence[str], game: str) -> str:
    """The message for a seat ``game`` does not have, naming the seats it has.

    >>> unknown_seat("whit", ("black", "white"), "Debate")
    "unknown seat 'whit' of Debate. Did you mean 'white'? Valid: black, white."
    """
    return unknown_name("seat", str(seat), seats, where=f" of {game}")


def game_over_error(seated: SeatedGame) -> TurnError:
    """The error for a step after the episode ended."""
    return TurnError(
        f"the episode is over ({seated.ended_message()}); call reset() to start a new one"
    )
