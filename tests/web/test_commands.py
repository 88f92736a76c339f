"""``xent-envs serve``: the command in the CLI, its options checked before anything loads, and
a real server started by the command line, answering on 127.0.0.1 and stopping on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.web.servers import free_port
from xent_envs.cli import build_parser, main

REPO = Path(__file__).resolve().parents[2]


def test_serve_is_a_command_of_the_cli(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--help"])
    out = capsys.readouterr().out
    assert "Serve a page to play Xent games" in out
    for option in ("--port", "--results", "--judge", "--opponents", "--host", "--max-sessions"):
        assert option in out
    args = build_parser().parse_args(["serve"])
    assert (args.port, args.host, args.results, args.play_folder) == (
        8000,
        "127.0.0.1",
        "results",
        "web",
    )


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["--opponents", "nope"], "unknown agent 'nope'"),
        (
            ["--opponents", "random", "-O", "search.budget=3"],
            "unknown agent 'search' in --agent-option",
        ),
        (
            ["--opponents", "random", "-O", "random.colour=3"],
            "unknown option 'colour' for agent 'random'",
        ),
        (["--port", "0"], "--port must be in 1..65535, got 0"),
        (["--max-sessions", "0"], "max_sessions must be at least 1"),
    ],
)
def test_bad_options_fail_before_anything_loads(argv, shown, capsys, tmp_path):
    assert main(["serve", "--results", str(tmp_path), *argv]) == 1
    assert shown in capsys.readouterr().err


def test_the_command_serves_the_page_on_loopback_until_interrupted(tmp_path):
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "xent_envs.cli", "serve", "--port", str(port),
               "--judge", "tiny-random-gpt2", "--results", str(tmp_path), "--opponents", "random"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 120
        info = None
        while info is None and time.monotonic() < deadline and process.poll() is None:
            try:
                info = httpx.get(f"http://127.0.0.1:{port}/api/info", timeout=2).json()
            except httpx.TransportError:
                time.sleep(0.3)
        assert info is not None, (
            process.stdout.read() if process.poll() is not None else "no answer"
        )
        assert info["judge"]["name"] == "tiny-random-gpt2"
        assert info["opponents"] == ["echo", "random"]
        assert info["results_root"] == str(tmp_path)
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200 and "<title>xent-envs</title>" in page.text
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        out = process.stdout.read()
        assert f"Serving http://127.0.0.1:{port}/ (results: {tmp_path}; Ctrl-C to stop)" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
