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
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["RoundRecord", "quote", "render_observation"]


def quote(text: str) -> str:
    """JSON string quoting: unambiguous, one line, keeps Unicode readable."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True)
class RoundRecord:
    """One finished round as the main player remembers it."""

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
    register: str,
    max_tokens: int,
    history: list[RoundRecord],
    feedback: str | None,
) -> str:
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
    lines += ["## Your move", f"Write {register} in at most {max_tokens} tokens."]
    return "\n".join(lines)
