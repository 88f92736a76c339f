"""The examples in the generation package's docstrings run and give what they show; the
package stays light and inside its layer."""

from __future__ import annotations

import ast
import doctest
import importlib
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).parents[2] / "xent_envs" / "generation"
MODULES = ["__init__", "env", "game", "grammar", "probes", "sampler"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(
        "xent_envs.generation" if name == "__init__" else f"xent_envs.generation.{name}"
    )
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


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
