"""``XentEnv``: one Xent game as a Gymnasium environment (text observations, token actions).

An episode is one map (a sampled game instance) played for ``rounds`` rounds. ``reset`` draws
the instance from the env's game space with ``self.np_random`` alone, builds the map texts
(seeded) and runs the program to the main player's first ``elicit``. ``step`` takes the move as
judge token ids, resumes the program, answers all of its judge requests in batched forward
passes, and stops at the main player's next ``elicit`` or at the end.

Player mistakes are game events, never exceptions: an out-of-range id or a non-integer action
is rejected with ``info["invalid_action"]`` and a reason, a move over budget is cut to the
budget (the language's rule), and a failed ``ensure`` asks again with feedback. Ten failures
in a row end the episode with ``truncated=True`` and ``info["truncation_reason"]``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import gymnasium as gym

from xent_envs.envs.driver import advance_all
from xent_envs.envs.observation import RoundRecord, quote, render_observation
from xent_envs.envs.opponents import Opponent, echo_opponent
from xent_envs.errors import ConfigError, XentError
from xent_envs.judge import DEFAULT_JUDGE, load_judge
from xent_envs.judge.base import Judge
from xent_envs.lang import ElicitRequest, GameOver, Machine, RewardEvent, instantiate_map, load
from xent_envs.lang.names import MAIN_PLAYER
from xent_envs.registry import GameInstance, GameSpace, game_space, list_games, register_game
from xent_envs.spaces import TokenSequence, UnicodeText, as_token_ids

__all__ = ["MAIN_PLAYER", "MAX_MOVE_TOKENS", "MAX_OBSERVATION_CHARS", "XentEnv"]

MAX_MOVE_TOKENS = 64
MAX_OBSERVATION_CHARS = 65536
_MAP_CACHE_SIZE = 256
# Map texts cost judge generations; instances recur (GRPO groups, several agents on the same
# maps), so instantiated maps are shared by every env of the process.
_MAP_CACHE: OrderedDict[tuple[str, str], Any] = OrderedDict()


class XentEnv(gym.Env[str, Sequence[int]]):
    """A Xent game space as a Gymnasium env.

    Args:
        game: a registered game name (``"Condense"``), a list of names, or ``"*"`` for every
            registered game (a game is drawn at each reset).
        judge: a judge name for ``load_judge`` (``"smollm2-135m"``, ``"tiny-random-gpt2"``,
            a model id or folder) or a loaded judge.
        render_mode: ``None`` or ``"ansi"`` (``render()`` returns the transcript).
        vary: parameters drawn at each reset from their range instead of fixed.
        split: ``"train"`` or ``"eval"`` restricts map seeds to that side of the stable split.
        opponents: policies for the other seats, by player name (default: ``echo_opponent``).
        game_def: a serialised game definition (set by ``register_game`` for user games, so
            a spawned subprocess can rebuild the env from its spec alone).
        **params: fixed game parameters (``budget=12``, ``rounds=3``...).

    Example:
        >>> import gymnasium as gym, xent_envs
        >>> env = gym.make("xent/Condense-v0", judge="tiny-random-gpt2")
        >>> obs, info = env.reset(seed=0)
        >>> obs.splitlines()[0]
        '# Condense - round 1/1'
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        game: str | Sequence[str] = "Condense",
        judge: str | Judge = DEFAULT_JUDGE,
        *,
        render_mode: str | None = None,
        vary: Iterable[str] = (),
        split: str | None = None,
        opponents: Mapping[str, Opponent] | None = None,
        game_def: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> None:
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ConfigError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        if game_def is not None:
            from xent_envs.games import GameDef

            try:
                game_space(game_def["name"])
            except XentError:
                register_game(GameDef.from_json(game_def))
        self.spaces: tuple[GameSpace, ...] = (
            tuple(list_games())
            if game == "*"
            else tuple(game_space(g) for g in ([game] if isinstance(game, str) else game))
        )
        self.vary = tuple(vary)
        self.split = split
        self.fixed = dict(params)
        for space in self.spaces:  # fail at make time, not at the first reset
            space.resolve({k: v for k, v in self.fixed.items() if space.has_parameter(k)})
        for name in [*self.fixed, *self.vary]:
            if not any(space.has_parameter(name) for space in self.spaces):
                self.spaces[0].parameter(name)  # raises, naming the valid parameters
        self.render_mode = render_mode
        self.judge: Judge = load_judge(judge) if isinstance(judge, str) else judge
        self.opponents = dict(opponents or {})
        self.observation_space = UnicodeText(MAX_OBSERVATION_CHARS)
        self.action_space = TokenSequence(self.judge.vocab_size, MAX_MOVE_TOKENS)
        self._machine: Machine | None = None
        self._pending: ElicitRequest | GameOver | None = None

    # ----------------------------------------------------------------- Gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = dict(options or {})
        self.instance = self._draw_instance(options)
        self.space = game_space(self.instance.env_id)
        params = self.instance.param_dict
        self._machine = Machine(
            self._map_program(self.instance),
            self.judge,
            rounds=params["rounds"],
            seed=self.instance.seed,
        )
        self._event_mark = 0
        self._moves: list[tuple[int, str, str]] = []
        self._feedback: str | None = None
        self._transcript: list[str] = [f"== {self.instance.id}"]
        self._pending = self._run()
        return self._observation(), self._info()

    def step(self, action: Sequence[int]) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if not isinstance(self._pending, ElicitRequest):
            raise gym.error.ResetNeeded("the episode is over (or never started): call reset()")
        request = self._pending
        ids = as_token_ids(action)
        problem = self._invalid_reason(ids)
        if problem is not None:
            self._feedback = f"Your move was rejected: {problem}. Nothing was played; try again."
            self._transcript.append(f"!! rejected move: {problem}")
            info = self._info(invalid_action=True, reason=problem)
            return self._observation(), 0.0, False, False, info
        assert ids is not None
        kept = ids[: request.max_tokens]
        move = self.judge.decode(kept)
        self._machine.provide_move(move)
        self._moves.append((request.round, request.register, move))
        self._transcript.append(f"{request.player} {request.register} = {quote(move)}")
        self._pending = self._run()
        terms = self._new_rewards()
        reward = float(sum(t["total"] for t in terms))
        terminated = isinstance(self._pending, GameOver) and self._pending.reason == "finished"
        truncated = isinstance(self._pending, GameOver) and not terminated
        self._feedback = (
            self._pending.feedback if isinstance(self._pending, ElicitRequest) else None
        )
        extra: dict[str, Any] = {
            "move": move,
            "move_tokens": len(kept),
            "cut": len(ids) > len(kept),
            "reward_terms": terms,
            "token_rewards": [pair for t in terms for pair in zip(t["tokens"], t["bits"])],
            "ensure_failed": bool(self._feedback),
        }
        if truncated:
            extra["truncation_reason"] = self._pending.message
        return self._observation(), reward, terminated, truncated, self._info(**extra)

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        return "\n".join(getattr(self, "_transcript", ["(not started: call reset())"]))

    # ----------------------------------------------------------------- counterfactuals
    def score_actions(self, actions: Sequence[Sequence[int]]) -> list[float]:
        """The reward each action would earn now, from the same state, without stepping.

        All candidates are played on branches of the running game and their judge requests
        answered together, so scoring 32 candidates costs a few batched forward passes, not
        32 episodes. Invalid actions score ``-inf``.
        """
        if not isinstance(self._pending, ElicitRequest):
            raise gym.error.ResetNeeded("no move is expected now: call reset()")
        request = self._pending
        branches, slots = [], []
        for i, action in enumerate(actions):
            ids = as_token_ids(action)
            if self._invalid_reason(ids) is not None:
                continue
            branch = self._machine.branch()
            branch.provide_move(self.judge.decode(ids[: request.max_tokens]))
            branches.append(branch)
            slots.append(i)
        scores = [float("-inf")] * len(actions)
        mark = len(self._machine.events)
        self._play_other_seats(branches)
        for branch, slot in zip(branches, slots):
            scores[slot] = sum(
                ev.score.total for ev in branch.events[mark:] if _is_reward(ev, MAIN_PLAYER)
            )
        return scores

    # ----------------------------------------------------------------- internals
    def _draw_instance(self, options: dict[str, Any]) -> GameInstance:
        unknown = set(options) - {"instance", "params"}
        if unknown:
            raise ConfigError(
                f"unknown reset options {sorted(unknown)}; valid: 'instance', 'params'"
            )
        if "instance" in options:
            inst = options["instance"]
            return inst if isinstance(inst, GameInstance) else GameInstance.from_id(str(inst))
        space = self.spaces[int(self.np_random.integers(len(self.spaces)))]
        fixed = {**self.fixed, **options.get("params", {})}
        return space.sample(
            self.np_random,
            fixed={k: v for k, v in fixed.items() if space.has_parameter(k)},
            vary=[v for v in self.vary if space.has_parameter(v)],
            split=self.split,
        )

    def _map_program(self, instance: GameInstance) -> Any:
        from xent_envs.judge import JudgeTextSource

        key = (json.dumps(self.judge.fingerprint, sort_keys=True), instance.id)
        if key in _MAP_CACHE:
            _MAP_CACHE.move_to_end(key)
            return _MAP_CACHE[key]
        space = game_space(instance.env_id)
        params = instance.param_dict
        program = load(space.definition.source, params=space.program_params(params))
        source = JudgeTextSource(self.judge, story_tokens=params["story_tokens"])
        program = instantiate_map(program, source, instance.seed)
        _MAP_CACHE[key] = program
        if len(_MAP_CACHE) > _MAP_CACHE_SIZE:
            _MAP_CACHE.popitem(last=False)
        return program

    def _run(self) -> ElicitRequest | GameOver:
        """Advance to the main player's next elicit, playing the other seats on the way."""
        (request,) = self._play_other_seats([self._machine], log=True)
        return request

    def _play_other_seats(
        self, machines: Sequence[Machine], log: bool = False
    ) -> list[ElicitRequest | GameOver]:
        """Run ``machines`` until each waits for the main player or is over; the other seats
        are played by their opponent policies, judge requests answered in shared batches."""
        while True:
            requests = advance_all(machines, self.judge)
            others = [
                (machine, request)
                for machine, request in zip(machines, requests)
                if isinstance(request, ElicitRequest) and request.player != MAIN_PLAYER
            ]
            if not others:
                return requests
            for machine, request in others:
                text = self._opponent_move(request)
                machine.provide_move(text)
                if log:
                    self._transcript.append(f"{request.player} {request.register} = {quote(text)}")

    def _opponent_move(self, request: ElicitRequest) -> str:
        policy = self.opponents.get(request.player, echo_opponent)
        seat_info = {
            "player": request.player,
            "register": request.register,
            "max_tokens": request.max_tokens,
            "visible": dict(request.visible),
        }
        move = policy(self._render(request), seat_info)
        ids = as_token_ids(move)
        return self.judge.decode(ids[: request.max_tokens]) if ids is not None else str(move)

    def _invalid_reason(self, ids: list[int] | None) -> str | None:
        if ids is None:
            return "an action must be a flat sequence of integer token ids"
        bad = [t for t in ids if not 0 <= t < self.judge.vocab_size]
        if bad:
            return f"token ids must be in [0, {self.judge.vocab_size}); got {bad[:5]}"
        return None

    def _new_rewards(self) -> list[dict[str, Any]]:
        events = self._machine.events
        new, self._event_mark = events[self._event_mark :], len(events)
        terms = []
        for ev in new:
            if _is_reward(ev, MAIN_PLAYER):
                terms.append({"line": ev.line, "round": ev.round, **ev.score.to_json()})
                self._transcript.append(f"   reward line {ev.line}: {ev.score.total:+.3f} bits")
        return terms

    def _history(self) -> list[RoundRecord]:
        scores = self._machine.scores
        current = self._machine.round if isinstance(self._pending, ElicitRequest) else len(scores)
        return [
            RoundRecord(
                r,
                tuple((reg, text) for rr, reg, text in self._moves if rr == r),
                scores[r].get(MAIN_PLAYER, 0.0),
            )
            for r in range(min(current, len(scores)))
        ]

    def _render(self, request: ElicitRequest | GameOver) -> str:
        if isinstance(request, GameOver):
            lines = [f"# {self.space.name} - game over ({request.reason})"]
            lines += [f"round {r.round + 1}: {r.score:+.2f} bits" for r in self._history()]
            return "\n".join(lines)
        return render_observation(
            game=self.space.name,
            rules=self.space.definition.description,
            round=request.round,
            rounds=self._machine.rounds,
            visible=dict(request.visible),
            register=request.register,
            max_tokens=request.max_tokens,
            history=self._history() if request.player == MAIN_PLAYER else [],
            feedback=self._feedback if request.player == MAIN_PLAYER else request.feedback,
        )

    def _observation(self) -> str:
        return self._render(self._pending)[:MAX_OBSERVATION_CHARS]

    def _info(self, **extra: Any) -> dict[str, Any]:
        request = self._pending
        info: dict[str, Any] = {
            "game": self.instance.game,
            "instance_id": self.instance.id,
            "params": self.instance.param_dict,
            "seed": self.instance.seed,
            "round": self._machine.round,
            "rounds": self._machine.rounds,
            "round_scores": [s.get(MAIN_PLAYER, 0.0) for s in self._machine.scores],
            "judge": self.judge.fingerprint,
            "invalid_action": False,
        }
        if isinstance(request, ElicitRequest):
            info.update(
                player=request.player, register=request.register, max_tokens=request.max_tokens
            )
        info.update(extra)
        return info


def _is_reward(event: Any, player: str) -> bool:
    return isinstance(event, RewardEvent) and event.player == player
