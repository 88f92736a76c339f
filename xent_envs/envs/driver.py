"""Answering judge requests of many games at once: the one driver every view uses.

The interpreter never calls the model: it stops with a ``ScoreRequest``. Here the requests
of any number of games (one env, the candidates of ``score_actions``, the sub-envs of a vector
env, the seats of a multi-agent view) are merged, de-duplicated and answered with one
``judge.score_batch`` call per wave, until every game waits for a move or is over.

A game is anything with the machine's two-call protocol (``advance`` and
``provide_scores``): a ``Machine`` or a ``Match``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from xent_envs.errors import XentRuntimeError
from xent_envs.judge.base import Judge
from xent_envs.lang import ElicitRequest, GameOver, Request, ScoreRequest
from xent_envs.score import Score

if TYPE_CHECKING:
    from xent_envs.envs.match import Match
    from xent_envs.envs.opponents import Opponent

__all__ = ["MAX_MOVES_PER_DRIVE", "Advancing", "Chooser", "advance_all", "play_until"]

#: Moves the driver may play for other seats before the agent's turn comes back; far above
#: any game (rounds x elicits x ensure retries), so reaching it means a policy loops.
MAX_MOVES_PER_DRIVE = 10_000


class Advancing(Protocol):
    """A running game as the driver sees it (``Machine`` and ``Match`` both are)."""

    def advance(self) -> Request:
        """Run until a move or scores are needed, or the game ends."""
        ...

    def provide_scores(self, scores: Sequence[Score]) -> None:
        """Answer the pending ``ScoreRequest``."""
        ...


#: Given a match waiting for a move, the policy to play it now, or ``None`` to stop there
#: (the caller's seat: the agent moves next).
Chooser = Callable[["Match", ElicitRequest], "Opponent | None"]


def advance_all(games: Sequence[Advancing], judge: Judge) -> list[ElicitRequest | GameOver]:
    """Run every game until it needs a move or ends; one batched judge call per wave.

    Each wave gathers the pending requests of all games, asks the judge once for the distinct
    ``(text, prefix)`` pairs, and hands every game its answers.
    """
    pending = [g.advance() for g in games]
    while True:
        waiting = [i for i, req in enumerate(pending) if isinstance(req, ScoreRequest)]
        if not waiting:
            return pending  # type: ignore[return-value]
        requests = [pending[i] for i in waiting]
        items = list(dict.fromkeys(i for r in requests for i in r.items))  # type: ignore[union-attr]
        table = dict(zip(items, judge.score_batch(items)))
        for i, request in zip(waiting, requests):
            games[i].provide_scores([table[item] for item in request.items])  # type: ignore[union-attr]
            pending[i] = games[i].advance()


def play_until(matches: Sequence[Match], judge: Judge, choose: Chooser) -> None:
    """Advance ``matches`` together until each waits for a move ``choose`` stops at, or ends.

    ``choose(match, request)`` names the policy that plays a pending move now (an opponent's
    seat, a continuation) or returns ``None`` to leave the move to the caller. The moves of
    one wave are played, then all matches advance again in shared judge waves.

    Raises:
        XentRuntimeError: more than ``MAX_MOVES_PER_DRIVE`` moves were played without
            stopping (a policy that the game refuses forever cannot loop without end).
    """
    moves = 0
    live = list(matches)
    while live:
        requests = advance_all(live, judge)
        again = []
        for match, request in zip(live, requests):
            if isinstance(request, ElicitRequest):
                policy = choose(match, request)
                if policy is not None:
                    match.play_policy(policy)
                    again.append(match)
        moves += len(again)
        if moves > MAX_MOVES_PER_DRIVE:
            raise XentRuntimeError(
                f"{moves} moves were played for other seats without the game stopping; "
                "does an opponent policy keep failing an ensure?"
            )
        live = again
