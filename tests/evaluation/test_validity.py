"""Validity maths: rank correlations with exact values, the ladder check per game, rank
stability between seed sets and the maps-needed estimate, from synthetic records."""

from __future__ import annotations

import math

import pytest

from xent_envs.errors import ConfigError
from xent_envs.evaluation import MapError, MapRecord, MapSlot, RoundRecord, StepRecord
from xent_envs.evaluation.validity import (
    first_rounds,
    kendall_tau,
    rounds_study,
    spearman_rho,
    validity_report,
)

LADDER = ("random", "s1", "s4")


def rec(game, index, agent, score, status="ok", instance=None):
    error = MapError("agent.act", "AgentError", "boom") if status == "error" else None
    return MapRecord.of(
        MapSlot(game, index, agent, 1, 2), {"black": agent}, status=status,
        round_scores=(score,) if status == "ok" else (),
        rounds=(RoundRecord(0, score),) if status == "ok" else (),
        instance_id=instance or f"{game}-v0#{index}", error=error,
    )  # fmt: skip


def ladder_set(scores_by_game, offset=0):
    """Records from {game: [(random, s1, s4) per map]}."""
    return [
        rec(game, i, agent, score, instance=f"{game}#{offset + i}")
        for game, maps in scores_by_game.items()
        for i, row in enumerate(maps)
        for agent, score in zip(LADDER, row)
    ]


def test_rank_correlations_have_their_textbook_values():
    assert kendall_tau([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert kendall_tau([1, 2, 3, 4], [2, 1, 4, 3]) == pytest.approx(1 / 3)  # 4 of 6 concordant
    # tau-b with ties: (3 concordant) / sqrt(3 * 2) pairs
    assert kendall_tau([1, 2, 3], [1, 1, 2]) == pytest.approx(2 / math.sqrt(6))
    assert math.isnan(kendall_tau([1, 1, 1], [1, 2, 3]))
    assert spearman_rho([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(0.820782681668123)
    assert spearman_rho([10, 20, 30], [1, 3, 2]) == pytest.approx(0.5)
    assert math.isnan(spearman_rho([2, 2], [1, 2]))
    with pytest.raises(ValueError, match="one length"):
        kendall_tau([1, 2], [1])


def test_a_game_ranks_the_ladder_in_order_only_when_every_rung_beats_the_one_below():
    sets = [
        ladder_set({
            "Good": [(0.0, 1.0, 3.0), (-2.0, -1.0, 0.0)],
            "Tied": [(-1.0, 0.0, 0.0), (-1.0, 0.0, 0.0)],  # s4 finds nothing s1 did not
            "Inverted": [(1.0, 3.0, 2.0), (0.0, 2.0, 1.0)],
        })
    ]  # fmt: skip
    report = validity_report(sets, LADDER)
    checks = {c.game: c for c in report.checks}
    assert checks["Good"].in_order
    assert checks["Good"].means == pytest.approx((0.0, (100 / 3 + 50) / 2, 100.0))
    assert checks["Good"].kendall == 1.0 and checks["Good"].spearman == 1.0
    assert not checks["Tied"].in_order and checks["Tied"].inversions == ("s1 >= s4",)
    assert checks["Tied"].means == (0.0, 100.0, 100.0)
    assert checks["Tied"].kendall == pytest.approx(2 / math.sqrt(6))
    assert checks["Inverted"].inversions == ("s1 >= s4",)
    assert checks["Inverted"].means == pytest.approx((0.0, 100.0, 50.0))
    assert checks["Good"].bits == pytest.approx((-1.0, 0.0, 1.5))
    assert report.fraction_in_order == pytest.approx(1 / 3)
    assert report.stability is None and report.seed_sets == 1
    text = report.to_markdown()
    assert "**1 of 3 games (33%) rank the ladder in its true order**" in text
    assert "| Tied | 0.0 | 100.0 | 100.0 | 0.87 | 0.82 | **no**: s1 >= s4 | 2 |" in text


def test_stability_between_seed_sets_and_maps_needed():
    a = {"G": [(0.0, 1.0, 2.0)] * 3, "H": [(0.0, 1.0, 2.0)] * 3}
    b = {"G": [(0.0, 1.0, 2.0)] * 3, "H": [(0.0, 2.0, 1.0)] * 3}  # H swaps s1 and s4
    report = validity_report([ladder_set(a), ladder_set(b, offset=10)], LADDER, draws=20)
    s = report.stability
    assert s is not None and s.shared_maps == 0 and s.maps == 3
    assert s.per_game == pytest.approx({"G": 1.0, "H": 1 / 3})
    # overall: G (0, 50, 100) + H (0, 100, 50) in set b -> (0, 75, 75): a tie, tau-b 2/sqrt(6)
    assert s.overall == pytest.approx(2 / math.sqrt(6))
    assert s.maps_needed == {"G": 1, "H": None, "overall": None}
    text = report.to_markdown()
    assert "| G | 1.00 | 1 |" in text and "| H | 0.33 | > 3 |" in text


def test_maps_needed_grows_with_the_noise_of_a_game():
    """s1 beats random by 1 bit on most maps of set b, but loses on some: one map is not
    enough for the two sets to agree, all of them are."""
    a = {"G": [(0.0, 1.0, 2.0)] * 6}
    b = {"G": [(0.0, 1.0, 2.0)] * 4 + [(0.0, -0.5, 2.0)] * 2}
    report = validity_report([ladder_set(a), ladder_set(b, offset=10)], LADDER, draws=300)
    s = report.stability
    assert s is not None and s.curve[0] < 0.9 and s.curve[-1] == 1.0 and s.per_game["G"] == 1.0
    assert s.maps_needed["G"] == s.maps_needed["overall"]
    assert 2 <= s.maps_needed["G"] <= 6


def test_shared_maps_are_counted_and_failed_maps_listed():
    a = ladder_set({"G": [(0.0, 1.0, 2.0)]})
    b = ladder_set({"G": [(0.0, 1.0, 2.0)]})  # the same instance ids: not disjoint
    b[1] = rec("G", 0, "s1", 0.0, status="error", instance="G#0")
    report = validity_report([a, b], LADDER, draws=5)
    assert report.stability is not None and report.stability.shared_maps == 1
    (error,) = report.errors
    assert (error.seed_set, error.game, error.map, error.agent) == (1, "G", 0, "s1")
    text = report.to_markdown()
    assert "Warning: 1 maps appear in both seed sets." in text
    assert "- seed set 2, G map 0, `s1`: AgentError: boom" in text


def test_a_game_where_no_rung_beats_the_baseline_cannot_rank_the_ladder():
    report = validity_report([ladder_set({"Wall": [(0.0, 0.0, 0.0)] * 2})], LADDER)
    (check,) = report.checks
    assert not check.in_order and check.flat_maps == 2 and check.means == (0.0, 0.0, 0.0)
    assert check.inversions == ("random >= s1", "s1 >= s4")
    assert math.isnan(check.kendall)
    assert report.fraction_in_order == 0.0


def test_bad_ladders_are_refused():
    with pytest.raises(ConfigError, match="at least two distinct rungs"):
        validity_report([[]], ["random"])
    with pytest.raises(ConfigError, match="at least two distinct rungs"):
        validity_report([[]], ["a", "a"])
    with pytest.raises(ConfigError, match="no seed set"):
        validity_report([], LADDER)


def test_the_report_is_strict_json():
    import json

    report = validity_report([ladder_set({"Wall": [(0.0, 0.0, 0.0)]})], LADDER, meta={"Judge": "t"})
    data = json.loads(json.dumps(report.to_json(), allow_nan=False))
    assert data["checks"][0]["kendall"] == "nan" and data["meta"] == {"Judge": "t"}


def rounds_rec(game, index, agent, scores, seconds=1.0):
    steps = lambda k: (StepRecord("black", k, "obs", (1,), "m", 0.0, act_seconds=seconds),)  # noqa: E731
    return MapRecord.of(
        MapSlot(game, index, agent, 1, 2), {"black": agent}, status="ok",
        round_scores=tuple(scores),
        rounds=tuple(RoundRecord(k, s, steps(k)) for k, s in enumerate(scores)),
    )  # fmt: skip


def test_first_rounds_is_the_record_of_a_shorter_run():
    record = rounds_rec("G", 0, "a", [1.0, 3.0, 2.0])
    two = first_rounds(record, 2)
    assert two.round_scores == (1.0, 3.0) and two.score == 3.0 and len(two.steps) == 2
    assert first_rounds(record, 1).score == 1.0
    assert first_rounds(record, 5) is record
    failed = rec("G", 0, "a", 0.0, status="error")
    assert first_rounds(failed, 1) is failed


def test_rounds_study_measures_stability_and_cost_per_round_count():
    # agent "late" learns in round 2: with one round the sets disagree, with two they agree
    def run(first_of_x):
        return [
            rounds_rec("G", i, agent, scores)
            for i in range(2)
            for agent, scores in (("random", [0.0, 0.0]), ("x", [first_of_x, 2.0]),
                                  ("late", [1.0, 5.0]))
        ]  # fmt: skip

    points = rounds_study([run(0.5), run(3.0)], ["random", "x", "late"], 2)
    assert [p.rounds for p in points] == [1, 2]
    assert points[0].tau == pytest.approx(1 / 3) and points[1].tau == 1.0
    assert points[0].seconds_per_map == 3.0 and points[1].seconds_per_map == 6.0
    assert points[1].scores[0] == pytest.approx({"random": 0.0, "x": 40.0, "late": 100.0})
    with pytest.raises(ConfigError, match="two seed sets"):
        rounds_study([run(0.5)], ["random", "x"], 2)
