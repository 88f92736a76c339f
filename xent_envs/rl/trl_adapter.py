"""Xent games for TRL's ``GRPOTrainer``: a dataset, a reward function, an environment.

TRL 1.x takes (read from its source, ``trl/trainer/grpo_trainer.py``):

- ``train_dataset`` with a ``prompt`` column (chat messages, or plain text) and any other
  columns, which reach the reward functions as keyword arguments: :func:`xent_dataset`
  samples game instances of the **train** split and writes each first observation as the
  prompt, with ``instance_id`` (and ``game``, ``seat``, ``max_tokens``) beside it;
- ``reward_funcs``: callables ``f(prompts, completions, completion_ids, **columns) ->
  list[float | None]``: :class:`XentReward` replays each completion's instance and scores
  the completion as the game's move, all completions of the batch in one merged judge wave
  (:func:`xent_envs.rl.rollout.score_moves`);
- ``environment_factory``: a no-argument callable returning one environment per rollout,
  whose public methods become tools, whose ``reset(**row)`` may return text appended to the
  prompt, and whose ``get_reward()`` scores the rollout: :class:`XentToolEnv` plays a whole
  multi-round game as a multi-turn tool-calling episode (``XentToolEnv.factory(...)``).

What is supported:

- one-move episodes (every built-in single-seat game at ``rounds=1``; a seat's first move
  of a multi-seat game, the others played by opponents): dataset + reward function, any
  chat or base model;
- multi-move episodes (several rounds; Horizon's two steps; refusals asked again): through
  ``environment_factory`` only, which TRL supports for models whose chat template can
  render tool calls (``trl.chat_template_utils.supports_tool_calling``; Qwen-style
  templates can, SmolLM2-135M-Instruct's cannot); the move is the argument of the
  ``play`` tool and the reward is the episode's return;
- not supported by TRL: per-token rewards (a reward function returns one number per
  completion); the suite's own loop (``xent_envs.rl.train``) offers prefix credit instead.

A prefilled assistant turn (``Move: "``) needs text prompts (TRL always renders chat
prompts with a fresh generation prompt): pass ``tokenizer=`` and ``prefill=True`` to
:func:`xent_dataset`, and ``prefilled=True`` to :class:`XentReward`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from xent_envs.envs.match import Match, total_bits
from xent_envs.envs.opponents import Opponent
from xent_envs.errors import ConfigError
from xent_envs.games import GameInstance
from xent_envs.judge import DEFAULT_JUDGE, load_judge
from xent_envs.rl.prompts import chat_messages, parse_move, render_prompt
from xent_envs.rl.rollout import advance_to_seat, check_opponents, refused_since, score_moves
from xent_envs.seeding import derive_seed

if TYPE_CHECKING:
    from datasets import Dataset

    from xent_envs.judge.base import Judge

__all__ = ["XentReward", "XentToolEnv", "dataset_rows", "xent_dataset"]


def dataset_rows(
    game: str,
    n: int,
    *,
    judge: Judge | str = DEFAULT_JUDGE,
    seed: int = 0,
    split: str = "train",
    params: Mapping[str, Any] | None = None,
    seat: str = "black",
    opponents: Mapping[str, Opponent] | None = None,
    tokenizer: Any = None,
    prefill: bool = False,
) -> list[dict[str, Any]]:
    """``n`` rows of ``game`` instances drawn from ``split`` (a function of ``seed``).

    Each row: ``prompt`` (the chat messages of the seat's first observation; with
    ``tokenizer``, that chat rendered as text, ending in ``Move: "`` when ``prefill``),
    ``instance_id`` (replays the map exactly), ``game``, ``seat``, ``max_tokens``.

    Raises:
        UnknownNameError: an unknown game.
        ConfigError: ``seat`` is not a seat of the game, another seat has no opponent,
            or ``prefill`` without ``tokenizer``.
    """
    from xent_envs.registration import game_space

    if prefill and tokenizer is None:
        raise ConfigError("prefill=True renders text prompts: pass the policy's tokenizer")
    judge = load_judge(judge) if isinstance(judge, str) else judge
    space = game_space(game)
    rng = np.random.default_rng(derive_seed("xent-rl-dataset", seed, space.name, split))
    instances = [space.sample(rng, fixed=params, split=split) for _ in range(n)]  # type: ignore[arg-type]
    matches = [Match(inst, judge) for inst in instances]
    policies = dict(opponents or {})
    for match in matches[:1]:
        check_opponents(space.name, match.seats, seat, policies)
    advance_to_seat(matches, judge, seat, policies)
    rows = []
    for match in matches:
        observation, info = match.observe(seat), match.info(seat)
        prompt: Any = (
            render_prompt(tokenizer, observation, info, prefill)
            if tokenizer is not None
            else chat_messages(observation, info)
        )
        rows.append(
            {
                "prompt": prompt,
                "instance_id": match.instance.id,
                "game": space.name,
                "seat": seat,
                "max_tokens": int(info["max_tokens"]),
            }
        )
    return rows


def xent_dataset(game: str, n: int, **options: Any) -> Dataset:
    """:func:`dataset_rows` as a Hugging Face ``datasets.Dataset`` (``pip install
    xent-envs[train]``), ready for ``GRPOTrainer(train_dataset=...)``.

    Example (loads the real judge and a policy model, so it is shown, not run as a doctest;
    ``tests/rl/test_trl_adapter.py`` runs a real ``GRPOTrainer`` step on the tiny judge)::

        from xent_envs.rl import XentReward, xent_dataset

        dataset = xent_dataset("Condense", 64, judge="smollm2-135m")
        trainer = GRPOTrainer(model, reward_funcs=XentReward(), train_dataset=dataset)
    """
    from datasets import Dataset

    return Dataset.from_list(dataset_rows(game, n, **options))


class XentReward:
    """A TRL reward function: each completion scored as its instance's move, in bits.

    Args:
        judge: the judge (a name or a loaded one); it must be the judge the dataset was
            built with, or the maps differ.
        opponents: policies for the other seats of multi-seat games, by seat.
        prefilled: the prompts ended with ``Move: "`` (see :func:`xent_dataset`).
        refusal_penalty: the reward of a move an ``ensure`` refuses, negated.

    Called by TRL as ``reward(prompts=..., completions=..., completion_ids=...,
    instance_id=[...], seat=[...], ...)``; returns one float per completion. All completions
    of the call (every group of the batch) are judged together.
    """

    __name__ = "xent_reward"

    def __init__(
        self,
        judge: Judge | str = DEFAULT_JUDGE,
        *,
        opponents: Mapping[str, Opponent] | None = None,
        prefilled: bool = False,
        refusal_penalty: float = 5.0,
    ) -> None:
        self.judge = load_judge(judge) if isinstance(judge, str) else judge
        self.opponents = dict(opponents or {})
        self.prefilled = prefilled
        self.refusal_penalty = float(refusal_penalty)

    def moves(self, completions: Sequence[Any]) -> list[str]:
        """The move each completion holds (text, or the last message of a chat)."""
        texts = [c[-1]["content"] if isinstance(c, list) else str(c) for c in completions]
        return [parse_move(text, self.prefilled) for text in texts]

    def __call__(
        self,
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] = (),
        completion_ids: Sequence[Any] | None = None,
        *,
        instance_id: Sequence[str] = (),
        seat: Sequence[str] | None = None,
        **columns: Any,
    ) -> list[float]:
        if len(instance_id) != len(completions):
            raise ConfigError(
                f"XentReward needs the dataset's instance_id column (got {len(instance_id)} "
                f"ids for {len(completions)} completions): build it with xent_dataset"
            )
        seats = list(seat) if seat is not None else ["black"] * len(completions)
        moves = self.moves(completions)
        rewards = [math.nan] * len(moves)
        for which in dict.fromkeys(seats):
            rows = [i for i, s in enumerate(seats) if s == which]
            scores = score_moves(
                self.judge,
                [instance_id[i] for i in rows],
                [moves[i] for i in rows],
                seat=which,
                opponents=self.opponents,
            )
            for i, score in zip(rows, scores):
                rewards[i] = score.reward if score.legal else -self.refusal_penalty
        return rewards


class XentToolEnv:
    """One rollout of a Xent game as a TRL tool-calling environment (multi-turn).

    TRL builds instances with no arguments: pass ``XentToolEnv.factory(judge=...)`` as
    ``environment_factory``. ``reset(**row)`` starts the row's instance (``instance_id``
    column of :func:`xent_dataset`) and returns ``None`` (the prompt already shows the
    first observation); the model then plays every move through the ``play`` tool, which
    answers with what the seat reads next; ``get_reward()`` is the episode's return in
    bits, less ``refusal_penalty`` per refused move, and less ``unfinished_penalty`` if the
    model stopped before the game ended.
    """

    def __init__(
        self,
        judge: Judge | str = DEFAULT_JUDGE,
        *,
        opponents: Mapping[str, Opponent] | None = None,
        refusal_penalty: float = 5.0,
        unfinished_penalty: float = 5.0,
    ) -> None:
        self._judge = load_judge(judge) if isinstance(judge, str) else judge
        self._opponents = dict(opponents or {})
        self._refusal_penalty = float(refusal_penalty)
        self._unfinished_penalty = float(unfinished_penalty)
        self._match: Match | None = None
        self._seat = "black"
        self._return = 0.0

    @classmethod
    def factory(cls, **options: Any) -> Callable[[], XentToolEnv]:
        """A no-argument callable building environments with ``options`` (TRL's
        ``environment_factory``). The judge is loaded once, here."""
        judge = options.pop("judge", DEFAULT_JUDGE)
        loaded = load_judge(judge) if isinstance(judge, str) else judge
        return lambda: cls(loaded, **options)

    def reset(self, instance_id: str = "", seat: str = "black", **row: Any) -> str | None:
        """Start the instance of the row; nothing is added to the prompt."""
        instance = GameInstance.from_id(instance_id)
        self._match = Match(instance, self._judge)
        self._seat = seat
        self._return = 0.0
        check_opponents(instance.game, self._match.seats, seat, self._opponents)
        advance_to_seat([self._match], self._judge, seat, self._opponents)
        return None

    def play(self, move: str) -> str:
        """Play your move in the game.

        Args:
            move: the text of your move (cut to the token budget the game states).

        Returns:
            What you see next: the game with your score so far and your next move's
            instructions, or the final scores when the game is over.
        """
        match = self._match
        if match is None or match.pending_seat != self._seat:
            return "The game is over: there is no move to play."
        mark = len(match.machine.events)
        match.play_text(self._seat, str(move))
        advance_to_seat([match], self._judge, self._seat, self._opponents)
        self._return += total_bits(match.claim_rewards(self._seat))
        if refused_since(match, self._seat, mark):
            self._return -= self._refusal_penalty
        return match.observe(self._seat)

    def get_reward(self) -> float:
        """The episode's return in bits (penalties included)."""
        match = self._match
        unfinished = match is None or match.over is None
        return self._return - (self._unfinished_penalty if unfinished else 0.0)
