"""The results folder: atomic writes, run manifests, checked reads of map files, the lock."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xent_envs.errors import ConfigError, RunConflictError, RunLockedError, WriteError, XentError
from xent_envs.evaluation import EvalConfig, MapRecord, MapSlot, ResultsStore, RunManifest
from xent_envs.evaluation.config import RECORD_FORMAT
from xent_envs.files import atomic_write_json

ROOT = Path(__file__).resolve().parents[2]


def manifest(seed=0):
    config = EvalConfig(agents=("random",), games=("Condense",), seed=seed)
    return RunManifest.of(config, {"model": "m"})


def slot(index=0, agent="random", run="r", key="k"):
    return MapSlot(
        "Condense", index, agent, seed=10 + index, agent_seed=20 + index, run=run, key=key
    )


def record(s: MapSlot, observation="obs"):
    from xent_envs.evaluation import RoundRecord, StepRecord

    step = StepRecord("black", 0, observation, (1,), "m", 1.5, tokens=1)
    return MapRecord.of(s, {"black": s.agent}, status="ok", round_scores=(1.5,),
                        rounds=(RoundRecord(0, 1.5, (step,)),))  # fmt: skip


def expect_slots(*slots):
    by_place = {(s.game, s.map, s.agent): s for s in slots}
    return lambda r: by_place.get((r.game, r.map, r.agent))


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    path = tmp_path / "sub" / "a.json"
    atomic_write_json(path, {"x": 1})
    atomic_write_json(path, {"x": 2})
    assert json.loads(path.read_text()) == {"x": 2}
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.json"]


def test_disk_full_keeps_the_old_file_and_says_so(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    atomic_write_json(path, {"x": 1})

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(WriteError) as info:
        atomic_write_json(path, {"x": 2})
    assert isinstance(info.value, XentError) and isinstance(info.value, OSError)
    assert "disk full while saving" in str(info.value)
    assert "run the same command again to resume" in str(info.value)
    assert json.loads(path.read_text()) == {"x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_a_lone_surrogate_in_a_game_string_is_saved_and_read_back(tmp_path):
    store = ResultsStore(tmp_path)
    rec = record(slot(), observation="s = 'a \ud800 b' and a \u2019 quote")
    store.save(rec)  # UTF-8 cannot encode \ud800: the file uses a JSON escape instead
    assert store.read(store.path("Condense", 0, "random")) == rec


def test_store_saves_and_scans_records(tmp_path):
    store = ResultsStore(tmp_path / "out")
    assert store.open(manifest()) == manifest()
    store.save(record(slot(1)))
    store.save(record(slot(0, agent="search/v2")))
    assert store.path("Condense", 0, "search/v2").name == "0000-search_v2.json"
    scan = store.scan(expect_slots(slot(1), slot(0, agent="search/v2")))
    assert sorted(scan.records) == [("Condense", 0, "search/v2"), ("Condense", 1, "random")]
    assert scan.skipped == [] and scan.outside == 0
    assert ResultsStore(tmp_path / "out").open(manifest()) == manifest()


def test_another_run_is_refused_with_what_changed(tmp_path):
    ResultsStore(tmp_path).open(manifest(seed=0))
    with pytest.raises(RunConflictError) as info:
        ResultsStore(tmp_path).open(manifest(seed=1))
    assert isinstance(info.value, ConfigError)
    message = str(info.value)
    assert (
        f"holds results of another run (run {manifest(0).key}, this one is {manifest(1).key}"
        in message
    )
    assert "changed: seed: 0 -> 1" in message and "use another --out folder" in message


def test_unreadable_or_old_run_files_are_clear_errors(tmp_path):
    (tmp_path / "run.json").write_text("{not json")
    with pytest.raises(RunConflictError, match="run.json is unreadable"):
        ResultsStore(tmp_path).open(manifest())
    (tmp_path / "run.json").write_text(json.dumps({"format": 1, "key": "abc"}))
    with pytest.raises(
        RunConflictError, match=f"record format 1, this version writes format {RECORD_FORMAT}"
    ):
        ResultsStore(tmp_path).open(manifest())


def test_files_that_are_not_this_runs_records_are_skipped_with_the_reason(tmp_path):
    store = ResultsStore(tmp_path)
    good = slot(0)
    store.save(record(good))
    maps = tmp_path / "maps" / "Condense"
    (maps / "0001-random.json").write_text("[]")
    (maps / "0002-random.json").write_text('{"status": "ok"}')
    (maps / "0003-random.json").write_text("{trunc")
    (maps / "0099-random.json").write_bytes((maps / "0000-random.json").read_bytes())  # a copy
    store.save(record(slot(4, run="other-run")))
    store.save(record(slot(5, key="stale")))
    (maps / ".0000-random.json.123.tmp").write_text("half")  # an interrupted write: ignored
    expected = [slot(i) for i in range(6)] + [slot(99)]
    scan = store.scan(expect_slots(*expected))
    assert list(scan.records) == [("Condense", 0, "random")]
    reasons = dict(scan.skipped)
    assert reasons["maps/Condense/0001-random.json"] == "MapRecord: expected an object, got []"
    assert reasons["maps/Condense/0002-random.json"] == f"record format None, not {RECORD_FORMAT}"
    assert reasons["maps/Condense/0003-random.json"].startswith("unreadable (")
    assert reasons["maps/Condense/0099-random.json"] == (
        "the record is of Condense map 0 by random, whose file is maps/Condense/0000-random.json"
    )
    assert (
        reasons["maps/Condense/0004-random.json"]
        == "a record of run other-run, not of this run (r)"
    )
    assert (
        reasons["maps/Condense/0005-random.json"] == "not this run's map: key 'stale', expected 'k'"
    )
    assert len(scan.skipped) == 6


def test_records_outside_the_configuration_are_kept_but_not_used(tmp_path):
    store = ResultsStore(tmp_path)
    store.save(record(slot(0)))
    store.save(record(slot(7)))
    scan = store.scan(expect_slots(slot(0)))
    assert list(scan.records) == [("Condense", 0, "random")] and scan.outside == 1
    assert scan.skipped == []


HOLD = """
import sys
from xent_envs.evaluation import ResultsStore
with ResultsStore(sys.argv[1]).lock():
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_a_second_writer_is_refused_naming_the_first(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLockedError) as info, ResultsStore(tmp_path).lock(timeout=0.2):
            pass
        assert f"is in use by another evaluation (process {holder.pid} on " in str(info.value)
        assert isinstance(info.value, RunConflictError)
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    with ResultsStore(tmp_path).lock():  # released when the holder ends
        assert json.loads((tmp_path / ".lock-owner.json").read_text())["pid"] == os.getpid()
    assert not (tmp_path / ".lock-owner.json").exists()
