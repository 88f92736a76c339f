"""The `xent-envs` command: list, check, play, eval (tiny judge), bad input."""

from __future__ import annotations

import io
import json
import re

import pytest

from xent_envs.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_games_and_parameters(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "Condense  (xent/Condense-v0)" in out
    assert "    budget (int, default 10, 3..40): Token budget of the move." in out
    assert "rounds (int, default 1, 1..10)" in out


def test_list_json(capsys):
    code, out, _ = run(capsys, "list", "--json")
    games = {g["name"]: g for g in json.loads(out)}
    assert code == 0 and games["Condense"]["env_id"] == "xent/Condense-v0"
    assert {p["name"] for p in games["Condense"]["parameters"]} >= {"budget", "rounds"}


def test_check_accepts_a_builtin_game(capsys):
    from importlib import resources

    path = resources.files("xent_envs.games") / "Condense.xent"
    code, out, _ = run(capsys, "check", str(path))
    assert code == 0 and out.strip().endswith("Condense.xent: OK (parameters: budget=10)")


def test_check_shows_line_and_caret(capsys, tmp_path):
    bad = tmp_path / "bad.xent"
    bad.write_text("assign(s=story())\nelicit(x, 10)\nreward(xed(s | x)\n")
    code, _, err = run(capsys, "check", str(bad))
    assert code == 1
    lines = err.splitlines()
    assert lines[0].startswith(f"{bad}:3:18: error: expected ',' or ')'")
    assert lines[1] == "    reward(xed(s | x)"
    assert lines[2] == "    " + " " * 17 + "^"


def test_check_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "check", str(tmp_path / "nope.xent"))
    assert code == 1 and "cannot read" in err


def test_unknown_agent_and_game_list_the_valid_ones(capsys, tmp_path):
    code, _, err = run(capsys, "eval", "--agent", "random,serch", "--judge", "tiny-random-gpt2",
                       "--out", str(tmp_path))  # fmt: skip
    assert code == 1
    assert err.strip() == (
        "error: unknown agent 'serch' (did you mean 'search'?); "
        "valid agents: random, search, hf, openai, human"
    )
    code, _, err = run(capsys, "eval", "--agent", "random", "--games", "Nope",
                       "--judge", "tiny-random-gpt2", "--out", str(tmp_path))  # fmt: skip
    assert code == 1 and "unknown game 'Nope'" in err and "Condense" in err


def test_bad_option_syntax(capsys, tmp_path):
    code, _, err = run(
        capsys, "eval", "--agent", "random", "-O", "budget=3", "--out", str(tmp_path)
    )
    assert code == 1 and "--agent-option must look like OWNER.NAME=VALUE, got 'budget=3'" in err


def test_eval_prints_the_table_and_resumes(capsys, tmp_path, tiny_judge):
    argv = ["eval", "--agent", "random", "--games", "Condense", "--maps", "2",
            "--judge", "tiny-random-gpt2", "--out", str(tmp_path), "-q"]  # fmt: skip
    code, out, _ = run(capsys, *argv)
    assert code == 0
    # Alone, an agent is the best on every map: 100, or '-' when no map scored above zero.
    assert re.search(r"^\| 1 \| random \| (100\.0|-) \|", out, re.M) and "report.md" in out
    first = json.loads((tmp_path / "results.json").read_text())["maps"]
    code, out, err = run(capsys, *argv)
    assert code == 0 and "2 maps already saved" in err
    again = json.loads((tmp_path / "results.json").read_text())["maps"]
    assert [m["score"] for m in again] == [m["score"] for m in first]
    code, _, err = run(capsys, *argv[:-1], "--seed", "1")
    assert code == 1 and "holds results of another configuration" in err and "seed: 0 -> 1" in err


def test_play_reads_moves_from_the_terminal(capsys, monkeypatch, tiny_judge):
    monkeypatch.setattr("sys.stdin", io.StringIO("a short move\n"))
    code, out, _ = run(capsys, "play", "Condense", "--judge", "tiny-random-gpt2", "--seed", "3")
    assert code == 0
    assert "# Condense - round 1/1" in out
    assert "You played 'a short move'" in out and "Map score (best round):" in out


def test_play_quits_on_end_of_input(capsys, monkeypatch, tiny_judge):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, out, _ = run(capsys, "play", "Condense", "--judge", "tiny-random-gpt2")
    assert code == 0 and out.rstrip().endswith("Bye.")


def test_help_names_every_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    for command in ("list", "check", "play", "eval"):
        assert command in out
