"""Fixtures of the web tests: results roots, evaluation runs made by the real evaluation (tiny
judge), apps and their clients."""

from __future__ import annotations

import shutil

import pytest

from agents.random_agent import RandomAgent
from xent_envs.evaluation import AgentSpec, EvalConfig, evaluate


def make_run(folder, *, games=("Condense",), maps=2, rounds=None, seed=0):
    """An evaluation run of the random agent into ``folder``; returns its leaderboard."""
    config = EvalConfig(
        agents=(AgentSpec("random"),), games=games, maps=maps, rounds=rounds, seed=seed,
        judge="tiny-random-gpt2",
    )  # fmt: skip
    return evaluate(config, folder, agent_factories={"random": RandomAgent}, progress=False)


@pytest.fixture(scope="session")
def run_template(tmp_path_factory, tiny_judge):
    """A run of random on Condense (2 maps) and one on Condense with 2 rounds (1 map)."""
    root = tmp_path_factory.mktemp("runs")
    board = make_run(root / "main")
    make_run(root / "two", maps=1, rounds=2)
    return root, board


@pytest.fixture
def root(run_template, tmp_path):
    """A fresh copy of the results root: ``main`` and ``two``."""
    copy = tmp_path / "results"
    shutil.copytree(run_template[0], copy)
    return copy


@pytest.fixture
def settings(root):
    from xent_envs.web import WebSettings

    return WebSettings(judge="tiny-random-gpt2", results=root)


@pytest.fixture
def client_for(tiny_judge):
    """``client_for(settings)``: a TestClient of a new app (closed at the end)."""
    from fastapi.testclient import TestClient

    from xent_envs.web import create_app

    clients = []

    def make(settings):
        client = TestClient(create_app(settings, judge=tiny_judge), base_url="http://127.0.0.1")
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(client_for, settings):
    return client_for(settings)
