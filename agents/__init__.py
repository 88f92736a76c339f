"""Reference agents for xent-envs.

Every agent follows one contract (:class:`agents.base.Agent`)::

    agent.reset(env, seed=0)                 # the env gives access to the judge
    action = agent.act(observation, info)     # judge token ids; the env cuts to info["max_tokens"]

A text agent in ten lines::

    from agents import TextAgent

    class Echo(TextAgent):
        name = "echo"

        def act_text(self, observation, info):
            return observation.split()[-1]

Agents by name (``make_agent``, ``xent-envs eval --agent NAME``) come from the entry-point
group ``xent_envs.agents``: ``random``, ``search``, ``hf``, ``hfv``, ``openai``, ``human`` are
registered in xent-envs' pyproject.toml, and other packages add theirs. The modules are
imported on demand, so ``import agents`` stays light.
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

__all__ = [
    "SYSTEM_PROMPT",
    "Agent",
    "AgentError",
    "HFAgent",
    "HFVAgent",
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

#: class -> module, for ``from agents import SearchAgent`` without importing every agent
_MODULES = {
    "RandomAgent": "agents.random_agent",
    "SearchAgent": "agents.search_agent",
    "HFAgent": "agents.hf_agent",
    "HFVAgent": "agents.hfv_agent",
    "OpenAIAgent": "agents.openai_agent",
    "HumanAgent": "agents.human_agent",
}


def make_agent(name: str, **options: Any) -> Any:
    """Build the agent called ``name`` (an entry-point name of ``xent_envs.agents``, or
    ``package.module:Class``) with keyword ``options``.

    Raises:
        UnknownNameError: no agent of that name (the message lists the registered ones).
        ConfigError: an option the agent does not take (the message lists those it does).

    >>> make_agent("random", seed=3).name
    'random'
    """
    from xent_envs.evaluation.agent import build_agent, load_agent_factory

    return build_agent(load_agent_factory(name), options, name)


def __getattr__(attr: str) -> Any:
    if attr in _MODULES:
        return getattr(importlib.import_module(_MODULES[attr]), attr)
    raise AttributeError(f"module 'agents' has no attribute {attr!r}")
