"""The MAP-Elites archive of playable games, and its file.

The archive is a grid over program descriptors (``analysis.DESCRIPTOR_BINS``: cross-entropy
terms, constraints, seats, text sources, main-player moves; 216 cells); each cell keeps the
fittest playable game found for it (an *elite*). Fitness rewards playability and novelty:

    fitness = playability + novelty_weight * novelty

- ``playability`` (in -1..1): how much a judge-guided search gains over the best of random
  play and trivial moves (``GameProfile.playability``);
- ``novelty`` (in 0..1): the mean of behavioural novelty (distance of the game's probe
  profile to its nearest elites: two games are redundant when the probes score alike on
  them) and descriptor novelty (distance of its descriptors to theirs), against the archive
  as it was when the game arrived.

The file (``archive.json`` inside an evolution's folder) holds every elite's program, card
digest, profile and scores; ``Archive.load`` checks it field by field and each program
against its digest, so a corrupted or hand-edited archive is refused with what is wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from xent_envs.errors import ConfigError, XentError
from xent_envs.files import atomic_write_json
from xent_envs.generation.analysis import DESCRIPTOR_BINS
from xent_envs.generation.filters import Evaluation, GameProfile
from xent_envs.generation.game import GeneratedGame

__all__ = ["ARCHIVE_FORMAT", "CELLS", "Archive", "Elite", "novelty"]

ARCHIVE_FORMAT = "xent-archive"
_VERSION = 1
#: Number of cells of the grid.
CELLS = math.prod(len(edges) + 1 for edges in DESCRIPTOR_BINS.values())
_NEIGHBOURS = 3
# Descriptor novelty compares counts on this scale (a difference of 4 or more is "far").
_DESCRIPTOR_SCALE = 4.0


@dataclass(frozen=True)
class Elite:
    """A playable game kept by the archive, with why it was kept."""

    game: GeneratedGame
    evaluation: Evaluation
    playability: float
    novelty: float
    fitness: float
    generation: int

    @property
    def cell(self) -> tuple[int, ...]:
        return self.game.analysis.cell

    @property
    def profile(self) -> GameProfile:
        assert self.evaluation.profile is not None
        return self.evaluation.profile

    def to_json(self) -> dict[str, Any]:
        return {
            "game": self.game.to_json(),
            "cell": list(self.cell),
            "descriptors": self.game.analysis.descriptors,
            "playability": self.playability,
            "novelty": self.novelty,
            "fitness": self.fitness,
            "generation": self.generation,
            "evaluation": self.evaluation.to_json(),
        }

    @classmethod
    def from_json(cls, data: Any) -> Elite:
        game = GeneratedGame.from_json(data["game"])
        evaluation = Evaluation.from_json(data["evaluation"])
        if evaluation.profile is None or not evaluation.passed:
            raise ConfigError(f"elite {game.name} has no profile or did not pass the filters")
        return cls(
            game=game,
            evaluation=evaluation,
            playability=float(data["playability"]),
            novelty=float(data["novelty"]),
            fitness=float(data["fitness"]),
            generation=int(data["generation"]),
        )


def _descriptor_vector(game: GeneratedGame) -> np.ndarray:
    values = game.analysis.descriptors
    return np.array([values[name] for name in DESCRIPTOR_BINS], dtype=float)


def novelty(game: GeneratedGame, profile: GameProfile, elites: list[Elite]) -> float:
    """How unlike the archive's elites a game is, in 0..1 (1 for the first game).

    The mean of behavioural novelty (mean distance of the profile vectors to the
    ``_NEIGHBOURS`` nearest elites, halved: unit vectors are at most 2 apart) and descriptor
    novelty (mean distance of the descriptor counts to the nearest elites, capped at 1).
    """
    others = [e for e in elites if e.game.digest != game.digest]
    if not others:
        return 1.0
    mine = profile.vector()
    behaviour = sorted(float(np.linalg.norm(mine - e.profile.vector())) / 2 for e in others)[
        :_NEIGHBOURS
    ]
    counts = _descriptor_vector(game)
    shape = sorted(
        min(1.0, float(np.abs(counts - _descriptor_vector(e.game)).mean()) / _DESCRIPTOR_SCALE)
        for e in others
    )[:_NEIGHBOURS]
    return float(0.5 * np.mean(behaviour) + 0.5 * np.mean(shape))


class Archive:
    """Cells of the descriptor grid, each holding its elite."""

    def __init__(self, elites: Iterable[Elite] = ()) -> None:
        self.cells: dict[tuple[int, ...], Elite] = {}
        for elite in elites:
            self.cells[elite.cell] = elite

    def __len__(self) -> int:
        return len(self.cells)

    def elites(self) -> list[Elite]:
        """Every elite, in a fixed order (by cell)."""
        return [self.cells[c] for c in sorted(self.cells)]

    @property
    def coverage(self) -> float:
        """The share of the grid's cells that hold an elite."""
        return len(self.cells) / CELLS

    def consider(self, elite: Elite) -> bool:
        """Keep ``elite`` if its cell is empty or it beats the cell's elite; say whether."""
        current = self.cells.get(elite.cell)
        if current is not None and current.fitness >= elite.fitness:
            return False
        self.cells[elite.cell] = elite
        return True

    def digests(self) -> set[str]:
        return {e.game.digest for e in self.cells.values()}

    # -- file ----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "format": ARCHIVE_FORMAT,
            "version": _VERSION,
            "cells": CELLS,
            "elites": [e.to_json() for e in self.elites()],
        }

    @classmethod
    def from_json(cls, data: Any, where: str = "archive") -> Archive:
        """Inverse of ``to_json``.

        Raises:
            ConfigError: not an archive, a missing or mistyped field, an elite whose program
                does not match its digest or cell (``where`` names the file in messages).
        """
        if not isinstance(data, dict) or data.get("format") != ARCHIVE_FORMAT:
            raise ConfigError(f"{where}: not a game archive (format {ARCHIVE_FORMAT!r} expected)")
        if data.get("version") != _VERSION:
            raise ConfigError(
                f"{where}: archive version {data.get('version')!r}; expected {_VERSION}"
            )
        elites = []
        for i, raw in enumerate(data.get("elites", [])):
            try:
                elite = Elite.from_json(raw)
                if list(elite.cell) != list(raw["cell"]):
                    raise ConfigError(f"its program is in cell {elite.cell}, not {raw['cell']}")
            except (KeyError, TypeError, ValueError, XentError) as exc:
                raise ConfigError(f"{where}: elite {i} is corrupted: {exc}") from None
            elites.append(elite)
        return cls(elites)

    def save(self, path: str | Path) -> None:
        atomic_write_json(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> Archive:
        """Read an archive file (``archive.json``).

        Raises:
            ConfigError: the file is missing, unreadable, not JSON (with line and column), or
                not a valid archive.
        """
        return cls.from_json(read_json(path), str(path))


def read_json(path: str | Path) -> Any:
    """A JSON file's content, or a ``ConfigError`` that says where it breaks."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}); "
            "the file is corrupted"
        ) from None
