"""Shared fixtures: judges are loaded once per test session (loading is the slow part)."""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def pytest_configure(config):
    # The tiny judge's forward passes take about a millisecond; torch's thread pool spinning
    # on a busy 2-core machine makes each one 100x slower. One thread keeps tests fast.
    import torch

    torch.set_num_threads(int(os.environ.get("XENT_TEST_TORCH_THREADS", "1")))


@pytest.fixture(scope="session")
def tiny_judge():
    from xent_envs.judge import load_judge

    return load_judge("tiny-random-gpt2")


@pytest.fixture(scope="session")
def real_judge():
    """The default SmolLM2 judge; for tests marked ``real_judge``."""
    from xent_envs.judge import load_judge

    return load_judge()


@pytest.fixture(autouse=True)
def _registrations_undone():
    """Games a test registers are gone after it, so ``xent/Random-v0`` draws the same games
    whatever ran before."""
    from xent_envs.registration import temporary_registrations

    with temporary_registrations():
        yield
