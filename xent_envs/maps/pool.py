"""Map pools: maps built ahead of time and kept on disk, so a reset costs milliseconds.

A new map costs seconds of story generation on a CPU, which dominates RL on short games. A pool
(``xent-envs maps build``, ``build.py``) records, for each map, every text its map-text calls
produced; an env given the pool (``gym.make(..., pool=DIR)`` or ``text_source="pool:DIR"``)
draws its maps from the pool and rebuilds each program from the recorded texts.

A pool is a cache of its text source: its maps have the same instance ids (the source token
and judge digest they name are those of the source and judge that built them), so a map
replays the same with or without the pool. The pool refuses what it cannot serve exactly:
another judge, another format, a corrupt or foreign file, a text its maps do not hold.

Layout of ``DIR``::

    pool.json           PoolManifest: format, game, program, judge, text source, split, ...
    maps/<seed>.json    one map: its instance id and the texts of its calls, with a SHA-256

Every file is written whole or not at all (``xent_envs.files``), and read back checked.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xent_envs.errors import PoolError
from xent_envs.files import atomic_write_json
from xent_envs.judge.base import Judge
from xent_envs.lang import TextSource
from xent_envs.maps.sources import TOKEN_PATTERN, digest, judge_digest
from xent_envs.maps.split import SPLITS, Split

__all__ = [
    "MANIFEST_NAME",
    "MAX_POOL_FILE_BYTES",
    "POOL_FORMAT",
    "MapPool",
    "PoolManifest",
    "PoolMap",
    "RecordedTexts",
    "Recorder",
    "TextCall",
]

#: version of the pool's files; a pool of another format is refused
POOL_FORMAT = 1
MANIFEST_NAME = "pool.json"
#: the largest pool file read (a map's texts take a few kilobytes)
MAX_POOL_FILE_BYTES = 4_000_000
_MAP_FILE = re.compile(r"(?P<seed>[0-9]{1,19})\.json")
_TOKEN = re.compile(TOKEN_PATTERN)
_MAP_TEXT_CALLS = ("story", "generate_list", "generate_masked", "generate_list_next_token")
# recently read maps kept in memory (a reset reads its map once to draw it, once to build it)
_RECENT = 8


@dataclass(frozen=True)
class TextCall:
    """One map-text call of a map and what it gave: ``call(*args)`` at the call site seeded
    ``seed``, for stories of ``story_tokens`` tokens."""

    call: str
    args: tuple[str | int, ...]
    seed: int
    story_tokens: int
    value: str | tuple[str, ...]

    @property
    def key(self) -> tuple[str, tuple[str | int, ...], int, int]:
        return (self.call, self.args, self.seed, self.story_tokens)

    def to_json(self) -> dict[str, Any]:
        value = self.value if isinstance(self.value, str) else list(self.value)
        return {
            "call": self.call,
            "args": list(self.args),
            "seed": self.seed,
            "story_tokens": self.story_tokens,
            "value": value,
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> TextCall:
        ok = (
            isinstance(data, dict)
            and set(data) == {"call", "args", "seed", "story_tokens", "value"}
            and data["call"] in _MAP_TEXT_CALLS
            and isinstance(data["args"], list)
            and all(isinstance(a, (str, int)) and not isinstance(a, bool) for a in data["args"])
            and _is_int(data["seed"])
            and _is_int(data["story_tokens"])
            and (
                isinstance(data["value"], str)
                or (
                    isinstance(data["value"], list)
                    and all(isinstance(v, str) for v in data["value"])
                )
            )
        )
        if not ok:
            raise PoolError(f"{where}: not a recorded map-text call: {json.dumps(data)[:200]}")
        value = data["value"] if isinstance(data["value"], str) else tuple(data["value"])
        return cls(data["call"], tuple(data["args"]), data["seed"], data["story_tokens"], value)


@dataclass(frozen=True)
class PoolMap:
    """One map of a pool: its map seed, its instance id and its recorded texts."""

    seed: int
    instance: str
    calls: tuple[TextCall, ...]

    def to_json(self) -> dict[str, Any]:
        body = {
            "format": POOL_FORMAT,
            "instance": self.instance,
            "seed": self.seed,
            "texts": [c.to_json() for c in self.calls],
        }
        return {**body, "sha256": _sha256(body)}


@dataclass(frozen=True)
class PoolManifest:
    """``pool.json``: what every map of the pool was built with.

    Attributes:
        format: :data:`POOL_FORMAT`.
        game: the env id of the game (``xent/Condense-v0``).
        program: the digest of the game's program.
        judge: the judge's fingerprint (the pool refuses any other judge).
        texts: the token of the text source that wrote the texts.
        texts_fingerprint: that source's fingerprint.
        split: the side of the split every map was drawn from.
        params: the fixed game parameters the maps were built with.
        vary: the parameters drawn per map.
        seed: the pool's seed (map ``i`` is drawn from a generator seeded by it and ``i``).
        size: the maps asked for (the folder may hold fewer while it is built).
    """

    format: int
    game: str
    program: str
    judge: Mapping[str, Any]
    texts: str
    texts_fingerprint: Mapping[str, Any]
    split: Split
    params: Mapping[str, Any]
    vary: tuple[str, ...]
    seed: int
    size: int

    @property
    def judge_digest(self) -> str:
        return judge_digest(self.judge)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "game": self.game,
            "program": self.program,
            "judge": dict(self.judge),
            "texts": self.texts,
            "texts_fingerprint": dict(self.texts_fingerprint),
            "split": self.split,
            "params": dict(self.params),
            "vary": list(self.vary),
            "seed": self.seed,
            "size": self.size,
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> PoolManifest:
        """The manifest in ``data``.

        Raises:
            PoolError: another format, or a missing or mistyped field (named).
        """
        if not isinstance(data, dict):
            raise PoolError(f"{where} is not a pool manifest (a JSON object)")
        if data.get("format") != POOL_FORMAT:
            raise PoolError(
                f"{where} is a pool of format {data.get('format')!r}; this xent-envs reads "
                f"format {POOL_FORMAT}: rebuild the pool into a new folder"
            )
        types = {
            "game": str, "program": str, "judge": dict, "texts": str, "texts_fingerprint": dict,
            "split": str, "params": dict, "vary": list, "seed": int, "size": int,
        }  # fmt: skip
        for name, kind in types.items():
            value = data.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise PoolError(
                    f"{where}: field {name!r} should be a {kind.__name__}, got {value!r:.80}"
                )
        extra = set(data) - set(types) - {"format"}
        if extra:
            raise PoolError(f"{where}: unknown fields {sorted(extra)}")
        if data["split"] not in SPLITS or not _TOKEN.fullmatch(data["texts"]):
            raise PoolError(
                f"{where}: bad split {data['split']!r} or text source {data['texts']!r}"
            )
        if digest(data["texts_fingerprint"]) != data["texts"].rpartition("-")[2]:
            raise PoolError(f"{where}: the text source token does not match its fingerprint")
        return cls(
            POOL_FORMAT, data["game"], data["program"], data["judge"], data["texts"],
            data["texts_fingerprint"], data["split"], data["params"], tuple(data["vary"]),
            data["seed"], data["size"],
        )  # fmt: skip

    def tail(self, seed: int) -> str:
        """How the instance id of the pool's map ``seed`` ends."""
        return f"#{seed}@{self.program};judge={self.judge_digest};texts={self.texts}"


class MapPool:
    """A pool of maps on disk; a ``MapSource`` that replays the recorded texts.

    Open one with ``MapPool.open(folder)``. ``kind`` and ``fingerprint`` are those of the
    source that built the maps, so their instance ids are the same as without the pool.

    Attributes:
        folder: the pool's folder.
        manifest: its ``pool.json``.
        seeds: the map seeds of the maps it holds, sorted.
    """

    def __init__(self, folder: Path, manifest: PoolManifest, seeds: Sequence[int]) -> None:
        self.folder = folder
        self.manifest = manifest
        self.seeds: tuple[int, ...] = tuple(sorted(seeds))
        self._recent: dict[int, PoolMap] = {}

    @classmethod
    def open(cls, folder: str | Path) -> MapPool:
        """The pool in ``folder``.

        Raises:
            PoolError: no pool there, or a corrupt manifest, or a file in ``maps/`` that is
                not a map file (the message names it).
        """
        folder = Path(folder)
        manifest_path = folder / MANIFEST_NAME
        if not manifest_path.is_file():
            raise PoolError(
                f"{folder} is not a map pool (no {MANIFEST_NAME}); build one with "
                f"`xent-envs maps build --game GAME --n N --out {folder}`"
            )
        manifest = PoolManifest.from_json(_read_json(manifest_path), str(manifest_path))
        seeds = []
        maps = folder / "maps"
        for path in sorted(maps.iterdir()) if maps.is_dir() else []:
            if path.name.startswith("."):  # a temporary file of a write in progress
                continue
            found = _MAP_FILE.fullmatch(path.name)
            if found is None or not path.is_file():
                raise PoolError(f"{path} is not a map file of this pool (maps/<seed>.json)")
            seeds.append(int(found["seed"]))
        return cls(folder, manifest, seeds)

    # -- the MapSource protocol ----------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.manifest.texts.rpartition("-")[0]

    @property
    def fingerprint(self) -> Mapping[str, Any]:
        return self.manifest.texts_fingerprint

    def texts(
        self, judge: Judge, *, side: Split | None, story_tokens: int, map_seed: int
    ) -> RecordedTexts:
        """The recorded texts of the map ``map_seed`` (the texts were drawn on the map's own
        side when the pool was built; ``side`` is not used).

        Raises:
            PoolError: another judge, no such map, or a corrupt map file.
        """
        self.check_judge(judge)
        return RecordedTexts(self, self.read(map_seed), story_tokens)

    # -- maps ----------------------------------------------------------------------------------

    def check_judge(self, judge: Judge) -> None:
        """Refuse a judge other than the one that built the maps.

        Raises:
            PoolError: the fingerprints differ (the message shows both).
        """
        mine = dict(judge.fingerprint)
        if judge_digest(mine) != self.manifest.judge_digest:
            raise PoolError(
                f"the map pool {self.folder} was built with the judge "
                f"{json.dumps(dict(self.manifest.judge), sort_keys=True)}, not with this env's "
                f"judge {json.dumps(mine, sort_keys=True, default=str)}: its texts would differ. "
                "Use that judge, or build a pool with this one (xent-envs maps build --judge ...)"
            )

    def draw(self, rng: np.random.Generator) -> PoolMap:
        """One of the pool's maps, chosen by ``rng``.

        Raises:
            PoolError: the pool holds no map, or the drawn file is corrupt.
        """
        if not self.seeds:
            raise PoolError(
                f"the map pool {self.folder} holds no map yet: build it with "
                f"`xent-envs maps build --out {self.folder} ...`"
            )
        return self.read(self.seeds[int(rng.integers(len(self.seeds)))])

    def read(self, seed: int) -> PoolMap:
        """The map of ``seed``, checked (format, SHA-256, instance id, fields).

        Raises:
            PoolError: no such map in the pool, or its file is corrupt (named).
        """
        recent = self._recent.get(seed)
        if recent is not None:
            return recent
        path = self.folder / "maps" / f"{seed}.json"
        if not path.is_file():
            raise PoolError(
                f"the map pool {self.folder} holds no map of seed {seed} ({len(self.seeds)} "
                f"maps of {self.manifest.game}, {self.manifest.split} split); play it without "
                "the pool"
            )
        pool_map = self.check_map(_read_json(path), seed, str(path))
        if len(self._recent) >= _RECENT:
            self._recent.pop(next(iter(self._recent)))
        self._recent[seed] = pool_map
        return pool_map

    def check_map(self, data: Any, seed: int, where: str) -> PoolMap:
        """``data`` read as the pool's map of ``seed``.

        Raises:
            PoolError: not a map of this pool (named by ``where``, with what is wrong).
        """
        if not isinstance(data, dict) or data.get("format") != POOL_FORMAT:
            raise PoolError(f"{where} is corrupt: not a pool map of format {POOL_FORMAT}")
        body = {k: v for k, v in data.items() if k != "sha256"}
        if set(data) != {"format", "instance", "seed", "texts", "sha256"}:
            raise PoolError(f"{where} is corrupt: fields {sorted(data)}")
        if data["sha256"] != _sha256(body):
            raise PoolError(
                f"{where} is corrupt: its content does not match its SHA-256 (edited or "
                "damaged); rebuild it: `xent-envs maps build` with the same arguments rewrites "
                "bad files"
            )
        instance = data["instance"]
        expected = self.manifest.tail(seed)
        if (
            data["seed"] != seed
            or not isinstance(instance, str)
            or not instance.startswith(self.manifest.game + "?")
            or not instance.endswith(expected)
        ):
            raise PoolError(
                f"{where} is not a map of this pool: its instance {instance!r:.200} should "
                f"name {self.manifest.game} and end with {expected!r}"
            )
        if not isinstance(data["texts"], list):
            raise PoolError(f"{where} is corrupt: 'texts' is not a list")
        calls = tuple(TextCall.from_json(c, where) for c in data["texts"])
        return PoolMap(seed, instance, calls)

    def write(self, pool_map: PoolMap) -> Path:
        """Save ``pool_map`` (atomically) and return its path."""
        path = self.folder / "maps" / f"{pool_map.seed}.json"
        atomic_write_json(path, pool_map.to_json())
        return path

    def __len__(self) -> int:
        return len(self.seeds)

    def __repr__(self) -> str:
        m = self.manifest
        return f"MapPool({str(self.folder)!r}: {len(self)} maps of {m.game}, {m.split} split)"


@dataclass
class RecordedTexts:
    """The ``TextSource`` of one pool map: each call answered with what it gave when built."""

    pool: MapPool
    map: PoolMap
    story_tokens: int
    _calls: dict[tuple[str, tuple[str | int, ...], int, int], TextCall] = field(init=False)

    def __post_init__(self) -> None:
        self._calls = {c.key: c for c in self.map.calls}

    def story(self, seed: int) -> str:
        return str(self._answer("story", (), seed))

    def generate_list(self, prompt: str, n: int, seed: int) -> list[str]:
        return list(self._answer("generate_list", (prompt, n), seed))

    def generate_masked(self, n: int, seed: int) -> list[str]:
        return list(self._answer("generate_masked", (n,), seed))

    def generate_list_next_token(self, n: int, seed: int) -> list[str]:
        return list(self._answer("generate_list_next_token", (n,), seed))

    def _answer(self, call: str, args: tuple[str | int, ...], seed: int) -> str | tuple[str, ...]:
        found = self._calls.get((call, args, seed, self.story_tokens))
        if found is None:
            held = sorted({(c.call, c.args, c.story_tokens) for c in self.map.calls})
            raise PoolError(
                f"the map pool {self.pool.folder} has no text for {call}{args} with "
                f"story_tokens={self.story_tokens} in map {self.map.seed} (it holds "
                f"{held}; its maps were built with {dict(self.pool.manifest.params)}): play "
                "these parameters without the pool, or build a pool with them"
            )
        return found.value


class Recorder:
    """A ``TextSource`` that passes every call to ``texts`` and records it (pool building)."""

    def __init__(self, texts: TextSource, story_tokens: int) -> None:
        self.texts = texts
        self.story_tokens = story_tokens
        self.calls: list[TextCall] = []

    def story(self, seed: int) -> str:
        value = self.texts.story(seed)
        self._note("story", (), seed, value)
        return value

    def generate_list(self, prompt: str, n: int, seed: int) -> list[str]:
        value = self.texts.generate_list(prompt, n, seed)
        self._note("generate_list", (prompt, n), seed, tuple(value))
        return value

    def generate_masked(self, n: int, seed: int) -> list[str]:
        value = self.texts.generate_masked(n, seed)
        self._note("generate_masked", (n,), seed, tuple(value))
        return value

    def generate_list_next_token(self, n: int, seed: int) -> list[str]:
        value = self.texts.generate_list_next_token(n, seed)
        self._note("generate_list_next_token", (n,), seed, tuple(value))
        return value

    def _note(
        self, call: str, args: tuple[str | int, ...], seed: int, value: str | tuple[str, ...]
    ) -> None:
        self.calls.append(TextCall(call, args, seed, self.story_tokens, value))


def _sha256(body: Mapping[str, Any]) -> str:
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _read_json(path: Path) -> Any:
    try:
        size = path.stat().st_size
        data = path.read_bytes() if size <= MAX_POOL_FILE_BYTES else None
    except OSError as exc:
        raise PoolError(f"cannot read {path}: {exc}") from exc
    if data is None:
        raise PoolError(f"{path} is corrupt: {size} bytes, more than a pool file holds")
    try:
        return json.loads(data)
    except ValueError as exc:
        raise PoolError(f"{path} is corrupt: not JSON ({exc})") from None
