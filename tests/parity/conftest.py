"""Fixtures of the parity tests: the reference engine (a test dependency that must be
installed: its absence fails the tests, with the command that installs it) and one float32
model folder that both engines load."""

from __future__ import annotations

import types

import pytest

from .harness import (
    ReferenceMissingError,
    load_reference,
    project_judge,
    reference_judge,
    save_tiny_model,
)


@pytest.fixture(scope="session")
def reference() -> types.SimpleNamespace:
    try:
        return load_reference()
    except ReferenceMissingError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def model_folder(tmp_path_factory: pytest.TempPathFactory):
    return save_tiny_model(tmp_path_factory.mktemp("parity") / "tiny")


@pytest.fixture(scope="session")
def judges(reference, model_folder):
    """``(reference judge, our judge)`` on the same float32 model; ours with the reference's
    convention (the first token of a text is not scored)."""
    return reference_judge(reference, model_folder), project_judge(model_folder)
