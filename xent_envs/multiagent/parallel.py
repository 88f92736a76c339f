"""``XentParallelEnv``: a game whose seats move in the same phase, as a PettingZoo parallel env.

Only games whose every phase is blind and holds every seat can be played this way (see
``xent_envs.multiagent.phases``: no seat reads another's move before writing its own, and no
``ensure`` asks one seat again alone). Of the built-in games that is Schelling; asking for
any other game raises ``ConfigError`` with the reason and the games that qualify.

A step takes one move per seat (all of ``agents``), plays them in the program's order (which
changes nothing: no seat sees the others), then runs the game and pays every seat. Each
seat's observation and info describe its own move (``register``, ``max_tokens``), as they
would at its own ``elicit``. If any move has bad ids, none is played: the rejected seats'
infos say why (``invalid_action``, ``reason``) and every seat is asked again.

Errors that change nothing (``TurnError``): a step before ``reset`` or after the end, a move
missing for a seat, a move for a seat that is not in the game or has left.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gymnasium import spaces
from pettingzoo import ParallelEnv

from xent_envs.envs.driver import advance_all
from xent_envs.envs.match import Match, invalid_move_reason
from xent_envs.errors import ConfigError, TurnError
from xent_envs.judge.base import Judge
from xent_envs.judge.models import DEFAULT_JUDGE
from xent_envs.maps.split import SplitChoice
from xent_envs.multiagent.core import SeatedGame, game_over_error
from xent_envs.multiagent.observations import observation
from xent_envs.multiagent.phases import parallel_problem
from xent_envs.registration import MAX_EPISODE_STEPS, list_games
from xent_envs.spaces import as_token_ids

__all__ = ["XentParallelEnv", "parallel_games"]

Step = tuple[
    dict[str, dict[str, Any]],
    dict[str, float],
    dict[str, bool],
    dict[str, bool],
    dict[str, dict[str, Any]],
]


def parallel_games() -> list[str]:
    """The registered games that a parallel env can play."""
    return [space.name for space in list_games() if parallel_problem(space.program()) is None]


class XentParallelEnv(ParallelEnv[str, dict[str, Any], Any]):
    """The seats of a simultaneous-move Xent game, all moving at each step (PettingZoo
    parallel). Arguments, observations and actions as for ``XentAECEnv``.

    Raises:
        ConfigError: the game's seats do not all move in one blind phase (the message says
            why, and names the games that can be played in parallel).

    Example:
        >>> from xent_envs.multiagent import parallel_env
        >>> par = parallel_env("Schelling", judge="tiny-random-gpt2")
        >>> observations, infos = par.reset(seed=0)
        >>> sorted(observations), infos["alice"]["register"]
        (['alice', 'black', 'bob'], 'y1')
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi"], "name": "xent_v0"}  # noqa: RUF012

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
        self.seated = SeatedGame(
            game, judge, render_mode=render_mode, vary=vary, split=split,
            step_limit=step_limit, **params,
        )  # fmt: skip
        space = self.seated.space
        problem = self.seated.parallel_problem()
        if problem is not None:
            raise ConfigError(
                f"{space.name} cannot be played as a parallel env: {problem}. Play it with "
                f"the AEC env (xent_envs.multiagent.env({space.name!r})). Games whose seats "
                f"all move in the same phase: {', '.join(parallel_games()) or '(none)'}."
            )
        self.metadata = {**type(self).metadata, "name": f"xent_{space.name}_v{space.version}"}
        self.render_mode = render_mode
        self.judge: Judge = self.seated.judge
        self.possible_agents: list[str] = list(self.seated.seats)
        self.observation_spaces: dict[str, spaces.Space[Any]] = dict(self.seated.observation_spaces)
        self.action_spaces: dict[str, spaces.Space[Any]] = dict(self.seated.action_spaces)
        self.agents: list[str] = []
        self._views: dict[str, tuple[str, dict[str, Any]]] = {}

    # ----------------------------------------------------------------- PettingZoo API
    def observation_space(self, agent: str) -> spaces.Space[Any]:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space[Any]:
        return self.action_spaces[agent]

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """Draw a map (as ``XentAECEnv.reset`` does) and ask every seat for its move."""
        match = self.seated.start(seed, options)
        self.agents = list(self.possible_agents)
        self._views = self._phase_views(match)
        return self._observations(), {s: dict(info) for s, (_, info) in self._views.items()}

    def step(self, actions: Mapping[str, Any]) -> Step:
        """Play every seat's move of the phase (a dict seat -> judge token ids).

        Raises:
            TurnError: no game is running, or ``actions`` does not hold exactly one move per
                seat in ``agents`` (nothing is played).
        """
        match = self.seated.running()
        if not self.agents:
            raise game_over_error(self.seated)
        self._check_seats(actions)
        rejected = {
            seat: reason
            for seat in self.agents
            if (reason := invalid_move_reason(as_token_ids(actions[seat]), self.judge.vocab_size))
        }
        if rejected:
            return self._rejected(rejected)
        # The phase's order (which changes nothing: no seat of it sees the others' moves).
        moved = {seat: self.seated.play(seat, actions[seat]) for seat in self._views}
        rewards, infos, outcome = self.seated.settle(self.agents, moved)
        done = dict.fromkeys(self.agents, outcome.terminated)
        cut = dict.fromkeys(self.agents, outcome.truncated)
        if outcome.ended:
            observations = {s: self.seated.observe(s) for s in self.agents}
            self.agents = []
            self._views = {}
            return observations, rewards, done, cut, infos
        self._views = self._phase_views(match)
        for seat, (_, asked) in self._views.items():  # describe each seat's own next move
            infos[seat].update({k: asked[k] for k in ("player", "register", "max_tokens")})
        return self._observations(), rewards, done, cut, infos

    def render(self) -> str | None:
        return self.seated.render() if self.render_mode == "ansi" else None

    def close(self) -> None:
        """Nothing to release: the judge is shared (``load_judge`` caches it)."""

    @property
    def match(self) -> Match | None:
        """The running ``Match`` (``None`` before ``reset``)."""
        return self.seated.match

    # ----------------------------------------------------------------- internals
    def _phase_views(self, match: Match) -> dict[str, tuple[str, dict[str, Any]]]:
        """Each seat's observation and info at its own ``elicit`` of the coming phase.

        The match asks the seats one after another; since no seat of a blind phase sees the
        moves before its own, each later seat's view is read on a branch where the earlier
        seats wrote placeholders (no judge call: nothing runs between the elicits).
        """
        twin, views = match, {}
        for index in range(len(self.possible_agents)):
            seat = twin.pending_seat
            if seat is None or seat in views:
                break
            views[seat] = (twin.observe(seat), twin.info(seat))
            if index + 1 < len(self.possible_agents):
                twin = twin.branch() if twin is match else twin
                twin.play_text(seat, "")
                advance_all([twin], self.judge)
        return views

    def _observations(self) -> dict[str, dict[str, Any]]:
        return {seat: observation(text) for seat, (text, _) in self._views.items()}

    def _check_seats(self, actions: Mapping[str, Any]) -> None:
        if not isinstance(actions, Mapping):
            raise TurnError(
                f"a parallel step takes a dict seat -> move for {', '.join(self.agents)}; "
                f"got {type(actions).__name__}"
            )
        extra = [s for s in actions if s not in self.agents]
        missing = [s for s in self.agents if s not in actions]
        if extra or missing:
            problems = []
            if extra:
                problems.append(f"moves for {', '.join(map(repr, extra))}, not a seat to move")
            if missing:
                problems.append(f"no move for {', '.join(missing)}")
            raise TurnError(
                f"{'; '.join(problems)}: every step takes one move for each of "
                f"{', '.join(self.agents)}; nothing was played"
            )

    def _rejected(self, rejected: Mapping[str, str]) -> Step:
        """A phase with bad moves: nothing played, every seat asked again (the reasons are
        in the infos; the observations stay those of the phase)."""
        infos: dict[str, dict[str, Any]] = {}
        for seat, (_, asked) in self._views.items():
            info = {**asked, "invalid_action": seat in rejected}
            if seat in rejected:
                info["reason"] = rejected[seat]
            else:
                info["reason"] = f"not played: {', '.join(sorted(rejected))}'s move was rejected"
            infos[seat] = info
        zero = dict.fromkeys(self.agents, 0.0)
        no = dict.fromkeys(self.agents, False)
        return self._observations(), zero, no, dict(no), infos
