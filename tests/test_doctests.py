"""The examples in docstrings are tests: pytest collects every module's (``--doctest-modules``
over ``xent_envs`` and ``agents``, pyproject.toml), and the modules that teach by example keep
their examples."""

from __future__ import annotations

import doctest
import importlib
import pathlib
import tomllib

import pytest

ROOT = pathlib.Path(__file__).parents[1]

# Modules whose examples are their documentation: losing them would go unnoticed by pytest
# (a module without examples collects no doctest item and fails nothing).
TAUGHT_BY_EXAMPLE = [
    "agents",
    "xent_envs",
    "xent_envs.errors",
    "xent_envs.envs.vector",
    "xent_envs.evaluation.scoring",
    "xent_envs.generation",
    "xent_envs.generation.env",
    "xent_envs.generation.game",
    "xent_envs.generation.grammar",
    "xent_envs.generation.probes",
    "xent_envs.generation.sampler",
    "xent_envs.judge",
    "xent_envs.lang.builtins",
    "xent_envs.lang.codec",
    "xent_envs.lang.interpreter",
    "xent_envs.lang.lexer",
    "xent_envs.lang.loader",
    "xent_envs.lang.maptexts",
    "xent_envs.lang.nodes",
    "xent_envs.lang.parser",
    "xent_envs.lang.truth",
    "xent_envs.maps",
    "xent_envs.maps.texts",
    "xent_envs.registration",
    "xent_envs.seeding",
    "xent_envs.wrappers",
]


def test_pytest_collects_the_doctests_of_the_library_and_the_agents() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    options = config["ini_options"]
    assert "--doctest-modules" in options["addopts"]
    assert {"tests", "xent_envs", "agents"} <= set(options["testpaths"])


@pytest.mark.parametrize("name", TAUGHT_BY_EXAMPLE)
def test_module_keeps_its_examples(name: str) -> None:
    module = importlib.import_module(name)
    examples = sum(len(test.examples) for test in doctest.DocTestFinder().find(module))
    assert examples > 0
