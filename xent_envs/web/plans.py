"""From a start request to a plan: which game, which map, which seat, who plays the others,
and where the finished map is recorded. Everything a request names is checked here, before
a session exists: an unknown game, instance id, seat or opponent is refused with the valid
names, so a game that starts is one that can be played.

Maps (``StartRequest`` says which):

- ``map n``: map ``n`` of the run in a results folder, recorded there (``recording``);
- ``seed s``: practice on the map ``reset(seed=s)`` draws (any split);
- ``instance ID``: practice on exactly the map an instance id names;
- ``sampled s``: practice on a game of the open space (``xent_envs.generation``, when
  installed), registered like any game the first time it is sampled.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from xent_envs.envs.match import seat_budgets
from xent_envs.envs.opponents import Opponent
from xent_envs.errors import ConfigError, UnknownNameError, unknown_name
from xent_envs.evaluation.config import agent_seed
from xent_envs.evaluation.records import MapSlot
from xent_envs.games import GameInstance, GameSpace
from xent_envs.judge.base import Judge
from xent_envs.lang.names import MAIN_PLAYER
from xent_envs.registration import game_space, register_game
from xent_envs.web.folders import folder_path
from xent_envs.web.models import StartRequest
from xent_envs.web.recording import RecordTarget, record_target
from xent_envs.web.settings import ECHO_OPPONENT, OpponentSpec, WebSettings

__all__ = ["GENERATION_MODULE", "MAX_SAMPLED_GAMES", "Planner", "PlayPlan", "sampling_available"]

GENERATION_MODULE = "xent_envs.generation"
#: sampled games one server registers at most (each stays registered for the process)
MAX_SAMPLED_GAMES = 256


def _generation() -> Any:
    """The generation package, or ``None`` when it is not installed (or cannot load)."""
    try:
        return importlib.import_module(GENERATION_MODULE)
    except ImportError:
        return None


def sampling_available() -> bool:
    """Whether the generation package (sampled games) can be used."""
    return _generation() is not None


class _InstanceReset(gym.Wrapper):
    """Resets its env on one instance, whatever seed ``play_map`` passes."""

    def __init__(self, env: gym.Env, instance: GameInstance) -> None:
        super().__init__(env)
        self._instance = instance

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        return self.env.reset(seed=seed, options={"instance": self._instance})


@dataclass(frozen=True)
class PlayPlan:
    """A game ready to be played.

    Attributes:
        space: the game.
        seat: the seat the person plays.
        seats: every seat of the game, in order of first move.
        opponent: the agent playing the other seats (``None``: the ``echo`` baseline).
        slot: the map's slot (name, seeds and, for a recorded map, the run's keys).
        source: what the person asked for, in words (``map 3 of Condense in web``).
        target: where the finished map is recorded (``None``: practice, not recorded).
        instance: the instance to reset on (a practice map named by its id).
        env_kwargs: arguments of the env beyond the judge, seat and opponents.
        replay: moves to play first (a resumed game).
    """

    space: GameSpace
    seat: str
    seats: tuple[str, ...]
    opponent: OpponentSpec | None
    slot: MapSlot
    source: str
    target: RecordTarget | None = None
    instance: GameInstance | None = None
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)
    replay: tuple[str, ...] = ()

    @property
    def opponent_name(self) -> str:
        return self.opponent.name if self.opponent is not None else ECHO_OPPONENT

    @property
    def other_seats(self) -> tuple[str, ...]:
        return tuple(s for s in self.seats if s != self.seat)

    def make_env(self, judge: Judge, opponents: Mapping[str, Opponent]) -> gym.Env:
        """The env the evaluation would make for this map, with the person's seat."""
        env = gym.make(
            self.space.env_id,
            judge=judge,
            seat=self.seat,
            opponents=dict(opponents) or None,
            **self.env_kwargs,
        )
        return _InstanceReset(env, self.instance) if self.instance is not None else env


class Planner:
    """Turns start requests into plans for one server (its settings and judge)."""

    def __init__(self, settings: WebSettings, judge: Judge) -> None:
        self.settings = settings
        self.judge = judge
        self._sampled: set[str] = set()
        self._lock = threading.Lock()

    def plan(self, request: StartRequest) -> PlayPlan:
        """The plan of ``request``.

        Raises:
            UnknownNameError: an unknown game, seat or opponent, or a results folder that
                does not exist (each message lists the valid names).
            ConfigError: a malformed instance id, an instance of another game, a sampled
                game without the generation package, a folder that cannot record the map.
            SessionError: the map is already recorded for this player.
        """
        instance = None
        if request.instance is not None:
            instance = GameInstance.from_id(request.instance)
            space = game_space(instance.env_id)
            if request.game is not None and request.game not in (space.name, space.env_id):
                raise ConfigError(
                    f"instance {request.instance!r:.120} is a map of {space.name}, not of "
                    f"{request.game}"
                )
        elif request.sampled is not None:
            space = self._sampled_space(request.sampled)
        else:
            space = game_space(str(request.game))
        params: dict[str, Any] = instance.param_dict if instance is not None else {}
        target = None
        if request.map is not None:
            name = request.folder or self.settings.play_folder
            folder = folder_path(self.settings.results, name, must_exist=False)
            seat, seats, opponent = self._seating(space, params, request)
            target = record_target(
                self.settings.results, name, folder,
                game=space.name, index=request.map, player=request.player, seat=seat,
                opponent=opponent.name if opponent else ECHO_OPPONENT,
                judge_name=self.settings.judge, fingerprint=dict(self.judge.fingerprint),
            )  # fmt: skip
            return PlayPlan(
                space, seat, seats, opponent, target.slot, target.describe(), target=target,
                env_kwargs=target.env_kwargs, replay=tuple(request.replay),
            )  # fmt: skip
        seat, seats, opponent = self._seating(space, params, request)
        if instance is not None:
            seed, source = instance.seed, f"instance {instance.id}"
        elif request.sampled is not None:
            seed, source = request.sampled, f"sampled game {space.name} (seed {request.sampled})"
        else:
            seed, source = int(request.seed or 0), f"{space.name}, seed {request.seed}"
        slot = MapSlot(space.name, 0, request.player, seed, agent_seed(seed))
        return PlayPlan(
            space, seat, seats, opponent, slot, source, instance=instance,
            replay=tuple(request.replay),
        )  # fmt: skip

    def _seating(
        self, space: GameSpace, params: Mapping[str, Any], request: StartRequest
    ) -> tuple[str, tuple[str, ...], OpponentSpec | None]:
        seats = _seats(space, params)
        default = MAIN_PLAYER if MAIN_PLAYER in seats else seats[0]
        seat = request.seat or default
        if seat not in seats:
            raise UnknownNameError(unknown_name("seat", seat, seats, where=f" of {space.name}"))
        if len(seats) == 1 or request.opponent == ECHO_OPPONENT:
            return seat, seats, None
        offered = {o.name: o for o in self.settings.opponents}
        if request.opponent not in offered:
            raise UnknownNameError(
                unknown_name("opponent", request.opponent, [ECHO_OPPONENT, *offered])
            )
        return seat, seats, offered[request.opponent]

    def _sampled_space(self, seed: int) -> GameSpace:
        generation = _generation()
        if generation is None:
            raise ConfigError(
                "sampled games need the generation package (xent_envs.generation), which "
                "this installation does not have"
            )
        definition = generation.sample_game(seed).definition()
        with self._lock:
            if definition.name not in self._sampled and len(self._sampled) >= MAX_SAMPLED_GAMES:
                raise ConfigError(
                    f"this server has registered {MAX_SAMPLED_GAMES} sampled games, its most; "
                    "restart it to sample more"
                )
            space = register_game(definition)
            self._sampled.add(definition.name)
        return space


def _seats(space: GameSpace, params: Mapping[str, Any]) -> tuple[str, ...]:
    """The seats the game asks for moves (they do not depend on parameter values)."""
    return tuple(seat_budgets(space.program(params)))
