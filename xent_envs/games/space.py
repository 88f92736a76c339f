"""Game spaces and the instances sampled from them.

A ``GameSpace`` is one game (a ``GameDef``: program, card, version) plus the parameters every
game shares (``rounds``, ``story_tokens``). ``sample(rng)`` draws a frozen ``GameInstance``
(game, version, parameters, map seed); a match binds it to the judge and the text source that
make its map, and its canonical id then names all of them, so it replays exactly.
``instance(id)`` reads an id back, validating every parameter by the card and refusing a
program digest that is not the registered program's.

A map seed names the side of the train/eval split its texts are drawn from (``seed_split``, a
stable hash of (game, seed)); the texts themselves are split by content
(``xent_envs.maps.split``), so an eval map shares no content part with a train map.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import numpy as np

from xent_envs.errors import ConfigError, UnknownNameError, XentError, unknown_name
from xent_envs.games.card import GameDef
from xent_envs.games.params import COMMON_PARAMETERS, ParamDef, ParamValue
from xent_envs.lang import Program, load
from xent_envs.maps.sources import TOKEN_PATTERN
from xent_envs.maps.split import EVAL_FRACTION, SPLITS, Split, SplitChoice, check_split
from xent_envs.seeding import unit_interval

__all__ = ["EVAL_FRACTION", "SPLITS", "GameInstance", "GameSpace", "Split", "seed_split"]

MAX_SEED = 2**31 - 1
# Drawing a seed on one side of the split is rejection sampling; with a 10% side, failing
# this many times in a row has probability 0.9**2000 < 1e-91, so the bound never bites.
_MAX_SEED_DRAWS = 2000
_ID = re.compile(
    r"xent/(?P<game>[A-Za-z][A-Za-z0-9_]*)-v(?P<version>[0-9]{1,6})"
    r"\?(?P<query>[^#]*)#(?P<seed>[0-9]{1,19})@(?P<tail>.*)",
    re.DOTALL,
)
_TAIL = re.compile(
    rf"(?P<digest>[0-9a-f]{{12}});judge=(?P<judge>[0-9a-f]{{12}});texts=(?P<texts>{TOKEN_PATTERN})"
)
_TAIL_FORM = "@<program digest>;judge=<judge digest>;texts=<text source>"


def seed_split(game: str, seed: int) -> Split:
    """The side of the split the map ``seed`` of ``game`` draws its texts from: ``"eval"`` for
    a stable ``EVAL_FRACTION`` of (game, seed) pairs, else ``"train"``. The texts themselves
    are split by content (``xent_envs.maps.split``): this only says which side a seed uses.

    >>> seed_split("Condense", 4), seed_split("Taboo", 4)
    ('train', 'eval')
    """
    return "eval" if unit_interval(game, seed) < EVAL_FRACTION else "train"


@dataclass(frozen=True)
class GameInstance:
    """One playable map: a game at one version, fixed parameters and a map seed, and (once
    bound by a match) the judge and text source that make its map.

    ``id`` is canonical: sorted parameters, the map seed, the program's digest, the judge's
    fingerprint digest and the text source's token
    (``xent/G-vN?PARAMS#SEED@PROGRAM;judge=JUDGE;texts=SOURCE``). ``GameInstance.from_id``
    inverts it and checks it, so a result file names exactly what was played and a replay
    with another program, judge or text source is refused. An instance not bound yet (as
    ``GameSpace.sample`` draws it) has an id without the judge and text source, which
    ``from_id`` refuses: ids of played maps come from ``info["instance_id"]``.

    Example:
        >>> inst = GameInstance("Condense", 0, (("budget", 10),), 7, "0123456789ab")
        >>> inst.bound(judge="feedfacecafe", texts="stories-00aa11bb22cc").id
        'xent/Condense-v0?budget=10#7@0123456789ab;judge=feedfacecafe;texts=stories-00aa11bb22cc'
    """

    game: str
    version: int
    params: tuple[tuple[str, ParamValue], ...]
    seed: int
    digest: str
    judge: str | None = None
    texts: str | None = None

    @property
    def env_id(self) -> str:
        """The Gymnasium id of the instance's game and version (``xent/Condense-v0``)."""
        return f"xent/{self.game}-v{self.version}"

    @property
    def id(self) -> str:
        query = urlencode([(k, json.dumps(v)) for k, v in self.params], quote_via=quote)
        bound = "" if self.judge is None else f";judge={self.judge};texts={self.texts}"
        return f"{self.env_id}?{query}#{self.seed}@{self.digest}{bound}"

    @property
    def param_dict(self) -> dict[str, ParamValue]:
        return dict(self.params)

    @property
    def side(self) -> Split:
        """The side of the split the map's texts are drawn from (``seed_split``)."""
        return seed_split(self.game, self.seed)

    def bound(self, *, judge: str, texts: str) -> GameInstance:
        """This instance bound to a judge (its fingerprint digest) and a text source (its
        token); an instance already bound must name the same ones.

        Raises:
            ConfigError: the instance names another judge or text source (both shown).
        """
        differ = []
        if self.judge not in (None, judge):
            differ.append(f"it names the judge {self.judge}, this one is {judge}")
        if self.texts not in (None, texts):
            differ.append(f"it names the text source {self.texts}, this one is {texts}")
        if differ:
            raise ConfigError(
                f"instance {self.id!r} cannot be played here: {'; '.join(differ)}. A map's "
                "texts and scores depend on both, so replaying it elsewhere would play "
                "another map: use the judge and text source it names"
            )
        return replace(self, judge=judge, texts=texts)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "game": self.game,
            "version": self.version,
            "params": self.param_dict,
            "seed": self.seed,
            "digest": self.digest,
            "judge": self.judge,
            "texts": self.texts,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GameInstance:
        """Inverse of ``to_json``: read back (and validated) through its ``id``."""
        if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
            raise ConfigError(f"not a serialised game instance: {data!r:.200}")
        instance = cls.from_id(data["id"])
        if instance.to_json() != dict(data):
            raise ConfigError(f"game instance {data['id']!r}: its fields disagree with its id")
        return instance

    @classmethod
    def from_id(cls, instance_id: str) -> GameInstance:
        """The instance an id names, read by the registered space of its game and version
        (``GameSpace.instance``), so every parameter is validated by the card.

        Raises:
            ConfigError: a malformed, truncated or edited id, a parameter value the card
                refuses, or a program digest that is not the registered program's.
            UnknownNameError: a game or version that is not registered.
        """
        from xent_envs.registration import game_space  # the registry holds the spaces

        match = _ID.fullmatch(instance_id) if isinstance(instance_id, str) else None
        if match is None:
            raise ConfigError(f"not a game instance id: {instance_id!r:.200}")
        return game_space(f"xent/{match['game']}-v{match['version']}").instance(instance_id)


@dataclass(frozen=True)
class GameSpace:
    """A game and the space of its parameters (its own and the common ones)."""

    definition: GameDef
    parameters: tuple[ParamDef, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", self.definition.parameters + COMMON_PARAMETERS)

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def version(self) -> int:
        return self.definition.version

    @property
    def env_id(self) -> str:
        return f"xent/{self.name}-v{self.version}"

    @property
    def description(self) -> str:
        """The card's rules text, with ``$name`` placeholders (``rules`` fills them in)."""
        return self.definition.description

    @functools.cached_property
    def digest(self) -> str:
        """Short hash of the program text: part of every instance id and every saved map's
        key, so a changed program never silently replays under an old id (computed once:
        the evaluation asks for it per map slot)."""
        return hashlib.sha256(self.definition.source.encode()).hexdigest()[:12]

    def has_parameter(self, name: str) -> bool:
        return any(p.name == name for p in self.parameters)

    def parameter(self, name: str) -> ParamDef:
        for p in self.parameters:
            if p.name == name:
                return p
        raise UnknownNameError(
            unknown_name("parameter", name, [p.name for p in self.parameters], f" of {self.name}")
        )

    def resolve(self, fixed: Mapping[str, Any] | None = None) -> dict[str, ParamValue]:
        """All parameters: the defaults, overridden by ``fixed`` after validation.

        Raises:
            UnknownNameError: a name that is not a parameter (with the closest one).
            ConfigError: a value of the wrong type, outside the range, not a choice, or not
                finite.
        """
        if fixed is not None and not isinstance(fixed, Mapping):
            raise ConfigError(f"parameters must be a mapping name -> value, got {fixed!r:.100}")
        values = {p.name: p.default for p in self.parameters}
        for name, value in (fixed or {}).items():
            values[name] = self.parameter(name).validate(value)
        return values

    def sample(
        self,
        rng: np.random.Generator,
        fixed: Mapping[str, Any] | None = None,
        vary: Iterable[str] = (),
        split: SplitChoice | None = None,
    ) -> GameInstance:
        """Draw an instance (not bound to a judge and text source yet): ``vary`` parameters
        uniformly in their range or choices, the others from ``fixed`` or their default, and
        a map seed on the ``split`` side (any seed for ``"all"`` or ``None``)."""
        values = self.resolve(fixed)
        for name in sorted(set(vary)):
            values[name] = self.parameter(name).draw(rng)
        seed = self._draw_seed(rng, split)
        return GameInstance(
            self.name, self.version, tuple(sorted(values.items())), seed, self.digest
        )

    def _draw_seed(self, rng: np.random.Generator, split: SplitChoice | None) -> int:
        split = check_split(split)
        for _ in range(_MAX_SEED_DRAWS):
            seed = int(rng.integers(0, MAX_SEED))
            if split == "all" or seed_split(self.name, seed) == split:
                return seed
        raise XentError(f"no {split} seed for {self.name} in {_MAX_SEED_DRAWS} draws")

    def instance(self, instance_id: str) -> GameInstance:
        """The instance ``instance_id`` names, checked against this space: same game and
        version, the registered program, every parameter present once and valid by the card,
        and a judge digest and text source token of the right form.

        Raises:
            ConfigError: the id is malformed or truncated, names another game or version, or
                a program digest other than this space's, or holds a missing, repeated or
                invalid parameter.
            UnknownNameError: the id names a parameter this game does not have.
        """
        match = _ID.fullmatch(instance_id) if isinstance(instance_id, str) else None
        if match is None:
            raise ConfigError(f"not a game instance id: {instance_id!r:.200}")
        where = f"instance id {instance_id!r:.200}"
        if (match["game"], int(match["version"])) != (self.name, self.version):
            raise ConfigError(f"{where} is not a game of {self.env_id}")
        tail = _TAIL.fullmatch(match["tail"])
        if tail is None:
            raise ConfigError(
                f"{where} is cut short or edited: after the map seed it should read "
                f"{_TAIL_FORM!r} (ids of played maps are info['instance_id'])"
            )
        if tail["digest"] != self.digest:
            raise ConfigError(
                f"{where} names the program {tail['digest']}, but {self.env_id} registered "
                f"here is the program {self.digest}: the id was made for another program "
                "under this name (an edited game file, or a made-up digest), and replaying it "
                "would play another game"
            )
        try:
            pairs = (
                parse_qsl(match["query"], keep_blank_values=True, strict_parsing=True)
                if match["query"]
                else []
            )
        except ValueError:
            raise ConfigError(f"{where}: malformed parameters") from None
        raw: dict[str, str] = {}
        for key, text in pairs:
            if key in raw:
                raise ConfigError(f"{where}: parameter {key!r} appears twice")
            raw[key] = text
        checked = {key: self.parameter(key) for key in raw}
        missing = [p.name for p in self.parameters if p.name not in raw]
        if missing:
            raise ConfigError(f"{where}: missing parameters {missing}")
        params = []
        for key, text in raw.items():
            param = checked[key]
            try:
                value = json.loads(text)
            except ValueError:
                raise ConfigError(f"{where}: parameter {key!r} is not JSON: {text!r}") from None
            try:
                params.append((key, param.validate(value)))
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc}") from None
        seed = int(match["seed"])
        if seed >= 2**63:
            raise ConfigError(f"{where}: seed {seed} is out of range")
        return GameInstance(
            self.name,
            self.version,
            tuple(sorted(params)),
            seed,
            tail["digest"],
            tail["judge"],
            tail["texts"],
        )

    def program_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters the program itself reads as ``$name`` (the common ones, such as
        ``rounds``, are the environment's business)."""
        own = {p.name for p in self.definition.parameters}
        return {k: v for k, v in values.items() if k in own}

    def program(self, params: Mapping[str, Any] | None = None) -> Program:
        """The program loaded and checked with these parameters (defaults for the others).

        Raises:
            ConfigError / UnknownNameError: a parameter the card refuses.
            XentSyntaxError: the program does not parse or check with these values.
        """
        return load(self.definition.source, params=self.program_params(self.resolve(params)))

    def rules(self, params: Mapping[str, Any] | None = None) -> str:
        """The rules a player reads: the card's description with each ``$name`` replaced by
        the parameter's value (``params`` validated, defaults for the others).

        Example:
            >>> from xent_envs.games import builtin_games
            >>> condense = GameSpace(next(g for g in builtin_games() if g.name == "Condense"))
            >>> "at most 6 tokens" in condense.rules({"budget": 6})
            True
        """
        return self.definition.render_rules(self.resolve(params))

    def describe(self) -> str:
        """A Markdown block: summary, rules (parameters shown by name), reward and the
        arguments table."""
        d = self.definition
        rows = "\n".join(
            f"| `{p.name}` | {p.type} | {_cell(repr(p.default))} | {_cell(p.domain)} "
            f"| {_cell(p.description)} |"
            for p in self.parameters
        )
        rules = d.render_rules({p.name: f"`{p.name}`" for p in self.parameters})
        return (
            f"### {d.name} (`{self.env_id}`)\n\n{d.summary}\n\n"
            f"**Skill:** {d.skill}. **Players:** {', '.join(d.players)}.\n\n"
            f"{rules.strip()}\n\n**Reward:** {d.reward.strip()}\n\n"
            "| Arg | Type | Default | Range | Description |\n|---|---|---|---|---|\n"
            f"{rows}\n"
        )


def _cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", "\\n")
