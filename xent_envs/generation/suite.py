"""Suite files: a finite family of games and their maps, to evaluate as one benchmark.

A suite file is JSON::

    {"format": "xent-suite", "version": 1, "name": "cover-k8",
     "description": "...", "measure": {"method": "facility", "k": 8, "radius": 0.41, ...},
     "games": [
       {"name": "Gen_3f2a9c01d4", "digest": "3f2a9c01d4e5b6a7",
        "definition": {<GameDef.to_json(): source, card fields, parameters>},
        "map_seeds": [812, 77]},
       {"name": "Condense", "map_seeds": [5, 9], "params": {"budget": 8}}
     ]}

A game with a ``definition`` carries its whole program and card, so the suite is
self-contained; a game named alone must be registered (a built-in, or a pack's). Each game
lists the reset seeds of its maps (``env.reset(seed=s)``), so every evaluation of the suite
plays the same maps.

``load_suite`` checks everything before anything runs: the JSON (with line and column), each
field, each program (line, column and caret, with the game's name), each generated program
against its digest, and every named game against the registry, reporting all unknown names
at once with the closest registered ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xent_envs.errors import ConfigError, UnknownNameError, XentError, XentSyntaxError, did_you_mean
from xent_envs.files import atomic_write_json
from xent_envs.games import GameDef
from xent_envs.generation.archive import read_json
from xent_envs.generation.filters import ensure_registered
from xent_envs.generation.game import NAME_PREFIX, GeneratedGame
from xent_envs.lang import load
from xent_envs.registration import game_space, list_games
from xent_envs.seeding import derive_seed

__all__ = ["SUITE_FORMAT", "Suite", "SuiteGame", "load_suite", "map_seeds"]

SUITE_FORMAT = "xent-suite"
_VERSION = 1


def map_seeds(seed: int, name: str, maps: int) -> tuple[int, ...]:
    """The reset seeds of ``maps`` maps of game ``name`` in a suite made with ``seed``."""
    return tuple(derive_seed("xent-suite", seed, name, i) % 2**31 for i in range(maps))


@dataclass(frozen=True)
class SuiteGame:
    """One game of a suite: its name, its maps, and its definition unless it is registered."""

    name: str
    map_seeds: tuple[int, ...]
    definition: GameDef | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "map_seeds": list(self.map_seeds)}
        if self.definition is not None:
            if self.name.startswith(NAME_PREFIX):
                data["digest"] = GeneratedGame(self.definition.source).digest
            data["definition"] = self.definition.to_json()
        if self.params:
            data["params"] = dict(self.params)
        return data


@dataclass(frozen=True)
class Suite:
    """A family of games with fixed maps (see the module docstring)."""

    name: str
    games: tuple[SuiteGame, ...]
    description: str = ""
    measure: Mapping[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.games)

    def register(self) -> list[str]:
        """Register every game the suite defines (the named ones must be registered
        already); return the Gymnasium ids, in the suite's order."""
        ids = []
        for game in self.games:
            if game.definition is not None:
                ids.append(ensure_registered(game.definition, listed=True))
            else:
                ids.append(game_space(game.name).env_id)
        return ids

    def plan(self) -> list[tuple[str, int]]:
        """Every ``(game, reset seed)`` to play, in order."""
        return [(g.name, s) for g in self.games for s in g.map_seeds]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": SUITE_FORMAT,
            "version": _VERSION,
            "name": self.name,
            "description": self.description,
            "measure": dict(self.measure),
            "games": [g.to_json() for g in self.games],
        }

    def write(self, path: str | Path) -> None:
        """Write the suite file atomically."""
        atomic_write_json(path, self.to_json())

    @classmethod
    def of(
        cls,
        name: str,
        games: Sequence[GameDef | str],
        *,
        maps: int = 2,
        seed: int = 0,
        description: str = "",
        measure: Mapping[str, Any] | None = None,
    ) -> Suite:
        """A suite of ``games`` (definitions, or names of registered games) with ``maps``
        maps each, their seeds derived from ``seed``."""
        entries = []
        for game in games:
            if isinstance(game, str):
                entries.append(SuiteGame(game, map_seeds(seed, game, maps)))
            else:
                entries.append(SuiteGame(game.name, map_seeds(seed, game.name, maps), game))
        return cls(name, tuple(entries), description, dict(measure or {}))


def load_suite(path: str | Path) -> Suite:
    """Read and check a suite file (see the module docstring).

    Raises:
        ConfigError: unreadable file, invalid JSON, a missing or mistyped field, a generated
            program that does not match its digest.
        XentSyntaxError, XentCheckError: a game's program is invalid (the message names the
            suite file and the game).
        UnknownNameError: games named alone that are not registered (all of them listed).
    """
    where = str(path)
    data = read_json(path)
    if not isinstance(data, dict) or data.get("format") != SUITE_FORMAT:
        raise ConfigError(f"{where}: not a suite file (format {SUITE_FORMAT!r} expected)")
    if data.get("version") != _VERSION:
        raise ConfigError(f"{where}: suite version {data.get('version')!r}; expected {_VERSION}")
    raw_games = data.get("games")
    if not isinstance(raw_games, list) or not raw_games:
        raise ConfigError(f"{where}: 'games' must be a non-empty list")
    games = [_game(raw, i, where) for i, raw in enumerate(raw_games)]
    names = [g.name for g in games]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"{where}: games listed twice: {', '.join(repeated)}")
    registered = {s.name for s in list_games()}
    unknown = [g.name for g in games if g.definition is None and g.name not in registered]
    if unknown:
        hints = [f"{n!r} ({did_you_mean(n, registered) or 'no close name'})" for n in unknown]
        raise UnknownNameError(
            f"{where}: unknown games {', '.join(hints)}. A game of a suite is either "
            f"registered or carries its 'definition'. Registered: {', '.join(sorted(registered))}."
        )
    measure = data.get("measure", {})
    if not isinstance(measure, dict):
        raise ConfigError(f"{where}: 'measure' must be an object")
    return Suite(
        str(data.get("name", Path(where).stem)),
        tuple(games),
        str(data.get("description", "")),
        measure,
    )


def _game(raw: Any, index: int, where: str) -> SuiteGame:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise ConfigError(f"{where}: game {index} needs a 'name' string")
    name = raw["name"]
    seeds = raw.get("map_seeds")
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)
    ):
        raise ConfigError(f"{where}: game {name!r} needs 'map_seeds', a list of seeds >= 0")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError(f"{where}: 'params' of game {name!r} must be an object")
    definition = None
    if "definition" in raw:
        spec = raw["definition"]
        if not isinstance(spec, dict) or spec.get("name") != name or "source" not in spec:
            raise ConfigError(
                f"{where}: the definition of game {name!r} needs its 'source' and the same name"
            )
        try:
            definition = GameDef.from_json(spec)
            if "digest" in raw:
                found = GeneratedGame(definition.source).digest
                if found != raw["digest"]:
                    raise ConfigError(
                        f"its program hashes to {found}, not to its digest {raw['digest']}: "
                        "the file was edited or corrupted"
                    )
            else:
                load(definition.source, params=definition.defaults)
        except XentSyntaxError as exc:
            raise type(exc)(
                f"{where}: game {name!r}: {exc.message}",
                exc.line,
                exc.column,
                exc.source_line,
                hint=exc.hint,
            ) from None
        except (XentError, KeyError, TypeError) as exc:
            raise ConfigError(f"{where}: game {name!r}: {exc}") from None
    return SuiteGame(name, tuple(seeds), definition, params)
