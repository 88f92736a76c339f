"""``xent-envs train`` from the command line: bad input exits 1 with a clear message and
writes nothing; Ctrl-C exits 130 keeping the checkpoint, and ``--resume`` finishes the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xent_envs.cli import main

TABLE = [
    "--policy", "token-table", "--judge", "tiny-random-gpt2", "-p", "budget=3",
    "-p", "story_tokens=16", "-P", "vocab=64", "-P", "length=2", "--train-maps", "1",
    "--group", "4", "--eval-maps", "0", "--lr", "1.0", "--beta", "0", "-q",
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--game", "Condence"], "error: unknown game 'Condence'. Did you mean 'Condense'?"),
        (["--game", "Condense", "--policy", "gpt-9"], "error: unknown policy 'gpt-9'"),
        (["--game", "Debate"], "nobody plays 'white'. Name its policy: --opponent white=echo"),
        (["--game", "Debate", "--opponent", "white=nobody"], "unknown opponent 'nobody'"),
        (["--game", "Condense", "-P", "colour=red"], "unknown policy option 'colour'"),
        (["--game", "Condense", "--group", "1"], "group must be at least 2"),
    ],
)
def test_bad_input_exits_1_with_a_message_and_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "run"
    code = main(
        ["train", *TABLE, *args, "--steps", "2", "--out", str(out)]
    )  # the last --policy wins
    assert code == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_a_folder_of_another_run_exits_1_and_keeps_it(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["train", "--game", "Condense", *TABLE, "--steps", "2", "--out", out]) == 0
    saved = (tmp_path / "run" / "config.json").read_text()
    code = main(["train", "--game", "Condense", *TABLE, "--steps", "2", "--seed", "7",
                 "--out", out, "--resume"])  # fmt: skip
    assert code == 1
    assert "holds another run (seed: 0 -> 7); use another --out folder" in capsys.readouterr().err
    assert (tmp_path / "run" / "config.json").read_text() == saved


def test_ctrl_c_exits_130_keeps_the_checkpoint_and_resume_finishes(tmp_path):
    """A real SIGINT to a real ``xent-envs train`` process, once its first step is logged."""
    out = tmp_path / "run"
    command = [sys.executable, "-m", "xent_envs.cli", "train", "--game", "Condense", *TABLE,
               "--steps", "400", "--save-every", "1000", "--out", str(out)]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(command, cwd=root, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / "log.csv").is_file() or len((out / "log.csv").read_text().split()) < 3:
            assert proc.poll() is None and time.monotonic() < deadline, "no step logged"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "--resume" in err
    saved = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert len(saved) == 1 and saved[0].startswith("step-")
    step = int(saved[0].split("-")[1])
    assert 2 <= step < 400  # the step in progress was finished and saved (save_every is 1000)
    rows = (out / "log.csv").read_text().split()
    assert len(rows) == step + 1  # header + every finished step
    resumed = main(["train", "--game", "Condense", *TABLE, "--steps", str(step + 2),
                    "--out", str(out), "--resume"])  # fmt: skip
    assert resumed == 0
    assert len((out / "log.csv").read_text().split()) == step + 3
