"""The generation package stays light and inside its layer (its docstrings' examples run with
every other module's: tests/test_doctests.py)."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).parents[2] / "xent_envs" / "generation"


def test_the_package_never_imports_agents_and_imports_no_torch():
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                assert not any(n == "agents" or n.startswith("agents.") for n in names), path
    code = "import sys, xent_envs.generation; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
