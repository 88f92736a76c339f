"""The train/eval split, decided by content.

A map text is made of parts: a story's opening is a character, a place and a situation; a
debate motion has a subject; a Taboo target is a word; a user's story comes from a document.
Each such part falls on the ``"train"`` or the ``"eval"`` side by a stable hash of its
(normalised) text, :func:`content_side`, and a text is drawn only from parts on one side. So
an eval text never shares its opening, its subject or its document with a train text, however
many seeds are drawn: the split is a property of the content, not of a seed.

Which side a *map* draws its texts from is named by its map seed (``GameSpace`` decides it
with ``seed_split``), and every text of the map comes from that side.
"""

from __future__ import annotations

import re
from typing import Literal

from xent_envs.errors import ConfigError
from xent_envs.seeding import unit_interval

__all__ = [
    "EVAL_FRACTION",
    "SPLITS",
    "SPLIT_CHOICES",
    "Split",
    "SplitChoice",
    "check_split",
    "content_side",
    "normalise",
]

Split = Literal["train", "eval"]
SplitChoice = Literal["train", "eval", "all"]
SPLITS: tuple[Split, ...] = ("train", "eval")
SPLIT_CHOICES: tuple[SplitChoice, ...] = ("train", "eval", "all")
#: the share of content parts (and of map seeds) on the eval side
EVAL_FRACTION = 0.1

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """``text`` as its side is decided: case-folded, whitespace collapsed, stripped, so
    ``"A  Cat"`` and ``"a cat"`` are one part on one side.

    >>> normalise("  A\\tlost   Dog ")
    'a lost dog'
    """
    return _SPACES.sub(" ", text).strip().casefold()


def content_side(kind: str, text: str) -> Split:
    """The side of the content part ``text`` of ``kind`` (``"character"``, ``"document"``...):
    ``"eval"`` for a stable :data:`EVAL_FRACTION` of parts, else ``"train"``.

    >>> content_side("character", "a young baker"), content_side("character", "A  Young Baker")
    ('train', 'train')
    """
    share = unit_interval("xent-content", kind, normalise(text))
    return "eval" if share < EVAL_FRACTION else "train"


def check_split(split: object) -> SplitChoice:
    """``split`` as one of ``"train"``, ``"eval"``, ``"all"`` (``None`` means ``"all"``).

    Raises:
        ConfigError: anything else.
    """
    if split is None:
        return "all"
    if split not in SPLIT_CHOICES:
        raise ConfigError(f"split must be 'train', 'eval' or 'all' (None: 'all'), got {split!r}")
    return split
