"""``xent/Sampled-v0``: every reset draws a new playable game from the open space.

At each reset the env draws a sampler seed from ``self.np_random`` and samples a program
(valid and statically playable by construction: ``sample_game``), keeps it only if its digest
falls on the requested side of the train/eval split, draws a map seed, starts the game, and
scores a batch of blind and trivial moves in one ``score_actions`` call (``quick_check``):
a game whose rewards do not vary is dropped and another drawn. The expensive filters (search
against random, trivial moves) are for the archive (``evaluate``), not for every reset.

Each episode is played by an ordinary ``XentEnv`` of the sampled game (registered as
``xent/Gen_<digest>-v0`` on first use), so observations, rewards, invalid actions and
``score_actions`` are exactly those of every other game. The instance id names the sampler
seed, the parameters, the map seed and the game's digest::

    xent/Sampled-v0?game=8127...&rounds=1&story_tokens=48#1402...@3f2a9c01d4e5b6a7

``reset(options={"instance": id})`` replays that program on that map (the digest guards
against a sampler that changed since). The train/eval split is by a stable hash of the
game's digest (``game_split``), so an eval game is never drawn for training.

Cost of a reset: sampling the program (about 2 ms), the map's texts (as for any game), and
one batched judge call of about a dozen moves; dropped games repeat the last two.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import gymnasium as gym
import numpy as np

from xent_envs.errors import ConfigError, XentRuntimeError
from xent_envs.games import EVAL_FRACTION, GameDef, GameInstance, GameSpace
from xent_envs.generation.filters import ensure_registered
from xent_envs.generation.game import GeneratedGame
from xent_envs.generation.probes import quick_check
from xent_envs.generation.sampler import DEFAULT_CONFIG, SamplerConfig, sample_game
from xent_envs.judge import DEFAULT_JUDGE, load_judge
from xent_envs.registration import SAMPLED_ID, game_space
from xent_envs.seeding import derive_seed, unit_interval
from xent_envs.spaces import TokenSequence, UnicodeText

__all__ = [
    "SAMPLED_ENV_ID",
    "SampledEnv",
    "SampledInstance",
    "game_split",
]

SAMPLED_ENV_ID = SAMPLED_ID  # registered by xent_envs.registration on import
_INNER_CACHE = 8
_MIN_SPREAD = 1e-3
# Observation and move limits of the inner envs (xent_envs.envs.XentEnv).
_MAX_OBSERVATION_CHARS = 65536
_MAX_MOVE_TOKENS = 64
# Validates the common parameters (rounds, story_tokens) with the registry's own rules.
_COMMON = GameSpace(GameDef.from_source("Sampled", "elicit(x, 1)"))


def game_split(digest: str) -> str:
    """``"eval"`` for a stable ``EVAL_FRACTION`` of game digests, else ``"train"``."""
    return "eval" if unit_interval("xent-sampled-game", digest) < EVAL_FRACTION else "train"


@dataclass(frozen=True)
class SampledInstance:
    """One episode of ``xent/Sampled-v0``: sampler seed, parameters, map seed, digest.

    Example:
        >>> inst = SampledInstance(5, (("rounds", 1),), 7, "0123456789abcdef")
        >>> inst.id
        'xent/Sampled-v0?game=5&rounds=1#7@0123456789abcdef'
        >>> SampledInstance.from_id(inst.id) == inst
        True
    """

    game_seed: int
    params: tuple[tuple[str, Any], ...]
    map_seed: int
    digest: str

    @property
    def id(self) -> str:
        query = urlencode([("game", self.game_seed), *self.params], quote_via=quote)
        return f"{SAMPLED_ENV_ID}?{query}#{self.map_seed}@{self.digest}"

    @classmethod
    def from_id(cls, instance_id: str) -> SampledInstance:
        """Parse an id; raises ``ConfigError`` naming what is wrong."""
        try:
            head, rest = instance_id.split("?", 1)
            query, rest = rest.rsplit("#", 1)
            map_seed, digest = rest.split("@", 1)
            if head != SAMPLED_ENV_ID:
                raise ValueError(f"it names {head!r}, not {SAMPLED_ENV_ID}")
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
            values = dict(pairs)
            game_seed = int(values.pop("game"))
            params = _COMMON.resolve({k: int(v) for k, v in values.items()})
            own = tuple(sorted((k, params[k]) for k in values))
            return cls(game_seed, own, int(map_seed), digest)
        except (ValueError, LookupError) as exc:
            raise ConfigError(
                f"not a {SAMPLED_ENV_ID} instance id: {instance_id!r} ({exc})"
            ) from None


class SampledEnv(gym.Env[str, Sequence[int]]):
    """Gymnasium env whose every reset draws a new game program from the open space.

    Args:
        judge: a judge name for ``load_judge`` or a loaded judge.
        render_mode: ``None`` or ``"ansi"``.
        split: ``"train"`` or ``"eval"``: draw only games on that side of the digest split.
        sampler: a ``SamplerConfig`` (or its JSON form) shaping the space.
        max_draws: games drawn at most per reset before giving up (a game is dropped when
            its rewards do not vary).
        opponents: policies for the other seats, as for every game.
        **params: common game parameters (``rounds``, ``story_tokens``).

    Example:
        >>> import gymnasium as gym, xent_envs
        >>> env = gym.make("xent/Sampled-v0", judge="tiny-random-gpt2")
        >>> obs, info = env.reset(seed=0)
        >>> info["instance_id"].startswith("xent/Sampled-v0?game=")
        True
    """

    # Gymnasium declares ``metadata`` on ``Env`` as an attribute, not a ClassVar.
    metadata: dict[str, Any] = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012

    def __init__(
        self,
        judge: Any = DEFAULT_JUDGE,
        *,
        render_mode: str | None = None,
        split: str | None = None,
        sampler: SamplerConfig | Mapping[str, Any] | None = None,
        max_draws: int = 32,
        opponents: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> None:
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ConfigError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        if split not in (None, "train", "eval"):
            raise ConfigError(f"split must be 'train', 'eval' or None, got {split!r}")
        if max_draws < 1:
            raise ConfigError(f"max_draws must be at least 1, got {max_draws}")
        self.params = _COMMON.resolve(params)
        if isinstance(sampler, SamplerConfig) or sampler is None:
            self.sampler = sampler or DEFAULT_CONFIG
        else:
            self.sampler = SamplerConfig.from_json(sampler)
        self.split = split
        self.max_draws = max_draws
        self.render_mode = render_mode
        self.judge = load_judge(judge) if isinstance(judge, str) else judge
        self.opponents = dict(opponents or {})
        self.observation_space = UnicodeText(_MAX_OBSERVATION_CHARS)
        self.action_space = TokenSequence(self.judge.vocab_size, _MAX_MOVE_TOKENS)
        self._inner: OrderedDict[str, Any] = OrderedDict()
        self._env: Any = None
        self.instance: SampledInstance | None = None
        self.game: GeneratedGame | None = None

    # ----------------------------------------------------------------- Gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = set(options) - {"instance"}
        if unknown:
            raise ConfigError(f"unknown reset options {sorted(unknown)}; valid: 'instance'")
        if "instance" in options:
            inst = options["instance"]
            inst = inst if isinstance(inst, SampledInstance) else SampledInstance.from_id(str(inst))
            game = sample_game(inst.game_seed, self.sampler)
            if game.digest != inst.digest:
                raise ConfigError(
                    f"sampler seed {inst.game_seed} gives game {game.digest} with this sampler "
                    f"configuration, not {inst.digest}: make the env with the sampler settings "
                    "the instance was drawn with"
                )
            obs, info = self._start(game, inst)
            return obs, self._info(info, draws=0)
        params = tuple(sorted(self.params.items()))
        for draw in range(1, self.max_draws + 1):
            game_seed, game = self._draw_game()
            map_seed = int(self.np_random.integers(0, 2**31 - 1))
            inst = SampledInstance(game_seed, params, map_seed, game.digest)
            obs, info = self._start(game, inst)
            rng = np.random.default_rng(derive_seed("xent-sampled-check", inst.id))
            scores = quick_check(self._env, obs, info, rng)
            if max(scores) - min(scores) >= _MIN_SPREAD:
                return obs, self._info(info, draws=draw)
        raise XentRuntimeError(
            f"no game with varying rewards in {self.max_draws} draws: the sampler settings "
            "or the judge make every game constant"
        )

    def step(self, action: Sequence[int]) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._env is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        obs, reward, terminated, truncated, info = self._env.step(action)
        return obs, reward, terminated, truncated, self._info(info)

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        return self._env.render() if self._env is not None else "(not started: call reset())"

    def close(self) -> None:
        for env in self._inner.values():
            env.close()
        self._inner.clear()
        self._env = None

    def score_actions(self, actions: Sequence[Sequence[int]]) -> list[float]:
        """The reward each action would earn now (see ``XentEnv.score_actions``)."""
        if self._env is None:
            raise gym.error.ResetNeeded("no move is expected now: call reset()")
        return list(self._env.score_actions(actions))

    # ----------------------------------------------------------------- internals
    def _draw_game(self) -> tuple[int, GeneratedGame]:
        """A sampler seed and its game, on the env's side of the split (bounded: with the
        split at 10% eval, 200 tries all miss the eval side with odds below 1e-9)."""
        for _ in range(200):
            game_seed = int(self.np_random.integers(0, 2**63 - 1))
            game = sample_game(game_seed, self.sampler)
            if self.split is None or game_split(game.digest) == self.split:
                return game_seed, game
        raise XentRuntimeError(f"no game of the {self.split!r} split in 200 draws")

    def _start(self, game: GeneratedGame, inst: SampledInstance) -> tuple[str, dict[str, Any]]:
        self.game, self.instance = game, inst
        env = self._inner.get(game.digest)
        if env is None:
            env = gym.make(
                ensure_registered(game.definition()),
                judge=self.judge,
                render_mode=self.render_mode,
                opponents=self.opponents,
            ).unwrapped
            self._inner[game.digest] = env
            if len(self._inner) > _INNER_CACHE:
                self._inner.popitem(last=False)[1].close()
        self._inner.move_to_end(game.digest)
        self._env = env
        space = game_space(game.name)
        inner = GameInstance(game.name, space.version, inst.params, inst.map_seed, space.digest)
        return env.reset(options={"instance": inner})

    def _info(self, info: dict[str, Any], **extra: Any) -> dict[str, Any]:
        assert self.instance is not None and self.game is not None
        return {
            **info,
            "instance_id": self.instance.id,
            "game_instance_id": info.get("instance_id"),
            "game_seed": self.instance.game_seed,
            "game_digest": self.game.digest,
            **extra,
        }
