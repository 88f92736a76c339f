"""The examples in the language's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["interpreter", "loader", "maptexts", "parser"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"xent_envs.lang.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
