"""Wrappers that change how an agent talks to a Xent env, never what the game is.

``TextActions`` lets agents that think in strings play: the text is encoded with the judge's
own tokenizer, so what the judge scores is exactly the agent's text (cut to the budget).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from xent_envs.spaces import UnicodeText

__all__ = ["TextActions"]

MAX_MOVE_CHARS = 2048


class TextActions(gym.ActionWrapper, gym.utils.RecordConstructorArgs):
    """Take moves as text instead of token ids.

    Example:
        >>> import gymnasium as gym, xent_envs
        >>> env = TextActions(gym.make("xent/Condense-v0", judge="tiny-random-gpt2"))
        >>> _ = env.reset(seed=0)
        >>> _, reward, *_ = env.step("a short summary")
        >>> isinstance(reward, float)
        True
    """

    def __init__(self, env: gym.Env) -> None:
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.ActionWrapper.__init__(self, env)
        self.action_space = UnicodeText(MAX_MOVE_CHARS)

    def action(self, action: Any) -> Any:
        """Encode a string; anything else goes through, for the env to reject as a game event."""
        if isinstance(action, str):
            return self.env.unwrapped.judge.encode(action)
        return action
