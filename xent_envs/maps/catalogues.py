"""Word lists and debate motions: what ``generate_list(prompt, n)`` gives for the prompts the
built-in games use, kept as data files in ``data/lists/`` and ``data/motions/``.

A small judge asked for "Animals" names the same few animals again and again; a list kept as
data gives hundreds of targets, each on its side of the split by its own hash, so an eval
Taboo word is never a train Taboo word. A catalogue is content phrases (the words, or the
motion subjects) placed in templates (``{items}`` alone for a word list; for motions, a pair
of opposite claims such as ``{subjects} do more good than harm | {subjects} do more harm than
good``). Its items are drawn without replacement by a stable hash: no judge, no torch.

A prompt with no catalogue is answered by the judge (``JudgeTextSource.generate_list``).

Example:
    >>> motions = catalogue("Debate motions")
    >>> motions.draw(2, seed=3, side="eval") == motions.draw(2, seed=3, side="eval")
    True
    >>> catalogue("Kinds of cheese") is None
    True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from xent_envs.errors import ConfigError
from xent_envs.maps.phrases import DATA, Phrases, digest_of, fill, read_data_file, slots_of
from xent_envs.maps.split import Split, normalise
from xent_envs.seeding import derive_seed

__all__ = ["Catalogue", "catalogue", "catalogues", "catalogues_digest"]


@dataclass(frozen=True)
class Catalogue:
    """The items answering one prompt: each content phrase placed in a template.

    Attributes:
        prompt: the ``generate_list`` prompt it answers (matched case- and space-blind).
        phrases: the content phrases (split by their hash).
        templates: register templates with the one slot ``{<phrases.kind>}``.
    """

    prompt: str
    phrases: Phrases
    templates: tuple[str, ...]

    def __post_init__(self) -> None:
        for template in self.templates:
            if slots_of(template) != {self.phrases.kind}:
                raise ConfigError(
                    f"template {template!r} of {self.prompt!r} must use the one slot "
                    f"{{{self.phrases.kind}}}"
                )

    def size(self, side: Split | None) -> int:
        """How many different items a draw on ``side`` can give."""
        return len(self.phrases.on(side)) * len(self.templates)

    def draw(self, n: int, seed: int, side: Split | None) -> list[str]:
        """``n`` items with ``n`` different content phrases on ``side``, fixed by ``seed``.

        Raises:
            ConfigError: fewer than ``n`` phrases on ``side``.
        """
        chosen = self.phrases.ranked(seed, side)[:n]
        if len(chosen) < n:
            raise ConfigError(
                f"the list {self.prompt!r} has {len(chosen)} items on the {side} side; "
                f"{n} were asked for"
            )
        key, templates = self.phrases.kind, self.templates
        return [
            fill(templates[derive_seed(seed, "template", phrase) % len(templates)], {key: phrase})
            for phrase in chosen
        ]

    def digest_parts(self) -> list[str]:
        return [self.prompt, *self.templates, *self.phrases.digest_parts()]


@functools.cache
def catalogues() -> dict[str, Catalogue]:
    """Every shipped catalogue, by normalised prompt (loaded once per process)."""
    found: list[Catalogue] = []
    for path in sorted((DATA / "lists").glob("*.txt")):
        lines, headers = read_data_file(path)
        prompt = headers.get("prompt")
        if prompt is None:
            raise ConfigError(f"the word list {path} has no '# prompt: ...' header")
        found.append(Catalogue(prompt, Phrases("items", tuple(lines), True), ("{items}",)))
    templates, headers = read_data_file(DATA / "motions" / "templates.txt")
    subjects = Phrases.from_file(DATA / "motions" / "subjects.txt", "subjects", content=True)
    found.append(Catalogue(headers["prompt"], subjects, tuple(templates)))
    return {normalise(c.prompt): c for c in found}


def catalogue(prompt: str) -> Catalogue | None:
    """The catalogue answering ``prompt`` (case and spaces ignored), or ``None``."""
    return catalogues().get(normalise(prompt))


@functools.cache
def catalogues_digest() -> str:
    """A hash of every catalogue: part of a text source's fingerprint."""
    return digest_of([part for c in catalogues().values() for part in c.digest_parts()])
