"""The results API: run folders under the root, a run's leaderboard (the evaluation's own),
learning curves, maps and transcripts; folders that do not exist, are not runs, or hold
foreign files; names that try to leave the root."""

from __future__ import annotations

import json
import os

import pytest

from tests.web.conftest import make_run
from xent_envs.evaluation import ResultsStore
from xent_envs.evaluation.config import RECORD_FORMAT
from xent_envs.web.results import learning_curves


def error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == code, body
    return body["message"]


def strict(data):
    return json.loads(json.dumps(data, default=str))


def test_run_folders_under_the_root_are_listed(client, root):
    make_run(root / "nested" / "deep", maps=1)
    (root / ".hidden").mkdir()
    (root / ".hidden" / "run.json").write_text("{}")
    (root / "not-a-run").mkdir()
    data = client.get("/api/runs").json()
    assert data == {"root": str(root), "runs": ["main", "nested/deep", "two"]}


def test_a_runs_leaderboard_is_the_evaluations(client, run_template):
    data = client.get("/api/results", params={"folder": "main"}).json()
    _, board = run_template
    assert data["leaderboard"] == strict(board.to_json())
    assert data["run"]["seed"] == 0 and data["run"]["split"] == "eval"
    assert data["run"]["agents"] == {"random": {"name": "random", "source": None, "options": {}}}
    assert [(m["game"], m["map"], m["agent"], m["status"]) for m in data["maps"]] == [
        ("Condense", 0, "random", "ok"), ("Condense", 1, "random", "ok"),
    ]  # fmt: skip
    assert data["skipped"] == []


def test_learning_curves_average_each_round_over_finished_maps(client, root):
    data = client.get("/api/results", params={"folder": "two"}).json()
    (record,) = ResultsStore(root / "two").scan(lambda r: r.slot).records.values()
    assert data["curves"] == {"Condense": {"random": list(record.round_scores)}}
    assert len(record.round_scores) == 2


def test_learning_curves_skip_failed_maps_and_short_maps_count_where_they_reach():
    from xent_envs.evaluation import MapError, MapRecord

    def rec(agent, scores, status="ok"):
        error = MapError("env", "X", "boom") if status == "error" else None
        return MapRecord(2, "r", "k", "G", 0, agent, 1, 2, {"black": agent}, status, scores,
                         error=error)  # fmt: skip

    curves = learning_curves(
        [rec("a", (1.0, 4.0)), rec("a", (3.0,)), rec("a", (), "error"), rec("b", (-2.0, 0.5))]
    )
    assert curves == {"G": {"a": [2.0, 4.0], "b": [-2.0, 0.5]}}


def test_a_maps_transcript_is_its_record(client, root):
    response = client.get(
        "/api/results/map",
        params={"folder": "main", "game": "Condense", "map": 1, "agent": "random"},
    )
    record = ResultsStore(root / "main").read(root / "main/maps/Condense/0001-random.json")
    assert response.json() == {"folder": "main", "record": strict(record.to_json())}
    step = response.json()["record"]["rounds"][0]["steps"][0]
    assert step["reward_terms"][0]["bits"] == list(record.steps[0].reward_terms[0].bits)


def test_a_folder_that_does_not_exist(client):
    message = error(client.get("/api/results", params={"folder": "mian"}), 404, "unknown_name")
    assert (
        message.startswith("unknown results folder 'mian' under ")
        and "Did you mean 'main'?" in message
    )


def test_a_folder_without_a_run(client, root):
    (root / "plain").mkdir()
    message = error(client.get("/api/results", params={"folder": "plain"}), 422, "bad_request")
    assert (
        message
        == "plain is not a results folder: it has no run.json (the file `xent-envs eval` writes first)"
    )


def test_a_folder_whose_run_file_is_foreign(client, root):
    (root / "odd").mkdir()
    (root / "odd" / "run.json").write_text("[1, 2, 3]")
    message = error(client.get("/api/results", params={"folder": "odd"}), 422, "bad_request")
    assert message.startswith("odd is not a results folder this page can read: ")
    assert "record format None" in message


def test_foreign_files_in_maps_are_listed_and_not_counted(client, root, run_template):
    maps = root / "main" / "maps" / "Condense"
    (maps / "0005-intruder.json").write_text('{"hello": "world"}')
    (maps / "notes.txt").write_text("mine")
    (maps / ".0006-random.json.123.tmp").write_text("half a record")  # a write in progress
    other = root / "other"
    make_run(other, maps=1, seed=9)  # another run: its record has another run key
    (other / "maps/Condense/0000-random.json").rename(maps / "0000-stranger.json")
    data = client.get("/api/results", params={"folder": "main"}).json()
    reasons = {s["path"]: s["reason"] for s in data["skipped"]}
    assert set(reasons) == {
        "maps/Condense/0005-intruder.json", "maps/Condense/notes.txt",
        "maps/Condense/0000-stranger.json",
    }  # fmt: skip
    assert reasons["maps/Condense/notes.txt"].startswith("not a map file")
    assert reasons["maps/Condense/0005-intruder.json"].startswith(
        f"record format None, not {RECORD_FORMAT}"
    )
    assert reasons["maps/Condense/0000-stranger.json"].startswith("the record is of Condense map 0")
    assert data["leaderboard"] == strict(run_template[1].to_json())  # nothing foreign counted


def test_a_record_of_another_run_at_its_own_path_is_listed(client, root):
    other = root / "other"
    make_run(other, maps=1, seed=9)
    target = root / "main" / "maps" / "Condense" / "0000-random.json"
    target.write_bytes((other / "maps/Condense/0000-random.json").read_bytes())
    data = client.get("/api/results", params={"folder": "main"}).json()
    (skipped,) = data["skipped"]
    assert skipped["path"] == "maps/Condense/0000-random.json"
    assert (
        skipped["reason"].startswith("a record of run ")
        and "not of this folder's run" in skipped["reason"]
    )
    response = client.get(
        "/api/results/map",
        params={"folder": "main", "game": "Condense", "map": 0, "agent": "random"},
    )
    assert "is a record of another run" in error(response, 404, "bad_record")


@pytest.mark.parametrize(
    ("params", "status", "code", "shown"),
    [
        ({"folder": "main", "game": "Condense", "map": 7, "agent": "random"}, 404, "bad_record",
         "main holds no map 7 of Condense played by 'random'"),
        ({"folder": "main", "game": "../x", "map": 0, "agent": "random"}, 422, "bad_request",
         "not a game and agent"),
        ({"folder": "main", "game": "Condense", "map": 0, "agent": "../../run"}, 422,
         "bad_request", "not a game and agent"),
        ({"folder": "main", "game": "Condense", "map": -1, "agent": "random"}, 422,
         "invalid_request", "map:"),
    ],
)  # fmt: skip
def test_bad_map_requests(client, params, status, code, shown):
    assert shown in error(client.get("/api/results/map", params=params), status, code)


@pytest.mark.parametrize("name", ["..", "../results", "main/../..", ".hidden", "/etc", "a\\b", ""])
def test_folder_names_cannot_leave_the_root(client, name):
    response = client.get("/api/results", params={"folder": name})
    assert response.status_code == 422


def test_a_symbolic_link_out_of_the_root_is_refused(client, root, tmp_path):
    outside = tmp_path / "outside"
    make_run(outside, maps=1)
    os.symlink(outside, root / "link")
    message = error(client.get("/api/results", params={"folder": "link"}), 422, "bad_request")
    assert message == "results folder 'link' leads out of the results root"


def test_the_root_itself_may_be_a_run(client_for, root, tiny_judge):
    from xent_envs.web import WebSettings

    client = client_for(WebSettings(judge="tiny-random-gpt2", results=root / "main"))
    assert client.get("/api/runs").json()["runs"] == ["."]
    assert client.get("/api/results", params={"folder": "."}).json()["folder"] == "."
