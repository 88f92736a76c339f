"""Recording a person's map in a run folder, exactly as the evaluation records an agent's.

A person who plays map ``n`` of a game in a run folder plays the map every agent of that
run played as map ``n``: the reset seed derives from the run's seed, game and ``n``
(``map_seed``), the env is made with the run's split, rounds and game parameters, and the
finished map is a ``MapRecord`` saved by the run's ``ResultsStore`` under the player's name,
with the run key and a map key computed by the run's ``EvalConfig``. So people appear on the
run's leaderboard as agents, and ``xent-envs eval`` growing the folder later keeps their maps.

The player is an agent of the run like any other: ``run.json`` lists it as
``AgentSpec(name, source="human")``, with options ``{"seat": ..., "opponent": ...}`` when it
played another seat than ``black`` or against another opponent than the ``echo`` baseline.
One name keeps one meaning (the manifest refuses a name reused with other options), so
results played under other conditions never mix under one name.

Nothing recorded is lost: a map already recorded for a player is never overwritten (a new
game on it is refused), and a map whose folder cannot be written (another evaluation holds
it, the disk is full) is saved aside under ``.unsaved/`` in the results root, and the page
says where.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xent_envs.errors import (
    ConfigError,
    RecordError,
    RunConflictError,
    SessionError,
    WriteError,
)
from xent_envs.evaluation.config import (
    AgentSpec,
    EvalConfig,
    RunManifest,
    agent_seed,
    map_seed,
)
from xent_envs.evaluation.records import MapRecord, MapSlot
from xent_envs.evaluation.store import ResultsStore, safe_name
from xent_envs.files import atomic_write_json
from xent_envs.lang.names import MAIN_PLAYER
from xent_envs.web.settings import ECHO_OPPONENT

__all__ = ["HUMAN_SOURCE", "UNSAVED_FOLDER", "RecordTarget", "record_target"]

#: the agent source a person's maps are recorded with (the ``human`` agent of the CLI)
HUMAN_SOURCE = "human"
#: where a finished map goes when its run folder cannot take it (under the results root)
UNSAVED_FOLDER = ".unsaved"


@dataclass(frozen=True)
class RecordTarget:
    """Where and how one person's map is recorded.

    Attributes:
        root: the results root.
        name: the run folder's name under the root.
        store: the run folder's store.
        config: a one-agent, one-game configuration of the run (its judge, seed, split,
            rounds and the game's parameters), whose keys the record carries.
        manifest: the folder's manifest (a fresh one when the folder holds no run yet).
        slot: the map's slot: game, map number, player name, seeds and keys.
    """

    root: Path
    name: str
    store: ResultsStore
    config: EvalConfig
    manifest: RunManifest
    slot: MapSlot

    @property
    def claim(self) -> tuple[str, str, int, str]:
        """What no two sessions may play at once: (folder, game, map, player)."""
        return (str(self.store.folder), self.slot.game, self.slot.map, self.slot.agent)

    @property
    def env_kwargs(self) -> dict[str, Any]:
        """The env arguments the evaluation makes this game's env with."""
        return {"split": self.config.split, **self.config.params_of(self.slot.game)}

    def describe(self) -> str:
        return f"map {self.slot.map} of {self.slot.game} in {self.name}"

    def existing(self) -> MapRecord | None:
        """The record already saved for this slot, if any (a file there that is not a
        valid record counts as taken too: it is never overwritten)."""
        path = self.store.path(self.slot.game, self.slot.map, self.slot.agent)
        if not path.exists():
            return None
        return self.store.read(path)

    def save(self, record: MapRecord, lock_seconds: float) -> str:
        """Save ``record`` in the run folder (``run.json`` grows with the player and the
        game); returns where it went, relative to the results root.

        When the folder cannot take it (another evaluation holds its lock past
        ``lock_seconds``, another record appeared at its path, the disk is full), the record
        is saved aside under ``.unsaved/`` and the returned text says why.

        Raises:
            WriteError: not even the copy aside could be written.
        """
        path = self.store.path(record.game, record.map, record.agent)
        try:
            with self.store.lock(lock_seconds):
                manifest = self.store.open(self.manifest)
                problems = manifest.conflicts(self.config)
                if problems:
                    raise RunConflictError("; ".join(problems))
                if path.exists():
                    raise RunConflictError(f"{path.name} was saved meanwhile by someone else")
                self.store.write_run(manifest.grown(self.config))
                self.store.save(record)
            return path.relative_to(self.root.resolve()).as_posix()
        except (RunConflictError, WriteError) as exc:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            aside = (
                self.root
                / UNSAVED_FOLDER
                / f"{safe_name(self.name)}-{safe_name(record.game)}-{record.map:04d}-"
                f"{safe_name(record.agent)}-{stamp}.json"
            )
            atomic_write_json(aside, record.to_json())
            return (
                f"{aside.relative_to(self.root).as_posix()} (the run folder could not take "
                f"it: {exc})"
            )


def record_target(
    root: Path,
    name: str,
    folder: Path,
    *,
    game: str,
    index: int,
    player: str,
    seat: str,
    opponent: str,
    judge_name: str,
    fingerprint: dict[str, Any],
) -> RecordTarget:
    """The target of map ``index`` of ``game`` played by ``player`` in the run folder
    ``folder`` (``name`` under ``root``); a folder without a run becomes one (seed 0, the
    eval split, this judge) when the first map is saved.

    Raises:
        ConfigError: the folder holds another kind of file as ``run.json``, was judged by
            another judge, or uses ``player`` for another agent (or the same person under
            other conditions).
        SessionError: the map is already recorded for ``player``.
    """
    store = ResultsStore(folder)
    options = {}
    if seat != MAIN_PLAYER or opponent != ECHO_OPPONENT:
        options = {"seat": seat, "opponent": opponent}
    spec = AgentSpec(player, HUMAN_SOURCE, options)
    try:
        manifest = store.read_run()
    except RunConflictError as exc:
        raise ConfigError(
            f"{name} is not a results folder this page can record in: {exc}"
        ) from None
    if manifest is None:
        config = EvalConfig(agents=(spec,), games=(game,), maps=index + 1, judge=judge_name)
        manifest = RunManifest.of(config, fingerprint)
    else:
        if dict(manifest.judge_fingerprint) != dict(fingerprint):
            raise ConfigError(
                f"the run in {name} was judged by {manifest.judge!r} "
                f"({_judge_text(manifest.judge_fingerprint)}), this server's judge is "
                f"{judge_name!r} ({_judge_text(fingerprint)}): scores of two judges do not "
                f"compare; start the server with --judge {manifest.judge} to play its maps, "
                "or record in another folder"
            )
        old = manifest.agents.get(player)
        if old is not None and old.target != HUMAN_SOURCE:
            raise ConfigError(
                f"{player!r} is an agent of the run in {name} ({old.target}); choose another "
                "player name"
            )
        config = EvalConfig(
            agents=(spec,),
            games=(game,),
            maps=index + 1,
            rounds=manifest.rounds,
            seed=manifest.seed,
            judge=manifest.judge,
            game_params={game: dict(manifest.games.get(game, {}))},
            split=manifest.split,
        )
        problems = manifest.conflicts(config)
        if problems:
            raise ConfigError(
                f"{player!r} played in {name} under other conditions ({problems[0]}); "
                f"choose another player name, e.g. {player}-{seat}"
            )
    run_key = config.run_key(fingerprint)
    seed = map_seed(config.seed, game, index)
    slot = MapSlot(
        game, index, player, seed, agent_seed(seed), run_key,
        config.map_key(run_key, game, index, player),
    )  # fmt: skip
    target = RecordTarget(root, name, store, config, manifest, slot)
    try:
        done = target.existing()
    except (RecordError, OSError) as exc:  # a file that is not a record still takes the slot
        raise SessionError(
            f"{target.describe()} is taken by a file that is not a record of {player!r} "
            f"({exc}); nothing is overwritten: choose another map or player name"
        ) from None
    if done is not None:
        score = "an error" if done.score is None else f"{done.score:+.2f} bits"
        raise SessionError(
            f"{player!r} already played {target.describe()} ({score}); a recorded map is "
            "never played again: choose another map, or another player name"
        )
    return target


def _judge_text(fingerprint: Any) -> str:
    data = dict(fingerprint)
    return ", ".join(str(data[k]) for k in ("model", "dtype") if k in data) or "unknown"
