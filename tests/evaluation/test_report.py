"""Reports from synthetic results: JSON, Markdown table, PNG plot."""

from __future__ import annotations

import json

import pytest

from xent_envs.evaluation import AgentSpec, EvalConfig, MapRecord, MapSlot, RoundRecord, RunSummary
from xent_envs.evaluation.report import format_table, package_versions, write_reports
from xent_envs.evaluation.scoring import leaderboard

from .test_scoring import rec

RUN = RunSummary(
    key="abc123",
    config=EvalConfig(
        agents=(AgentSpec("search", options={"budget": 12}), AgentSpec("r2", "random")),
        games=("A", "B"),
        maps=2,
        judge="tiny",
    ),
    judge_fingerprint={"model": "tiny", "dtype": "float32"},
    versions={"python": "3.11"},
)


def records():
    out = []
    for game, scores in (("A", (3.0, 1.0)), ("B", (-1.0, -2.0))):
        for index in range(2):
            for agent, score in zip(("search", "random"), scores):
                out.append(rec(game, index, agent, score + index, moves=1, act=0.25, tokens=5))
    out.append(rec("A", 2, "random", None, status="error"))
    return out


def test_table_lists_agents_best_first():
    table = format_table(leaderboard(records(), n_boot=50))
    lines = table.splitlines()
    assert lines[0].startswith("| Rank | Agent | Score | 95% CI | Raw bits |")
    assert lines[2].startswith("| 1 | search | 100.0 |")
    assert lines[3].startswith("| 2 | random |")
    assert "| 1 |" in lines[3].split("random")[1]  # one error


def test_write_reports(tmp_path):
    board = leaderboard(records(), n_boot=50)
    paths = write_reports(tmp_path, board, RUN, records())
    data = json.loads(paths["results"].read_text(), parse_constant=pytest.fail)  # strict JSON
    assert data["key"] == "abc123" and len(data["maps"]) == 9
    assert (
        RunSummary.from_json(
            {k: data[k] for k in ("key", "config", "judge_fingerprint", "versions")}
        )
        == RUN
    )
    assert data["skipped"] == []
    assert data["leaderboard"]["rows"][0]["agent"] == "search"
    report = paths["report"].read_text()
    assert "## Leaderboard" in report and "| 1 | search |" in report
    assert "![leaderboard](leaderboard.png)" in report
    assert "Judge: `tiny` (model=tiny, dtype=float32)" in report
    assert "- Agents: `search` (budget=12), `r2 = random`" in report
    assert "- Normalisation shown: `baseline` (baseline: `random`)" in report
    assert "normalised between the baseline (`random`: 0) and the best agent" in report
    # every map counts, all-negative game B included; A #2 was played by nobody
    assert "Maps left out of the score (no agent completed a round): A #2." in report
    assert data["leaderboard"]["normalisation"] == "baseline"
    assert data["leaderboard"]["rows"][0]["per_game"] == {"A": 100.0, "B": 100.0}
    assert "## Rounds" not in report  # one round per map: no learning curve to show
    for plot in ("plot", "rounds_plot"):
        assert paths[plot].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "leaderboard.png",
        "report.md",
        "results.json",
        "rounds.png",
    ]


def test_reference_normalisation_is_named_and_leaves_out_maps_whose_best_is_zero(tmp_path):
    board = leaderboard(records(), n_boot=50, normalisation="reference")
    report = write_reports(tmp_path, board, RUN, records())["report"].read_text()
    assert "- Normalisation shown: `reference`" in report
    assert "divided by the absolute best score" in report
    assert (
        "Maps left out of the score (no agent completed a round, or their best score is 0): A #2, B #1."
        in report
    )


def test_rounds_section_and_curves(tmp_path):
    def rounds(index, agent, scores):
        return MapRecord.of(MapSlot("A", index, agent, 1, 2), {"black": agent}, status="ok",
                            round_scores=tuple(scores),
                            rounds=tuple(RoundRecord(k, s) for k, s in enumerate(scores)))  # fmt: skip

    recs = [rounds(0, "random", [0.0, 0.0, 0.0]), rounds(0, "search", [1.0, 2.0, 4.0])]
    board = leaderboard(recs, n_boot=10)
    report = write_reports(tmp_path, board, RUN, recs)["report"].read_text()
    assert "## Rounds" in report and "![rounds](rounds.png)" in report
    assert "| Agent | | R1 | R2 | R3 |" in report
    assert "| search | round | 25.0 | 50.0 | 100.0 |" in report
    assert "| search | best so far | 25.0 | 50.0 | 100.0 |" in report


def test_package_versions_name_the_scoring_stack():
    versions = package_versions()
    assert {"python", "xent-envs", "numpy", "torch", "transformers", "gymnasium"} <= set(versions)
