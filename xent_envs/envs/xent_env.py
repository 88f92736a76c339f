"""``XentEnv``: one seat of a Xent game as a Gymnasium environment (text in, token ids out).

An episode is one map (a sampled game instance) played for ``rounds`` rounds. The env is a
thin single-agent view over a ``Match`` (``xent_envs.envs.match``): the agent holds one seat
(``seat="black"`` by default), the other seats are played by opponent policies, and all
judge requests on the way are answered by the shared driver in batched waves.

``reset`` draws the instance from the env's game space with ``self.np_random`` alone, builds
the map texts (seeded, cached per process) and runs the program to the seat's first
``elicit``. ``step`` takes the move as judge token ids, resumes the program, plays the other
seats, and stops at the seat's next ``elicit`` or at the end.

Seeds: ``reset(seed=s)`` seeds the env's generator, which draws the game (for several games),
the varied parameters and the **map seed** reported as ``info["seed"]``/``info["map_seed"]``
(a different number: the map seed is drawn, in the env's split, from the generator that ``s``
seeds). ``reset(options={"map_seed": m})`` plays map ``m`` directly; replaying
``info["instance_id"]`` with ``options={"instance": id}`` reproduces a map exactly (the id
names the program, the judge and the text source: another one is refused).

Maps: the env draws **train** maps unless made with ``split="eval"`` or ``"all"``; the texts
of a map come from ``text_source`` (default ``"stories"``, split by content, see
``xent_envs.maps``), or from a pool built ahead (``pool=DIR``), which makes a reset cost
milliseconds instead of seconds of story generation.

Player mistakes are game events, never exceptions: an out-of-range id or a non-integer action
is rejected with ``info["invalid_action"]`` and a reason; a move over budget is cut to the
budget once, by the language's rule (``info["cut"]``, ``info["move_tokens"]`` report what was
kept); a failed ``ensure`` asks again with feedback. Ten failures in a row end the episode with
``truncated=True`` and ``info["truncation_reason"]``; so does the step limit
(``max_episode_steps`` of the registered id, 1000).

Scores: the step reward is what the seat was paid in that step, so an episode's return is
the sum over rounds (``info["episode_return"]``); the evaluation scores a map by its best
round (``info["map_score"]``). Both are in ``info`` after every reset and step.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, overload

import gymnasium as gym

from xent_envs.envs.driver import play_until
from xent_envs.envs.match import (
    MAX_OBSERVATION_CHARS,
    ActionScore,
    Match,
    MoveResult,
    seat_budgets,
    total_bits,
)
from xent_envs.envs.opponents import Opponent, echo_opponent
from xent_envs.envs.workers import prepare_process
from xent_envs.errors import ConfigError, unknown_name
from xent_envs.games import GameInstance, GameSpace, seed_split
from xent_envs.judge import DEFAULT_JUDGE, load_judge
from xent_envs.judge.base import Judge
from xent_envs.lang import ElicitRequest, load
from xent_envs.lang.names import MAIN_PLAYER
from xent_envs.maps import (
    DEFAULT_TEXT_SOURCE,
    MapPool,
    MapSource,
    SplitChoice,
    check_split,
    resolve_text_source,
)
from xent_envs.registration import MAX_EPISODE_STEPS, game_space, list_games, register_game
from xent_envs.spaces import TokenSequence, UnicodeText

__all__ = ["MAIN_PLAYER", "MAX_OBSERVATION_CHARS", "RESET_OPTIONS", "XentEnv", "drive"]

#: The keys ``reset(options=...)`` accepts.
RESET_OPTIONS = ("instance", "map_seed", "params")


class XentEnv(gym.Env[str, Sequence[int]]):
    """One seat of a Xent game space as a Gymnasium env.

    Args:
        game: a registered game name (``"Condense"``), a list of names, or ``"*"`` for every
            registered game that asks ``seat`` for moves (a game is drawn at each reset).
        judge: a judge name for ``load_judge`` (``"smollm2-135m"``, ``"tiny-random-gpt2"``,
            a model id or folder) or a loaded judge.
        seat: the seat the agent plays (``"black"``; ``"white"`` in Debate...). Every game
            of the env must ask that seat for moves.
        render_mode: ``None`` or ``"ansi"`` (``render()`` returns the transcript).
        vary: parameters drawn at each reset from their range instead of fixed.
        split: the side of the train/eval split maps are drawn from: ``"train"`` (default),
            ``"eval"`` or ``"all"`` (``None``: ``"all"``). The split is by content: an eval
            map shares no opening, word, motion or document with a train map.
        text_source: where map texts come from: ``"stories"`` (default: composed openings
            continued by the judge), ``"docs:PATH"`` (your texts: a folder or a JSONL
            file), ``"pool:DIR"``, or a ``xent_envs.maps.MapSource`` object.
        pool: a map pool's folder (``xent-envs maps build``), or a ``MapPool``: maps are
            drawn from it (the same as ``text_source="pool:DIR"``). The pool must hold maps
            of this env's one game, judge and split; fixed parameters override the pool's
            when its texts serve them; ``vary`` is refused (the pool's maps carry theirs).
        opponents: policies for the other seats, by seat name (default: ``echo_opponent``).
        game_def: a serialised game definition (set by ``register_game`` for user games, so
            a spawned subprocess can rebuild the env from its spec alone).
        step_limit: steps after which the episode is truncated, with
            ``info["truncation_reason"]`` (default: ``MAX_EPISODE_STEPS``, the registered
            ids' ``max_episode_steps``, so Gymnasium's ``TimeLimit`` and the env agree;
            ``None``: no limit). Change the limit here: ``gym.make(max_episode_steps=n)``
            adds a ``TimeLimit`` that truncates without a reason.
        **params: fixed game parameters (``budget=12``, ``rounds=3``...).

    The action space is a ``TokenSequence`` as long as the seat's largest budget over the
    env's games (fixed parameters as given, varied ones at the top of their range); moves
    are still accepted up to the budget of the elicit at hand.

    Example:
        >>> import gymnasium as gym, xent_envs
        >>> env = gym.make("xent/Condense-v0", judge="tiny-random-gpt2")
        >>> obs, info = env.reset(seed=0)
        >>> obs.splitlines()[0]
        '# Condense - round 1/1'
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012

    def __init__(
        self,
        game: str | Sequence[str] = "Condense",
        judge: str | Judge = DEFAULT_JUDGE,
        *,
        seat: str = MAIN_PLAYER,
        render_mode: str | None = None,
        vary: Iterable[str] = (),
        split: SplitChoice | None = "train",
        text_source: MapSource | str = DEFAULT_TEXT_SOURCE,
        pool: str | os.PathLike[str] | MapPool | None = None,
        opponents: Mapping[str, Opponent] | None = None,
        game_def: Mapping[str, Any] | None = None,
        step_limit: int | None = MAX_EPISODE_STEPS,
        **params: Any,
    ) -> None:
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ConfigError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        prepare_process()
        if game_def is not None:
            from xent_envs.games import GameDef

            # A spawned worker rebuilds the game from the spec (an identical registration is a
            # no-op here); rebuilding never lists a game that its owner registered unlisted.
            register_game(GameDef.from_json(game_def), listed=False)
        self.spaces: tuple[GameSpace, ...] = _game_spaces(game)
        self.vary = tuple(vary)
        self.split: SplitChoice = check_split(split)
        self.source = _checked_source(text_source, pool)
        self.pool = self.source if isinstance(self.source, MapPool) else None
        self.fixed = dict(params)
        for space in self.spaces:  # fail at make time, not at the first reset
            space.resolve({k: v for k, v in self.fixed.items() if space.has_parameter(k)})
        _check_parameter_names([*self.fixed, *self.vary], self.spaces)
        budgets = [_largest_budgets(space, self.fixed, self.vary) for space in self.spaces]
        if game == "*":  # every registered game that asks this seat for moves
            kept = [(sp, b) for sp, b in zip(self.spaces, budgets) if seat in b]
            if not kept:
                raise ConfigError(f"no registered game asks seat {seat!r} for moves")
            self.spaces, budgets = tuple(sp for sp, _ in kept), [b for _, b in kept]
        self.seat = _checked_seat(seat, self.spaces, budgets)
        self.opponents = _checked_opponents(opponents, self.seat, budgets)
        if step_limit is not None and (isinstance(step_limit, bool) or step_limit < 1):
            raise ConfigError(f"step_limit must be a positive int or None, got {step_limit!r}")
        self.step_limit = step_limit
        self.render_mode = render_mode
        self.judge: Judge = _loaded_judge(judge)
        if self.pool is not None:
            _check_pool(self.pool, self.spaces, self.judge, self.split, self.vary)
        self.observation_space = UnicodeText(MAX_OBSERVATION_CHARS)
        self.action_space = TokenSequence(self.judge.vocab_size, max(b[self.seat] for b in budgets))
        self.match: Match | None = None
        self._steps = 0
        self._ended = False

    # ----------------------------------------------------------------- Gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        self._begin_reset(seed, options)
        drive([self])
        return self._reset_result()

    def step(self, action: Sequence[int]) -> tuple[str, float, bool, bool, dict[str, Any]]:
        moved = self._begin_step(action)
        drive([self])
        return self._step_result(moved)

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        if self.match is None:
            return "(not started: call reset())"
        return "\n".join(self.match.transcript())

    # ----------------------------------------------------------------- counterfactuals
    @overload
    def score_actions(
        self,
        actions: Sequence[Sequence[int]],
        *,
        detail: Literal[False] = False,
        continuation: Opponent | None = echo_opponent,
    ) -> list[float]: ...

    @overload
    def score_actions(
        self,
        actions: Sequence[Sequence[int]],
        *,
        detail: Literal[True],
        continuation: Opponent | None = echo_opponent,
    ) -> list[ActionScore]: ...

    def score_actions(
        self,
        actions: Sequence[Sequence[int]],
        *,
        detail: bool = False,
        continuation: Opponent | None = echo_opponent,
    ) -> list[float] | list[ActionScore]:
        """The reward each action would earn now, from the same state, without stepping.

        All candidates are played on branches of the running match (the other seats by the
        env's opponents) and their judge requests answered together, so scoring 32
        candidates costs a few batched forward passes, not 32 episodes.

        A candidate that is not a move (bad ids) or that an ``ensure`` refuses scores
        ``-inf``, so it never outranks a legal move; ``detail=True`` returns
        ``ActionScore`` objects with the reason and the reward terms. At a non-final elicit
        (the seat writes again in the same round, e.g. Horizon's first move) the rest of the
        round is played by ``continuation`` (default: the ``echo_opponent`` baseline, the
        longest text the seat can see); ``continuation=None`` raises ``ConfigError`` there.

        Raises:
            gymnasium.error.ResetNeeded: no move is expected (not reset, or the episode ended).
        """
        match = self._expect_move("score_actions")
        scores = match.score_actions(
            self.seat,
            actions,
            opponents=self.opponents,
            continuation=continuation,
        )
        return scores if detail else [s.reward for s in scores]

    # ----------------------------------------------------------------- phases (vector env)
    def _begin_reset(self, seed: int | None, options: Mapping[str, Any] | None) -> None:
        """Draw the instance and start its match (not advanced: see ``drive``)."""
        super().reset(seed=seed)
        self.match = Match(self._draw_instance(options), self.judge, text_source=self.source)
        if self.seat not in self.match.seats:
            raise ConfigError(
                f"{self.match.instance.game} asks no moves of seat {self.seat!r}; "
                f"its seats: {', '.join(self.match.seats)}"
            )
        self._steps = 0
        self._ended = False

    def _reset_result(self) -> tuple[str, dict[str, Any]]:
        match = self._started()
        return match.observe(self.seat), match.info(self.seat)

    def _begin_step(self, action: Any) -> MoveResult:
        """Play the agent's move (not advanced: see ``drive``)."""
        match = self._expect_move("step")
        self._steps += 1
        return match.play(self.seat, action)

    def _step_result(self, moved: MoveResult) -> tuple[str, float, bool, bool, dict[str, Any]]:
        match = self._started()
        info = match.info(self.seat)
        info["moved_seat"] = moved.seat
        reward, terminated, truncated = 0.0, False, False
        if not moved.accepted:
            info.update(invalid_action=True, reason=moved.reason)
        else:
            terms = match.claim_rewards(self.seat)
            reward = total_bits(terms)
            over = match.over
            terminated = over is not None and over.reason == "finished"
            truncated = over is not None and not terminated
            info.update(
                move=moved.text,
                move_tokens=moved.tokens,
                cut=moved.cut,
                reward_terms=[t.to_json() for t in terms],
                token_rewards=[p for t in terms for p in zip(t.score.tokens, t.score.bits)],
                ensure_failed=bool(match.feedback(self.seat)),
            )
            if over is not None and truncated:
                info["truncation_reason"] = over.message
        limit = self.step_limit
        if not (terminated or truncated) and limit is not None and self._steps >= limit:
            truncated = True
            info["truncation_reason"] = f"step limit reached: {self._steps} steps"
        self._ended = terminated or truncated
        return match.observe(self.seat), reward, terminated, truncated, info

    # ----------------------------------------------------------------- internals
    def _started(self) -> Match:
        if self.match is None:
            raise gym.error.ResetNeeded("the episode has not started: call reset() first")
        return self.match

    def _expect_move(self, what: str) -> Match:
        match = self._started()
        if self._ended or match.pending_seat != self.seat:
            raise gym.error.ResetNeeded(
                f"cannot {what}: the episode is over ({self._end_reason()}); call reset() "
                "to start a new one"
            )
        return match

    def _end_reason(self) -> str:
        over = self.match.over if self.match is not None else None
        return over.message if over is not None else "step limit reached"

    def _draw_instance(self, options: Mapping[str, Any] | None) -> GameInstance:
        if options is None:
            options = {}
        if not isinstance(options, Mapping):
            raise ConfigError(f"reset options must be a dict, got {options!r}")
        for key in options:
            if key not in RESET_OPTIONS:
                raise ConfigError(unknown_name("reset option", key, RESET_OPTIONS))
        if "instance" in options:
            return self._replay(options)
        params = options.get("params", {})
        if not isinstance(params, Mapping):
            raise ConfigError(
                f"options['params'] must be a dict of parameter values "
                f"(e.g. {{'rounds': 2}}), got {params!r}"
            )
        _check_parameter_names(list(params), self.spaces)
        fixed = {**self.fixed, **params}
        if self.pool is not None:
            return self._pool_instance(options, fixed)
        space = self.spaces[int(self.np_random.integers(len(self.spaces)))]
        instance = space.sample(
            self.np_random,
            fixed={k: v for k, v in fixed.items() if space.has_parameter(k)},
            vary=[v for v in self.vary if space.has_parameter(v)],
            split=self.split,
        )
        if "map_seed" in options:
            instance = dataclasses.replace(instance, seed=self._map_seed(space, options))
        return instance

    def _pool_instance(self, options: Mapping[str, Any], fixed: Mapping[str, Any]) -> GameInstance:
        """A map of the pool (drawn, or the one of ``options["map_seed"]``), with the fixed
        parameters in place of the pool's."""
        assert self.pool is not None
        space = self.spaces[0]
        if "map_seed" in options:
            pool_map = self.pool.read(self._map_seed(space, options))
        else:
            pool_map = self.pool.draw(self.np_random)
        drawn = space.instance(pool_map.instance)
        values = space.resolve({**drawn.param_dict, **fixed})
        return dataclasses.replace(drawn, params=tuple(sorted(values.items())))

    def _replay(self, options: Mapping[str, Any]) -> GameInstance:
        if len(options) > 1:
            raise ConfigError(
                "options['instance'] names a whole map: it cannot be combined with "
                f"{sorted(k for k in options if k != 'instance')}"
            )
        given = options["instance"]
        instance = given if isinstance(given, GameInstance) else GameInstance.from_id(str(given))
        names = [space.name for space in self.spaces]
        if instance.game not in names:
            raise ConfigError(
                f"instance {instance.id!r} is a map of {instance.game}; "
                f"this env plays {', '.join(names)}"
            )
        return instance

    def _map_seed(self, space: GameSpace, options: Mapping[str, Any]) -> int:
        seed = options["map_seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise ConfigError(f"options['map_seed'] must be an int in [0, 2**63), got {seed!r}")
        side = seed_split(space.name, seed)
        if self.split != "all" and side != self.split:
            raise ConfigError(
                f"map seed {seed} of {space.name} is in the {side!r} split; this env draws "
                f"{self.split!r} maps (make it with split='all' to play any map)"
            )
        return seed


def drive(envs: Sequence[XentEnv]) -> None:
    """Advance the matches of ``envs`` until each waits for its agent's seat or is over.

    Other seats are played by each env's opponents; the judge requests of all matches share
    batched waves, so ``envs`` must share one judge (a vector env's sub-envs do).
    """
    live = [env for env in envs if env.match is not None]
    if not live:
        return
    judge = live[0].judge
    if any(env.judge is not judge for env in live):
        raise ConfigError("envs driven together must share one judge object")
    owner = {id(env.match): env for env in live}

    def choose(match: Match, request: ElicitRequest) -> Opponent | None:
        env = owner[id(match)]
        if request.player == env.seat:
            return None
        return env.opponents.get(request.player, echo_opponent)

    play_until([env.match for env in live if env.match is not None], judge, choose)


# --------------------------------------------------------------------- make-time checks
def _game_spaces(game: Any) -> tuple[GameSpace, ...]:
    if game == "*":
        return tuple(list_games())
    names = [game] if isinstance(game, str) else game
    if (
        isinstance(names, (str, bytes, Mapping))
        or not isinstance(names, Sequence)
        or not names
        or not all(isinstance(n, str) for n in names)
    ):
        raise ConfigError(
            f"game must be a game name, '*' (every game) or a non-empty list of names; got "
            f"{game!r}. Games: {', '.join(space.name for space in list_games())}."
        )
    return tuple(game_space(name) for name in names)


def _checked_source(text_source: Any, pool: Any) -> MapSource:
    if pool is None:
        return resolve_text_source(text_source)
    if text_source != DEFAULT_TEXT_SOURCE:
        raise ConfigError("pass a pool or a text_source, not both (a pool holds its texts)")
    return pool if isinstance(pool, MapPool) else MapPool.open(pool)


def _check_pool(
    pool: MapPool, spaces: Sequence[GameSpace], judge: Judge, split: str, vary: Sequence[str]
) -> None:
    """Refuse a pool whose maps this env cannot play as they were built."""
    manifest = pool.manifest
    if len(spaces) != 1 or spaces[0].env_id != manifest.game:
        raise ConfigError(
            f"the map pool {pool.folder} holds maps of {manifest.game}; this env plays "
            f"{', '.join(s.env_id for s in spaces)}"
        )
    if spaces[0].digest != manifest.program:
        raise ConfigError(
            f"the map pool {pool.folder} was built for the program {manifest.program} of "
            f"{manifest.game}; the registered program is {spaces[0].digest}"
        )
    pool.check_judge(judge)
    if split not in ("all", manifest.split):
        raise ConfigError(
            f"the map pool {pool.folder} holds {manifest.split} maps; this env draws {split} "
            f"maps (make it with split={manifest.split!r})"
        )
    if vary:
        raise ConfigError(
            "vary= cannot be used with a pool: its maps carry their own parameters (build "
            "the pool with --vary)"
        )


def _loaded_judge(judge: Any) -> Judge:
    if isinstance(judge, str):
        return load_judge(judge)
    if isinstance(judge, Judge):
        return judge
    raise ConfigError(
        "judge must be a judge name ('smollm2-135m', 'tiny-random-gpt2', a model id or a "
        f"folder) or a loaded Judge (load_judge(...)); got {judge!r} ({type(judge).__name__})"
    )


def _check_parameter_names(names: Iterable[str], spaces: Sequence[GameSpace]) -> None:
    for name in names:
        if not any(space.has_parameter(name) for space in spaces):
            spaces[0].parameter(name)  # raises, naming the valid parameters


def _largest_budgets(space: GameSpace, fixed: Mapping[str, Any], vary: Sequence[str]) -> dict:
    """Each seat's largest budget in ``space``: fixed parameters as given, varied ones at
    the top of their range (budgets grow with their parameter)."""
    values = space.resolve({k: v for k, v in fixed.items() if space.has_parameter(k)})
    for name in vary:
        if not space.has_parameter(name):
            continue
        param = space.parameter(name)
        if param.type == "int" and param.high is not None:
            values[name] = param.high
        elif param.type == "int" and param.choices:
            values[name] = max(param.choices)
    return seat_budgets(load(space.definition.source, params=space.program_params(values)))


def _checked_seat(seat: Any, spaces: Sequence[GameSpace], budgets: Sequence[dict]) -> str:
    for space, seats in zip(spaces, budgets):
        if seat not in seats:
            raise ConfigError(
                f"seat {seat!r} is not a seat of {space.name}; its seats: {', '.join(seats)}"
            )
    return str(seat)


def _checked_opponents(opponents: Any, seat: str, budgets: Sequence[dict]) -> dict[str, Opponent]:
    if opponents is None:
        return {}
    others = sorted({s for seats in budgets for s in seats} - {seat})
    if not isinstance(opponents, Mapping):
        raise ConfigError(
            "opponents must be a dict of seat name -> policy(observation, info); got "
            f"{opponents!r}. Seats played by opponents: {', '.join(others) or '(none)'}."
        )
    for name, policy in opponents.items():
        if name not in others:
            raise ConfigError(unknown_name("opponent seat", name, others))
        if not callable(policy):
            raise ConfigError(
                f"the opponent for {name!r} must be a callable (observation, info) -> move, "
                f"got {policy!r}"
            )
    return dict(opponents)
