"""Wrappers that change how an agent talks to a Xent env, never what the game is.

``TextActions`` (one env) and ``VectorTextActions`` (a vector env) let agents that think in
strings play: the text is encoded with the judge's own tokenizer, so what the judge scores
is exactly the agent's text (cut to the budget).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from gymnasium.vector.utils import batch_space

from xent_envs.errors import ConfigError
from xent_envs.judge.base import Judge
from xent_envs.spaces import UnicodeText

__all__ = ["MAX_MOVE_CHARS", "TextActions", "VectorTextActions", "judge_of"]

MAX_MOVE_CHARS = 2048


def judge_of(env: gym.Env | gym.vector.VectorEnv) -> Judge:
    """The judge of a Xent env or vector env, through any wrappers.

    Works for ``XentEnv``, ``XentVectorEnv`` (``venv.judge``) and a ``SyncVectorEnv`` of Xent
    envs (its first sub-env's judge). An ``AsyncVectorEnv`` keeps its judges in the worker
    processes: load the same one in this process with ``load_judge(name)``.

    Raises:
        ConfigError: ``env`` has no judge reachable from this process.
    """
    unwrapped = env.unwrapped
    judge = getattr(unwrapped, "judge", None)
    if judge is None and isinstance(unwrapped, gym.vector.SyncVectorEnv):
        judge = getattr(unwrapped.envs[0].unwrapped, "judge", None)
    if not isinstance(judge, Judge):
        raise ConfigError(
            f"{type(unwrapped).__name__} has no judge in this process (an AsyncVectorEnv "
            "keeps it in its workers): pass judge=load_judge(<the env's judge name>)"
        )
    return judge


def _encoded(judge: Judge, action: Any) -> Any:
    """A string as judge token ids; anything else as it is, for the env to reject."""
    return judge.encode(action) if isinstance(action, str) else action


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
        self._judge = judge_of(env)

    def action(self, action: Any) -> Any:
        """Encode a string; anything else goes through, for the env to reject as a game event."""
        return _encoded(self._judge, action)


class VectorTextActions(gym.vector.VectorActionWrapper):
    """Take a vector env's moves as a sequence of texts, one per sub-env.

    Args:
        env: a ``XentVectorEnv`` or a ``SyncVectorEnv`` of Xent envs (the judge is found
            there), or any vector env of Xent envs together with ``judge``.
        judge: the judge whose tokenizer encodes the texts (needed for ``AsyncVectorEnv``:
            ``load_judge`` with the env's judge name).

    Example:
        >>> import gymnasium as gym, xent_envs
        >>> envs = VectorTextActions(gym.make_vec("xent/Condense-v0", num_envs=2,
        ...     vectorization_mode="vector_entry_point", judge="tiny-random-gpt2"))
        >>> _ = envs.reset(seed=0)
        >>> _, rewards, *_ = envs.step(["a cat", "a dog"])
        >>> rewards.shape
        (2,)
    """

    def __init__(self, env: gym.vector.VectorEnv, judge: Judge | None = None) -> None:
        super().__init__(env)
        self._judge = judge if judge is not None else judge_of(env)
        self.single_action_space = UnicodeText(MAX_MOVE_CHARS)
        self.action_space = batch_space(self.single_action_space, env.num_envs)

    def actions(self, actions: Any) -> Any:
        """Encode every string; anything else goes through, for the env to reject."""
        return tuple(_encoded(self._judge, a) for a in actions)
