"""Agents as a third-party package would ship them, for the factory and entry-point tests."""

from __future__ import annotations

from agents.random_agent import RandomAgent


class Echo(RandomAgent):
    """A random agent under another name, with one option of its own."""

    name = "echo"

    def __init__(self, seed: int = 0, loud: bool = False) -> None:
        super().__init__(seed=seed)
        self.loud = loud


class NotAnAgent:
    """Has ``act`` but none of the rest of the contract."""

    def act(self, observation, info):
        return [1]


def broken(**options):
    raise ValueError("the model file is missing")
