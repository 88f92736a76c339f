"""Advantages: how much each completion token did better than its group.

Two credits, both computed per group (the episodes of one map):

- ``episode`` (GRPO, as TRL computes it): every token of episode ``i`` gets
  ``(R_i - mean(R)) / (std(R) + 1e-4)``, with ``R`` the episode returns and ``std`` the
  unbiased standard deviation (``scale=False`` leaves out the division).
- ``prefix``: the judge knows what every prefix of a move is worth (``Turn.prefix_rewards``),
  so token ``k`` of a move is credited with the return still to come after the prefix
  before it: ``G_k = (this move's reward - reward of its first k-1 tokens) + later moves'
  rewards``. ``G_k`` minus the group's mean ``G`` at the same (turn, position) is the
  advantage. Subtracting the prefix's reward is a baseline that depends only on the state
  the token is chosen in, so the policy gradient stays unbiased while each token stops
  being blamed or praised for what the tokens before it did. The first token's advantage
  equals the episode credit's (the empty move's reward is the same for the whole group).
  Advantages are divided by their standard deviation over the group's tokens.

Example (a group of two one-move episodes of two tokens):

>>> from xent_envs.rl.rollout import Episode, Turn
>>> a = Episode("m", [Turn(None, (1, 2), "", 3.0, prefix_rewards=(0.0, 3.0, 3.0))])
>>> b = Episode("m", [Turn(None, (1, 3), "", 1.0, prefix_rewards=(0.0, 3.0, 1.0))])
>>> episode_advantages([a, b], scale=False)
[[[1.0, 1.0]], [[-1.0, -1.0]]]
>>> prefix_advantages([a, b], scale=False)
[[[1.0, 1.0]], [[-1.0, -1.0]]]
>>> c = Episode("m", [Turn(None, (4, 2), "", 1.0, prefix_rewards=(0.0, 1.0, 1.0))])
>>> prefix_advantages([a, c], scale=False)  # the second token changed nothing in either
[[[1.0, 0.0]], [[-1.0, 0.0]]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xent_envs.rl.rollout import Episode

__all__ = ["EPSILON", "episode_advantages", "prefix_advantages", "unbiased_std"]

#: Added to a standard deviation before dividing by it (TRL's value).
EPSILON = 1e-4

#: Per episode, per turn, per completion token.
Advantages = list[list[list[float]]]


def episode_advantages(group: Sequence[Episode], scale: bool = True) -> Advantages:
    """GRPO's group-relative advantage of each episode's return, on all its tokens."""
    returns = [e.episode_return for e in group]
    mean = math.fsum(returns) / len(returns)
    std = unbiased_std(returns) if scale else None
    out = []
    for episode, ret in zip(group, returns):
        value = (ret - mean) / (std + EPSILON) if std is not None else ret - mean
        out.append([[value] * len(t.completion) for t in episode.turns])
    return out


def prefix_advantages(group: Sequence[Episode], scale: bool = True) -> Advantages:
    """Per-token advantages from the prefix rewards of every move (see the module).

    Raises:
        ValueError: a turn without ``prefix_rewards`` (collect with ``credit="prefix"``).
    """
    to_go: list[list[list[float]]] = []
    for episode in group:
        rows = []
        later = episode.episode_return
        for turn in episode.turns:
            prefix = turn.prefix_rewards
            if prefix is None or len(prefix) != len(turn.completion) + 1:
                raise ValueError("prefix credit needs every turn's prefix_rewards")
            rows.append([later - prefix[k] for k in range(len(turn.completion))])
            later -= turn.reward
        to_go.append(rows)
    sums: dict[tuple[int, int], list[float]] = {}
    for rows in to_go:
        for j, row in enumerate(rows):
            for k, value in enumerate(row):
                sums.setdefault((j, k), []).append(value)
    means = {key: math.fsum(values) / len(values) for key, values in sums.items()}
    centred = [
        [[value - means[(j, k)] for k, value in enumerate(row)] for j, row in enumerate(rows)]
        for rows in to_go
    ]
    if not scale:
        return centred
    flat = [v for rows in centred for row in rows for v in row]
    std = unbiased_std(flat) if len(flat) > 1 else 0.0
    return [[[v / (std + EPSILON) for v in row] for row in rows] for rows in centred]


def unbiased_std(values: Sequence[float]) -> float:
    """Unbiased standard deviation (``torch.std``'s default, as TRL uses it)."""
    if len(values) < 2:
        return 0.0
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))
