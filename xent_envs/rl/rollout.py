"""Rollouts: a policy plays whole episodes, a group per map, judged in merged waves.

Two functions hold every way a trainer turns moves into rewards:

- :func:`score_moves`: the reward of a batch of first moves, each on its own game instance
  (one ``Match`` per completion, every judge request of the batch in shared, de-duplicated
  waves). The TRL reward function is this.
- :func:`collect_episodes`: ``group`` episodes of each instance, played to the end by the
  policy (every round, every move the seat makes, refusals asked again as the env would),
  the other seats played by opponents. All matches advance together: one judge wave serves
  every episode of the step, and completions of one prompt are sampled together (the policy
  shares their prompt's computation). With ``credit="prefix"`` each move's prefixes are
  scored too (:func:`prefix_rewards`), so every token's marginal contribution is known.

Both are plain functions of (policy, judge, instances): a distributed runner (Ray actors
holding judges) can replace :func:`collect_episodes` in ``train(..., rollout=...)`` with one
of the same signature.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from xent_envs.envs.driver import play_until
from xent_envs.envs.match import ActionScore, Match, score_candidates, total_bits
from xent_envs.envs.opponents import Opponent, echo_opponent
from xent_envs.errors import ConfigError, UnknownNameError, unknown_name
from xent_envs.games import GameInstance
from xent_envs.lang import ElicitRequest, EnsureFailedEvent
from xent_envs.registration import MAX_EPISODE_STEPS
from xent_envs.rl.policy import Policy, Sample

if TYPE_CHECKING:
    import torch

    from xent_envs.judge.base import Judge

__all__ = [
    "Credit",
    "Episode",
    "Rollout",
    "Turn",
    "advance_to_seat",
    "check_opponents",
    "collect_episodes",
    "load_opponent",
    "prefix_rewards",
    "refused_since",
    "score_moves",
]

Credit = Literal["episode", "prefix"]


@dataclass
class Turn:
    """One move of the trained seat.

    Attributes:
        prompt: the policy's input (see ``Policy.prompt``).
        completion: the policy's tokens.
        move: what was played (text, or judge token ids).
        reward: bits paid to the seat for this move, minus the refusal penalty if an
            ``ensure`` refused it (the seat is then asked again, as in the env).
        refused: an ``ensure`` refused the move.
        prefix_rewards: with prefix credit, the reward of the move cut to its first ``k``
            completion tokens, for ``k = 0 .. len(completion)``; token ``k``'s marginal
            contribution is ``prefix_rewards[k] - prefix_rewards[k - 1]``.
    """

    prompt: Any
    completion: Sample
    move: str | list[int]
    reward: float
    refused: bool = False
    prefix_rewards: tuple[float, ...] | None = None


@dataclass
class Episode:
    """One episode of one instance: the seat's turns and its scores.

    ``episode_return`` is the sum of the turns' rewards (the RL return, refusal penalties
    included); ``map_score`` the best round, as the evaluation scores a map.
    """

    instance_id: str
    turns: list[Turn] = field(default_factory=list)
    map_score: float = 0.0
    truncated: bool = False

    @property
    def episode_return(self) -> float:
        return math.fsum(t.reward for t in self.turns)


class Rollout(Protocol):
    """The signature of :func:`collect_episodes` (what ``train(rollout=...)`` takes)."""

    def __call__(
        self,
        policy: Policy,
        instances: Sequence[GameInstance],
        *,
        group: int,
        judge: Judge,
        seat: str,
        opponents: Mapping[str, Opponent],
        generator: torch.Generator,
        credit: Credit = "episode",
        refusal_penalty: float = 0.0,
    ) -> list[list[Episode]]: ...


def score_moves(
    judge: Judge,
    instance_ids: Sequence[str],
    moves: Sequence[str | Sequence[int]],
    *,
    seat: str = "black",
    opponents: Mapping[str, Opponent] | None = None,
    text: bool = True,
) -> list[ActionScore]:
    """What each move earns as ``seat``'s first move of its instance: the rewards paid
    until the seat is asked again in a later round or the game ends (``ActionScore``;
    ``-inf`` when an ``ensure`` refuses the move).

    One ``Match`` per distinct instance is advanced to the seat's first move (opponents
    playing the seats before it), then every move is played on a branch of its instance's
    match and all branches are judged in shared waves.

    Raises:
        ConfigError: an instance whose game does not ask ``seat`` for a move, or another
            seat of its game without an opponent in ``opponents``.
    """
    roots: dict[str, Match] = {}
    for instance_id in dict.fromkeys(instance_ids):
        roots[instance_id] = Match(GameInstance.from_id(instance_id), judge)
    policies = dict(opponents or {})
    for root in roots.values():
        check_opponents(root.instance.game, root.seats, seat, policies)
    advance_to_seat(list(roots.values()), judge, seat, policies)
    for instance_id, root in roots.items():
        if root.pending_seat != seat:
            raise ConfigError(
                f"{instance_id} never asks {seat!r} for a move (its seats: {', '.join(root.seats)})"
            )
    pairs = [(roots[i], move if text else list(move)) for i, move in zip(instance_ids, moves)]
    return score_candidates(pairs, seat, opponents=policies, text=text)


def prefix_rewards(
    matches: Sequence[Match],
    seat: str,
    policy: Policy,
    completions: Sequence[Sample],
    *,
    opponents: Mapping[str, Opponent] | None = None,
    refusal_penalty: float = 0.0,
) -> list[tuple[float, ...]]:
    """For each (match, completion), the reward of the move its first ``k`` tokens make,
    ``k = 0 .. len(completion)``, all scored in shared waves (identical prefixes once).

    A prefix that an ``ensure`` refuses is worth ``-refusal_penalty``. Each match must wait
    for ``seat``'s move; none is changed.
    """
    keys: dict[tuple[int, Any], int] = {}
    pairs: list[tuple[Match, Any]] = []
    index: list[list[int]] = []
    for match, completion in zip(matches, completions):
        row = []
        for k in range(len(completion) + 1):
            move = policy.move(completion[:k])
            key = (id(match), move if isinstance(move, str) else tuple(move))
            if key not in keys:
                keys[key] = len(pairs)
                pairs.append((match, move))
            row.append(keys[key])
        index.append(row)
    scores = score_candidates(pairs, seat, opponents=opponents, text=policy.text_moves)
    values = [s.reward if s.legal else -refusal_penalty for s in scores]
    return [tuple(values[i] for i in row) for row in index]


def collect_episodes(
    policy: Policy,
    instances: Sequence[GameInstance],
    *,
    group: int,
    judge: Judge,
    seat: str,
    opponents: Mapping[str, Opponent],
    generator: torch.Generator,
    credit: Credit = "episode",
    refusal_penalty: float = 0.0,
) -> list[list[Episode]]:
    """Play ``group`` episodes of each instance with ``policy`` in ``seat``.

    Returns one list of ``group`` episodes per instance, in order. Completions of equal
    prompts (the first move of a group, always) are sampled together from ``generator``.

    Raises:
        ConfigError: an instance that never asks ``seat`` for a move.
        XentRuntimeError: an episode runs past ``MAX_EPISODE_STEPS`` moves of the seat (the
            game's own limits end every episode well before).
    """
    matches = [Match(inst, judge) for inst in instances for _ in range(group)]
    episodes = [Episode(inst.id) for inst in instances for _ in range(group)]
    policies = dict(opponents)
    advance_to_seat(matches, judge, seat, policies)
    for match in matches[::group]:
        if match.pending_seat != seat:
            raise ConfigError(
                f"{match.instance.id} never asks {seat!r} for a move (its seats: "
                f"{', '.join(match.seats)})"
            )
    for _ in range(MAX_EPISODE_STEPS):
        live = [i for i, m in enumerate(matches) if m.pending_seat == seat]
        if not live:
            break
        prompts, completions = _sample(policy, [matches[i] for i in live], seat, generator)
        credits: list[tuple[float, ...] | None] = [None] * len(live)
        if credit == "prefix":
            credits = list(
                prefix_rewards(
                    [matches[i] for i in live],
                    seat,
                    policy,
                    completions,
                    opponents=policies,
                    refusal_penalty=refusal_penalty,
                )
            )
        moves = [policy.move(c) for c in completions]
        marks = [len(matches[i].machine.events) for i in live]
        for i, move in zip(live, moves):
            if isinstance(move, str):
                matches[i].play_text(seat, move)
            else:
                matches[i].play(seat, move)
        advance_to_seat([matches[i] for i in live], judge, seat, policies)
        for j, i in enumerate(live):
            match = matches[i]
            refused = refused_since(match, seat, marks[j])
            reward = total_bits(match.claim_rewards(seat)) - (refusal_penalty if refused else 0)
            episodes[i].turns.append(
                Turn(prompts[j], completions[j], moves[j], reward, refused, credits[j])
            )
    else:
        from xent_envs.errors import XentRuntimeError

        raise XentRuntimeError(f"an episode ran past {MAX_EPISODE_STEPS} moves of {seat!r}")
    for match, episode in zip(matches, episodes):
        episode.map_score = match.info(seat)["map_score"]
        episode.truncated = match.over is not None and match.over.reason != "finished"
    return [episodes[k : k + group] for k in range(0, len(episodes), group)]


def advance_to_seat(
    matches: Sequence[Match], judge: Judge, seat: str, opponents: Mapping[str, Opponent]
) -> None:
    """Run ``matches`` until each waits for ``seat`` or is over, opponents playing the rest.

    Raises:
        ConfigError: a seat asked for a move has no opponent (see ``check_opponents``).
    """

    def choose(match: Match, request: ElicitRequest) -> Opponent | None:
        if request.player == seat:
            return None
        if request.player not in opponents:
            raise ConfigError(_no_opponent(match.instance.game, seat, request.player))
        return opponents[request.player]

    play_until(matches, judge, choose)


def refused_since(match: Match, seat: str, mark: int) -> bool:
    """Whether an ``ensure`` refused a move of ``seat`` after event ``mark`` (also the last
    refusal, which ends the game at the ensure limit)."""
    return any(
        isinstance(ev, EnsureFailedEvent) and ev.player == seat
        for ev in match.machine.events[mark:]
    )


def check_opponents(
    game: str, seats: Sequence[str], seat: str, opponents: Mapping[str, Opponent]
) -> None:
    """Refuse a seat that is not one of ``seats``, and a seat other than ``seat`` that has
    no opponent policy (a trainer must say who plays the other side).

    Raises:
        ConfigError: naming the seat and how to give it a policy.
    """
    if seat not in seats:
        raise ConfigError(f"{seat!r} is not a seat of {game}; its seats: {', '.join(seats)}")
    for other in seats:
        if other != seat and other not in opponents:
            raise ConfigError(_no_opponent(game, seat, other))
    for other in opponents:
        if other not in seats or other == seat:
            others = [s for s in seats if s != seat]
            raise ConfigError(unknown_name("opponent seat", other, others, f" of {game}"))


def load_opponent(name: str) -> Opponent:
    """The opponent policy called ``name``: ``echo`` (``echo_opponent``, the judge-free
    baseline) or ``package.module:function`` (any callable ``(observation, info) -> move``).

    Raises:
        UnknownNameError: nothing of that name.
    """
    if name == "echo":
        return echo_opponent
    if ":" not in name:
        raise UnknownNameError(
            unknown_name("opponent", name, ["echo"])
            + " Or name a callable as package.module:function."
        )
    from xent_envs.evaluation.agent import load_agent_factory

    policy: Any = load_agent_factory(name)  # imports package.module:function, checked callable
    return policy


def _no_opponent(game: str, seat: str, other: str) -> str:
    return (
        f"{game} has more than one seat: you train {seat!r}, and nobody plays {other!r}. "
        f"Name its policy: --opponent {other}=echo (the judge-free baseline that answers "
        f"with the longest text it sees) or {other}=package.module:function"
    )


def _sample(
    policy: Policy, matches: Sequence[Match], seat: str, generator: torch.Generator
) -> tuple[list[Any], list[Sample]]:
    """One completion per match; matches showing the seat the same prompt share a draw."""
    prompts = [policy.prompt(m.observe(seat), m.info(seat)) for m in matches]
    members: dict[Any, list[int]] = {}
    for i, prompt in enumerate(prompts):
        members.setdefault(prompt, []).append(i)
    completions: list[Sample] = [()] * len(matches)
    for prompt, rows in members.items():
        for i, sample in zip(rows, policy.sample(prompt, len(rows), generator)):
            completions[i] = sample
    return prompts, completions
