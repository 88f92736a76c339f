"""Pluggable text sources: where the texts of maps come from, and how a map names them.

A ``MapSource`` gives, for a judge, a side of the split, a story length and a map seed, the
language's ``TextSource`` that ``instantiate_map`` reads (``texts``). Its ``fingerprint`` says
everything its texts depend on besides the judge (its data, options and code version); the
short ``source_token`` of it (``"stories-1a2b3c4d5e6f"``) goes into every instance id and map
cache key, as the judge's fingerprint does (``judge_digest``). So a map names what made it,
and a replay with another source or judge is refused instead of silently playing other texts.

Sources shipped (by name for ``gym.make(..., text_source=NAME)``):

- ``"stories"`` (default): ``JudgeStories``, composed openings continued by the judge;
- ``"docs:PATH"``: ``DocumentSource``, a folder (one document per text file) or a JSONL file
  of the user's own texts, split by a hash of each document;
- ``"pool:DIR"``: ``MapPool``, maps built ahead by ``xent-envs maps build``.

Any object with ``kind``, ``fingerprint`` and ``texts`` is a source too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from xent_envs.errors import ConfigError, UnknownNameError, unknown_name
from xent_envs.judge.base import Judge
from xent_envs.lang import TextSource
from xent_envs.maps.catalogues import catalogues_digest
from xent_envs.maps.openings import OpeningSpace
from xent_envs.maps.split import Split
from xent_envs.maps.texts import JudgeTextSource

if TYPE_CHECKING:
    from xent_envs.maps.documents import DocumentSource
    from xent_envs.maps.pool import MapPool

__all__ = [
    "DEFAULT_TEXT_SOURCE",
    "KIND_PATTERN",
    "STORIES_FORMAT",
    "TEXT_SOURCE_NAMES",
    "TOKEN_PATTERN",
    "JudgeStories",
    "MapSource",
    "digest",
    "judge_digest",
    "resolve_text_source",
    "source_token",
]

#: the text source of ``gym.make`` when none is named
DEFAULT_TEXT_SOURCE = "stories"
#: the forms ``resolve_text_source`` reads
TEXT_SOURCE_NAMES = ("stories", "docs:PATH", "pool:DIR")
#: version of the code that writes stories; bumped when the same seed would give other texts
STORIES_FORMAT = 1
KIND_PATTERN = r"[a-z][a-z0-9_]{0,31}"
#: a source token: its kind and 12 hex digits of its fingerprint
TOKEN_PATTERN = rf"{KIND_PATTERN}-[0-9a-f]{{12}}"
_KIND = re.compile(KIND_PATTERN)


@runtime_checkable
class MapSource(Protocol):
    """Where map texts come from (``JudgeStories``, ``DocumentSource``, ``MapPool``...)."""

    @property
    def kind(self) -> str:
        """A short name (``[a-z][a-z0-9_]*``): the first part of the source's token."""
        ...

    @property
    def fingerprint(self) -> Mapping[str, Any]:
        """JSON data naming everything the texts depend on besides the judge."""
        ...

    def texts(
        self, judge: Judge, *, side: Split | None, story_tokens: int, map_seed: int
    ) -> TextSource:
        """The texts of the map ``map_seed``, drawn from ``side`` of the split."""
        ...


def digest(data: Any) -> str:
    """12 hex digits of a SHA-256 of ``data`` as canonical JSON (sorted keys)."""
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def judge_digest(judge: Judge | Mapping[str, Any]) -> str:
    """The digest of a judge's fingerprint (of a judge, or of the fingerprint itself): the
    judge's part of an instance id."""
    fingerprint = judge if isinstance(judge, Mapping) else judge.fingerprint
    return digest(dict(fingerprint))


def source_token(source: MapSource) -> str:
    """``"<kind>-<digest of the fingerprint>"``: the text source's part of an instance id.

    Raises:
        ConfigError: a kind that is not ``[a-z][a-z0-9_]*`` (at most 32 characters).
    """
    kind = source.kind
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise ConfigError(f"a text source's kind must match {KIND_PATTERN}, got {kind!r}")
    return f"{kind}-{digest(dict(source.fingerprint))}"


@dataclass(frozen=True)
class JudgeStories:
    """The default source: composed openings (``openings.py``) continued by the judge, and
    lists from the catalogues (``JudgeTextSource``).

    Args:
        story_min_tokens: fewest new tokens sampled for a story before it may end.
        item_tokens: most tokens in a list item the judge writes.
        prefix_min_tokens: fewest tokens in a ``generate_list_next_token`` prefix.
        mask: the text that replaces each masked word.
        temperature, top_k, top_p: the judge's sampling options.
    """

    story_min_tokens: int = 40
    item_tokens: int = 12
    prefix_min_tokens: int = 8
    mask: str = "___"
    temperature: float = 0.9
    top_k: int = 50
    top_p: float = 0.95

    @property
    def kind(self) -> str:
        return "stories"

    @property
    def fingerprint(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "format": STORIES_FORMAT,
            "openings": OpeningSpace.default().digest,
            "catalogues": catalogues_digest(),
            **asdict(self),
        }

    def texts(
        self, judge: Judge, *, side: Split | None, story_tokens: int, map_seed: int
    ) -> JudgeTextSource:
        """A ``JudgeTextSource`` on ``side`` (every call seeds itself: ``map_seed`` is not
        needed)."""
        return JudgeTextSource(judge, story_tokens=story_tokens, side=side, **asdict(self))


def resolve_text_source(spec: MapSource | str | os.PathLike[str]) -> MapSource:
    """The source ``spec`` names: a source object as it is, ``"stories"``,
    ``"docs:PATH"`` (a folder or a ``.jsonl`` file) or ``"pool:DIR"``.

    Raises:
        UnknownNameError: another name (the message lists the valid forms).
        TextSourceError: the folder, file or pool cannot be used (the message says why).
    """
    if isinstance(spec, MapSource):
        return spec
    if isinstance(spec, os.PathLike):
        raise ConfigError(
            f"a text source path must say what it holds: 'docs:{spec}' (your texts) or "
            f"'pool:{spec}' (a map pool)"
        )
    if not isinstance(spec, str):
        raise ConfigError(
            f"text_source must be a name ({', '.join(TEXT_SOURCE_NAMES)}) or a source object "
            f"with kind, fingerprint and texts; got {spec!r}"
        )
    if spec == "stories":
        return JudgeStories()
    kind, sep, path = spec.partition(":")
    if sep and path and kind == "docs":
        from xent_envs.maps.documents import DocumentSource

        source: DocumentSource | MapPool = DocumentSource.open(Path(path))
        return source
    if sep and path and kind == "pool":
        from xent_envs.maps.pool import MapPool

        return MapPool.open(Path(path))
    raise UnknownNameError(unknown_name("text source", spec, TEXT_SOURCE_NAMES))
