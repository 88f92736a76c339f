"""Registration: game spaces as Gymnasium ids, from the built-in games, users and game packs.

``import xent_envs`` registers every built-in game as ``xent/<Name>-v<N>``, then
``xent/Random-v0`` (a game drawn from every registered game at each reset), then the games of
third-party packs found in the entry-point group ``xent_envs.games``.

Rules for names and versions (so an id always means one game):

- A name matches ``[A-Za-z][A-Za-z0-9_]*`` (at most 64 characters): it is safe in a Gymnasium
  id, a file name and an instance id. ``Random`` (any case) is reserved for ``xent/Random-v0``.
- A version is an integer in [0, 999999]; each (name, version) is its own id, and several
  versions of a game may be registered side by side. ``game_space("Foo")`` is the highest
  version; ``game_space("xent/Foo-v1")`` (or ``"Foo-v1"``) is exactly that one.
- A registered (name, version) never changes: registering it again with an identical
  definition returns the registered space (so a subprocess can re-register what its parent
  did); with a different definition it is refused. To change a game, register a new version.
  So sync and async vector envs, and an env made before and after, always play the same game.
- Registration is all-or-nothing: a game whose name, version, card or program is wrong leaves
  no trace (not listed, not drawn by ``xent/Random-v0``, no Gymnasium id).
- A game pack whose entry point fails to load, or holds a broken game, is skipped with a
  ``GamePackWarning`` naming its distribution and entry point; the other packs register.

Example:
    >>> import xent_envs
    >>> with temporary_registrations():
    ...     space = register_game(source="assign(s=story())\\nelicit(x, 8)\\nreward(xed(s | x))",
    ...                           name="Echo", version=2)
    ...     space.env_id, game_space("Echo") is space
    ('xent/Echo-v2', True)
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import itertools
import re
import threading
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import gymnasium as gym

from xent_envs.errors import ConfigError, GamePackWarning, UnknownNameError, unknown_name
from xent_envs.games import GameDef, GameSpace, builtin_games, load_game_file
from xent_envs.judge.models import DEFAULT_JUDGE
from xent_envs.maps import DEFAULT_TEXT_SOURCE

__all__ = [
    "ENTRY_POINT",
    "ENTRY_POINT_GROUP",
    "MAX_EPISODE_STEPS",
    "MAX_NAME_LENGTH",
    "MAX_VERSION",
    "NAME_PATTERN",
    "RANDOM_ID",
    "RESERVED_NAMES",
    "SAMPLED_ID",
    "game_space",
    "list_games",
    "register_builtin_games",
    "register_entry_point_games",
    "register_game",
    "temporary_registrations",
]

ENTRY_POINT_GROUP = "xent_envs.games"
ENTRY_POINT = "xent_envs.envs:XentEnv"
VECTOR_ENTRY_POINT = "xent_envs.envs:XentVectorEnv"
RANDOM_ID = "xent/Random-v0"
#: draws a new generated game at each reset (``xent_envs.generation``)
SAMPLED_ID = "xent/Sampled-v0"
NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_]*"
MAX_NAME_LENGTH = 64
MAX_VERSION = 999_999
RESERVED_NAMES = ("Random", "Sampled")
# A failed ensure asks again without advancing, so a policy that keeps failing must still end:
# TimeLimit truncates after this many steps (far above any game's rounds x elicits x retries).
MAX_EPISODE_STEPS = 1000
# A game pack is third-party code: one that yields games without end must not hang the import.
_MAX_PACK_GAMES = 1000

_NAME = re.compile(NAME_PATTERN)
_LOOKUP = re.compile(rf"(?:xent/)?(?P<game>{NAME_PATTERN})(?:-v(?P<version>[0-9]+))?")
_SPACES: dict[str, dict[int, GameSpace]] = {}
# Games registered with listed=False (generated games that xent/Sampled-v0 or the filters
# play): playable by id, but not listed, so xent/Random-v0 and `xent-envs list` ignore them.
_UNLISTED: set[str] = set()
_LOCK = threading.RLock()


def game_space(name: str) -> GameSpace:
    """The registered space called ``name``: ``"Condense"`` (its highest version),
    ``"Condense-v0"`` or ``"xent/Condense-v0"`` (that version).

    Raises:
        UnknownNameError: no such game (with the closest name) or no such version.
    """
    match = _LOOKUP.fullmatch(name) if isinstance(name, str) else None
    key = match["game"] if match else str(name)
    versions = _SPACES.get(key)
    if not versions:
        raise UnknownNameError(unknown_name("game", key, _SPACES))
    if match is None or match["version"] is None:
        return versions[max(versions)]
    version = int(match["version"])
    if version not in versions:
        raise UnknownNameError(
            unknown_name("version", f"v{version}", [f"v{v}" for v in versions], f" of {key}")
        )
    return versions[version]


def list_games(*, all_versions: bool = False) -> list[GameSpace]:
    """The registered game spaces sorted by name: the highest version of each game, or
    every version with ``all_versions``."""
    with _LOCK:
        listed = sorted((name, v) for name, v in _SPACES.items() if name not in _UNLISTED)
        if all_versions:
            return [v[n] for _, v in listed for n in sorted(v)]
        return [v[max(v)] for _, v in listed]


def register_game(
    definition: GameDef | None = None,
    *,
    source: str | None = None,
    path: str | Path | None = None,
    name: str | None = None,
    version: int | None = None,
    listed: bool = True,
    **card: Any,
) -> GameSpace:
    """Register a game as the Gymnasium id ``xent/<name>-v<version>`` and return its space.

    Pass a ``GameDef``; or the program as ``source`` text with a ``name`` and optional card
    fields (``summary``, ``description``, ``parameters``...); or a ``.xent`` ``path``, whose
    card ``X.toml`` beside it is read (fields given here override the card's). ``version``
    defaults to the definition's (the card's ``version``, else 0). The program is loaded and
    checked at its default parameters now, so a broken game fails here with line and column.
    ``listed=False`` registers a game that ``list_games()`` (hence ``xent/Random-v0`` and
    ``xent-envs list``) does not show, e.g. a generated game drawn by ``xent/Sampled-v0``;
    registering it again listed lists it.

    Raises:
        ConfigError: a bad name or version, a card error, or a (name, version) that is
            already registered with a different definition.
        XentSyntaxError: the program does not parse or check.

    Example:
        >>> with temporary_registrations():
        ...     register_game(source="assign(s=story())\\nelicit(x, $n)\\nreward(xed(s | x))",
        ...                   name="Echo", description="Write at most $n tokens.",
        ...                   parameters={"n": {"type": "int", "default": 8}}).rules({"n": 3})
        'Write at most 3 tokens.'
    """
    if version is not None:
        card["version"] = version
    if definition is not None:
        if source is not None or path is not None or name is not None or card.keys() - {"version"}:
            raise ConfigError("register_game takes a GameDef alone, or source/path and fields")
        if version is not None:
            definition = replace(definition, version=version)
    elif path is not None:
        if source is not None:
            raise ConfigError("register_game takes source or path, not both")
        definition = load_game_file(path, **({"name": name} if name else {}), **card)
    elif source is not None and name is not None:
        definition = GameDef.from_source(name, source, **card)
    else:
        raise ConfigError("register_game needs a GameDef, or source and a name, or a path")
    with _LOCK:
        was_listed = definition.name in _SPACES and definition.name not in _UNLISTED
        (space,) = _register_all([definition])
        if listed:
            _UNLISTED.discard(space.name)
        elif not was_listed:
            _UNLISTED.add(space.name)
        return space


def _register_all(definitions: Sequence[GameDef]) -> list[GameSpace]:
    """Register every definition, or none of them (the first error is raised)."""
    with _LOCK:
        prepared = [_prepare(d) for d in definitions]
        ids = [space.env_id for space, _ in prepared]
        repeated = {i for i in ids if ids.count(i) > 1}
        if repeated:
            raise ConfigError(f"{sorted(repeated)[0]} is defined twice in one registration")
        for space, is_new in prepared:
            if is_new:
                _commit(space)
        return [space for space, _ in prepared]


def _prepare(definition: GameDef) -> tuple[GameSpace, bool]:
    """The checked space of ``definition`` and whether it is new; registers nothing."""
    if not isinstance(definition, GameDef):
        raise ConfigError(f"expected a GameDef, got {type(definition).__name__}")
    _check_name(definition.name)
    if definition.version > MAX_VERSION:
        raise ConfigError(f"version must be in [0, {MAX_VERSION}], got {definition.version}")
    # Through the one card parser, so a GameDef built by hand is validated like a card.
    checked = GameDef.from_json(definition.to_json())
    space = GameSpace(checked)
    existing = _SPACES.get(space.name, {}).get(space.version)
    if existing is not None:
        if existing.definition == checked:
            return existing, False
        newer = max(_SPACES[space.name]) + 1
        raise ConfigError(
            f"{space.env_id} is already registered with another definition, and a registered "
            f"game never changes: register yours as version={newer} or under another name"
        )
    if space.env_id in gym.registry:
        raise ConfigError(f"{space.env_id} is already a Gymnasium id registered outside xent-envs")
    space.program()
    return space, True


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
        raise ConfigError(
            f"game name {name!r} must match {NAME_PATTERN} (a letter, then letters, digits or "
            f"'_'; at most {MAX_NAME_LENGTH} characters), so that it is safe in an id"
        )
    if name.lower() in (r.lower() for r in RESERVED_NAMES):
        raise ConfigError(f"game name {name!r} is reserved (xent/Random-v0 draws every game)")


def _commit(space: GameSpace) -> None:
    kwargs: dict[str, Any] = {
        "game": space.env_id,
        "judge": DEFAULT_JUDGE,
        "text_source": DEFAULT_TEXT_SOURCE,
    }
    if space.definition not in builtin_games():
        # Carry the game in the spec, so a spawned subprocess can register it and make the env.
        kwargs["game_def"] = space.definition.to_json()
    gym.register(
        id=space.env_id,
        entry_point=ENTRY_POINT,
        vector_entry_point=VECTOR_ENTRY_POINT,
        kwargs=kwargs,
        max_episode_steps=MAX_EPISODE_STEPS,
    )
    _SPACES.setdefault(space.name, {})[space.version] = space


def register_entry_point_games() -> None:
    """Register the games of every installed game pack (entry-point group
    ``xent_envs.games``; each entry point names a ``GameDef``, a list of them, or a function
    returning either). A pack that fails is skipped with a ``GamePackWarning``."""
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            _register_all(_pack_games(ep.load()))
        except Exception as exc:  # third-party code: any failure skips that pack alone
            dist = ep.dist.name if ep.dist is not None else "an unknown distribution"
            warnings.warn(
                f"game pack {dist!r} (entry point {ep.name} = {ep.value} in group "
                f"{ENTRY_POINT_GROUP!r}) was not registered: {type(exc).__name__}: {exc}",
                GamePackWarning,
                stacklevel=2,
            )


def _pack_games(loaded: Any) -> list[GameDef]:
    found = loaded() if callable(loaded) and not isinstance(loaded, GameDef) else loaded
    if isinstance(found, GameDef):
        return [found]
    if not isinstance(found, Iterable) or isinstance(found, (str, bytes)):
        raise ConfigError(f"expected a GameDef or a list of them, got {type(found).__name__}")
    games = list(itertools.islice(found, _MAX_PACK_GAMES + 1))
    if len(games) > _MAX_PACK_GAMES:
        raise ConfigError(f"a game pack holds at most {_MAX_PACK_GAMES} games")
    return games


def register_builtin_games() -> None:
    """What ``import xent_envs`` registers: the built-in games, ``xent/Random-v0``,
    ``xent/Sampled-v0`` (a generated game at each reset; its module loads on first use), then
    the games of installed game packs."""
    _register_all(builtin_games())
    if RANDOM_ID not in gym.registry:
        gym.register(
            id=RANDOM_ID,
            entry_point=ENTRY_POINT,
            vector_entry_point=VECTOR_ENTRY_POINT,
            kwargs={"game": "*", "judge": DEFAULT_JUDGE, "text_source": DEFAULT_TEXT_SOURCE},
            max_episode_steps=MAX_EPISODE_STEPS,
        )
    if SAMPLED_ID not in gym.registry:
        gym.register(
            id=SAMPLED_ID,
            entry_point="xent_envs.generation.env:SampledEnv",
            kwargs={"judge": DEFAULT_JUDGE},
            max_episode_steps=MAX_EPISODE_STEPS,
        )
    register_entry_point_games()


@contextlib.contextmanager
def temporary_registrations() -> Iterator[None]:
    """Undo, on leaving the block, every game (and Gymnasium id) registered inside it: for
    tests and notebooks that must not leave games behind for ``xent/Random-v0`` to draw."""
    with _LOCK:
        spaces = {name: dict(versions) for name, versions in _SPACES.items()}
        unlisted = set(_UNLISTED)
        specs = dict(gym.registry)
    try:
        yield
    finally:
        with _LOCK:
            _SPACES.clear()
            _SPACES.update(spaces)
            _UNLISTED.clear()
            _UNLISTED.update(unlisted)
            gym.registry.clear()
            gym.registry.update(specs)
