"""The `xent-envs` command: list, check, play, eval (tiny judge), bad input."""

from __future__ import annotations

import io
import json
import re

import pytest

from tests.cli_run import run
from xent_envs.cli import main


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
        "error: unknown agent 'serch'. Did you mean 'search'? Valid: hf, hfv, human, openai, random, "
        "search. An agent is a name of the entry-point group 'xent_envs.agents' or "
        "package.module:Class."
    )
    code, _, err = run(capsys, "eval", "--agent", "random", "--games", "Nope",
                       "--judge", "tiny-random-gpt2", "--out", str(tmp_path))  # fmt: skip
    assert code == 1 and "unknown game 'Nope'" in err and "Condense" in err


def test_bad_option_syntax_and_names(capsys, tmp_path):
    code, _, err = run(
        capsys, "eval", "--agent", "random", "-O", "budget=3", "--out", str(tmp_path)
    )
    assert code == 1 and "--agent-option must look like OWNER.NAME=VALUE, got 'budget=3'" in err
    code, _, err = run(capsys, "eval", "--agent", "random", "-O", "serch.budget=3",
                       "--out", str(tmp_path))  # fmt: skip
    assert code == 1
    assert err.strip() == "error: unknown agent 'serch' in --agent-option. Valid: random."
    code, _, err = run(capsys, "eval", "--agent", "random", "-O", "random.bogus=1",
                       "--judge", "tiny-random-gpt2", "--out", str(tmp_path))  # fmt: skip
    assert code == 1
    assert err.strip() == (
        "error: unknown option 'bogus' for agent 'random'. Valid: full_budget, seed, vocab_size."
    )
    code, _, err = run(capsys, "eval", "--agent", "random", "--maps", "100000000000",
                       "--out", str(tmp_path))  # fmt: skip
    assert code == 1 and "maps must be between 1 and 100000 per game" in err
    assert not (tmp_path / "maps").exists()


@pytest.mark.parametrize(
    ("argv", "agents", "params"),
    [
        (["--agent", "random,search", "-O", "search.budget=96", "-O", "search.common_words=[\"a\"]"],
         [("random", None, {}), ("search", None, {"budget": 96, "common_words": ["a"]})], {}),
        (["--agent", "o=openai", "--agent", "random", "-O", "o.model=gpt-4o-mini",
          "-O", "o.temperature=0.5", "-O", "o.max_completion_tokens=null", "-O", 'o.base_url="3"'],
         [("o", "openai", {"model": "gpt-4o-mini", "temperature": 0.5,
                           "max_completion_tokens": None, "base_url": "3"}), ("random", None, {})],
         {}),
        (["--agent", "pkg.mod:Agent", "-O", "pkg.mod:Agent.flag=true",
          "-p", "Condense.budget=5", "-p", "Taboo.target=cat dog"],
         [("pkg.mod:Agent", None, {"flag": True})],
         {"Condense": {"budget": 5}, "Taboo": {"target": "cat dog"}}),
    ],
)  # fmt: skip
def test_eval_parses_agents_options_and_parameters(argv, agents, params):
    from xent_envs.cli import build_parser, eval_config

    config = eval_config(build_parser().parse_args(["eval", *argv]))
    assert [(a.name, a.source, dict(a.options)) for a in config.agents] == agents
    assert config.game_params == params


def test_eval_refuses_a_folder_with_maps_when_told_not_to_resume(capsys, tmp_path, tiny_judge):
    argv = ["eval", "--agent", "random", "--games", "Condense", "--maps", "1",
            "--judge", "tiny-random-gpt2", "--out", str(tmp_path), "-q"]  # fmt: skip
    assert run(capsys, *argv, "--no-resume")[0] == 0  # an empty folder is fine
    code, _, err = run(capsys, *argv, "--no-resume")
    assert code == 1 and "already holds 1 maps of this run" in err


def test_eval_is_interrupted_with_status_130(capsys, monkeypatch, tmp_path, tiny_judge):
    import xent_envs.evaluation.runner as runner

    real = runner.play_map
    played = []

    def interrupt_second(env, agent, slot):
        if played:
            raise KeyboardInterrupt
        played.append(slot)
        return real(env, agent, slot)

    monkeypatch.setattr(runner, "play_map", interrupt_second)
    code, _, err = run(capsys, "eval", "--agent", "random", "--games", "Condense", "--maps", "2",
                       "--judge", "tiny-random-gpt2", "--out", str(tmp_path), "-q")  # fmt: skip
    assert code == 130
    assert f"Interrupted: 1 maps are saved in {tmp_path}; run the same command again" in err


def test_eval_prints_the_table_and_resumes(capsys, tmp_path, tiny_judge):
    argv = ["eval", "--agent", "random", "--games", "Condense", "--maps", "2",
            "--judge", "tiny-random-gpt2", "--out", str(tmp_path), "-q"]  # fmt: skip
    code, out, _ = run(capsys, *argv)
    assert code == 0
    # random is the baseline: 0 on every map
    assert re.search(r"^\| 1 \| random \| 0\.0 \|", out, re.M) and "report.md" in out
    first = json.loads((tmp_path / "results.json").read_text())["maps"]
    code, out, err = run(capsys, *argv, "--normalisation", "reference")
    assert code == 0 and "2 maps already saved" in err
    # the reference normalisation: alone, the best on every map (100), or '-' if all are 0
    assert re.search(r"^\| 1 \| random \| (100\.0|-100\.0|-) \|", out, re.M)
    assert "Normalisation shown: `reference`" in (tmp_path / "report.md").read_text()
    again = json.loads((tmp_path / "results.json").read_text())["maps"]
    assert [m["score"] for m in again] == [m["score"] for m in first]
    code, _, err = run(capsys, *argv[:-1], "--seed", "1")
    assert code == 1 and "holds results of another run" in err and "seed: 0 -> 1" in err


def test_play_reads_moves_from_the_terminal(capsys, monkeypatch, tiny_judge):
    monkeypatch.setattr("sys.stdin", io.StringIO("a short move\n"))
    code, out, _ = run(capsys, "play", "Condense", "--judge", "tiny-random-gpt2", "--seed", "3")
    assert code == 0
    assert "# Condense - round 1/1" in out
    assert "You played 'a short move'" in out and "Map score (best round):" in out


def test_play_takes_rounds_and_parameters(capsys, monkeypatch, tiny_judge):
    monkeypatch.setattr("sys.stdin", io.StringIO("one\ntwo\n"))
    code, out, _ = run(capsys, "play", "Condense", "--judge", "tiny-random-gpt2", "--rounds", "2",
                       "-p", "budget=4")  # fmt: skip
    assert code == 0
    assert "# Condense - round 1/2" in out and "# Condense - round 2/2" in out
    assert out.count("Your move (at most 4 tokens): ") == 2
    assert (
        "You played ' one'" not in out and "You played 'one'" in out and "You played 'two'" in out
    )


def test_play_shows_a_refused_move_and_asks_again(capsys, monkeypatch, tiny_judge):
    monkeypatch.setattr("sys.stdin", io.StringIO("eel\nok\n"))  # Lipogram: no letter e
    code, out, _ = run(capsys, "play", "Lipogram", "--judge", "tiny-random-gpt2")
    assert code == 0
    first, second = out.split("Your move (at most 10 tokens): ")[1:3]
    assert first.startswith("\nYour move 'eel' was refused; try again.\n")
    assert "## Feedback" in first and "ensure(only_uses_chars(t, x))" in first
    assert second.startswith("\nYou played 'ok': ") and "Map score (best round):" in second


def test_play_quits_on_end_of_input(capsys, monkeypatch, tiny_judge):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, out, _ = run(capsys, "play", "Condense", "--judge", "tiny-random-gpt2")
    assert code == 0 and out.rstrip().endswith("Bye.")


def test_play_is_interrupted_with_status_130(capsys, monkeypatch, tiny_judge):
    def ctrl_c(prompt=""):
        raise KeyboardInterrupt

    monkeypatch.setattr("builtins.input", ctrl_c)
    code, _, err = run(capsys, "play", "Condense", "--judge", "tiny-random-gpt2")
    assert code == 130 and err.strip() == "Interrupted."


def test_eval_refuses_an_unknown_normalisation(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["eval", "--agent", "random", "--normalisation", "best", "--out", str(tmp_path)])
    assert "--normalisation: invalid choice: 'best'" in capsys.readouterr().err


def test_help_names_every_command(capsys):
    from xent_envs.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    commands = ["check", "cover", "eval", "evolve", "list", "maps", "play", "sample", "serve",
                "serve-judge", "train"]  # fmt: skip
    assert sorted(sub.choices) == commands
    for command in commands:
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0
        assert capsys.readouterr().out.startswith(f"usage: xent-envs {command}")
