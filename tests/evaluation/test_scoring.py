"""Leaderboard maths: best round per map, normalised by the map's best, mean over maps then
games; raw bits; errors; maps nobody scored on; the bootstrap interval."""

from __future__ import annotations

import math

import numpy as np
import pytest

from xent_envs.evaluation import MapError, MapRecord, MapSlot, RoundRecord, StepRecord, Timing
from xent_envs.evaluation.report import format_table
from xent_envs.evaluation.scoring import leaderboard, normalise_map


def rec(game, index, agent, score, status="ok", moves=2, act=1.0, tokens=10):
    """A map record whose one round scores ``score``, in ``moves`` steps of ``tokens`` in all."""
    steps = tuple(StepRecord("black", 0, "obs", (1,), "m", 0.0, tokens=tokens // moves)
                  for _ in range(moves))  # fmt: skip
    error = MapError("agent.act", "AgentError", "boom") if status == "error" else None
    return MapRecord.of(MapSlot(game, index, agent, 1, 2), {"black": agent}, status=status,
                        round_scores=(score,) if score is not None else (),
                        rounds=(RoundRecord(0, score or 0.0, steps),),
                        timing=Timing(act, act, 0.0), error=error)  # fmt: skip


def test_normalise_map_conventions():
    assert normalise_map({"a": 4.0, "b": 1.0, "c": -2.0, "d": None}) == {
        "a": 100.0, "b": 25.0, "c": 0.0, "d": 0.0,
    }  # fmt: skip
    assert normalise_map({"a": -1.0, "b": 0.0}) is None
    assert normalise_map({"a": None}) is None
    assert normalise_map({"a": 2.0}) == {"a": 100.0}


def test_mean_over_maps_then_games():
    records = [
        rec("A", 0, "x", 4.0), rec("A", 0, "y", 2.0),
        rec("A", 1, "x", 1.0), rec("A", 1, "y", 3.0),
        rec("B", 0, "x", -1.0), rec("B", 0, "y", 2.0),
    ]  # fmt: skip
    board = leaderboard(records, n_boot=200)
    y, x = board.rows
    assert (y.agent, x.agent) == ("y", "x")
    assert y.score == pytest.approx((75.0 + 100.0) / 2)
    assert x.score == pytest.approx(((100.0 + 100.0 / 3) / 2 + 0.0) / 2)
    assert x.per_game == pytest.approx({"A": (100.0 + 100.0 / 3) / 2, "B": 0.0})
    assert x.raw_bits == pytest.approx((2.5 + -1.0) / 2)
    assert y.raw_bits == pytest.approx((2.5 + 2.0) / 2)
    assert y.per_game_bits == pytest.approx({"A": 2.5, "B": 2.0})
    assert x.maps == 3 and x.errors == 0
    assert x.seconds_per_move == pytest.approx(0.5) and x.tokens_per_move == pytest.approx(5.0)
    assert board.games == ("A", "B") and board.unscored_maps == ()
    for r in board.rows:
        assert r.ci_low <= r.score + 1e-9 and r.score - 1e-9 <= r.ci_high


def test_errors_count_zero_and_are_left_out_of_raw_bits():
    records = [rec("A", 0, "x", 2.0), rec("A", 0, "y", None, status="error"),
               rec("A", 1, "x", 1.0), rec("A", 1, "y", 4.0)]  # fmt: skip
    board = leaderboard(records, n_boot=100)
    rows = {r.agent: r for r in board.rows}
    assert rows["y"].score == pytest.approx(50.0)
    assert rows["y"].errors == 1 and rows["y"].maps == 1
    assert rows["y"].raw_bits == pytest.approx(4.0)
    assert rows["x"].score == pytest.approx((100.0 + 25.0) / 2)


def test_maps_nobody_scored_on_are_left_out_of_the_score_only():
    records = [rec("A", 0, "x", 2.0), rec("A", 0, "y", 1.0),
               rec("A", 1, "x", -3.0), rec("A", 1, "y", -1.0)]  # fmt: skip
    board = leaderboard(records, n_boot=100)
    rows = {r.agent: r for r in board.rows}
    assert board.unscored_maps == (("A", 1),)
    assert rows["x"].score == pytest.approx(100.0) and rows["y"].score == pytest.approx(50.0)
    assert rows["x"].raw_bits == pytest.approx(-0.5) and rows["y"].raw_bits == pytest.approx(0.0)


def test_nothing_scorable_gives_nan_not_a_crash():
    board = leaderboard([rec("A", 0, "x", -1.0)], n_boot=10)
    (row,) = board.rows
    assert math.isnan(row.score) and math.isnan(row.ci_low) and row.raw_bits == -1.0


def test_bootstrap_is_seeded_and_collapses_without_variation():
    records = [rec("A", i, a, s) for i in range(5) for a, s in (("x", 2.0), ("y", 1.0))]
    board = leaderboard(records, n_boot=300)
    rows = {r.agent: r for r in board.rows}
    assert (rows["y"].ci_low, rows["y"].ci_high) == pytest.approx((50.0, 50.0))
    varied = [rec("A", i, a, s) for i in range(6) for a, s in (("x", 2.0), ("y", 0.5 + i / 4))]
    one = leaderboard(varied, n_boot=300, seed=1)
    two = leaderboard(varied, n_boot=300, seed=1)
    assert one == two
    assert leaderboard(varied, n_boot=300, seed=2) != one


@pytest.mark.parametrize("confidence", [0.95, 0.9, 0.5])
def test_the_interval_has_its_stated_confidence(confidence):
    """200 maps where y's normalised score is i/2 (x always best): the bootstrap mean is close
    to normal with the standard error of the mean, so the interval's width is known."""
    values = np.arange(200) / 2
    records = [
        r for i, v in enumerate(values) for r in (rec("A", i, "x", 100.0), rec("A", i, "y", v))
    ]
    board = leaderboard(records, confidence=confidence, n_boot=4000)
    y = next(r for r in board.rows if r.agent == "y")
    se = values.std() / math.sqrt(len(values))
    z = {0.95: 1.959964, 0.9: 1.644854, 0.5: 0.674490}[confidence]
    assert y.ci_high - y.ci_low == pytest.approx(2 * z * se, rel=0.05)
    assert (y.ci_low + y.ci_high) / 2 == pytest.approx(values.mean(), abs=0.1 * se)
    assert board.confidence == confidence
    header = format_table(board).splitlines()[0]
    assert f"| {round(confidence * 100)}% CI |" in header


def test_agent_order_breaks_ties_and_lists_agents_without_records():
    board = leaderboard([rec("A", 0, "x", 1.0), rec("A", 0, "y", 1.0)], agents=["y", "x", "z"])
    assert [r.agent for r in board.rows] == ["y", "x", "z"]
    z = board.rows[2]
    assert z.score == 0.0 and z.maps == 0 and math.isnan(z.raw_bits)


def test_the_documented_bootstrap_defaults_are_the_ones_used():
    """2,000 resamples seeded 0: a report's interval can be recomputed from its records."""
    varied = [
        rec("A", i, a, s) for i in range(40) for a, s in (("x", 2.0), ("y", (i * 0.37) % 1.9))
    ]
    board = leaderboard(varied)
    assert board == leaderboard(varied, confidence=0.95, n_boot=2000, seed=0)
    assert board != leaderboard(varied, n_boot=2001) and board != leaderboard(varied, seed=1)


def test_the_leaderboard_json_is_strict_and_names_its_convention():
    records = [rec("A", 0, "x", 2.0), rec("A", 0, "y", 1.0), rec("B", 0, "x", None)]
    records.append(rec("B", 0, "y", None, status="error"))
    data = leaderboard(records, n_boot=50).to_json()
    assert list(data) == ["rows", "games", "unscored_maps", "confidence", "convention"]
    assert data["games"] == ["A", "B"] and data["unscored_maps"] == [["B", 0]]
    assert data["confidence"] == 0.95
    assert data["convention"] == (
        "map score = best round; normalised 100*max(0, score/best) per map; "
        "mean over maps then games"
    )
    x, y = data["rows"]
    assert (x["agent"], x["score"], x["raw_bits"], x["maps"], x["errors"]) == (
        "x",
        100.0,
        2.0,
        2,
        0,
    )
    # Game B has no scored map: its per-game cells are the strict-JSON "nan".
    assert (y["agent"], y["score"], y["errors"]) == ("y", 50.0, 1)
    assert (x["per_game"], y["per_game"]) == ({"A": 100.0, "B": "nan"}, {"A": 50.0, "B": "nan"})
