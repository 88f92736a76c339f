"""An agent that ends its Ray worker's process, for the fault tests of the Ray backend."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agents.random_agent import RandomAgent


class Crashing(RandomAgent):
    """A random agent whose process exits in ``act`` on the maps whose agent seed is in
    ``crash_seeds``; with a ``marker`` file path, only the first time (the retried map then
    plays as a random agent would)."""

    name = "crashing"

    def __init__(self, seed: int = 0, crash_seeds: Any = (), marker: str = "") -> None:
        super().__init__(seed=seed)
        self.crash_seeds = {int(s) for s in crash_seeds}
        self.marker = marker
        self.map_seed: int | None = None

    def reset(self, env: Any = None, seed: int | None = None) -> None:
        super().reset(env, seed=seed)
        self.map_seed = seed

    def act(self, observation: str, info: dict[str, Any]) -> list[int]:
        if self.map_seed in self.crash_seeds:
            if not self.marker:
                os._exit(1)
            marker = Path(self.marker)
            if not marker.exists():
                marker.write_text("crashed once")
                os._exit(1)
        return super().act(observation, info)
