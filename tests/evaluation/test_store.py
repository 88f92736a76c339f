"""The results folder: atomic writes, a full disk, run keys and conflicting folders."""

from __future__ import annotations

import errno
import json
import os

import pytest

from xent_envs.errors import ConfigError, RunConflictError, WriteError, XentError
from xent_envs.evaluation.store import ResultsStore
from xent_envs.files import atomic_write_json


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


def test_store_saves_loads_and_lists_records(tmp_path):
    store = ResultsStore(tmp_path / "out")
    assert store.open("k1", {"maps": 2}) == 0
    store.save({"game": "Condense", "map": 1, "agent": "random", "score": 1.5})
    store.save({"game": "Condense", "map": 0, "agent": "search/v2", "score": 2.5})
    assert store.load("Condense", 1, "random")["score"] == 1.5
    assert store.load("Condense", 3, "random") is None
    assert [r["map"] for r in store.records()] == [0, 1]
    assert store.path("Condense", 0, "search/v2").name == "0000-search_v2.json"
    assert ResultsStore(tmp_path / "out").open("k1", {"maps": 2}) == 2


def test_another_configuration_is_refused_with_what_changed(tmp_path):
    ResultsStore(tmp_path).open("k1", {"maps": 2, "seed": 0})
    with pytest.raises(RunConflictError) as info:
        ResultsStore(tmp_path).open("k2", {"maps": 3, "seed": 0})
    assert isinstance(info.value, ConfigError)
    message = str(info.value)
    assert "holds results of another configuration (run k1, this one is k2" in message
    assert "changed: maps: 2 -> 3" in message and "use another --out folder" in message


def test_no_resume_refuses_saved_maps(tmp_path):
    store = ResultsStore(tmp_path)
    store.open("k1", {})
    assert store.open("k1", {}, resume=False) == 0  # nothing saved yet: fine
    store.save({"game": "g", "map": 0, "agent": "a"})
    with pytest.raises(RunConflictError, match="already holds 1 maps of this run"):
        store.open("k1", {}, resume=False)


def test_unreadable_run_file_is_a_clear_error(tmp_path):
    (tmp_path / "run.json").write_text("{not json")
    with pytest.raises(RunConflictError, match="run.json is unreadable"):
        ResultsStore(tmp_path).open("k", {})
