"""Map texts: where the stories, word lists and motions of maps come from, the content-level
train/eval split, and map pools built ahead of time.

- ``split``: the split by content (``content_side``) and the split choices;
- ``openings``, ``catalogues``: composed story openings and word lists / debate motions, kept
  as data files in ``data/``, every content part on its side of the split;
- ``texts``: ``JudgeTextSource``, the language's ``TextSource`` written by the judge;
- ``documents``: ``DocumentSource``, the user's own texts (a folder or a JSONL file);
- ``sources``: the ``MapSource`` protocol, the default ``JudgeStories``, tokens and digests
  that instance ids carry, ``resolve_text_source``;
- ``pool``: ``MapPool``, maps on disk; ``build``: ``build_pool``; ``commands``: the
  ``xent-envs maps`` commands.

Layering: everything here stands below the games (it knows the judge and the language only),
except ``build`` and ``commands``, which sample game instances to build pools; they load when
first used.

Example:
    >>> from xent_envs.maps import JudgeStories, resolve_text_source, source_token
    >>> source = resolve_text_source("stories")
    >>> isinstance(source, JudgeStories), source_token(source).startswith("stories-")
    (True, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xent_envs.maps.catalogues import Catalogue, catalogue, catalogues
from xent_envs.maps.documents import DocumentSource
from xent_envs.maps.openings import Opening, OpeningSpace
from xent_envs.maps.pool import MapPool, PoolManifest, PoolMap
from xent_envs.maps.sources import (
    DEFAULT_TEXT_SOURCE,
    JudgeStories,
    MapSource,
    judge_digest,
    resolve_text_source,
    source_token,
)
from xent_envs.maps.split import (
    EVAL_FRACTION,
    SPLIT_CHOICES,
    SPLITS,
    Split,
    SplitChoice,
    check_split,
    content_side,
)
from xent_envs.maps.texts import JudgeTextSource, StoryTexts

if TYPE_CHECKING:
    from xent_envs.maps.build import BuildReport, build_pool

__all__ = [
    "DEFAULT_TEXT_SOURCE",
    "EVAL_FRACTION",
    "SPLITS",
    "SPLIT_CHOICES",
    "BuildReport",
    "Catalogue",
    "DocumentSource",
    "JudgeStories",
    "JudgeTextSource",
    "MapPool",
    "MapSource",
    "Opening",
    "OpeningSpace",
    "PoolManifest",
    "PoolMap",
    "Split",
    "SplitChoice",
    "StoryTexts",
    "build_pool",
    "catalogue",
    "catalogues",
    "check_split",
    "content_side",
    "judge_digest",
    "resolve_text_source",
    "source_token",
]

_LAZY = {"BuildReport": "xent_envs.maps.build", "build_pool": "xent_envs.maps.build"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xent_envs.maps' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
