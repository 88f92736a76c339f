"""The built-in games: one ``<Name>.xent`` program and one ``<Name>.toml`` card per game.

The card holds what a listing shows (summary, rules, skill, reward) and the game's typed
parameters, which the program reads as ``$name``. The registry turns each ``GameDef`` into a
game space ``xent/<Name>-v0`` and adds the parameters every game shares (``rounds``,
``story_tokens``), so the cards never define those.

Example:
    >>> from xent_envs.games import builtin_games
    >>> condense = next(g for g in builtin_games() if g.name == "Condense")
    >>> condense.parameters[0].name, condense.parameters[0].default
    ('budget', 10)
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from xent_envs.errors import ConfigError

__all__ = ["RESERVED_PARAMETERS", "GameDef", "ParamDef", "builtin_games"]

#: Parameters the registry adds to every game; a card that defines one is an error.
RESERVED_PARAMETERS = ("rounds", "story_tokens")

_TYPES = {"int": int, "float": float, "str": str}
_CARD_DEFAULTS: dict[str, Any] = {
    "summary": "",
    "description": "",
    "skill": "",
    "reward": "",
    "players": ("black",),
    "tags": (),
}
_CARD_FIELDS = tuple(_CARD_DEFAULTS)


@dataclass(frozen=True)
class ParamDef:
    """One typed game parameter: a default and either a range (``low``..``high``, numbers) or
    ``choices`` (any type); a string parameter with neither is free text."""

    name: str
    type: str
    default: int | float | str
    low: int | float | None = None
    high: int | float | None = None
    choices: tuple[int | float | str, ...] | None = None
    description: str = ""


@dataclass(frozen=True)
class GameDef:
    """A built-in game: its program source and the card the listing shows."""

    name: str
    source: str
    summary: str
    description: str
    skill: str
    reward: str
    players: tuple[str, ...]
    tags: tuple[str, ...]
    parameters: tuple[ParamDef, ...]

    @property
    def defaults(self) -> dict[str, int | float | str]:
        """The default value of every parameter, by name."""
        return {p.name: p.default for p in self.parameters}

    @classmethod
    def from_source(cls, name: str, source: str, **metadata: Any) -> GameDef:
        """A game from program text and optional card fields (``summary``, ``description``,
        ``skill``, ``reward``, ``players``, ``tags``, ``parameters``); ``parameters`` is a
        sequence of ``ParamDef`` or a mapping name -> spec in the card's TOML form.

        Example:
            >>> g = GameDef.from_source("Echo", "elicit(x, $n)",
            ...                         parameters={"n": {"type": "int", "default": 8}})
            >>> g.defaults
            {'n': 8}
        """
        unknown = set(metadata) - set(_CARD_FIELDS) - {"parameters"}
        if unknown:
            raise ConfigError(
                f"unknown game metadata {sorted(unknown)}; expected some of "
                f"{', '.join(_CARD_FIELDS)}, parameters"
            )
        params = metadata.pop("parameters", {})
        if not isinstance(params, Mapping):
            params = {p.name: _spec(p) for p in params}
        return _game(name, {"name": name, **metadata, "parameters": params}, source, strict=False)

    def to_json(self) -> dict[str, Any]:
        """The card as a JSON-ready dict, with the program under ``source``."""
        return {
            "name": self.name,
            "source": self.source,
            **{
                k: getattr(self, k) if k not in ("players", "tags") else list(getattr(self, k))
                for k in _CARD_FIELDS
            },
            "parameters": {p.name: _spec(p) for p in self.parameters},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GameDef:
        """Inverse of ``to_json``."""
        return _game(data["name"], data, data["source"], strict=False)


@functools.cache
def _load_all() -> tuple[GameDef, ...]:
    folder = resources.files(__name__)
    games = []
    for card in sorted(folder.iterdir(), key=lambda f: f.name):
        if card.name.endswith(".toml"):
            stem = card.name[: -len(".toml")]
            program = folder / f"{stem}.xent"
            games.append(
                _game(stem, tomllib.loads(card.read_text("utf-8")), program.read_text("utf-8"))
            )
    return tuple(games)


def builtin_games() -> list[GameDef]:
    """Every built-in game, sorted by name.

    Raises:
        ConfigError: if a card is malformed (a bug of the package, named with its file).
    """
    return list(_load_all())


def _game(stem: str, card: Mapping[str, Any], source: str, strict: bool = True) -> GameDef:
    """Build and validate a ``GameDef``; ``strict`` (the built-in cards) requires every field."""
    where = f"games/{stem}.toml" if strict else f"game {stem!r}"
    if card.get("name") != stem:
        raise ConfigError(
            f"{where}: name is {card.get('name')!r}; expected {stem!r} (the file name)"
        )
    missing = [k for k in _CARD_FIELDS if k not in card]
    if strict and missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}")
    fields = {**_CARD_DEFAULTS, **{k: card[k] for k in _CARD_FIELDS if k in card}}
    params = tuple(_param(where, name, spec) for name, spec in card.get("parameters", {}).items())
    return GameDef(
        name=stem,
        source=source,
        summary=fields["summary"],
        description=fields["description"],
        skill=fields["skill"],
        reward=fields["reward"],
        players=tuple(fields["players"]),
        tags=tuple(fields["tags"]),
        parameters=params,
    )


def _spec(p: ParamDef) -> dict[str, Any]:
    """A parameter in the card's TOML form (the keys that are set)."""
    spec = {
        "type": p.type,
        "default": p.default,
        "low": p.low,
        "high": p.high,
        "choices": list(p.choices) if p.choices is not None else None,
        "description": p.description,
    }
    return {k: v for k, v in spec.items() if v is not None}


def _param(where: str, name: str, spec: dict[str, Any]) -> ParamDef:
    if name in RESERVED_PARAMETERS:
        raise ConfigError(f"{where}: parameter {name!r} is added by the registry; remove it")
    kind = spec.get("type")
    if kind not in _TYPES:
        raise ConfigError(
            f"{where}: parameter {name!r} has type {kind!r}; expected one of {', '.join(_TYPES)}"
        )
    param = ParamDef(
        name=name,
        type=kind,
        default=spec.get("default"),
        low=spec.get("low"),
        high=spec.get("high"),
        choices=tuple(spec["choices"]) if "choices" in spec else None,
        description=spec.get("description", ""),
    )
    values = [param.default, param.low, param.high, *(param.choices or ())]
    wrong = [v for v in values if v is not None and not _is_type(v, kind)]
    if param.default is None or wrong:
        raise ConfigError(
            f"{where}: parameter {name!r} needs a default and values of type "
            f"{kind}; found {wrong or [None]}"
        )
    if (
        param.low is not None
        and param.high is not None
        and not param.low <= param.default <= param.high
    ):
        raise ConfigError(
            f"{where}: parameter {name!r} default {param.default!r} is outside "
            f"[{param.low}, {param.high}]"
        )
    if param.choices is not None and param.default not in param.choices:
        raise ConfigError(
            f"{where}: parameter {name!r} default {param.default!r} is not one of its choices"
        )
    return param


def _is_type(value: Any, kind: str) -> bool:
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind]) and not isinstance(value, bool)
