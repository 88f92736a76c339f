"""HumanAgent: a person plays in the terminal (``xent-envs play GAME``)."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from agents.base import TextAgent

__all__ = ["HumanAgent"]


class HumanAgent(TextAgent):
    """Shows the observation and reads one line as the move.

    Args:
        input: stream to read moves from; ``None`` uses ``input()`` (line editing, history).
        output: stream to write observations to; default ``sys.stdout``.

    Raises:
        EOFError: the input ended (Ctrl-D); ``xent-envs play`` takes it as quitting.
    """

    name = "human"

    def __init__(
        self, input: TextIO | None = None, output: TextIO | None = None, codec: Any = None
    ):
        super().__init__(codec)
        self.input = input
        self.output = output

    def act_text(self, observation: str, info: dict[str, Any]) -> str:
        out = self.output or sys.stdout
        budget = info.get("max_tokens")
        prompt = f"Your move (at most {budget} tokens): " if budget else "Your move: "
        out.write(f"\n{observation}\n\n")
        out.flush()
        if self.input is None:
            return input(prompt)
        out.write(prompt)
        out.flush()
        line = self.input.readline()
        if not line:
            raise EOFError("no more input")
        return line.rstrip("\r\n")
