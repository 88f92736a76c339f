"""A generated game: a checked program, its canonical digest, a readable ``.xent`` and a card.

The game *is* its canonical source: the instructions one per line, comments dropped, exactly
as the language writes them back (``Instruction.to_source``). Its digest is a hash of that
text, so two games are the same game exactly when their digests agree, whatever their comments
or layout, and the name ``Gen_<digest>`` follows from the program alone. The ``.xent`` file
adds a header and, above every instruction, a comment that says what it does (written by
``describe`` from the program, so comments cannot drift from the code). The ``.toml`` card
holds the fields ``GameDef`` reads, so ``register_game`` and ``xent-envs check`` accept it.

Example:
    >>> game = GeneratedGame.from_lines(["assign(s=story())", "elicit(x, 8)",
    ...                                  "reward(xed(s | x))"])
    >>> game.name == "Gen_" + game.digest[:10], game.canonical.splitlines()[1]
    (True, 'elicit(x, 8)')
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from xent_envs.errors import ConfigError, XentCheckError, XentSyntaxError
from xent_envs.files import atomic_write_text
from xent_envs.games import GameDef
from xent_envs.generation.analysis import Analysis, analyze
from xent_envs.generation.describe import Card, card, comment
from xent_envs.lang import Program, load
from xent_envs.lang.names import MAX_LINES

__all__ = ["NAME_PREFIX", "GeneratedGame", "canonical_source", "digest_of"]

#: Generated games are named ``Gen_<first 10 hex digits of the digest>``.
NAME_PREFIX = "Gen_"
_COMMENT_WIDTH = 96


def canonical_source(program: Program) -> str:
    """The program's instructions, one per line, as the language writes them; no comments."""
    return "".join(ins.to_source() + "\n" for ins in program.instructions)


def digest_of(canonical: str) -> str:
    """The 16-hex-digit digest of a canonical source."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class GeneratedGame:
    """A generated game program (literal values only: no ``$`` parameters).

    Args:
        source: the ``.xent`` text, comments included.
        origin: how it was made (``"sample seed=3"``, ``"mutation flip_sign of Gen_..."``).

    Raises:
        XentSyntaxError, XentCheckError: the source is not a valid program (on first use of
            ``program`` and everything derived from it; ``from_*`` constructors check at once).
    """

    source: str
    origin: str = field(default="", compare=False)

    # -- identity ------------------------------------------------------------------------
    @cached_property
    def program(self) -> Program:
        return load(self.source)

    @cached_property
    def canonical(self) -> str:
        return canonical_source(self.program)

    @cached_property
    def digest(self) -> str:
        return digest_of(self.canonical)

    @property
    def name(self) -> str:
        return NAME_PREFIX + self.digest[:10]

    @cached_property
    def analysis(self) -> Analysis:
        return analyze(self.program)

    @cached_property
    def card(self) -> Card:
        return card(self.analysis)

    def definition(self) -> GameDef:
        """The ``GameDef`` to register (``xent_envs.register_game(game.definition())``)."""
        c = self.card
        return GameDef.from_source(
            self.name,
            self.source,
            summary=c.summary,
            description=c.description,
            skill=c.skill,
            reward=c.reward,
            players=c.players,
            tags=c.tags,
            parameters={},
        )

    # -- construction --------------------------------------------------------------------
    @classmethod
    def from_lines(cls, lines: Sequence[str], origin: str = "") -> GeneratedGame:
        """A game from instruction lines (no comments): checked, then written out with its
        header and comments."""
        return cls.from_program(load("\n".join(lines) + "\n"), origin)

    @classmethod
    def from_program(cls, program: Program, origin: str = "") -> GeneratedGame:
        """A game from a checked program with literal values; comments are rewritten."""
        bare = cls(canonical_source(program), origin)
        return cls(bare.annotated(), origin)

    def annotated(self) -> str:
        """The ``.xent`` text: a header, then each instruction under a comment saying what
        it does. A function of the program alone (not of ``origin``), so one game has one
        text whichever way it was found. Comments are wrapped, or kept to one line each, or
        left out, whichever first keeps the file within the language's line limit."""
        analysis = self.analysis
        header = [
            f"{self.name}: {self.card.summary}",
            f"A game generated by xent-envs; canonical digest {self.digest}.",
            f"Skill: {self.card.skill}. Players: {', '.join(self.card.players)}.",
        ]
        notes = [comment(analysis, i) for i in range(len(analysis.program.instructions))]
        code = [ins.to_source() for ins in analysis.program.instructions]
        for width in (_COMMENT_WIDTH, None):
            out = [line for h in header for line in _comment_lines(h, width)] + [""]
            for note, line in zip(notes, code):
                out += [*_comment_lines(note, width), line]
            if len(out) <= MAX_LINES:
                return "\n".join(out) + "\n"
        return "\n".join([f"# {header[0]}", *code]) + "\n"

    # -- files ---------------------------------------------------------------------------
    def card_toml(self) -> str:
        """The ``.toml`` card: the fields ``GameDef`` reads (no parameters of its own)."""
        c = self.card
        fields: list[tuple[str, Any]] = [
            ("name", self.name),
            ("summary", c.summary),
            ("skill", c.skill),
            ("players", list(c.players)),
            ("tags", list(c.tags)),
            ("description", c.description),
            ("reward", c.reward),
        ]
        # JSON strings and arrays of strings are valid TOML basic strings and arrays.
        lines = [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in fields]
        return "\n".join(lines) + "\n\n[parameters]\n"

    def write(self, folder: str | Path) -> tuple[Path, Path]:
        """Write ``<name>.xent`` and ``<name>.toml`` into ``folder`` (each atomically)."""
        folder = Path(folder)
        program, card_path = folder / f"{self.name}.xent", folder / f"{self.name}.toml"
        atomic_write_text(program, self.source)
        atomic_write_text(card_path, self.card_toml())
        return program, card_path

    @classmethod
    def read(cls, path: str | Path) -> GeneratedGame:
        """A game from a ``.xent`` file (its card, if any, is not needed: it is derived).

        Raises:
            ConfigError: the file cannot be read.
            XentSyntaxError, XentCheckError: the program is invalid (a hand edit gone
                wrong), with the file name, line, column and a caret.
        """
        path = Path(path)
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the game file {path}: {exc}") from None
        game = cls(source, origin=f"file {path.name}")
        try:
            game.program  # noqa: B018 - check now, with the file name in the error
        except XentSyntaxError as exc:
            raise type(exc)(
                f"{path}: {exc.message}", exc.line, exc.column, exc.source_line, hint=exc.hint
            ) from None
        return game

    # -- JSON ------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "digest": self.digest,
            "origin": self.origin,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Any) -> GeneratedGame:
        """Inverse of ``to_json``; the digest is checked against the source.

        Raises:
            ConfigError: a field is missing, or the source does not match its digest (a
                corrupted or hand-edited record).
            XentSyntaxError, XentCheckError: the stored source is not a valid program.
        """
        if not isinstance(data, dict) or not isinstance(data.get("source"), str):
            raise ConfigError(f"a generated game record needs a 'source' string, got {data!r:.80}")
        game = cls(data["source"], origin=str(data.get("origin", "")))
        try:
            found = game.digest
        except XentSyntaxError as exc:
            raise XentCheckError(f"stored game {data.get('name')!r} is invalid: {exc}") from None
        expected = data.get("digest")
        if expected is not None and expected != found:
            raise ConfigError(
                f"stored game {data.get('name')!r} has digest {expected!r} but its source "
                f"hashes to {found!r}: the record was corrupted or edited"
            )
        return game


def _comment_lines(text: str, width: int | None) -> list[str]:
    """``text`` as comment lines, wrapped at ``width`` (None: one line)."""
    if width is None:
        return [f"# {text}"]
    return [f"# {line}" for line in textwrap.wrap(text, width, break_on_hyphens=False)] or ["#"]
