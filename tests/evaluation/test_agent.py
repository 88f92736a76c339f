"""How agent names become factories (entry points, ``module:Class``), the options check, the
agent contract, and the layering rule: the library never imports the ``agents`` package."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from xent_envs.errors import ConfigError, UnknownNameError
from xent_envs.evaluation import (
    ENTRY_POINT_GROUP,
    Agent,
    agent_names,
    build_agent,
    load_agent_factory,
)
from xent_envs.evaluation.agent import check_agent_options

from .plugin_agents import Echo, NotAnAgent

ROOT = Path(__file__).resolve().parents[2]


def install_plugin(tmp_path, monkeypatch, entries):
    """A real installed distribution (a ``.dist-info`` folder on ``sys.path``) whose entry
    points add agents, as ``pip install`` of a plug-in package would leave it."""
    info = tmp_path / "xent_plugin_test-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: xent-plugin-test\nVersion: 0.1\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entries.items())
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_importing_the_evaluation_loads_no_agents_module():
    code = (
        "import sys, xent_envs.evaluation, xent_envs.cli\n"
        "print(sorted(m for m in sys.modules if m == 'agents' or m.startswith('agents.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, check=True)  # fmt: skip
    assert out.stdout.strip() == "[]"


def test_the_built_in_agents_are_entry_points_that_meet_the_contract():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    points = declared[ENTRY_POINT_GROUP]
    assert set(points) == {"random", "search", "hf", "hfv", "openai", "human"}
    options = {"openai": {"model": "m"}}
    for name, value in points.items():
        factory = importlib.metadata.EntryPoint(name, value, ENTRY_POINT_GROUP).load()
        agent = build_agent(factory, options.get(name, {}), name)
        assert isinstance(agent, Agent) and agent.name == name


def test_the_installed_entry_points_are_the_declared_ones():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    missing = set(declared[ENTRY_POINT_GROUP]) - set(agent_names())
    assert not missing, f"reinstall the package (pip install -e .): {sorted(missing)} not installed"


def test_module_class_names_any_importable_factory():
    assert load_agent_factory("tests.evaluation.plugin_agents:Echo") is Echo
    with pytest.raises(
        UnknownNameError,
        match=r"'tests.evaluation.plugin_agents' has no 'Ecco' \(did you mean 'Echo'\?\)",
    ):
        load_agent_factory("tests.evaluation.plugin_agents:Ecco")
    with pytest.raises(
        UnknownNameError,
        match="cannot import module 'no_such_package.mod' for agent 'no_such_package.mod:Agent'",
    ):
        load_agent_factory("no_such_package.mod:Agent")
    with pytest.raises(ConfigError, match="needs both parts"):
        load_agent_factory("tests.evaluation.plugin_agents:")


def test_a_plugin_package_adds_agents_through_the_entry_point_group(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, {
        "echo": "tests.evaluation.plugin_agents:Echo",
        "broken-plugin": "tests.evaluation.plugin_agents:missing",
    })  # fmt: skip
    assert {"echo", "broken-plugin"} <= set(agent_names())
    assert load_agent_factory("echo") is Echo
    with pytest.raises(
        ConfigError, match="agent 'broken-plugin' .* failed to load: AttributeError"
    ):
        load_agent_factory("broken-plugin")


def test_an_unknown_name_lists_the_registered_agents(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, {"echo": "tests.evaluation.plugin_agents:Echo"})
    with pytest.raises(UnknownNameError) as info:
        load_agent_factory("ecko")
    message = str(info.value)
    assert message.startswith("unknown agent 'ecko'. Did you mean 'echo'? Valid: ")
    assert "echo" in message and "package.module:Class" in message


def test_options_are_checked_against_the_factory():
    check_agent_options(Echo, {"seed": 1, "loud": True}, "echo")
    with pytest.raises(ConfigError) as info:
        check_agent_options(Echo, {"lound": True}, "echo")
    assert (
        str(info.value)
        == "unknown option 'lound' for agent 'echo'. Did you mean 'loud'? Valid: loud, seed."
    )
    check_agent_options(lambda **kw: None, {"anything": 1}, "kw")  # **options take all


def test_build_agent_says_what_is_wrong():
    assert build_agent(Echo, {"loud": True}, "e").loud is True
    with pytest.raises(
        ConfigError,
        match=r"agent 'x' refused its options \{\}: ValueError: the model file is missing",
    ):
        build_agent(load_agent_factory("tests.evaluation.plugin_agents:broken"), {}, "x")
    with pytest.raises(
        ConfigError, match="built a NotAnAgent, which lacks name, stats, last_details, reset, close"
    ):
        build_agent(NotAnAgent, {}, "n")


def test_the_plugin_agent_plays_from_the_command_line(tmp_path, tiny_judge):
    """End to end in a fresh process: ``--agent NAME`` from a plug-in's entry point, and
    ``--agent package.module:Class`` with an option."""
    plugins = tmp_path / "site"
    plugins.mkdir()
    info = plugins / "xent_plugin_test-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: xent-plugin-test\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\necho = tests.evaluation.plugin_agents:Echo\n"
    )
    path = os.pathsep.join(filter(None, [str(plugins), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": path}
    argv = [sys.executable, "-m", "xent_envs.cli", "eval", "--agent",
            "echo,tests.evaluation.plugin_agents:Echo", "-O",
            "tests.evaluation.plugin_agents:Echo.loud=true", "--games", "Condense", "--maps", "1",
            "--judge", "tiny-random-gpt2", "--out", str(tmp_path / "out"), "-q"]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "| echo |" in out.stdout and "| tests.evaluation.plugin_agents:Echo |" in out.stdout
    saved = sorted(p.name for p in (tmp_path / "out" / "maps" / "Condense").iterdir())
    assert saved == ["0000-echo.json", "0000-tests.evaluation.plugin_agents_Echo.json"]
