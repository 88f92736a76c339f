"""Running the ``xent-envs`` command in-process, as the CLI tests do."""

from __future__ import annotations

from xent_envs.cli import main


def run(capsys, *argv):
    """``main(argv)``'s exit code, then what it printed to stdout and to stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
