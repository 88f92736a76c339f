"""The web package's pure pieces: move checks, the steps a seat is shown, folder names,
settings."""

from __future__ import annotations

import pytest

from xent_envs.errors import ConfigError, UnknownNameError
from xent_envs.lang.events import EnsureFailedEvent, MoveEvent, RewardEvent
from xent_envs.score import Score
from xent_envs.web import OpponentSpec, WebSettings
from xent_envs.web.folders import folder_path, run_folders
from xent_envs.web.moves import character_problem, move_problem
from xent_envs.web.views import seat_steps


@pytest.mark.parametrize("text", ["", "plain", "tab\there", "two\nlines", "émoji 🙂 ok", "中文"])
def test_printable_text_and_line_breaks_are_fine(text):
    assert character_problem(text) is None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x00", "character 2 of the move is U+0000 (a control character), which a move"),
        ("\x1b[2J", "character 1 of the move is U+001B (a control character)"),
        ("x\u2028y", "character 2 of the move is U+2028 LINE SEPARATOR"),
        ("\u2066evil", "character 1 of the move is U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("a\r", "character 2 of the move is U+000D (a control character)"),
        ("z\ud800", "character 2 of the move is U+D800 (a lone surrogate)"),
    ],
)
def test_characters_that_hide_what_a_text_says_are_refused(text, shown):
    assert character_problem(text).startswith(shown)


def test_a_moves_budget_is_counted_in_judge_tokens(tiny_judge):
    text = " a farmer and his dog"
    n = len(tiny_judge.encode(text))
    assert move_problem(text, n, tiny_judge) is None
    assert move_problem(text, n - 1, tiny_judge) == (
        f"the move is {n} tokens long, over the budget of {n - 1} tokens: shorten it"
    )
    assert move_problem("a\x07" + "x" * 500, 1, tiny_judge).startswith("character 2")


def test_each_move_gets_the_rewards_paid_to_its_seat_until_that_seat_moves_again():
    events = [
        MoveEvent("black", "x", " one", False, 2, 0, 1),
        EnsureFailedEvent("black", 3, 0, 1, "x must be short"),
        MoveEvent("black", "x", " two", True, 2, 0, 1),
        MoveEvent("white", "y", " reply", False, 4, 0, 1),
        RewardEvent("black", Score(("a", "b"), (2.0, -0.5)), 5, 0),
        RewardEvent("white", Score(("a", "b"), (-2.0, 0.5)), 5, 0),
        RewardEvent("black", Score(("c",), (1.0,)), 6, 0),
        RewardEvent("alice", Score(("d",), (0.25,)), 7, 0),
    ]
    black = seat_steps(events, "black")
    assert [(s["move"], s["ensure_failed"], s["reason"], s["cut"]) for s in black] == [
        (" one", True, "x must be short", False), (" two", False, None, True),
    ]  # fmt: skip
    assert black[0]["reward_terms"] == [] and black[0]["reward"] == 0.0
    assert [t["line"] for t in black[1]["reward_terms"]] == [5, 6] and black[1]["reward"] == 2.5
    every = seat_steps(events)
    assert [(s["seat"], s["move"], s["reward"]) for s in every] == [
        ("black", " one", 0.0), ("black", " two", 2.5), ("white", " reply", -1.5),
        ("alice", None, 0.25),
    ]  # fmt: skip
    assert seat_steps(events, "white") == [every[2]]


def test_folder_names_stay_under_the_root(tmp_path):
    (tmp_path / "runs" / "a").mkdir(parents=True)
    assert folder_path(tmp_path, "runs/a", must_exist=True) == (tmp_path / "runs" / "a").resolve()
    assert folder_path(tmp_path, "new", must_exist=False) == (tmp_path / "new").resolve()
    assert folder_path(tmp_path, ".", must_exist=True) == tmp_path.resolve()
    for bad in ("..", "a/../..", ".git", "a//b", "/abs", "a\\b", "x" * 201, "a b"):
        with pytest.raises(ConfigError, match="a results folder is named relative"):
            folder_path(tmp_path, bad, must_exist=False)
    with pytest.raises(UnknownNameError, match="unknown results folder 'runs/b'"):
        folder_path(tmp_path, "runs/b", must_exist=True)


def test_run_folders_are_found_a_few_levels_deep(tmp_path):
    for name in ("a", "b/c", "b/c/d", "e/f/g/h", ".x/y", "a/maps/z"):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "run.json").write_text("{}")
    assert run_folders(tmp_path) == ["a", "b/c", "b/c/d"]
    assert run_folders(tmp_path / "missing") == []


def test_settings_are_checked():
    with pytest.raises(ConfigError, match="max_sessions must be at least 1"):
        WebSettings(max_sessions=0)
    with pytest.raises(ConfigError, match="idle_seconds must be positive"):
        WebSettings(idle_seconds=0)
    with pytest.raises(ConfigError, match="opponent name 'echo' is used twice"):
        WebSettings(opponents=(OpponentSpec("echo", object),))
    with pytest.raises(ConfigError, match="opponent name 'r' is used twice"):
        WebSettings(opponents=(OpponentSpec("r", object), OpponentSpec("r", object)))


def test_importing_the_web_package_loads_no_web_framework():
    import subprocess
    import sys

    code = (
        "import sys, xent_envs.web; "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette', 'torch', 'agents') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stderr


@pytest.mark.parametrize(
    "module", ["moves", "views", "results", "settings", "folders", "security", "recording"]
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"xent_envs.web.{module}"))
    assert result.failed == 0
