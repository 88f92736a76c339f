"""``XentAECEnv``: every seat of a Xent game as a PettingZoo AEC env.

The agents are the game's seats (``black``, ``white``, ``alice``...), in order of first move;
``agent_selection`` is the seat the game asks next. A step plays that seat's move (judge
token ids), runs the game to the next move and pays every seat what the step earned it, so
``last()`` gives each seat its reward since its previous move (PettingZoo's cumulative
reward), and a zero-sum pair's rewards sum to zero at every step.

Moves follow the single-agent env's rules: a move over budget is cut by the language's rule
(``infos[seat]["cut"]``); bad ids are rejected as a game event (``invalid_action``,
``reason``; nothing is played and the same seat is asked again); a refused move (failed
``ensure``) is asked again with feedback. When the game ends, every seat is terminated
(finished) or truncated (an ``ensure`` limit, or ``step_limit`` moves of all seats together),
and each leaves with ``step(None)`` (PettingZoo's dead step).

Programming errors raise ``TurnError`` and change nothing: a step before ``reset``, a move for
a seat whose game is over (only ``None`` is allowed then), a step once every seat has left.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gymnasium import spaces
from pettingzoo import AECEnv

from xent_envs.envs.match import Match
from xent_envs.envs.opponents import Opponent
from xent_envs.errors import TurnError
from xent_envs.judge.base import Judge
from xent_envs.judge.models import DEFAULT_JUDGE
from xent_envs.maps.split import SplitChoice
from xent_envs.multiagent.core import SeatedGame, SeatEnv, game_over_error
from xent_envs.registration import MAX_EPISODE_STEPS

__all__ = ["XentAECEnv"]


class XentAECEnv(AECEnv[str, dict[str, Any], Sequence[int]]):
    """A Xent game's seats, one move at a time (PettingZoo AEC).

    Args:
        game: a registered game name or env id (``"Debate"``, ``"xent/Censor-v0"``).
        judge: a judge name (``"smollm2-135m"``, ``"tiny-random-gpt2"``...) or a loaded judge.
        render_mode: ``None`` or ``"ansi"`` (``render()`` returns the transcript).
        vary: parameters drawn at each reset from their range.
        split: the side of the train/eval split maps are drawn from (``"train"``, the
            default as for ``gym.make``, ``"eval"`` or ``"all"``).
        step_limit: moves of all seats together after which the episode is truncated.
        **params: fixed game parameters, and ``text_source`` or ``pool`` as for ``XentEnv``.

    Observations are dicts (``"observation"``: the text as int32 code points, ``"text"``: the
    text; see ``xent_envs.multiagent.observations``), showing only what the seat may see.
    Actions are judge token ids (``TokenSequence`` up to the seat's largest budget).

    Example:
        >>> from xent_envs.multiagent import env
        >>> aec = env("Debate", judge="tiny-random-gpt2")
        >>> aec.reset(seed=0)
        >>> aec.agents, aec.agent_selection
        (['black', 'white'], 'black')
    """

    metadata: dict[str, Any] = {  # noqa: RUF012
        "render_modes": ["ansi"],
        "name": "xent_v0",
        "is_parallelizable": False,
    }

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
        super().__init__()
        self.seated = SeatedGame(
            game, judge, render_mode=render_mode, vary=vary, split=split,
            step_limit=step_limit, **params,
        )  # fmt: skip
        space = self.seated.space
        self.metadata = {
            **type(self).metadata,
            "name": f"xent_{space.name}_v{space.version}",
            "is_parallelizable": self.seated.parallel_problem() is None,
        }
        self.render_mode = render_mode
        self.judge: Judge = self.seated.judge
        self.possible_agents: list[str] = list(self.seated.seats)
        self.observation_spaces: dict[str, spaces.Space[Any]] = dict(self.seated.observation_spaces)
        self.action_spaces: dict[str, spaces.Space[Any]] = dict(self.seated.action_spaces)
        self.agents: list[str] = []
        self.rewards: dict[str, float] = {}
        self._cumulative_rewards: dict[str, float] = {}
        self.terminations: dict[str, bool] = {}
        self.truncations: dict[str, bool] = {}
        self.infos: dict[str, dict[str, Any]] = {}
        self.agent_selection: str = self.possible_agents[0]

    # ----------------------------------------------------------------- PettingZoo API
    def observation_space(self, agent: str) -> spaces.Space[Any]:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space[Any]:
        return self.action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Draw a map (the one ``gym.make(game).reset(seed=seed)`` plays) and ask the first
        seat. ``options`` as for the single-agent env (``instance``, ``map_seed``,
        ``params``)."""
        match = self.seated.start(seed, options)
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {seat: match.info(seat) for seat in self.agents}
        self._skip_agent_selection = None
        self.agent_selection = match.pending_seat or self.agents[0]
        outcome = self.seated.outcome()
        if outcome.ended:  # a game that asks no move (every elicit skipped) ends at once
            for info in self.infos.values():
                if outcome.truncated:
                    info["truncation_reason"] = outcome.reason
            self._end(outcome.terminated)

    def step(self, action: Sequence[int] | None) -> None:
        """Play ``agent_selection``'s move (or, for a seat whose game is over, ``None``: it
        leaves).

        Raises:
            TurnError: no game is running (not reset, or every seat has left), or a move
                was given for a seat whose game is over.
        """
        self.seated.running()
        if not self.agents:
            raise game_over_error(self.seated)
        seat = self.agent_selection
        if self.terminations[seat] or self.truncations[seat]:
            if action is not None:
                raise TurnError(
                    f"{seat}'s game is over ({self.seated.ended_message()}): the only step "
                    "left is step(None), which removes it (PettingZoo's dead step); reset() "
                    "starts a new game"
                )
            self._was_dead_step(action)
            return
        self._cumulative_rewards[seat] = 0.0
        moved = self.seated.play(seat, action)
        self.rewards, self.infos, outcome = self.seated.settle(self.agents, {seat: moved})
        self._accumulate_rewards()
        if outcome.ended:
            self._end(outcome.terminated, after=seat)
        else:
            self.agent_selection = self.seated.running().pending_seat or seat

    def observe(self, agent: str) -> dict[str, Any]:
        return self.seated.observe(agent)

    def render(self) -> str | None:
        return self.seated.render() if self.render_mode == "ansi" else None

    def close(self) -> None:
        """Nothing to release: the judge is shared (``load_judge`` caches it)."""

    # ----------------------------------------------------------------- helpers
    def seat_env(self, seat: str, opponents: Mapping[str, Opponent] | None = None) -> SeatEnv:
        """``seat`` as an agent of ``agents/`` sees an env (``judge``, ``score_actions``), for
        ``agent.reset(aec.seat_env(seat))``; see ``SeatEnv``."""
        return SeatEnv(self.seated, seat, opponents)

    @property
    def match(self) -> Match | None:
        """The running ``Match`` (``None`` before ``reset``)."""
        return self.seated.match

    def _end(self, terminated: bool, after: str | None = None) -> None:
        for seat in self.agents:
            self.terminations[seat] = terminated
            self.truncations[seat] = not terminated
        # Each seat now leaves with step(None), starting with the one after the last mover.
        order = self.agents
        start = (order.index(after) + 1) % len(order) if after in order else 0
        self.agent_selection = order[start]
