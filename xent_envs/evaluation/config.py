"""What an evaluation plays (:class:`EvalConfig`), and the keys that say which saved maps a
run can reuse.

A results folder grows: adding an agent, a game or more maps to a run reuses every map
already saved there. So nothing is keyed by the agent list, the game list or the map count:

- The **run key** (:meth:`EvalConfig.run_key`) covers what every map depends on: the judge's
  fingerprint, the text source (its token), the run seed, the split, the rounds override and
  the record format.
  A folder holds one run key; another is refused (the message says what changed).
- A **map key** (:meth:`EvalConfig.map_key`) covers what one map depends on besides: its game,
  the game's program (its digest: a map played under earlier rules of the game is played
  again, never mixed with maps of the new rules), the game's fixed parameters, the map's
  index, and the agent (name, source, options). Each map record carries its key; a record
  whose key does not match the run is not used.
- The folder's ``run.json`` (:class:`RunManifest`) lists every agent and game played there
  with its definition, so an agent name reused with other options is refused rather than
  silently mixed with (or overwriting) the maps of the first one.

Self-play: a :class:`Lineup` seats agents against each other (``black=search,white=hf``); it
plays every game of the run on the same maps as the agents that play alone, and its maps are
keyed by the lineup (seat by seat, each agent's definition), so a lineup is a player of its
own for resuming and growing a folder.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from xent_envs.errors import ConfigError, UnknownNameError, unknown_name
from xent_envs.evaluation.json_record import JsonRecord
from xent_envs.judge.models import DEFAULT_JUDGE
from xent_envs.lang.names import PLAYERS
from xent_envs.maps import DEFAULT_TEXT_SOURCE, resolve_text_source, source_token
from xent_envs.seeding import derive_seed

__all__ = [
    "MAX_MAPS",
    "RECORD_FORMAT",
    "SECRET_OPTIONS",
    "AgentSpec",
    "EvalConfig",
    "Lineup",
    "RunManifest",
    "agent_seed",
    "map_seed",
]

#: version of the files of a results folder (run.json and map records); 3: maps come from
#: content-split text sources, and run.json names the text source
RECORD_FORMAT = 3
#: agent options never written to disk nor hashed (they do not change what is played)
SECRET_OPTIONS = frozenset({"api_key"})
#: the most maps per game one run may ask for (a typo like --maps 100000000000 is refused)
MAX_MAPS = 100_000
_LABEL = re.compile(r"^[^\s,=]+$")


def map_seed(seed: int, game: str, index: int) -> int:
    """The reset seed of map ``index`` of ``game`` in a run seeded with ``seed``: a stable
    hash (the same on every machine and Python), below 2**63.

    >>> map_seed(0, "Condense", 0) == map_seed(0, "Condense", 0) != map_seed(0, "Condense", 1)
    True
    """
    return derive_seed("xent-eval", seed, game, index)


def agent_seed(map_seed: int) -> int:
    """The seed an agent gets for the map reset with ``map_seed``: the same for every agent
    (they meet the same map on equal terms), but not the env's own seed, so the agent's
    random stream is not the one that drew the map."""
    return derive_seed("xent-eval-agent", map_seed)


def _digest(data: Any) -> str:
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _json_options(options: Mapping[str, Any], what: str) -> dict[str, Any]:
    """``options`` as plain JSON values, or a ConfigError: options are recorded and hashed,
    so they must survive a round trip through JSON unchanged."""
    try:
        plain = json.loads(json.dumps(dict(options), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"options of {what} must be JSON values (numbers, strings, lists...), as they are "
            f"recorded with the results ({exc}); pass other objects through a factory"
        ) from exc
    if plain != dict(options):
        raise ConfigError(f"options of {what} change through JSON ({dict(options)} -> {plain})")
    return dict(options)


@dataclass(frozen=True)
class AgentSpec(JsonRecord):
    """One agent of a run.

    Attributes:
        name: its label on the leaderboard and in file names; unique in a run.
        source: how to build it when no factory is passed to ``evaluate``: an entry-point
            name of ``xent_envs.agents`` or ``package.module:Class``. Default: ``name``.
        options: keyword arguments of its factory (JSON values). Options named in
            :data:`SECRET_OPTIONS` (API keys) are used but never recorded nor hashed.
    """

    name: str
    source: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _LABEL.match(self.name):
            raise ConfigError(
                f"an agent name must be non-empty, without spaces, commas or '=', got {self.name!r}"
            )
        object.__setattr__(self, "options", _json_options(self.options, f"agent {self.name!r}"))

    @classmethod
    def parse(cls, text: str, options: Mapping[str, Any] | None = None) -> AgentSpec:
        """``NAME``, ``package.module:Class`` or ``LABEL=SOURCE`` (as ``--agent`` takes it).

        >>> AgentSpec.parse("search16=search")
        AgentSpec(name='search16', source='search', options={})
        """
        label, sep, source = (part.strip() for part in text.partition("="))
        if sep and not source:
            raise ConfigError(f"agent {text!r}: nothing after '='; use LABEL=SOURCE")
        return cls(label, source or None, dict(options or {}))

    @property
    def target(self) -> str:
        """What builds the agent: ``source``, or else ``name``."""
        return self.source or self.name

    def to_json(self) -> dict[str, Any]:
        """The spec without secret options."""
        public = {k: v for k, v in sorted(self.options.items()) if k not in SECRET_OPTIONS}
        return {"name": self.name, "source": self.source, "options": public}


@dataclass(frozen=True)
class Lineup(JsonRecord):
    """Agents seated against each other in one game (self-play, head-to-head).

    Attributes:
        seats: seat -> the agent who plays it (an :class:`AgentSpec`; a plain name is taken
            as ``AgentSpec(name)``). Seats of the game left out are played by the env's
            default opponent (``echo_opponent``).

    >>> Lineup({"black": "search", "white": "hf"}).label
    'black=search,white=hf'
    """

    seats: Mapping[str, AgentSpec]

    def __post_init__(self) -> None:
        if not isinstance(self.seats, Mapping) or not self.seats:
            raise ConfigError(f"a lineup seats at least one agent (SEAT=AGENT), got {self.seats!r}")
        seats = {}
        for seat, agent in self.seats.items():
            if seat not in PLAYERS:
                raise UnknownNameError(unknown_name("seat", seat, PLAYERS, where=" in a lineup"))
            seats[seat] = AgentSpec(agent) if isinstance(agent, str) else agent
        object.__setattr__(self, "seats", seats)

    @classmethod
    def parse(cls, text: str, agents: Mapping[str, AgentSpec] | None = None) -> Lineup:
        """``SEAT=AGENT,SEAT=AGENT`` (as ``--seats`` takes it). An agent is a label of
        ``agents`` (which carries its options) or else an agent source (an entry-point name
        or ``package.module:Class``).

        >>> Lineup.parse("black=search, white=hf").seats["white"]
        AgentSpec(name='hf', source=None, options={})

        Raises:
            ConfigError: an item that is not ``SEAT=AGENT``, or a seat named twice.
            UnknownNameError: a seat that no game has.
        """
        known = dict(agents or {})
        seats: dict[str, AgentSpec] = {}
        for item in (part.strip() for part in text.split(",")):
            seat, sep, name = (x.strip() for x in item.partition("="))
            if not sep or not seat or not name:
                raise ConfigError(
                    f"a lineup is SEAT=AGENT,SEAT=AGENT (e.g. black=search,white=hf); got "
                    f"{item!r} in {text!r}"
                )
            if seat in seats:
                raise ConfigError(f"seat {seat!r} is given twice in the lineup {text!r}")
            seats[seat] = known.get(name) or AgentSpec(name)
        return cls(seats)

    @property
    def label(self) -> str:
        """The lineup's name in records and reports: ``black=search,white=hf``."""
        return ",".join(f"{seat}={spec.name}" for seat, spec in self.seats.items())

    def to_json(self) -> dict[str, Any]:
        """The seats with each agent's spec (secret options left out)."""
        return {"seats": {seat: spec.to_json() for seat, spec in self.seats.items()}}


@dataclass(frozen=True)
class EvalConfig(JsonRecord):
    """What an evaluation plays.

    Attributes:
        agents: the agents that play each game alone, their seat's other seats played by the
            env's opponents (a plain name is taken as ``AgentSpec(name)``).
        games: game names as ``xent_envs.list_games()`` gives them (empty: all of them).
        maps: maps per game (1 to :data:`MAX_MAPS`).
        rounds: rounds per map (None: each game's default).
        seed: the run's seed; map seeds derive from it (:func:`map_seed`).
        judge: judge name, as ``load_judge`` takes.
        game_params: per game name, fixed game parameters.
        split: the side of the train/eval split maps are drawn from (``"eval"``, ``"train"``
            or ``"all"``; None: ``"all"``).
        text_source: where map texts come from, by name (``"stories"``, ``"docs:PATH"``,
            ``"pool:DIR"``; see ``xent_envs.maps.resolve_text_source``).
        map_seeds: per game name, explicit reset seeds of its maps (a suite file's maps);
            such a game plays ``len(seeds)`` maps, map ``i`` reset with ``seeds[i]``.
        lineups: agents seated against each other (:class:`Lineup`); each plays every game
            of the run, on the same maps.
    """

    agents: tuple[AgentSpec, ...]
    games: tuple[str, ...] = ()
    maps: int = 2
    rounds: int | None = None
    seed: int = 0
    judge: str = DEFAULT_JUDGE
    game_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    split: str | None = "eval"
    lineups: tuple[Lineup, ...] = ()
    map_seeds: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    text_source: str = DEFAULT_TEXT_SOURCE

    def __post_init__(self) -> None:
        specs = tuple(AgentSpec(a) if isinstance(a, str) else a for a in self.agents)
        object.__setattr__(self, "agents", specs)
        object.__setattr__(self, "games", tuple(self.games))
        object.__setattr__(self, "lineups", tuple(self.lineups))
        if not specs and not self.lineups:
            raise ConfigError("no agent to evaluate; name at least one agent or lineup")
        names = [s.name for s in specs]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ConfigError(
                f"agent {twice[0]!r} is named twice; give each a label (LABEL=SOURCE)"
            )
        labels = [lineup.label for lineup in self.lineups]
        twice = sorted({n for n in labels if labels.count(n) > 1})
        if twice:
            raise ConfigError(f"the lineup {twice[0]!r} is given twice")
        defined: dict[str, AgentSpec] = {}
        for spec in self.all_agents(unique=False):
            first = defined.setdefault(spec.name, spec)
            if first.to_json() != spec.to_json():
                raise ConfigError(
                    f"agent {spec.name!r} is defined twice, as {_describe(first)} and as "
                    f"{_describe(spec)}; give the second another label (LABEL=SOURCE)"
                )
        if isinstance(self.maps, bool) or not isinstance(self.maps, int):
            raise ConfigError(f"maps must be an integer, got {self.maps!r}")
        if not 1 <= self.maps <= MAX_MAPS:
            raise ConfigError(f"maps must be between 1 and {MAX_MAPS} per game, got {self.maps}")
        if self.rounds is not None and (
            isinstance(self.rounds, bool) or not isinstance(self.rounds, int) or self.rounds < 1
        ):
            raise ConfigError(f"rounds must be at least 1, got {self.rounds!r}")
        params = {g: _json_options(p, f"game {g!r}") for g, p in self.game_params.items()}
        object.__setattr__(self, "game_params", params)
        seeds = {g: tuple(s) for g, s in self.map_seeds.items()}
        for game, values in seeds.items():
            if not 1 <= len(values) <= MAX_MAPS or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in values
            ):
                raise ConfigError(
                    f"map_seeds of game {game!r} must be 1 to {MAX_MAPS} integers >= 0, "
                    f"got {list(values)[:5]}"
                )
        object.__setattr__(self, "map_seeds", seeds)

    def all_agents(self, unique: bool = True) -> tuple[AgentSpec, ...]:
        """Every agent of the run: those that play alone, then those of the lineups (each
        name once, unless ``unique`` is False; a name has one definition in a run)."""
        specs = [*self.agents, *(spec for lineup in self.lineups for spec in lineup.seats.values())]
        return tuple({spec.name: spec for spec in specs}.values()) if unique else tuple(specs)

    def agent(self, name: str) -> AgentSpec:
        """The spec of the agent called ``name``."""
        for spec in self.all_agents():
            if spec.name == name:
                return spec
        raise KeyError(name)

    def lineup(self, label: str) -> Lineup:
        """The lineup whose label is ``label``."""
        for lineup in self.lineups:
            if lineup.label == label:
                return lineup
        raise KeyError(label)

    @property
    def players(self) -> tuple[str, ...]:
        """Who a map record can belong to: the agents that play alone, then the lineups'
        labels."""
        return (*(s.name for s in self.agents), *(lineup.label for lineup in self.lineups))

    def params_of(self, game: str) -> dict[str, Any]:
        """The fixed parameters of ``game``, the rounds override included."""
        params = dict(self.game_params.get(game, {}))
        if self.rounds is not None:
            params["rounds"] = self.rounds
        return params

    def maps_of(self, game: str) -> int:
        """How many maps of ``game`` the run plays."""
        return len(self.map_seeds[game]) if game in self.map_seeds else self.maps

    def seed_of(self, game: str, index: int) -> int:
        """The reset seed of map ``index`` of ``game``: the suite's, else :func:`map_seed`."""
        if game in self.map_seeds:
            return self.map_seeds[game][index]
        return map_seed(self.seed, game, index)

    def texts(self) -> str:
        """The token of the run's text source (its kind and fingerprint digest)."""
        return source_token(resolve_text_source(self.text_source))

    def run_key(self, judge_fingerprint: Mapping[str, Any], texts: str | None = None) -> str:
        """Hash (16 hex digits) of what every map of the run depends on: the judge's
        fingerprint, the text source's token (``texts``, default :meth:`texts`), the seed,
        the split, the rounds override and the record format; not the agents, games or map
        count, so a folder can grow."""
        return _digest(
            {
                "format": RECORD_FORMAT,
                "judge_fingerprint": dict(judge_fingerprint),
                "texts": texts if texts is not None else self.texts(),
                "seed": self.seed,
                "split": self.split,
                "rounds": self.rounds,
            }
        )

    def map_key(self, run_key: str, game: str, index: int, agent: str) -> str:
        """Hash of what the map ``index`` of ``game`` played by ``agent`` (an agent that plays
        alone, or a lineup's label) depends on, the registered program of ``game`` included.

        Raises:
            UnknownNameError: ``game`` is not registered.
        """
        from xent_envs.registration import game_space

        player: dict[str, Any]
        if agent in (lineup.label for lineup in self.lineups):
            player = {"lineup": self.lineup(agent).to_json()}
        else:
            player = {"agent": self.agent(agent).to_json()}
        return _digest(
            {
                "run": run_key,
                "game": game,
                "program": game_space(game).digest,
                "params": dict(self.game_params.get(game, {})),
                "map": index,
                **player,
                # A suite's map is named by its seed; a derived seed is covered by the run key.
                **({"reset_seed": self.seed_of(game, index)} if game in self.map_seeds else {}),
            }
        )


@dataclass(frozen=True)
class RunManifest(JsonRecord):
    """The results folder's ``run.json``: the run key with what it covers, and every agent
    and game ever played in the folder (so a name cannot change meaning).

    Attributes:
        format: :data:`RECORD_FORMAT` of the files.
        key: the run key (:meth:`EvalConfig.run_key`).
        judge: the judge's name when the folder was created.
        judge_fingerprint: the judge's fingerprint (part of the key).
        texts: the text source's token (part of the key).
        seed: the run seed.
        split: the map-seed split.
        rounds: the rounds override.
        agents: every agent played here, by name.
        games: every game played here, with its fixed parameters.
    """

    format: int
    key: str
    judge: str
    judge_fingerprint: Mapping[str, Any]
    texts: str
    seed: int
    split: str | None
    rounds: int | None
    agents: Mapping[str, AgentSpec] = field(default_factory=dict)
    games: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, config: EvalConfig, judge_fingerprint: Mapping[str, Any], texts: str | None = None
    ) -> RunManifest:
        """The manifest of a fresh folder for ``config`` (``texts``: the text source's token,
        default ``config.texts()``)."""
        texts = texts if texts is not None else config.texts()
        return cls(
            format=RECORD_FORMAT,
            key=config.run_key(judge_fingerprint, texts),
            judge=config.judge,
            judge_fingerprint=dict(judge_fingerprint),
            texts=texts,
            seed=config.seed,
            split=config.split,
            rounds=config.rounds,
        )

    def conflicts(self, config: EvalConfig) -> list[str]:
        """What ``config`` would change about agents and games already played here."""
        problems = []
        for spec in config.all_agents():
            old = self.agents.get(spec.name)
            if old is not None and old.to_json() != spec.to_json():
                problems.append(
                    f"agent {spec.name!r} was played here as {_describe(old)}, now "
                    f"{_describe(spec)}; give the new one another label (LABEL=SOURCE)"
                )
        for game in config.games:
            old_params = self.games.get(game)
            new_params = dict(config.game_params.get(game, {}))
            if old_params is not None and dict(old_params) != new_params:
                problems.append(
                    f"game {game!r} was played here with parameters {json.dumps(old_params)}, "
                    f"now {json.dumps(new_params)}"
                )
        return problems

    def grown(self, config: EvalConfig) -> RunManifest:
        """This manifest with the agents and games of ``config`` added."""
        agents = {
            **self.agents,
            **{s.name: AgentSpec.from_json(s.to_json()) for s in config.all_agents()},
        }
        games = {**self.games, **{g: dict(config.game_params.get(g, {})) for g in config.games}}
        return RunManifest(
            self.format, self.key, self.judge, self.judge_fingerprint, self.texts, self.seed,
            self.split,
            self.rounds, dict(sorted(agents.items())), dict(sorted(games.items())),
        )  # fmt: skip


def _describe(spec: AgentSpec) -> str:
    data = spec.to_json()
    return f"{data['source'] or data['name']} with options {json.dumps(data['options'])}"
