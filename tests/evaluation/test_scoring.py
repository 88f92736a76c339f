"""Leaderboard maths: best round per map, normalised between the baseline and the map's best
(or the reference engine's score/|best|), mean over maps then games; raw bits; errors; flat
and unscored maps; per-round curves; the bootstrap interval."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xent_envs.errors import ConfigError
from xent_envs.evaluation import MapError, MapRecord, MapSlot, RoundRecord, StepRecord, Timing
from xent_envs.evaluation.report import format_table
from xent_envs.evaluation.scoring import completed_rounds, leaderboard, map_score, normalise_map


def rec(game, index, agent, score, status="ok", moves=2, act=1.0, tokens=10):
    """A map record whose one round scores ``score``, in ``moves`` steps of ``tokens`` in all."""
    steps = tuple(StepRecord("black", 0, "obs", (1,), "m", 0.0, tokens=tokens // moves)
                  for _ in range(moves))  # fmt: skip
    error = MapError("agent.act", "AgentError", "boom") if status == "error" else None
    return MapRecord.of(MapSlot(game, index, agent, 1, 2), {"black": agent}, status=status,
                        round_scores=(score,) if score is not None else (),
                        rounds=(RoundRecord(0, score or 0.0, steps),),
                        timing=Timing(act, act, 0.0), error=error)  # fmt: skip


def test_baseline_normalisation_keeps_every_map_and_is_bounded():
    assert normalise_map({"random": -3.0, "a": 1.0, "b": -1.0, "c": -9.0, "d": None}) == {
        "random": 0.0, "a": 100.0, "b": 50.0, "c": -100.0, "d": -100.0,
    }  # fmt: skip
    # every agent below zero: the map still counts
    assert normalise_map({"random": -8.0, "a": -2.0, "b": -5.0}) == {
        "random": 0.0, "a": 100.0, "b": 50.0,
    }  # fmt: skip
    # no "random" in the run: the worst agent of the map is the baseline
    assert normalise_map({"a": -4.0, "b": -2.0, "c": -3.0}) == {"a": 0.0, "b": 100.0, "c": 50.0}
    assert normalise_map({"a": 2.0, "b": 1.0}, baseline="b") == {"a": 100.0, "b": 0.0}
    assert normalise_map({"a": None}) is None
    assert normalise_map({"a": 2.0}) == {"a": 0.0}  # alone: level with itself


def test_when_nobody_beats_the_baseline_the_map_is_flat():
    assert normalise_map({"random": 1.0, "a": 1.0, "b": 0.5}) == {
        "random": 0.0, "a": 0.0, "b": -100.0,
    }  # fmt: skip
    # every agent fails every ensure: all score 0, the map separates nobody
    assert normalise_map({"random": 0.0, "a": 0.0, "b": 0.0}) == {"random": 0, "a": 0, "b": 0}
    # differences within the judge's batching noise are ties, not a 100-point gap
    tiny = normalise_map({"random": 1.0, "a": 1.0 + 1e-9, "b": 1.0 - 1e-9})
    assert tiny == {"random": 0.0, "a": 0.0, "b": 0.0}


def test_reference_normalisation_is_score_over_abs_best():
    assert normalise_map({"a": 4.0, "b": 1.0, "c": -2.0, "d": None}, "reference") == {
        "a": 100.0, "b": 25.0, "c": -50.0, "d": -50.0,
    }  # fmt: skip
    assert normalise_map({"a": -2.0, "b": -4.0}, "reference") == {"a": -100.0, "b": -200.0}
    assert normalise_map({"a": -1.0, "b": 0.0}, "reference") is None
    with pytest.raises(ConfigError, match="unknown normalisation 'best'; expected one of"):
        normalise_map({"a": 1.0}, "best")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-50, 50), min_size=3, max_size=3),
    st.floats(0.01, 100),
    st.floats(-100, 100),
)
def test_baseline_normalisation_ignores_the_scale_and_offset_of_bits(scores, a, c):
    named = dict(zip(("random", "x", "y"), scores))
    moved = {k: a * v + c for k, v in named.items()}
    one, two = normalise_map(named), normalise_map(moved)
    if max(scores) - named["random"] > 1e-3:  # not flat before nor after (a >= 0.01)
        assert two == pytest.approx(one, abs=1e-6)


def test_mean_over_maps_then_games():
    records = [
        rec("A", 0, "x", 4.0), rec("A", 0, "y", 2.0), rec("A", 0, "random", 0.0),
        rec("A", 1, "x", 1.0), rec("A", 1, "y", 3.0), rec("A", 1, "random", -1.0),
        rec("B", 0, "x", -6.0), rec("B", 0, "y", -2.0), rec("B", 0, "random", -4.0),
    ]  # fmt: skip
    board = leaderboard(records, n_boot=200)
    assert board.normalisation == "baseline" and board.baseline == "random"
    y, rnd, x = board.rows
    assert (y.agent, rnd.agent, x.agent) == ("y", "random", "x")
    assert x.per_game == pytest.approx({"A": (100.0 + 50.0) / 2, "B": -100.0})
    assert y.per_game == pytest.approx({"A": (50.0 + 100.0) / 2, "B": 100.0})
    assert y.score == pytest.approx((75.0 + 100.0) / 2)
    assert x.score == pytest.approx((75.0 - 100.0) / 2)
    assert rnd.score == 0.0
    assert x.raw_bits == pytest.approx((2.5 + -6.0) / 2)
    assert y.per_game_bits == pytest.approx({"A": 2.5, "B": -2.0})
    assert x.maps == 3 and x.errors == 0
    assert x.seconds_per_move == pytest.approx(0.5) and x.tokens_per_move == pytest.approx(5.0)
    assert board.games == ("A", "B") and board.unscored_maps == () and board.flat_maps == ()
    for r in board.rows:
        assert r.ci_low <= r.score + 1e-9 and r.score - 1e-9 <= r.ci_high
    assert "baseline: random" in board.to_json()["convention"]


def test_errors_count_the_floor_and_are_left_out_of_raw_bits():
    records = [rec("A", 0, "x", 2.0), rec("A", 0, "y", None, status="error"),
               rec("A", 1, "x", 1.0), rec("A", 1, "y", 4.0)]  # fmt: skip
    board = leaderboard(records, n_boot=100)
    rows = {r.agent: r for r in board.rows}
    assert board.baseline is None  # no random in the run: the worst agent of each map
    assert rows["y"].score == pytest.approx((-100.0 + 100.0) / 2)
    assert rows["y"].errors == 1 and rows["y"].maps == 1
    assert rows["y"].raw_bits == pytest.approx(4.0)
    assert rows["x"].score == pytest.approx((0.0 + 0.0) / 2)
    ref = {r.agent: r for r in leaderboard(records, n_boot=10, normalisation="reference").rows}
    assert ref["y"].score == pytest.approx((0.0 + 100.0) / 2)  # the lowest on map 0, at most 0
    assert ref["x"].score == pytest.approx((100.0 + 25.0) / 2)


def test_every_map_counts_but_the_reference_drops_maps_whose_best_is_zero():
    records = [rec("A", 0, "x", 2.0), rec("A", 0, "y", 1.0),
               rec("A", 1, "x", -3.0), rec("A", 1, "y", -1.0),
               rec("A", 2, "x", 0.0), rec("A", 2, "y", -1.0)]  # fmt: skip
    board = leaderboard(records, n_boot=100)
    rows = {r.agent: r for r in board.rows}
    assert board.unscored_maps == ()
    assert rows["x"].per_game["A"] == pytest.approx((100.0 + 0.0 + 100.0) / 3)
    assert rows["y"].per_game["A"] == pytest.approx((0.0 + 100.0 + 0.0) / 3)
    ref = leaderboard(records, n_boot=100, normalisation="reference")
    rows = {r.agent: r for r in ref.rows}
    assert ref.unscored_maps == (("A", 2),) and ref.normalisation == "reference"
    assert rows["x"].score == pytest.approx((100.0 - 300.0) / 2)
    assert rows["y"].score == pytest.approx((50.0 - 100.0) / 2)
    assert rows["x"].raw_bits == pytest.approx(-1 / 3) and rows["y"].raw_bits == pytest.approx(
        -1 / 3
    )


def test_nothing_scorable_gives_nan_not_a_crash():
    board = leaderboard([rec("A", 0, "x", None, status="error")], n_boot=10)
    (row,) = board.rows
    assert math.isnan(row.score) and math.isnan(row.ci_low) and math.isnan(row.raw_bits)
    assert board.unscored_maps == (("A", 0),) and row.per_round == ()


def test_a_game_where_every_agent_fails_every_ensure_is_flat_not_dropped():
    records = [rec(g, i, a, 0.0) for g in "AB" for i in range(2) for a in ("random", "x")]
    records += [rec("C", 0, "random", -1.0), rec("C", 0, "x", 2.0)]
    board = leaderboard(records, n_boot=10)
    rows = {r.agent: r for r in board.rows}
    assert board.flat_maps == (("A", 0), ("A", 1), ("B", 0), ("B", 1))
    assert rows["x"].per_game == {"A": 0.0, "B": 0.0, "C": 100.0}
    assert rows["x"].score == pytest.approx(100.0 / 3)


def test_per_round_curves_use_each_maps_scale():
    def rounds(game, index, agent, scores):
        return MapRecord.of(MapSlot(game, index, agent, 1, 2), {"black": agent}, status="ok",
                            round_scores=tuple(scores),
                            rounds=tuple(RoundRecord(k, s) for k, s in enumerate(scores)))  # fmt: skip

    records = [
        rounds("A", 0, "random", [0.0, 0.0, 0.0]), rounds("A", 0, "x", [1.0, 2.0, 4.0]),
        rounds("B", 0, "random", [-2.0, -2.0]), rounds("B", 0, "x", [-2.0, 0.0]),
    ]  # fmt: skip
    board = leaderboard(records, n_boot=10)
    rows = {r.agent: r for r in board.rows}
    # A: base 0, best 4 -> 25, 50, 100; B: base -2, best 0 -> 0, 100
    assert rows["x"].per_round == pytest.approx(((25 + 0) / 2, (50 + 100) / 2, 100.0))
    assert rows["random"].per_round == (0.0, 0.0, 0.0)
    assert rows["x"].per_round_best == pytest.approx(((25 + 0) / 2, (50 + 100) / 2, 100.0))
    assert rows["x"].per_round_best[-1] == rows["x"].score


def test_best_round_so_far_ends_at_the_map_score():
    def rounds(index, agent, scores):
        return MapRecord.of(MapSlot("A", index, agent, 1, 2), {"black": agent}, status="ok",
                            round_scores=tuple(scores),
                            rounds=tuple(RoundRecord(k, s) for k, s in enumerate(scores)))  # fmt: skip

    records = [rounds(0, "random", [0.0, 0.0]), rounds(0, "x", [3.0, 1.0]),
               rounds(1, "random", [1.0, 0.0]), rounds(1, "x", [2.0, 5.0])]  # fmt: skip
    x = next(r for r in leaderboard(records, n_boot=10).rows if r.agent == "x")
    assert x.per_round == pytest.approx(((100 + 25) / 2, (100 / 3 + 100) / 2))
    assert x.per_round_best == pytest.approx(((100 + 25) / 2, 100.0))
    assert x.per_round_best[-1] == pytest.approx(x.score)


def test_bootstrap_is_seeded_and_collapses_without_variation():
    records = [rec("A", i, a, s) for i in range(5) for a, s in (("x", 2.0), ("y", 1.0))]
    board = leaderboard(records, n_boot=300, normalisation="reference")
    rows = {r.agent: r for r in board.rows}
    assert (rows["y"].ci_low, rows["y"].ci_high) == pytest.approx((50.0, 50.0))
    varied = [rec("A", i, a, s) for i in range(6) for a, s in (("x", 2.0), ("y", 0.5 + i / 4))]
    one = leaderboard(varied, n_boot=300, seed=1, normalisation="reference")
    two = leaderboard(varied, n_boot=300, seed=1, normalisation="reference")
    assert one == two
    assert leaderboard(varied, n_boot=300, seed=2, normalisation="reference") != one


@pytest.mark.parametrize("confidence", [0.95, 0.9, 0.5])
def test_the_interval_has_its_stated_confidence(confidence):
    """200 maps where y's normalised score is i/2 (x always best): the bootstrap mean is close
    to normal with the standard error of the mean, so the interval's width is known."""
    values = np.arange(200) / 2
    records = [
        r for i, v in enumerate(values) for r in (rec("A", i, "x", 100.0), rec("A", i, "y", v))
    ]
    board = leaderboard(records, confidence=confidence, n_boot=4000, normalisation="reference")
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
    assert z.score == -100.0 and z.maps == 0 and math.isnan(z.raw_bits)  # no record: the floor


def test_a_round_cut_by_the_ensure_limit_is_not_a_score():
    """The env lists the cut round with 0 bits: an agent whose only legal round lost bits,
    or that never made a legal move, must not rank above one that played legal moves."""

    def cut(index, agent, scores, reason="line 5 failed 10 times in a row: ensure(...)"):
        return MapRecord.of(MapSlot("A", index, agent, 1, 2), {"black": agent}, status="ok",
                            round_scores=tuple(scores), truncation_reason=reason,
                            rounds=tuple(RoundRecord(k, s) for k, s in enumerate(scores)))  # fmt: skip

    records = [
        rec("A", 0, "random", -3.0), cut(0, "x", [-2.0, 0.0]), cut(0, "never", [0.0]),
        rec("A", 1, "random", -3.0), rec("A", 1, "x", -1.0), cut(1, "never", [0.0]),
    ]  # fmt: skip
    assert map_score(records[1]) == -2.0 and map_score(records[2]) is None
    assert completed_rounds(records[1]) == (-2.0,)
    rows = {r.agent: r for r in leaderboard(records, n_boot=10).rows}
    assert rows["x"].per_game["A"] == pytest.approx(100.0)
    assert rows["never"].per_game["A"] == -100.0  # failed both maps: the floor
    assert (rows["never"].maps, rows["never"].failed, rows["never"].errors) == (2, 2, 0)
    assert math.isnan(rows["never"].raw_bits) and rows["x"].raw_bits == pytest.approx(-1.5)
    assert rows["x"].per_round == pytest.approx((100.0,))  # the cut round is no point
