"""The agent contract: ``reset(env)`` then ``act(observation, info) -> token ids``.

Any reset/step loop can drive an agent::

    agent.reset(env, seed=0)
    obs, info = env.reset(seed=0)
    while True:
        obs, reward, terminated, truncated, info = env.step(agent.act(obs, info))
        if terminated or truncated:
            break

The env is passed to ``reset`` so that agents can reach ``env.unwrapped.judge`` (its tokenizer:
``encode``/``decode``) and ``env.unwrapped.score_actions`` (search). Agents that think in text
subclass :class:`TextAgent` and implement ``act_text``; encoding comes for free (a move over
``info["max_tokens"]`` is cut by the env, which reports it in ``info["cut"]``). Prompt formatting
and answer parsing live here, not in the env, and are shared by every LLM-backed agent.

:class:`Agent` implements the contract the evaluation relies on
(:class:`xent_envs.evaluation.Agent`): ``name``, ``stats``, ``last_details``, ``reset``, ``act``
and ``close``.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Sequence
from typing import Any, Protocol

from xent_envs.errors import AgentError

__all__ = [
    "SYSTEM_PROMPT",
    "Agent",
    "AgentError",
    "TextAgent",
    "as_reward",
    "build_messages",
    "parse_move",
    "plain_prompt",
]


class _Codec(Protocol):
    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...


class Agent:
    """Base class of all agents.

    Attributes:
        name: short name used on leaderboards and in result files.
        stats: running counters (moves, fallbacks, tokens...), recorded per map by the runner.
        last_details: JSON-ready detail about the latest move (raw answer, parse result...),
            recorded with each step by the runner.
    """

    name: str = "agent"

    def __init__(self) -> None:
        self.env: Any = None
        self.seed: int | None = None
        self.stats: dict[str, float] = {}
        self.last_details: dict[str, Any] = {}

    def reset(self, env: Any = None, seed: int | None = None) -> None:
        """Prepare for a new episode of ``env``; ``seed`` pins any randomness of the agent."""
        self.env = env
        if seed is not None:
            self.seed = seed

    def act(self, observation: str, info: dict[str, Any]) -> list[int]:
        """The move for ``observation``: judge token ids. A move over ``info["max_tokens"]``
        is cut by the env (``info["cut"]``)."""
        raise NotImplementedError

    async def aact(self, observation: str, info: dict[str, Any]) -> list[int]:
        """``act`` for asyncio loops: runs in a worker thread so that many agents (HTTP ones
        above all) can wait on their servers at once. Override for a native async agent."""
        return await asyncio.to_thread(self.act, observation, info)

    def __call__(self, observation: str, info: dict[str, Any] | None = None) -> list[int]:
        return self.act(observation, info or {})

    def close(self) -> None:
        """Release resources (models, connections). Safe to call twice."""

    # -- helpers for subclasses -------------------------------------------------------------
    @property
    def unwrapped_env(self) -> Any:
        if self.env is None:
            raise AgentError(f"{type(self).__name__} needs an env: call reset(env) first")
        return getattr(self.env, "unwrapped", self.env)

    def count(self, key: str, n: float = 1) -> None:
        """Add ``n`` to ``stats[key]``."""
        self.stats[key] = self.stats.get(key, 0) + n


class TextAgent(Agent):
    """An agent that answers in text; subclasses implement :meth:`act_text`.

    Args:
        codec: the tokenizer used to turn text into judge token ids when no env is given
            (normally the env's judge, found by ``reset(env)``).
    """

    def __init__(self, codec: _Codec | None = None) -> None:
        super().__init__()
        self._codec = codec
        self.last_text: str | None = None

    @property
    def codec(self) -> _Codec:
        if self.env is not None:
            return self.unwrapped_env.judge
        if self._codec is None:
            raise AgentError(
                f"{type(self).__name__} needs a tokenizer: call reset(env) or pass codec="
            )
        return self._codec

    def act_text(self, observation: str, info: dict[str, Any]) -> str:
        """The move as text (it is cut to the budget after encoding)."""
        raise NotImplementedError

    def act(self, observation: str, info: dict[str, Any]) -> list[int]:
        """``act_text``'s move encoded with the judge's tokenizer. A move over budget is left
        whole: the env cuts it and says so (``info["cut"]``), so the record shows it."""
        self.last_details = {}
        text = self.act_text(observation, info)
        self.last_text = text
        ids = list(self.codec.encode(text))
        self.count("moves")
        self.count("move_tokens", len(ids))
        if len(ids) > int(info.get("max_tokens", len(ids))):
            self.count("over_budget_moves")  # the env cuts them; this says how often
        self.last_details.setdefault("text", text)
        return ids


SYSTEM_PROMPT = (
    "You are playing a text game judged by a language model. Read the rules and the texts, "
    "then give your move: a short text of at most {max_tokens} tokens. Answer with one line "
    "of the form: Move: <your text>"
)


def build_messages(
    observation: str, info: dict[str, Any], system_prompt: str | None = None
) -> list[dict[str, str]]:
    """Chat messages for an LLM player: a system prompt with the move format, then the
    observation as the user turn."""
    budget = info.get("max_tokens", "a few")
    system = (system_prompt or SYSTEM_PROMPT).format(max_tokens=budget)
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": observation},
    ]


def plain_prompt(observation: str, info: dict[str, Any], system_prompt: str | None = None) -> str:
    """The same prompt for a model without a chat template; it ends where the move begins."""
    system, user = (m["content"] for m in build_messages(observation, info, system_prompt))
    return f"{system}\n\n{user}\n\nMove:"


_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)
_MOVE = re.compile(r"move\s*:", re.IGNORECASE)
_QUOTES = "\"'`*“”‘’ \t"


def parse_move(answer: str | None) -> str | None:
    """The move inside a model's answer, or ``None`` when there is none.

    Reasoning blocks (``<think>...</think>``) are dropped; the text after the last ``Move:``
    wins, else the first non-empty line; surrounding quotes, backticks and bold marks are
    stripped.

    >>> parse_move('I think...\\nMove: "a cat sat"')
    'a cat sat'
    >>> parse_move("  the dog\\nbecause")
    'the dog'
    >>> parse_move("   ") is None
    True
    """
    if answer is None:
        return None
    text = _THINK.sub("", answer)
    found = list(_MOVE.finditer(text))
    if found:
        text = text[found[-1].end() :]
    for line in text.splitlines():
        move = line.strip().strip(_QUOTES)
        if move:
            return move
    return None


def as_reward(value: Any) -> float:
    """A candidate's score from ``score_actions`` as a float; a missing or NaN one is
    ``-inf``, so it ranks below every scored move (as a refused move does).

    >>> as_reward("2.5"), as_reward(None), as_reward(float("nan"))
    (2.5, -inf, -inf)
    """
    try:
        reward = float(value)
    except (TypeError, ValueError):
        return -math.inf
    return -math.inf if math.isnan(reward) else reward
