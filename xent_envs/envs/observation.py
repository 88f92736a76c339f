"""What a player reads: the observation text, in one stable format.

The layout is part of the env's contract (agents parse it, prompts quote it), so it changes
only with a version bump of the env ids. Sections, in order:

    # <Game> - round r/R
    <rules>
    ## Visible
    <register> = "<text>"            (one per visible register, JSON-quoted)
    ## Earlier rounds                  (only from round 2 on)
    round 1: "<move>" -> +3.21 bits
    ## Feedback                        (only after a rejected or failed move)
    <why the last move did not count>
    ## Your move
    Write <register> in at most <n> tokens.

A seat that is not asked now (another seat moves) reads the same sections up to the
feedback, with what it was last shown, then ``## Waiting`` / ``<seat> is to move.``; once the
game is over every seat reads ``# <Game> - game over (<reason>)`` and its round scores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["RoundRecord", "quote", "render_game_over", "render_observation"]


def quote(text: str) -> str:
    """JSON string quoting: unambiguous, one line, keeps Unicode readable."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True)
class RoundRecord:
    """One finished round as a seat remembers it: its own moves and its score."""

    round: int
    moves: tuple[tuple[str, str], ...]
    score: float


def render_observation(
    *,
    game: str,
    rules: str,
    round: int,
    rounds: int,
    visible: dict[str, str],
    register: str | None,
    max_tokens: int,
    history: list[RoundRecord],
    feedback: str | None,
    waiting_for: str | None = None,
) -> str:
    """The observation of a seat asked to write ``register`` (or, with ``register=None``,
    of a seat waiting while ``waiting_for`` moves)."""
    lines = [f"# {game} - round {round + 1}/{rounds}", rules.strip(), "## Visible"]
    lines += [f"{name} = {quote(value)}" for name, value in sorted(visible.items())] or [
        "(nothing)"
    ]
    if history:
        lines.append("## Earlier rounds")
        for rec in history:
            moves = ", ".join(f"{reg} = {quote(text)}" for reg, text in rec.moves)
            lines.append(f"round {rec.round + 1}: {moves} -> {rec.score:+.2f} bits")
    if feedback:
        lines += ["## Feedback", feedback]
    if register is None:
        lines += ["## Waiting", f"{waiting_for} is to move."]
    else:
        lines += ["## Your move", f"Write {register} in at most {max_tokens} tokens."]
    return "\n".join(lines)


def render_game_over(*, game: str, reason: str, history: list[RoundRecord]) -> str:
    """What every seat reads once the game has ended: the reason and its round scores."""
    lines = [f"# {game} - game over ({reason})"]
    lines += [f"round {r.round + 1}: {r.score:+.2f} bits" for r in history]
    return "\n".join(lines)
