"""The held-out test of a training run: the policy before and after, on the same eval maps.

Both players go through the evaluation job (:func:`xent_envs.evaluation.evaluate`) into
``<out>/eval``: eval-split maps seeded by the run's seed, one record per map, resumable and
growable like any evaluation. The untrained policy is the agent ``step-0``, the trained
one ``step-<N>``, so a longer run later adds its own agent and reuses the ``step-0`` maps.

The comparison pairs the two on each map (its best-round score in bits) and reports the
mean improvement with a percentile bootstrap interval over maps (:func:`paired_bootstrap`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from xent_envs.evaluation import AgentSpec, EvalConfig, MapRecord, ResultsStore, evaluate
from xent_envs.rl.agent import PolicyAgent
from xent_envs.rl.config import TrainConfig
from xent_envs.rl.policy import Policy

__all__ = [
    "EVAL_FOLDER",
    "Comparison",
    "compare_records",
    "evaluate_before_after",
    "paired_bootstrap",
]

EVAL_FOLDER = "eval"


@dataclass(frozen=True)
class Comparison:
    """The trained policy against the untrained one on the same held-out maps.

    Attributes:
        game: the game.
        before, after: the agents' names (``step-0``, ``step-<N>``).
        maps: maps both played to the end (the pairs).
        before_bits, after_bits: mean best-round score over those maps.
        improvement: mean of ``after - before`` per map (bits).
        ci_low, ci_high: its bootstrap interval at ``confidence``.
        confidence: the interval's level.
        errors: maps left out because one of the two failed on them.
        per_map: ``(map index, before, after)``.
    """

    game: str
    before: str
    after: str
    maps: int
    before_bits: float
    after_bits: float
    improvement: float
    ci_low: float
    ci_high: float
    confidence: float
    errors: int
    per_map: tuple[tuple[int, float, float], ...]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["per_map"] = [list(row) for row in self.per_map]
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in data.items()
        }

    def summary(self) -> str:
        """One line: the improvement and its interval."""
        return (
            f"{self.game}: {self.before_bits:+.2f} -> {self.after_bits:+.2f} bits per map; "
            f"improvement {self.improvement:+.2f} bits, {self.confidence:.0%} CI "
            f"[{self.ci_low:+.2f}, {self.ci_high:+.2f}] over {self.maps} held-out maps"
        )


def paired_bootstrap(
    differences: Sequence[float], *, confidence: float = 0.95, n_boot: int = 10_000, seed: int = 0
) -> tuple[float, float]:
    """Percentile interval of the mean of ``differences`` (maps resampled with replacement;
    the evaluation leaderboard's bootstrap, on one game and one column of differences).

    >>> low, high = paired_bootstrap([1.0, 2.0, 3.0, 4.0], seed=0)
    >>> 1.0 <= low < 2.5 < high <= 4.0
    True
    """
    from xent_envs.evaluation.scoring import _bootstrap

    values = np.asarray(differences, dtype=float)
    if values.size == 0:
        return math.nan, math.nan
    low, high = _bootstrap([values[:, None]], 1, confidence, n_boot, seed)
    return float(low[0]), float(high[0])


def compare_records(
    records: Mapping[tuple[int, str], MapRecord], game: str, before: str, after: str, seed: int
) -> Comparison:
    """Pair the two agents' records (by map index) into a :class:`Comparison`."""
    maps = sorted({index for index, _ in records})
    pairs, errors = [], 0
    for index in maps:
        a, b = records.get((index, before)), records.get((index, after))
        if a is None or b is None or a.score is None or b.score is None:
            errors += 1
            continue
        pairs.append((index, float(a.score), float(b.score)))
    diffs = [b - a for _, a, b in pairs]
    low, high = paired_bootstrap(diffs, seed=seed)
    mean = float(np.mean(diffs)) if diffs else math.nan
    return Comparison(
        game=game,
        before=before,
        after=after,
        maps=len(pairs),
        before_bits=float(np.mean([a for _, a, _ in pairs])) if pairs else math.nan,
        after_bits=float(np.mean([b for _, _, b in pairs])) if pairs else math.nan,
        improvement=mean,
        ci_low=low,
        ci_high=high,
        confidence=0.95,
        errors=errors,
        per_map=tuple(pairs),
    )


def evaluate_before_after(
    policy: Policy, config: TrainConfig, out: Path, step: int, *, progress: bool = True
) -> Comparison:
    """Evaluate the untrained and the trained ``policy`` (at ``step``) on ``config.eval_maps``
    eval-split maps of the game, into ``out/eval``, and compare them."""
    before, after = "step-0", f"step-{step}"
    params = dict(config.params)
    if config.seat != "black":
        params["seat"] = config.seat  # gym.make's seat: the eval env plays the trained seat
    spec = {"policy": config.policy, "run": str(out)}
    eval_config = EvalConfig(
        agents=(
            AgentSpec(before, "policy", {**spec, "step": 0}),
            AgentSpec(after, "policy", {**spec, "step": step}),
        ),
        games=(config.game,),
        maps=config.eval_maps,
        seed=config.seed,
        judge=config.judge,
        game_params={config.game: params},
        split="eval",
    )
    factories = {
        before: lambda **_: PolicyAgent(policy=policy, reference=True),
        after: lambda **_: PolicyAgent(policy=policy),
    }
    folder = Path(out) / EVAL_FOLDER
    evaluate(eval_config, folder, agent_factories=factories, progress=progress)
    store = ResultsStore(folder)
    records = {}
    for index in range(config.eval_maps):
        for name in (before, after):
            path = store.path(config.game, index, name)
            if path.is_file():
                records[(index, name)] = store.read(path)
    return compare_records(records, config.game, before, after, config.seed)
