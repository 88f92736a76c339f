"""Lists of phrases kept as data files, each phrase on its side of the split, and templates
filled with them.

Openings (``openings.py``) and word lists (``catalogues.py``) are both made this way: a
*content* list (characters, places, subjects, words) whose phrases fall on the train or eval
side by their own hash, and *register* lists (frames, styles, motion templates) shared by both
sides. Every choice is a stable hash of a seed and a tag (``derive_seed``), so a draw is the
same on every machine, needs no judge and no torch, and touches no global random state.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xent_envs.errors import ConfigError
from xent_envs.maps.split import Split, content_side, normalise
from xent_envs.seeding import derive_seed

__all__ = ["DATA", "MAX_PHRASES", "Phrases", "digest_of", "fill", "read_data_file", "slots_of"]

#: the folder of the package's data files
DATA = Path(__file__).with_name("data")
# the most phrases one list holds (a bound on what a data file or a user's list may load)
MAX_PHRASES = 100_000
_SLOT = re.compile(r"\{([A-Za-z_]+)\}")
_HEADER = re.compile(r"#\s*(?P<key>[a-z_]+):\s*(?P<value>.+)")


def read_data_file(path: Path) -> tuple[list[str], dict[str, str]]:
    """The lines of a data file (blank lines and ``#`` comments skipped) and its headers
    (comment lines ``# key: value``).

    Raises:
        ConfigError: the file cannot be read as UTF-8 text, or holds more than
            ``MAX_PHRASES`` lines.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the data file {path}: {exc}") from exc
    lines, headers = [], {}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            header = _HEADER.fullmatch(line)
            if header:
                headers[header["key"]] = header["value"].strip()
        elif line:
            lines.append(line)
    if len(lines) > MAX_PHRASES:
        raise ConfigError(f"{path} holds {len(lines)} lines; at most {MAX_PHRASES} are read")
    return lines, headers


def slots_of(template: str) -> set[str]:
    """The slot names of ``template``, lower-cased (``{Place}`` and ``{place}`` are one)."""
    return {name.lower() for name in _SLOT.findall(template)}


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{slot}`` replaced by its value; ``{Slot}`` (a capital first
    letter) gives the value with a capital first letter.

    >>> fill("{Place}, {character} sang.", {"place": "in a barn", "character": "a cow"})
    'In a barn, a cow sang.'
    """

    def value(match: re.Match[str]) -> str:
        name = match[1]
        text = values[name.lower()]
        return text[:1].upper() + text[1:] if name[:1].isupper() else text

    return _SLOT.sub(value, template)


@dataclass(frozen=True)
class Phrases:
    """Phrases of one ``kind``; ``content`` phrases each fall on a side by their hash
    (``register`` phrases serve both sides).

    Attributes:
        kind: what the phrases are (``"character"``, ``"Animals"``...): part of each hash.
        items: the phrases, distinct (after ``normalise``), in file order.
        content: whether the phrases are split (content) or shared (register).
    """

    kind: str
    items: tuple[str, ...]
    content: bool
    _sides: dict[Split, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for item in self.items:
            seen.setdefault(normalise(item), item)
        items = tuple(seen.values())
        object.__setattr__(self, "items", items)
        sides: dict[Split, tuple[str, ...]] = {
            side: tuple(i for i in items if not self.content or content_side(self.kind, i) == side)
            for side in ("train", "eval")
        }
        object.__setattr__(self, "_sides", sides)

    @classmethod
    def from_file(cls, path: Path, kind: str, *, content: bool) -> Phrases:
        """The phrases of the data file ``path``."""
        lines, _ = read_data_file(path)
        return cls(kind, tuple(lines), content)

    def on(self, side: Split | None) -> tuple[str, ...]:
        """The phrases a draw on ``side`` may use (all of them for ``None``)."""
        return self.items if side is None else self._sides[side]

    def pick(self, seed: int, side: Split | None, *tags: object) -> str:
        """One phrase on ``side``, chosen by a stable hash of (``seed``, ``tags``).

        Raises:
            ConfigError: no phrase is on ``side``.
        """
        items = self._nonempty(side)
        return items[derive_seed(seed, self.kind, *tags) % len(items)]

    def ranked(self, seed: int, side: Split | None) -> list[str]:
        """Every phrase on ``side``, in an order fixed by ``seed`` (the first ``n`` are ``n``
        distinct phrases drawn without replacement)."""
        return sorted(self._nonempty(side), key=lambda item: derive_seed(seed, self.kind, item))

    def _nonempty(self, side: Split | None) -> tuple[str, ...]:
        items = self.on(side)
        if not items:
            raise ConfigError(
                f"no {self.kind!r} phrase is on the {side} side of the split ({len(self.items)} "
                f"phrases, about 1 in 10 on the eval side): add more, or draw from the other side"
            )
        return items

    def digest_parts(self) -> Iterable[str]:
        """What the phrases' hash covers (for a source's fingerprint)."""
        yield f"{self.kind}:{int(self.content)}"
        yield from self.items


def digest_of(groups: Sequence[Phrases | str]) -> str:
    """A short stable hash (16 hex digits) of phrase lists and plain strings, in order."""
    h = hashlib.sha256()
    for group in groups:
        for part in [group] if isinstance(group, str) else group.digest_parts():
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
    return h.hexdigest()[:16]
