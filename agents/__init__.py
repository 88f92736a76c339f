"""Reference agents for xent-envs.

Every agent follows one contract (:class:`agents.base.Agent`)::

    agent.reset(env, seed=0)                 # the env gives access to the judge
    action = agent.act(observation, info)     # judge token ids, at most info["max_tokens"]

A text agent in ten lines::

    from agents import TextAgent

    class Echo(TextAgent):
        name = "echo"

        def act_text(self, observation, info):
            return observation.split()[-1]

Built-in agents by name (``make_agent``): ``random``, ``search``, ``hf``, ``openai``, ``human``.
Their modules are imported on demand, so ``import agents`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from agents.base import (
    SYSTEM_PROMPT,
    Agent,
    AgentError,
    TextAgent,
    build_messages,
    parse_move,
    plain_prompt,
)
from xent_envs.errors import UnknownNameError, did_you_mean

__all__ = [
    "AGENTS",
    "SYSTEM_PROMPT",
    "Agent",
    "AgentError",
    "HFAgent",
    "HumanAgent",
    "OpenAIAgent",
    "RandomAgent",
    "SearchAgent",
    "TextAgent",
    "build_messages",
    "make_agent",
    "parse_move",
    "plain_prompt",
]

#: agent name -> (module, class)
AGENTS: dict[str, tuple[str, str]] = {
    "random": ("agents.random_agent", "RandomAgent"),
    "search": ("agents.search_agent", "SearchAgent"),
    "hf": ("agents.hf_agent", "HFAgent"),
    "openai": ("agents.openai_agent", "OpenAIAgent"),
    "human": ("agents.human_agent", "HumanAgent"),
}


def _agent_class(name: str) -> type[Agent]:
    if name not in AGENTS:
        close = did_you_mean(name, AGENTS)
        hint = f" ({close})" if close else ""
        raise UnknownNameError(
            f"unknown agent {name!r}{hint}; expected one of: {', '.join(AGENTS)}"
        )
    module, cls = AGENTS[name]
    return getattr(importlib.import_module(module), cls)


def make_agent(name: str, **options: Any) -> Agent:
    """Build the built-in agent called ``name`` with keyword ``options``.

    Raises:
        UnknownNameError: ``name`` is not a built-in agent (the message lists them).
        TypeError: an option the agent does not take.

    >>> make_agent("random", seed=3).name
    'random'
    """
    return _agent_class(name)(**options)


def __getattr__(attr: str) -> Any:
    for name, (_, cls) in AGENTS.items():
        if cls == attr:
            return _agent_class(name)
    raise AttributeError(f"module 'agents' has no attribute {attr!r}")
