"""`xent-envs list` and `xent-envs check`: games from their cards, files with their cards."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from tests.cli_run import run
from xent_envs.games.readme import render_readme

CONDENSE = str(resources.files("xent_envs.games") / "Condense.xent")


def test_list_describes_parameters_with_param_def(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "Condense  (xent/Condense-v0)\n  Write a short prefix" in out
    assert "\n    budget (int, default 10, 3..40): Token budget of the move.\n" in out
    assert "    topic (str, default 'Animals', one of 'Animals', 'Fruits and vegetables'," in out
    assert out.rstrip().endswith("17 games. `xent-envs list -v` shows the full rules.")


def test_list_verbose_shows_the_rules_with_parameter_names(capsys):
    code, out, _ = run(capsys, "list", "-v")
    assert code == 0
    assert "### Condense (`xent/Condense-v0`)" in out
    assert "(at most `budget` tokens)" in out and "$budget" not in out
    assert "| `budget` | int | 10 | 3..40 | Token budget of the move. |" in out


def test_list_json_is_the_cards_parameters(capsys):
    code, out, _ = run(capsys, "list", "--json")
    games = {g["name"]: g for g in json.loads(out)}
    assert code == 0 and games["Condense"]["env_id"] == "xent/Condense-v0"
    assert games["Condense"]["version"] == 0
    assert games["Condense"]["parameters"][0] == {
        "name": "budget",
        "type": "int",
        "default": 10,
        "low": 3,
        "high": 40,
        "description": "Token budget of the move.",
    }
    assert [p["name"] for p in games["Fresh"]["parameters"]][-2:] == ["rounds", "story_tokens"]


def test_list_markdown_is_the_games_readme(capsys):
    code, out, _ = run(capsys, "list", "--markdown")
    assert code == 0 and out == render_readme()


def test_check_validates_parameters_by_the_card(capsys):
    code, out, _ = run(capsys, "check", CONDENSE, "-p", "budget=12")
    assert code == 0 and out.strip().endswith("Condense.xent: OK (parameters: budget=12)")
    code, _, err = run(capsys, "check", CONDENSE, "-p", "budget=50")
    assert code == 1
    assert err.strip() == "error: parameter 'budget' must be in [3, 40], got 50"
    code, _, err = run(capsys, "check", CONDENSE, "-p", "budgt=5")
    assert code == 1 and "unknown parameter 'budgt' of Condense. Did you mean 'budget'?" in err


def game(folder: Path, program: str, card: str | None = None) -> str:
    path = folder / "Mine.xent"
    path.write_text(program, encoding="utf-8")
    if card is not None:
        (folder / "Mine.toml").write_text(card, encoding="utf-8")
    return str(path)


PROGRAM = "assign(s=story())\nelicit(x, $n)\nreward(xed(s | x))\n"
CARD = 'name = "Mine"\n[parameters.n]\ntype = "int"\ndefault = 6\nlow = 2\nhigh = 9\n'


def test_check_reads_the_card_beside_the_file(capsys, tmp_path):
    code, out, _ = run(capsys, "check", game(tmp_path, PROGRAM, CARD))
    assert code == 0 and out.strip().endswith("Mine.xent: OK (parameters: n=6)")
    code, _, err = run(capsys, "check", str(tmp_path / "Mine.xent"), "-p", "n=10")
    assert code == 1 and "parameter 'n' must be in [2, 9], got 10" in err


def test_check_without_a_card_reports_the_unbound_parameter(capsys, tmp_path):
    path = game(tmp_path, PROGRAM)
    code, _, err = run(capsys, "check", path)
    assert code == 1 and err.startswith(f"{path}:2:11: error: parameter $n is not bound")


def test_check_names_a_broken_card(capsys, tmp_path):
    game(tmp_path, PROGRAM, CARD.replace("default = 6", "default = 60"))
    code, _, err = run(capsys, "check", str(tmp_path / "Mine.xent"))
    assert code == 1
    assert err.strip() == (
        f"error: {tmp_path / 'Mine.toml'}: parameter 'n' default must be in [2, 9], got 60"
    )


@pytest.mark.parametrize(
    "data, message",
    [
        ('assign(s="café")\n'.encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset 13)"),
        (bytes(range(256)), "a binary file, not a game"),
    ],
)
def test_check_refuses_files_that_are_not_utf8_text(capsys, tmp_path, data, message):
    path = tmp_path / "odd.xent"
    path.write_bytes(data)
    code, _, err = run(capsys, "check", str(path))
    assert code == 1 and err.startswith(f"error: {path}: {message}")
