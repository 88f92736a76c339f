"""The players of a game on the page: the person, and the agents holding the other seats.

The person is an agent of the evaluation's contract (``WebPlayer``), so the evaluation's own
``play_map`` plays the map and writes its record: a person's record is made by the same code
as every agent's. Its ``act`` asks the session for the next move (the page's, or a replayed
one) and encodes it with the judge.

An agent chosen to play the other seats is reset with a ``SeatView``: what agents reach
through ``reset(env)`` (``env.unwrapped.judge``, ``env.unwrapped.score_actions``), for its
own seat of the person's match, so a search agent ranks its moves by its own reward.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from xent_envs.envs.match import ActionScore, Match
from xent_envs.envs.opponents import Opponent, echo_opponent
from xent_envs.evaluation.agent import Agent
from xent_envs.judge.base import Judge
from xent_envs.web.recording import HUMAN_SOURCE

__all__ = ["SeatView", "WebPlayer", "agent_policy"]

#: asks the session for the person's move: (observation, info) -> (text, replayed)
MoveSource = Callable[[str, dict[str, Any]], tuple[str, bool]]


class WebPlayer:
    """The person at the page, as an evaluation agent.

    Args:
        ask: returns the next move as text (blocking until the page sends one, or taken
            from the moves to replay) and whether it was replayed.
    """

    name = HUMAN_SOURCE

    def __init__(self, ask: MoveSource) -> None:
        self._ask = ask
        self.env: Any = None
        self.stats: dict[str, float] = {"moves": 0, "replayed_moves": 0}
        self.last_details: dict[str, Any] = {}

    def reset(self, env: Any = None, seed: int | None = None) -> None:
        self.env = env

    def act(self, observation: str, info: dict[str, Any]) -> list[int]:
        text, replayed = self._ask(observation, info)
        self.stats["moves"] += 1
        self.stats["replayed_moves"] += int(replayed)
        self.last_details = {"text": text, "replayed": replayed}
        return list(self.env.unwrapped.judge.encode(text))

    def close(self) -> None:
        """Nothing to release: the session owns the env."""


class SeatView:
    """One seat of a running env, as an agent sees its env.

    Args:
        env: the person's env (its ``unwrapped.match`` is the running match).
        seat: the seat the agent plays.
    """

    def __init__(self, env: Any, seat: str) -> None:
        self._env = env
        self.seat = seat

    @property
    def unwrapped(self) -> SeatView:
        return self

    @property
    def judge(self) -> Judge:
        judge: Judge = self._env.unwrapped.judge
        return judge

    @property
    def match(self) -> Match:
        match: Match = self._env.unwrapped.match
        return match

    def score_actions(
        self,
        actions: Sequence[Sequence[int]],
        *,
        detail: bool = False,
        continuation: Opponent | None = echo_opponent,
    ) -> list[float] | list[ActionScore]:
        """``XentEnv.score_actions`` for this seat (the other seats, the person's included,
        played by the ``echo`` baseline on the branches)."""
        scores = self.match.score_actions(self.seat, actions, continuation=continuation)
        return scores if detail else [s.reward for s in scores]


def agent_policy(agent: Agent) -> Opponent:
    """``agent`` as an opponent policy of the env."""

    def policy(observation: str, info: Mapping[str, Any]) -> Sequence[int]:
        return agent.act(observation, dict(info))

    return policy
