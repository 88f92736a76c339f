"""The sample, evolve and cover commands, run as the CLI runs them."""

from __future__ import annotations

import argparse
import json

import pytest

from xent_envs.cli import main
from xent_envs.errors import ConfigError
from xent_envs.generation import load_suite, sample_game
from xent_envs.generation.commands import add_commands

TINY = "tiny-random-gpt2"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="xent-envs")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.func(args))


def test_sample_writes_files_that_check_and_a_manifest(tmp_path, capsys):
    assert run("sample", "--n", "3", "--seed", "0", "--out", str(tmp_path)) == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [g["name"] for g in manifest["games"]] == [
        sample_game(g["seed"]).name for g in manifest["games"]
    ]
    programs = sorted(tmp_path.glob("*.xent"))
    assert len(programs) == 3 and len(list(tmp_path.glob("*.toml"))) == 3
    for program in programs:
        assert main(["check", str(program)]) == 0
    assert "3 games written" in capsys.readouterr().out


def test_sample_playable_keeps_only_games_that_pass(tmp_path):
    assert (
        run(
            "sample",
            "--n",
            "1",
            "--out",
            str(tmp_path),
            "--playable",
            "--judge",
            TINY,
            "--maps",
            "1",
        )
        == 0
    )
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    kept = [g for g in manifest["games"] if g["passed"]]
    assert len(kept) == 1 and len(list(tmp_path.glob("*.xent"))) == 1
    assert all(not g["passed"] for g in manifest["games"][:-1])


def test_evolve_then_cover_writes_a_suite_that_loads(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        run(
            "evolve",
            "--generations",
            "1",
            "--population",
            "4",
            "--seed",
            "2",
            "--maps",
            "1",
            "--out",
            str(out),
            "--judge",
            TINY,
        )
        == 0
    )
    assert (out / "archive.json").exists()
    suite_path = tmp_path / "suite.json"
    assert run("cover", str(out), "--k", "2", "--out", str(suite_path)) == 0
    suite = load_suite(suite_path)
    elites = json.loads((out / "archive.json").read_text())["elites"]
    assert len(suite.games) == min(2, len(elites))
    assert suite.measure["pool"] == len(elites) and suite.measure["method"] == "facility"


def test_cover_profiles_a_folder_of_games(tmp_path):
    games = tmp_path / "games"
    assert run("sample", "--n", "3", "--seed", "5", "--out", str(games)) == 0
    suite_path = tmp_path / "suite.json"
    assert (
        run(
            "cover",
            str(games),
            "--k",
            "2",
            "--method",
            "kcentre",
            "--judge",
            TINY,
            "--out",
            str(suite_path),
        )
        == 0
    )
    assert len(load_suite(suite_path).games) == 2


def test_bad_arguments_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="--n must be at least 1"):
        run("sample", "--n", "0", "--out", str(tmp_path))
    with pytest.raises(ConfigError, match="holds no games"):
        run("cover", str(tmp_path), "--k", "2", "--out", str(tmp_path / "s.json"), "--judge", TINY)


def test_the_commands_plug_into_the_xent_envs_parser(tmp_path):
    from xent_envs.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["sample", "--n", "2", "--out", str(tmp_path)])
    assert args.func(args) == 0 and len(list(tmp_path.glob("*.xent"))) == 2
