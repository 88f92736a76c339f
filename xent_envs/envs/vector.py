"""``XentVectorEnv``: N one-seat envs stepped together, their judge requests in shared waves.

``gym.make_vec("xent/Condense-v0", num_envs=8, vectorization_mode="vector_entry_point")``
builds one. A ``SyncVectorEnv`` of ``XentEnv`` steps its sub-envs one after another, each
with its own judge calls (8 envs: 8 forward waves per step). Here every sub-env plays its move
first, then the shared driver advances all N matches together, merging and de-duplicating
their judge requests into one ``score_batch`` call per wave; resets are batched the same way.
The sub-envs are ordinary ``XentEnv`` objects sharing one judge, so results equal N single
envs on the same seeds (observations exactly; rewards within the judge's batched-vs-alone
tolerance, see ``benchmarks/README.md``).

Autoreset: ``SAME_STEP`` by default (``metadata["autoreset_mode"]``). A step that ends an
episode returns the *next* episode's first observation and info, with the last ones in
``infos["final_obs"]`` / ``infos["final_info"]`` (masks ``_final_obs`` / ``_final_info``).
Most Xent games are one move long, so Gymnasium's default ``NEXT_STEP`` would spend every
other step on a reset that ignores its action; the trade-off is that ``SAME_STEP`` hides the
final observation in ``infos``. ``autoreset_mode="next_step"`` (or ``"disabled"``) is
available for code written for those modes.

Observations are a tuple of ``str``; actions a sequence of N token-id sequences; ``infos``
are Gymnasium's per-key arrays with ``_key`` masks. ``venv.judge`` is the shared judge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from xent_envs.envs.match import MoveResult
from xent_envs.envs.xent_env import XentEnv, _loaded_judge, drive
from xent_envs.errors import ConfigError
from xent_envs.judge import DEFAULT_JUDGE
from xent_envs.judge.base import Judge
from xent_envs.registration import MAX_EPISODE_STEPS

__all__ = ["XentVectorEnv"]


class XentVectorEnv(VectorEnv):
    """``num_envs`` copies of one ``XentEnv`` configuration, stepped in shared judge waves.

    Args:
        game: as for ``XentEnv`` (a name, a list, or ``"*"``).
        judge: a judge name or a loaded judge, shared by every sub-env.
        num_envs: how many sub-envs.
        autoreset_mode: an ``AutoresetMode``, or its name or value in any case
            (``"same_step"``, the default; ``"next_step"``; ``"disabled"``).
        max_episode_steps: each sub-env's step limit (``make_vec`` passes the registered
            one); a sub-env reaching it is truncated with ``truncation_reason``.
        **env_kwargs: every other ``XentEnv`` argument (``seat``, ``opponents``, ``vary``,
            ``split``, ``render_mode``, game parameters...).

    Example:
        >>> import gymnasium as gym, xent_envs
        >>> envs = gym.make_vec("xent/Condense-v0", num_envs=2,
        ...                     vectorization_mode="vector_entry_point", judge="tiny-random-gpt2")
        >>> obs, infos = envs.reset(seed=[0, 1])
        >>> obs, rewards, terminated, truncated, infos = envs.step([[100, 200], [300]])
        >>> rewards.shape, bool(terminated.all()), infos["_final_obs"].tolist()
        ((2,), True, [True, True])
    """

    def __init__(
        self,
        game: str | Sequence[str] = "Condense",
        judge: str | Judge = DEFAULT_JUDGE,
        *,
        num_envs: int,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        max_episode_steps: int | None = MAX_EPISODE_STEPS,
        **env_kwargs: Any,
    ) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
            raise ConfigError(f"num_envs must be a positive int, got {num_envs!r}")
        mode = _autoreset_mode(autoreset_mode)
        self.judge: Judge = _loaded_judge(judge)
        step_limit = env_kwargs.pop("step_limit", max_episode_steps)
        self.envs = tuple(
            XentEnv(game, self.judge, step_limit=step_limit, **env_kwargs) for _ in range(num_envs)
        )
        self.num_envs = num_envs
        self.autoreset_mode = mode
        self.render_mode = self.envs[0].render_mode
        self.metadata = {**XentEnv.metadata, "autoreset_mode": mode}
        self.single_observation_space = self.envs[0].observation_space
        self.single_action_space = self.envs[0].action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._observations: list[str] = [""] * num_envs
        self._done = np.zeros(num_envs, dtype=np.bool_)

    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[tuple[str, ...], dict[str, Any]]:
        """Reset every sub-env (or those in ``options["reset_mask"]``).

        ``seed`` is ``None``, an int ``s`` (sub-env ``i`` gets ``s + i``, as in Gymnasium)
        or a list of ``num_envs`` seeds; ``options`` go to every sub-env's ``reset``.
        """
        seeds = self._seeds(seed)
        options = dict(options) if options is not None else None
        mask = np.ones(self.num_envs, dtype=np.bool_)
        if options is not None and "reset_mask" in options:
            mask = self._mask(options.pop("reset_mask"))
        chosen = [i for i in range(self.num_envs) if mask[i]]
        infos: dict[str, Any] = {}
        self._reset(chosen, [seeds[i] for i in chosen], options, infos)
        self._done[chosen] = False
        return tuple(self._observations), infos

    def step(
        self, actions: Sequence[Any]
    ) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Play one move in every sub-env; all their judge requests share each wave."""
        actions = list(actions)
        if len(actions) != self.num_envs:
            raise ConfigError(f"expected {self.num_envs} actions, got {len(actions)}")
        rewards = np.zeros(self.num_envs, dtype=np.float64)
        terminated = np.zeros(self.num_envs, dtype=np.bool_)
        truncated = np.zeros(self.num_envs, dtype=np.bool_)
        infos: dict[str, Any] = {}
        restart = [i for i in range(self.num_envs) if self._done[i]]
        if restart and self.autoreset_mode == AutoresetMode.NEXT_STEP:
            self._reset(restart, [None] * len(restart), None, infos)
        moves: dict[int, MoveResult] = {
            i: self.envs[i]._begin_step(actions[i])
            for i in range(self.num_envs)
            if i not in restart or self.autoreset_mode != AutoresetMode.NEXT_STEP
        }
        drive([self.envs[i] for i in moves])
        finished = []
        for i, moved in moves.items():
            obs, rewards[i], terminated[i], truncated[i], info = self.envs[i]._step_result(moved)
            self._observations[i] = obs
            if (terminated[i] or truncated[i]) and self.autoreset_mode == AutoresetMode.SAME_STEP:
                infos = self._add_info(infos, {"final_obs": obs, "final_info": info}, i)
                finished.append(i)
            else:
                infos = self._add_info(infos, info, i)
        if finished:
            self._reset(finished, [None] * len(finished), None, infos)
        self._done = np.logical_or(terminated, truncated)
        return tuple(self._observations), rewards, terminated, truncated, infos

    def render(self) -> tuple[str, ...] | None:
        """Each sub-env's transcript (``render_mode="ansi"``), else ``None``."""
        if self.render_mode != "ansi":
            return None
        return tuple(env.render() or "" for env in self.envs)

    # ----------------------------------------------------------------- internals
    def _reset(
        self,
        indices: Sequence[int],
        seeds: Sequence[int | None],
        options: Mapping[str, Any] | None,
        infos: dict[str, Any],
    ) -> None:
        """Reset the sub-envs at ``indices`` together (one shared judge wave per wave)."""
        for i, seed in zip(indices, seeds):
            self.envs[i]._begin_reset(seed, options)
        drive([self.envs[i] for i in indices])
        for i in indices:
            self._observations[i], info = self.envs[i]._reset_result()
            self._add_info(infos, info, i)

    def _seeds(self, seed: int | Sequence[int | None] | None) -> list[int | None]:
        if seed is None:
            return [None] * self.num_envs
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            return [int(seed) + i for i in range(self.num_envs)]
        if not isinstance(seed, Sequence):
            raise ConfigError(f"seed must be None, an int or a list of seeds; got {seed!r}")
        seeds = list(seed)
        if len(seeds) != self.num_envs:
            raise ConfigError(
                f"seed must be None, an int or a list of {self.num_envs} seeds; got "
                f"{len(seeds)} seeds"
            )
        return seeds

    def _mask(self, mask: Any) -> np.ndarray:
        if (
            not isinstance(mask, np.ndarray)
            or mask.dtype != np.bool_
            or mask.shape != (self.num_envs,)
            or not mask.any()
        ):
            raise ConfigError(
                f"options['reset_mask'] must be a bool array of shape ({self.num_envs},) "
                f"with at least one True; got {mask!r}"
            )
        return mask


def _autoreset_mode(mode: AutoresetMode | str) -> AutoresetMode:
    if isinstance(mode, AutoresetMode):
        return mode
    key = str(mode).replace("_", "").lower()
    for known in AutoresetMode:
        if key in (known.name.replace("_", "").lower(), known.value.lower()):
            return known
    names = ", ".join(repr(m.name.lower()) for m in AutoresetMode)
    raise ConfigError(f"autoreset_mode must be one of {names}, got {mode!r}")
