"""benchmarks/rounds.py on the tiny judge: the report, and two processes playing the two seed
sets in parallel giving the same report as one process playing both."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.benchmarks import load_benchmark

ARGS = ["--judge", "tiny-random-gpt2", "--agents", "search,random", "--games", "Condense",
        "--maps", "1", "--rounds", "2", "--threads", "1", "-q"]  # fmt: skip


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("rounds")


def table(folder: Path) -> list[list[str]]:
    """The report without what timing decides (the wall-time line, the s/map column)."""
    lines = (folder / "rounds.md").read_text().splitlines()
    rows = [line.split(" | ") for line in lines if not line.startswith("- Wall time")]
    return [row[:3] + row[4:] if len(row) > 4 else row for row in rows]


def test_sets_played_apart_report_as_one_run(bench, tmp_path, tiny_judge, capsys):
    one, a, b = tmp_path / "one", tmp_path / "a", tmp_path / "b"
    assert bench.main([*ARGS, "--out", str(one)]) == 0
    report = table(one)
    assert [row[0] for row in report if len(row) > 4][-2:] == ["| 1", "| 2"]
    assert (one / "set-1" / "rounds.png").exists() and (one / "set-2" / "rounds.png").exists()

    assert bench.main([*ARGS, "--seed-sets", "1", "--seed", "100", "--out", str(a)]) == 0
    assert bench.main([*ARGS, "--seed-sets", "1", "--seed", "101", "--out", str(b)]) == 0
    assert not (a / "rounds.md").exists() and not (a / "set-2").exists()
    shutil.copytree(b / "set-1", a / "set-2")
    capsys.readouterr()
    assert bench.main([*ARGS, "--seed-sets", "2", "--out", str(a)]) == 0
    assert "already saved" in capsys.readouterr().err  # nothing was played again
    assert table(a) == report


def test_unknown_agent_is_a_usage_error(bench, tmp_path):
    with pytest.raises(SystemExit) as stop:
        bench.main([*ARGS, "--agents", "search,nobody", "--out", str(tmp_path)])
    assert stop.value.code == 2
