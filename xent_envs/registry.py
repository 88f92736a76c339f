"""Game spaces: game programs with typed parameters, sampled into reproducible instances.

A ``GameSpace`` is one game program plus its parameters (token budgets, text lengths, rounds,
constants of the rules), each with a default and a range or choices. ``sample(rng)`` draws a
frozen ``GameInstance`` (game, parameters, map seed) whose canonical id replays it exactly.
Every space is registered as a Gymnasium id ``xent/<Game>-v<N>`` on ``import xent_envs``;
``xent/Random-v0`` draws from all of them at each reset.

Map seeds split into a train and an eval set by a stable hash of (game, seed), so an eval set
never leaks into training, whatever the sampler's state.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import gymnasium as gym
import numpy as np

from xent_envs.errors import ConfigError, UnknownNameError, unknown_name
from xent_envs.games import GameDef, ParamDef, builtin_games
from xent_envs.judge.models import DEFAULT_JUDGE
from xent_envs.lang import load
from xent_envs.seeding import unit_interval

__all__ = [
    "COMMON_PARAMETERS",
    "ENTRY_POINT_GROUP",
    "EVAL_FRACTION",
    "GameInstance",
    "GameSpace",
    "game_space",
    "list_games",
    "register_game",
    "seed_split",
]

ENTRY_POINT_GROUP = "xent_envs.games"
EVAL_FRACTION = 0.1
# A failed ensure asks again without advancing, so a policy that keeps failing must still end:
# TimeLimit truncates after this many steps (far above any game's rounds x elicits x retries).
MAX_EPISODE_STEPS = 1000

COMMON_PARAMETERS: tuple[ParamDef, ...] = (
    ParamDef(
        name="rounds",
        type="int",
        default=1,
        low=1,
        high=10,
        choices=None,
        description="Rounds played on the same map; the observation shows earlier rounds' "
        "moves and scores, and the map's score is its best round.",
    ),
    ParamDef(
        name="story_tokens",
        type="int",
        default=48,
        low=16,
        high=160,
        choices=None,
        description="Length, in judge tokens, of each generated map text (story() & co.).",
    ),
)

_SPACES: dict[str, GameSpace] = {}


def seed_split(game: str, seed: int) -> str:
    """``"eval"`` for a stable ``EVAL_FRACTION`` of (game, seed) pairs, else ``"train"``."""
    return "eval" if unit_interval(game, seed) < EVAL_FRACTION else "train"


@dataclass(frozen=True)
class GameInstance:
    """One playable map: a game at one version, fixed parameters and a map seed.

    ``id`` is canonical (sorted parameters, the program's digest) and ``GameInstance.from_id``
    inverts it, so a result file names exactly what was played.

    Example:
        >>> inst = GameInstance("Condense", 0, (("budget", 10),), 7, "abc123")
        >>> inst.id
        'xent/Condense-v0?budget=10#7@abc123'
        >>> GameInstance.from_id(inst.id) == inst
        True
    """

    game: str
    version: int
    params: tuple[tuple[str, Any], ...]
    seed: int
    digest: str

    @property
    def id(self) -> str:
        query = urlencode(
            [(k, json.dumps(v) if isinstance(v, str) else v) for k, v in self.params],
            quote_via=quote,
        )
        return f"xent/{self.game}-v{self.version}?{query}#{self.seed}@{self.digest}"

    @property
    def param_dict(self) -> dict[str, Any]:
        return dict(self.params)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "game": self.game,
            "version": self.version,
            "params": self.param_dict,
            "seed": self.seed,
            "digest": self.digest,
        }

    @classmethod
    def from_id(cls, instance_id: str) -> GameInstance:
        try:
            head, rest = instance_id.split("?", 1)
            query, rest = rest.rsplit("#", 1)
            seed, digest = rest.split("@", 1)
            name, version = head.removeprefix("xent/").rsplit("-v", 1)
            space = game_space(name)
            params = []
            for key, raw in parse_qsl(query, keep_blank_values=True):
                param = space.parameter(key)
                parsed = json.loads(raw) if param.type == "str" else _CAST[param.type](raw)
                params.append((key, _validate(param, parsed)))
            return cls(name, int(version), tuple(sorted(params)), int(seed), digest)
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"not a game instance id: {instance_id!r} ({exc})") from None


@dataclass(frozen=True)
class GameSpace:
    """A game program and the space of its parameters."""

    definition: GameDef
    version: int = 0
    parameters: tuple[ParamDef, ...] = field(init=False)

    def __post_init__(self) -> None:
        own = {p.name for p in self.definition.parameters}
        common = tuple(p for p in COMMON_PARAMETERS if p.name not in own)
        object.__setattr__(self, "parameters", tuple(self.definition.parameters) + common)

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def env_id(self) -> str:
        return f"xent/{self.name}-v{self.version}"

    @property
    def description(self) -> str:
        return self.definition.description

    @property
    def digest(self) -> str:
        """Short hash of the program text: part of every instance id, so a changed program
        never silently replays under an old id."""
        return hashlib.sha256(self.definition.source.encode()).hexdigest()[:12]

    def has_parameter(self, name: str) -> bool:
        return any(p.name == name for p in self.parameters)

    def parameter(self, name: str) -> ParamDef:
        for p in self.parameters:
            if p.name == name:
                return p
        raise UnknownNameError(
            unknown_name("parameter", name, [p.name for p in self.parameters], f" of {self.name}")
        )

    def resolve(self, fixed: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """All parameters: the defaults, overridden by ``fixed`` after validation."""
        values = {p.name: p.default for p in self.parameters}
        for name, value in (fixed or {}).items():
            values[name] = _validate(self.parameter(name), value)
        return values

    def sample(
        self,
        rng: np.random.Generator,
        fixed: Mapping[str, Any] | None = None,
        vary: Iterable[str] = (),
        split: str | None = None,
    ) -> GameInstance:
        """Draw an instance: ``vary`` parameters uniformly in their range or choices, the
        others from ``fixed`` or their default, and a map seed in ``split`` (if given)."""
        values = self.resolve(fixed)
        for name in sorted(set(vary)):
            values[name] = _draw(self.parameter(name), rng)
        seed = _draw_seed(self.name, rng, split)
        return GameInstance(
            self.name, self.version, tuple(sorted(values.items())), seed, self.digest
        )

    def program_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters the program itself reads as ``$name`` (the common ones, such as
        ``rounds``, are the environment's business)."""
        own = {p.name for p in self.definition.parameters}
        return {k: v for k, v in values.items() if k in own}

    def describe(self) -> str:
        """A Markdown block: summary, rules, reward and the arguments table."""
        d = self.definition
        rows = "\n".join(
            f"| `{p.name}` | {p.type} | {p.default!r} | {_range_text(p)} | {p.description} |"
            for p in self.parameters
        )
        return (
            f"### {d.name} (`{self.env_id}`)\n\n{d.summary}\n\n"
            f"**Skill:** {d.skill}. **Players:** {', '.join(d.players)}.\n\n"
            f"{d.description.strip()}\n\n**Reward:** {d.reward.strip()}\n\n"
            "| Arg | Type | Default | Range | Description |\n|---|---|---|---|---|\n"
            f"{rows}\n"
        )


def _range_text(p: ParamDef) -> str:
    if p.choices:
        return ", ".join(repr(c) for c in p.choices)
    if p.low is not None or p.high is not None:
        return f"{p.low}..{p.high}"
    return "any"


_ACCEPTED = {
    "int": (int, np.integer),
    "float": (int, float, np.integer, np.floating),
    "str": (str,),
}
_CAST = {"int": int, "float": float, "str": str}


def _validate(p: ParamDef, value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _ACCEPTED[p.type]):
        raise ConfigError(f"parameter {p.name!r} expects {p.type}, got {value!r}")
    value = _CAST[p.type](value)
    if p.choices and value not in p.choices:
        raise ConfigError(f"parameter {p.name!r} must be one of {list(p.choices)}, got {value!r}")
    if (p.low is not None and value < p.low) or (p.high is not None and value > p.high):
        raise ConfigError(f"parameter {p.name!r} must be in [{p.low}, {p.high}], got {value!r}")
    return value


def _draw(p: ParamDef, rng: np.random.Generator) -> Any:
    if p.choices:
        return p.choices[int(rng.integers(len(p.choices)))]
    if p.low is None or p.high is None:
        return p.default
    if p.type == "int":
        return int(rng.integers(p.low, p.high + 1))
    return float(rng.uniform(p.low, p.high))


def _draw_seed(game: str, rng: np.random.Generator, split: str | None) -> int:
    if split not in (None, "train", "eval"):
        raise ConfigError(f"split must be 'train', 'eval' or None, got {split!r}")
    while True:
        seed = int(rng.integers(0, 2**31 - 1))
        if split is None or seed_split(game, seed) == split:
            return seed


def game_space(name: str) -> GameSpace:
    """The registered space called ``name`` (``"Condense"`` or ``"xent/Condense-v0"``)."""
    key = name.removeprefix("xent/").rsplit("-v", 1)[0]
    if key not in _SPACES:
        raise UnknownNameError(unknown_name("game", key, list(_SPACES)))
    return _SPACES[key]


def list_games() -> list[GameSpace]:
    """Every registered game space, sorted by name."""
    return [_SPACES[k] for k in sorted(_SPACES)]


def register_game(
    definition: GameDef | None = None,
    *,
    source: str | None = None,
    path: str | Path | None = None,
    name: str | None = None,
    version: int = 0,
    **metadata: Any,
) -> GameSpace:
    """Register a game and its Gymnasium id ``xent/<name>-v<version>``.

    Pass a ``GameDef``, or the program as ``source`` text or a ``.xent`` ``path`` plus a
    ``name`` and optional metadata (``summary``, ``description``, ``parameters``...). The
    program is loaded and checked now, so a broken game fails here with line and column.

    Example:
        >>> import xent_envs
        >>> space = xent_envs.register_game(
        ...     source="assign(s=story())\\nelicit(x, 8)\\nreward(xed(s | x))", name="Echo")
        >>> space.env_id
        'xent/Echo-v0'
    """
    if definition is None:
        if path is not None:
            source = Path(path).read_text(encoding="utf-8")
            name = name or Path(path).stem
        if source is None or not name:
            raise ConfigError("register_game needs a GameDef, or source/path and a name")
        definition = GameDef.from_source(name, source, **metadata)
    space = GameSpace(definition, version)
    load(definition.source, params=space.program_params(space.resolve()))
    _SPACES[space.name] = space
    builtin = space.name in _BUILTIN_NAMES
    kwargs: dict[str, Any] = {"game": space.name, "judge": DEFAULT_JUDGE}
    if not builtin:
        # Carry the program in the spec so a spawned subprocess can rebuild the env.
        kwargs["game_def"] = definition.to_json()
    gym.register(
        id=space.env_id,
        entry_point="xent_envs.envs:XentEnv",
        vector_entry_point="xent_envs.envs:XentVectorEnv",
        kwargs=kwargs,
        max_episode_steps=MAX_EPISODE_STEPS,
    )
    return space


def _register_entry_point_games() -> None:
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        loaded = ep.load()
        found = loaded() if callable(loaded) and not isinstance(loaded, GameDef) else loaded
        for definition in [found] if isinstance(found, GameDef) else found:
            register_game(definition)


def _register_builtin() -> None:
    for definition in builtin_games():
        register_game(definition)
    gym.register(
        id="xent/Random-v0",
        entry_point="xent_envs.envs:XentEnv",
        vector_entry_point="xent_envs.envs:XentVectorEnv",
        kwargs={"game": "*", "judge": DEFAULT_JUDGE},
        max_episode_steps=MAX_EPISODE_STEPS,
    )
    _register_entry_point_games()


_BUILTIN_NAMES = frozenset(d.name for d in builtin_games())
