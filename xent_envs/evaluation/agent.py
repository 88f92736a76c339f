"""The agent contract the evaluation relies on, and how an agent's name becomes a factory.

The library never imports the reference agents (the top-level ``agents`` package). It
reaches every agent through a factory (a callable taking the agent's options as keyword
arguments), found in this order:

1. a callable passed to :func:`~xent_envs.evaluation.evaluate` as ``agent_factories[name]``;
2. ``package.module:Class`` (any importable callable; ``Class`` may be a dotted path);
3. a name of the entry-point group ``xent_envs.agents``. xent-envs registers its reference
   agents there (``random``, ``search``, ``hf``, ``openai``, ``human``, see pyproject.toml);
   a third-party package adds its own agents the same way::

       [project.entry-points."xent_envs.agents"]
       my-agent = "my_package.agents:MyAgent"

so ``xent-envs eval --agent my-agent`` and ``--agent my_package.agents:MyAgent`` both work.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from xent_envs.errors import ConfigError, UnknownNameError, did_you_mean, unknown_name

__all__ = [
    "ENTRY_POINT_GROUP",
    "Agent",
    "AgentFactory",
    "agent_names",
    "build_agent",
    "check_agent_options",
    "load_agent_factory",
]

ENTRY_POINT_GROUP = "xent_envs.agents"


@runtime_checkable
class Agent(Protocol):
    """What the evaluation needs from a player (``agents.base.Agent`` implements it).

    The runner calls ``reset(env, seed)`` before each map (``seed`` pins the agent's own
    randomness for that map), then ``act(observation, info)`` for every move the agent's seat
    must make, and ``close()`` once at the end. After each move it records ``last_details``
    (JSON-ready facts about that move: raw answer, expected reward...), and per map the change
    of the numeric ``stats`` counters (moves, retries, tokens...).
    """

    @property
    def name(self) -> str:
        """Short name of the agent's kind (``"search"``)."""

    @property
    def stats(self) -> Mapping[str, float]:
        """Running counters; the runner records their change over each map."""

    @property
    def last_details(self) -> Mapping[str, Any]:
        """JSON-ready detail about the latest move."""

    def reset(self, env: Any = None, seed: int | None = None) -> None:
        """Prepare for a new map of ``env``; ``seed`` pins the agent's randomness."""

    def act(self, observation: str, info: dict[str, Any]) -> Sequence[int]:
        """The move: judge token ids. The env cuts a move longer than ``info["max_tokens"]``
        and says so in its step ``info["cut"]``."""

    def close(self) -> None:
        """Release models and connections; called once, after the agent's last map."""


#: builds an agent from its options (keyword arguments)
AgentFactory = Callable[..., Agent]

_MEMBERS = ("name", "stats", "last_details", "reset", "act", "close")


def agent_names() -> list[str]:
    """The names registered in the entry-point group ``xent_envs.agents``, sorted."""
    return sorted({ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)})


def load_agent_factory(source: str) -> AgentFactory:
    """The factory named by ``source``: ``package.module:Class`` or an entry-point name.

    Raises:
        UnknownNameError: nothing of that name (the message lists the registered agents).
        ConfigError: the module or entry point fails to import, or names something that is
            not callable.

    >>> load_agent_factory("collections:OrderedDict").__name__
    'OrderedDict'
    """
    module_name, colon, attr = source.partition(":")
    if colon:
        if not module_name or not attr:
            raise ConfigError(f"an agent given as module:Class needs both parts, got {source!r}")
        try:
            target: Any = importlib.import_module(module_name)
        except ImportError as exc:
            raise UnknownNameError(
                f"cannot import module {module_name!r} for agent {source!r}: {exc}"
            ) from exc
        for part in attr.split("."):
            if not hasattr(target, part):
                names = [n for n in dir(target) if not n.startswith("_")]
                close = did_you_mean(part, names)
                hint = f" ({close})" if close else ""
                raise UnknownNameError(f"{source!r}: {target.__name__!r} has no {part!r}{hint}")
            target = getattr(target, part)
    else:
        points = {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
        if source not in points:
            message = unknown_name("agent", source, points)
            message += f" An agent is a name of the entry-point group {ENTRY_POINT_GROUP!r}"
            message += " or package.module:Class."
            if not points:
                message += (
                    " No agent is registered in that group: is xent-envs installed "
                    "(pip install -e .)?"
                )
            raise UnknownNameError(message)
        try:
            target = points[source].load()
        except Exception as exc:  # a broken plug-in: say which one
            raise ConfigError(
                f"agent {source!r} (entry point {points[source].value}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    if not callable(target):
        raise ConfigError(f"agent {source!r} names {target!r}, which cannot build an agent")
    return target


def check_agent_options(
    factory: Callable[..., Any], options: Mapping[str, Any], label: str
) -> None:
    """Refuse an option the factory does not take, naming the ones it does.

    Raises:
        ConfigError: an unknown option (with the closest valid name).
    """
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # no introspectable signature: the call will tell
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return
    valid = [
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    ]
    for name in options:
        if name not in valid:
            raise ConfigError(unknown_name("option", name, valid, where=f" for agent {label!r}"))


def build_agent(factory: Callable[..., Any], options: Mapping[str, Any], label: str) -> Agent:
    """``factory(**options)``, checked: the options it takes, the contract it must meet.

    Raises:
        ConfigError: an unknown option or a value the agent refuses, or an object that lacks
            part of the :class:`Agent` contract (the message names the missing members).
    """
    check_agent_options(factory, options, label)
    try:
        agent = factory(**options)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(
            f"agent {label!r} refused its options {dict(options)}: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(agent, Agent):
        missing = [m for m in _MEMBERS if not hasattr(agent, m)]
        raise ConfigError(
            f"agent {label!r} built a {type(agent).__name__}, which lacks {', '.join(missing)} "
            "of the agent contract (subclass agents.base.Agent to get them)"
        )
    return agent
