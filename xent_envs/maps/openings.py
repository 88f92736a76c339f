"""Story openings composed from seeded choices: a frame (the genre), a character, a place, a
situation, and a second sentence (the style).

The judge continues an opening in place into a story (``JudgeTextSource``). With the word lists
in ``data/openings/`` the space holds millions of openings per side, where the suite once had
44 fixed lines, and the split is decided by content: character, place and situation each fall
on a side by their own hash, and an opening is drawn from parts of one side only. So no eval
opening shares any of its content phrases with a train opening. Frames and styles are register
(how a text is told, not what it is about) and serve both sides.

Example:
    >>> space = OpeningSpace.default()
    >>> opening = space.draw(7, "eval")
    >>> opening.side, opening == space.draw(7, "eval")
    ('eval', True)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from xent_envs.errors import ConfigError
from xent_envs.maps.phrases import DATA, Phrases, digest_of, fill, slots_of
from xent_envs.maps.split import Split, content_side

__all__ = ["Opening", "OpeningSpace"]

_FOLDER = DATA / "openings"
_CONTENT_SLOTS = ("character", "place", "situation")


@dataclass(frozen=True)
class Opening:
    """One drawn opening.

    Attributes:
        text: the opening as the judge continues it: ``sentence``, then the style sentence.
        sentence: the frame filled with the content parts (the opening without its style).
        parts: ``(kind, phrase)`` of each content part (what decides its side).
        side: the side every content part is on, or ``None`` when they disagree (a draw
            with no side restriction).
    """

    text: str
    sentence: str
    parts: tuple[tuple[str, str], ...]
    side: Split | None


@dataclass(frozen=True)
class OpeningSpace:
    """Openings made by filling a frame's slots with phrases, then adding a style sentence.

    Attributes:
        frames: templates with ``{slot}`` placeholders (register).
        slots: the phrases of each slot (content phrases are split).
        styles: second sentences (register), or ``None`` for none.
    """

    frames: Phrases
    slots: tuple[Phrases, ...]
    styles: Phrases | None = None

    def __post_init__(self) -> None:
        names = {p.kind for p in self.slots}
        for frame in self.frames.items:
            missing = slots_of(frame) - names
            if missing:
                raise ConfigError(f"frame {frame!r} uses unknown slots {sorted(missing)}")

    @classmethod
    @functools.cache
    def default(cls) -> OpeningSpace:
        """The composed openings of ``data/openings/`` (loaded once per process)."""
        return cls(
            Phrases.from_file(_FOLDER / "frames.txt", "frame", content=False),
            tuple(
                Phrases.from_file(_FOLDER / f"{slot}s.txt", slot, content=True)
                for slot in _CONTENT_SLOTS
            ),
            Phrases.from_file(_FOLDER / "styles.txt", "style", content=False),
        )

    @classmethod
    def from_lines(cls, lines: Sequence[str]) -> OpeningSpace:
        """Fixed opening lines (each one content, on the side of its own hash).

        Raises:
            ConfigError: no line.
        """
        if isinstance(lines, str) or not [line for line in lines if line.strip()]:
            raise ConfigError("openings must be a non-empty list of opening lines")
        return cls(
            Phrases("frame", ("{line}",), content=False),
            (Phrases("line", tuple(line.strip() for line in lines if line.strip()), True),),
        )

    @functools.cached_property
    def digest(self) -> str:
        """A hash of every phrase: part of a text source's fingerprint."""
        groups = [self.frames, *self.slots, *([self.styles] if self.styles else [])]
        return digest_of(groups)

    def size(self, side: Split | None) -> int:
        """How many different openings a draw on ``side`` can give."""
        total = 0
        for frame in self.frames.items:
            count = 1
            for phrases in self.slots:
                if phrases.kind in slots_of(frame):
                    count *= len(phrases.on(side))
            total += count
        return total * (len(self.styles.items) if self.styles else 1)

    def draw(self, seed: int, side: Split | None) -> Opening:
        """The opening of ``seed``, made of content phrases on ``side`` only (any phrases
        for ``None``).

        Raises:
            ConfigError: a slot has no phrase on ``side``.
        """
        frame = self.frames.pick(seed, None)
        used = slots_of(frame)
        values = {p.kind: p.pick(seed, side) for p in self.slots if p.kind in used}
        sentence = fill(frame, values)
        text = sentence if self.styles is None else f"{sentence} {self.styles.pick(seed, None)}"
        parts = tuple(
            (p.kind, values[p.kind]) for p in self.slots if p.content and p.kind in values
        )
        sides = {content_side(kind, phrase) for kind, phrase in parts}
        return Opening(text, sentence, parts, sides.pop() if len(sides) == 1 else None)
