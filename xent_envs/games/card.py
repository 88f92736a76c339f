"""Game definitions: a program and its card, read from files, text or JSON through one parser.

A game is a program in the Xent game language (``<Name>.xent``) and a card (``<Name>.toml``)
holding what a listing shows (summary, rules, skill, reward, players, tags), its version and
its typed parameters (``[parameters.NAME]`` tables, read by ``ParamDef.from_json``). The program
reads the parameters as ``$name``.

The rules text (``description``) names parameters the same way, ``$name`` (or ``${name}`` next
to letters; ``$$`` is a literal dollar), so a player reads "at most 12 tokens", not the name:
``GameSpace.rules(params)`` renders it. A card whose rules name an unknown parameter fails at
load time.

Every way to make a ``GameDef`` (``builtin_games``, ``load_game_file``, ``GameDef.from_source``,
``GameDef.from_json``) goes through ``GameDef.from_card``, so they validate alike.

Example:
    >>> g = GameDef.from_source("Echo", "elicit(x, $n)",
    ...     description="Write at most $n tokens.",
    ...     parameters={"n": {"type": "int", "default": 8, "low": 1, "high": 9}})
    >>> g.render_rules({"n": 5}), g.defaults
    ('Write at most 5 tokens.', {'n': 8})
"""

from __future__ import annotations

import functools
import os
import string
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from xent_envs.errors import ConfigError, did_you_mean
from xent_envs.games.params import RESERVED_PARAMETERS, ParamDef, ParamValue
from xent_envs.lang.names import PLAYERS

__all__ = ["CARD_FIELDS", "MAX_GAME_FILE_BYTES", "GameDef", "builtin_games", "load_game_file"]

#: Card fields a listing shows, with the value a user game gets when it leaves one out.
_CARD_DEFAULTS: dict[str, Any] = {
    "summary": "",
    "description": "",
    "skill": "",
    "reward": "",
    "players": ("black",),
    "tags": (),
}
CARD_FIELDS: tuple[str, ...] = tuple(_CARD_DEFAULTS)
_KEYS = ("name", "version", *CARD_FIELDS, "parameters")
#: A game file or card larger than this is refused before it is read (the language allows
#: 64 lines; no real card comes near).
MAX_GAME_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class GameDef:
    """A game: its program source, its version and the card the listing shows."""

    name: str
    source: str
    summary: str
    description: str
    skill: str
    reward: str
    players: tuple[str, ...]
    tags: tuple[str, ...]
    parameters: tuple[ParamDef, ...]
    version: int = 0

    @property
    def defaults(self) -> dict[str, ParamValue]:
        """The default value of every parameter, by name."""
        return {p.name: p.default for p in self.parameters}

    def render_rules(self, values: Mapping[str, object]) -> str:
        """The rules text with each ``$name`` replaced by ``str(values[name])``."""
        return string.Template(self.description).substitute({k: str(v) for k, v in values.items()})

    @classmethod
    def from_card(
        cls, card: Mapping[str, Any], source: str, *, where: str, strict: bool = False
    ) -> GameDef:
        """The one card parser: a ``GameDef`` from a card mapping (TOML or JSON form) and
        the program text. ``strict`` (the built-in cards) requires every card field.

        Raises:
            ConfigError: prefixed with ``where`` (the card's file, or the game's name): an
                unknown or missing field, a field of the wrong type, a bad parameter, rules
                that name an unknown parameter.
        """
        if not isinstance(card, Mapping):
            raise ConfigError(f"{where}: a game card must be a table, got {type(card).__name__}")
        unknown = sorted(set(card) - set(_KEYS))
        if unknown:
            hint = did_you_mean(unknown[0], _KEYS)
            raise ConfigError(
                f"{where}: unknown card field {unknown[0]!r}"
                + (f" ({hint})" if hint else "")
                + f"; valid: {', '.join(_KEYS)}"
            )
        missing = [k for k in ("name", *CARD_FIELDS) if k not in card]
        if missing and (strict or "name" in missing):
            raise ConfigError(f"{where}: missing {', '.join(missing)}")
        if not isinstance(card["name"], str) or not card["name"]:
            raise ConfigError(f"{where}: name must be a non-empty string, got {card['name']!r}")
        if not isinstance(source, str):
            raise ConfigError(f"{where}: the program must be a string, got {source!r}")
        fields = {**_CARD_DEFAULTS, **{k: card[k] for k in CARD_FIELDS if k in card}}
        for key in ("summary", "description", "skill", "reward"):
            if not isinstance(fields[key], str):
                raise ConfigError(f"{where}: {key} must be a string, got {fields[key]!r}")
        players = _strings(where, "players", fields["players"])
        if not players or len(set(players)) != len(players) or not set(players) <= set(PLAYERS):
            raise ConfigError(
                f"{where}: players must be distinct names among {', '.join(PLAYERS)}; "
                f"got {list(players)}"
            )
        version = card.get("version", 0)
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise ConfigError(f"{where}: version must be an integer >= 0, got {version!r}")
        game = cls(
            name=card["name"],
            source=source,
            summary=fields["summary"],
            description=fields["description"],
            skill=fields["skill"],
            reward=fields["reward"],
            players=players,
            tags=_strings(where, "tags", fields["tags"]),
            parameters=_parameters(where, card.get("parameters", {})),
            version=version,
        )
        _check_rules_text(where, game)
        return game

    @classmethod
    def from_source(cls, name: str, source: str, **card: Any) -> GameDef:
        """A game from program text and optional card fields (``summary``, ``description``,
        ``skill``, ``reward``, ``players``, ``tags``, ``version``, ``parameters``);
        ``parameters`` is a sequence of ``ParamDef`` or a mapping name -> table in the card's
        form.

        Example:
            >>> GameDef.from_source("Echo", "elicit(x, $n)",
            ...                     parameters=[ParamDef("n", "int", 8)]).defaults
            {'n': 8}
        """
        if "name" in card:
            raise ConfigError("give the game's name once, as the first argument")
        return cls.from_card({"name": name, **card}, source, where=f"game {name!r}")

    def to_json(self) -> dict[str, Any]:
        """The game as a JSON-ready dict: the card's fields, the program under ``source``."""
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in self._card_items()},
            "parameters": [p.to_json() for p in self.parameters],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GameDef:
        """Inverse of ``to_json``.

        Raises:
            ConfigError: the data is not a game (missing ``name`` or ``source``, bad fields).
        """
        if not isinstance(data, Mapping) or "source" not in data:
            raise ConfigError(f"not a serialised game (needs name and source): {data!r:.200}")
        card = {k: v for k, v in data.items() if k != "source"}
        return cls.from_card(card, data["source"], where=f"game {data.get('name')!r}")

    def _card_items(self) -> Iterable[tuple[str, Any]]:
        return ((k, getattr(self, k)) for k in CARD_FIELDS)


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ConfigError(f"{where}: {key} must be a list of strings, got {value!r}")
    if not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings, got {list(value)!r}")
    return tuple(value)


def _parameters(where: str, spec: Any) -> tuple[ParamDef, ...]:
    """Parameters from a card's tables (name -> table), a JSON list, or ``ParamDef`` objects."""
    if isinstance(spec, Mapping):
        items = [{"name": name, **_table(where, name, table)} for name, table in spec.items()]
    elif isinstance(spec, Sequence) and not isinstance(spec, str):
        items = list(spec)
    else:
        raise ConfigError(f"{where}: parameters must be a table of tables, got {spec!r}")
    params: list[ParamDef] = []
    for item in items:
        try:
            param = item if isinstance(item, ParamDef) else ParamDef.from_json(item)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if param.name in RESERVED_PARAMETERS:
            raise ConfigError(
                f"{where}: parameter {param.name!r} is one every game has "
                f"({', '.join(RESERVED_PARAMETERS)}); remove it from the card"
            )
        if any(p.name == param.name for p in params):
            raise ConfigError(f"{where}: parameter {param.name!r} is defined twice")
        params.append(param)
    return tuple(params)


def _table(where: str, name: str, table: Any) -> Mapping[str, Any]:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: parameter {name!r} must be a table, got {table!r}")
    if "name" in table and table["name"] != name:
        raise ConfigError(f"{where}: parameter {name!r} has name {table['name']!r}")
    return {k: v for k, v in table.items() if k != "name"}


def _check_rules_text(where: str, game: GameDef) -> None:
    """The rules text may name only parameters (the card's and the common ones)."""
    template = string.Template(game.description)
    if not template.is_valid():
        raise ConfigError(
            f"{where}: the description has a '$' that names no parameter; write $name or "
            "${name} for a parameter's value and $$ for a dollar sign"
        )
    known = [*game.defaults, *RESERVED_PARAMETERS]
    for name in template.get_identifiers():
        if name not in known:
            hint = did_you_mean(name, known)
            raise ConfigError(
                f"{where}: the description names ${name}, which is not a parameter"
                + (f" ({hint})" if hint else "")
                + f"; parameters: {', '.join(known)}"
            )


def _read_game_text(path: str | os.PathLike[str]) -> str:
    """The text of a game file or card: UTF-8, at most ``MAX_GAME_FILE_BYTES``.

    Raises:
        ConfigError: the file cannot be read, is too large, binary, or not UTF-8.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_GAME_FILE_BYTES:
            raise ConfigError(
                f"{path}: {size} bytes; a game file holds at most {MAX_GAME_FILE_BYTES}"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise ConfigError(f"{path}: a binary file, not a game (game files are UTF-8 text)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from None


def load_game_file(path: str | os.PathLike[str], **card: Any) -> GameDef:
    """A game from its program file and the card beside it (``X.xent`` and ``X.toml``).

    The card is optional; without it the game is named after the file and has no parameters.
    ``card`` fields given here override the file's. ``xent-envs check`` and
    ``register_game(path=...)`` both read games through this function.

    Raises:
        ConfigError: an unreadable, binary or non-UTF-8 file, a card that is not valid TOML,
            or a card field or parameter that is wrong (named with the card's path).
    """
    path = Path(path)
    source = _read_game_text(path)
    card_path = path.with_suffix(".toml")
    found: dict[str, Any] = {}
    where = str(path)
    if card_path != path and card_path.is_file():
        where = str(card_path)
        try:
            found = tomllib.loads(_read_game_text(card_path))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{card_path}: not valid TOML: {exc}") from None
    merged = {"name": path.stem, **found, **card}
    return GameDef.from_card(merged, source, where=where)


@functools.cache
def _load_builtin() -> tuple[GameDef, ...]:
    folder = resources.files(__package__ or "xent_envs.games")
    games = []
    for card in sorted(folder.iterdir(), key=lambda f: f.name):
        if not card.name.endswith(".toml"):
            continue
        stem = card.name.removesuffix(".toml")
        where = f"games/{card.name}"
        data = tomllib.loads(card.read_text("utf-8"))
        if data.get("name") != stem:
            raise ConfigError(f"{where}: name is {data.get('name')!r}; expected {stem!r}")
        source = (folder / f"{stem}.xent").read_text("utf-8")
        games.append(GameDef.from_card(data, source, where=where, strict=True))
    return tuple(games)


def builtin_games() -> list[GameDef]:
    """Every built-in game, sorted by name.

    Raises:
        ConfigError: if a card is malformed (a bug of the package, named with its file).
    """
    return list(_load_builtin())
