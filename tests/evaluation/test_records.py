"""Typed records: JSON round trips, derived fields checked on read, a clear error for every
kind of wrong file."""

from __future__ import annotations

import json
import math

import pytest

from xent_envs.errors import RecordError
from xent_envs.evaluation import (
    AgentSpec,
    EvalConfig,
    MapError,
    MapRecord,
    MapSlot,
    RewardTerm,
    RoundRecord,
    RunManifest,
    StepRecord,
    Timing,
)

SLOT = MapSlot("Condense", 1, "search", seed=11, agent_seed=12, run="r" * 16, key="k" * 16)


def step(round_, reward, tokens=2):
    term = RewardTerm(line=3, round=round_, total=reward, tokens=("a", "b"), bits=(reward, 0.0))
    return StepRecord(seat="black", round=round_, observation="obs\u2019", action=(1, 2),
                      move=" ab", reward=reward, reward_terms=(term,), tokens=tokens,
                      details={"expected_reward": reward})  # fmt: skip


def record(scores=(1.5, 4.0, -2.0), status="ok", error=None):
    rounds = tuple(RoundRecord(r, s, (step(r, s),)) for r, s in enumerate(scores))
    return MapRecord.of(SLOT, {"black": "search"}, status=status, round_scores=scores,
                        rounds=rounds, instance_id="Condense-v0#x", params={"budget": 10},
                        judge={"model": "m"}, timing=Timing(3.0, 2.0, 1.0),
                        agent_stats={"moves": 3.0}, error=error)  # fmt: skip


def test_a_map_record_round_trips_through_json():
    rec = record()
    text = json.dumps(rec.to_json(), allow_nan=False)  # strict JSON
    back = MapRecord.from_json(json.loads(text))
    assert back == rec
    assert back.slot == SLOT and back.steps[2].token_rewards == [("a", -2.0), ("b", 0.0)]


def test_the_map_score_is_the_best_round_and_the_totals_are_derived():
    rec = record((1.5, 4.0, -2.0))
    assert rec.score == 4.0  # neither the last round (-2.0) nor the first (1.5)
    assert (rec.moves, rec.tokens_used) == (3, 6)
    data = rec.to_json()
    assert (data["score"], data["moves"], data["tokens_used"]) == (4.0, 3, 6)
    assert record((-3.0, -1.0)).score == -1.0
    error = MapError("agent.act", "AgentError", "down")
    assert record((5.0,), status="error", error=error).score is None


def test_a_derived_field_that_disagrees_is_refused():
    data = record().to_json()
    data["score"] = 99.0
    with pytest.raises(
        RecordError, match=r"MapRecord.score: 99.0 does not match the record \(4.0\)"
    ):
        MapRecord.from_json(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: [], r"MapRecord: expected an object, got \[\]"),
        (lambda d: {"status": "ok"}, "MapRecord: missing field 'format'"),
        (lambda d: {**d, "map": "1"}, "MapRecord.map: expected an integer, got '1'"),
        (lambda d: {**d, "map": True}, "MapRecord.map: expected an integer, got True"),
        (lambda d: {**d, "status": "fine"}, "MapRecord.status: expected 'ok' or 'error', got 'fine'"),
        (lambda d: {**d, "extra": 1}, "MapRecord: unknown field 'extra'"),
        (lambda d: {**d, "rounds": {}}, r"MapRecord.rounds: expected a list, got \{\}"),
        (lambda d: {**d, "round_scores": [1, "x"]}, r"MapRecord.round_scores\[1\]: expected a number"),
        (lambda d: {**d, "round_scores": [1, "nan"], "score": 1},
         "an 'ok' record needs finite round scores"),
        (lambda d: {**d, "status": "error"}, "has an error exactly when its status is 'error'"),
        (lambda d: {**d, "seats": {"black": 3}}, "MapRecord.seats.black: expected a str"),
    ],
)  # fmt: skip
def test_a_wrong_file_gives_a_record_error_naming_the_field(change, message):
    with pytest.raises(RecordError, match=message):
        MapRecord.from_json(change(record().to_json()))


def test_non_finite_numbers_are_strict_json_strings():
    rec = MapRecord.of(SLOT, {"black": "a"}, status="error", round_scores=(math.nan,),
                       rounds=(RoundRecord(0, math.inf, (step(0, -math.inf),)),),
                       error=MapError("env", "NonFiniteReward", "x"))  # fmt: skip
    data = rec.to_json()
    json.dumps(data, allow_nan=False)
    assert data["round_scores"] == ["nan"] and data["rounds"][0]["score"] == "inf"
    assert data["rounds"][0]["steps"][0]["details"] == {"expected_reward": "-inf"}
    back = MapRecord.from_json(data)
    assert math.isnan(back.round_scores[0]) and back.rounds[0].steps[0].reward == -math.inf


def test_configs_and_manifests_round_trip_without_secrets():
    config = EvalConfig(
        agents=(AgentSpec("o", "openai", {"model": "m", "api_key": "sk-secret"}), "random"),
        games=("Condense",), game_params={"Condense": {"budget": 5}}, rounds=2,
    )  # fmt: skip
    data = config.to_json()
    assert "sk-secret" not in json.dumps(data)
    assert data["agents"][0] == {"name": "o", "source": "openai", "options": {"model": "m"}}
    assert EvalConfig.from_json(data) == EvalConfig(
        agents=(AgentSpec("o", "openai", {"model": "m"}), AgentSpec("random")),
        games=("Condense",), game_params={"Condense": {"budget": 5}}, rounds=2,
    )  # fmt: skip
    manifest = RunManifest.of(config, {"model": "m"}).grown(config)
    assert RunManifest.from_json(json.loads(json.dumps(manifest.to_json()))) == manifest
    assert "sk-secret" not in json.dumps(manifest.to_json())
