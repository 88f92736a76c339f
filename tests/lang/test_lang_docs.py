"""The examples in the language's docstrings (and in the error helpers it uses) run and give
what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "xent_envs.errors",
    "xent_envs.lang.builtins",
    "xent_envs.lang.codec",
    "xent_envs.lang.interpreter",
    "xent_envs.lang.lexer",
    "xent_envs.lang.loader",
    "xent_envs.lang.maptexts",
    "xent_envs.lang.nodes",
    "xent_envs.lang.parser",
    "xent_envs.lang.truth",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
