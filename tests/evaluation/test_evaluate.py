"""End to end with the tiny judge: random + search on 2 games x 2 maps, resume after an
interruption, a folder of another configuration, an agent that raises, a full disk."""

from __future__ import annotations

import errno
import json

import pytest

from agents import Agent, AgentError
from agents.random_agent import RandomAgent
from xent_envs import files as store_module
from xent_envs.errors import RunConflictError, UnknownNameError, WriteError
from xent_envs.evaluation import EvalConfig, evaluate
from xent_envs.evaluation.store import ResultsStore

GAMES = ("Condense", "Taboo")
FAST = {"search": {"budget": 12, "batch_size": 6, "generate_tokens": 4}}


def config(**changes):
    fields = dict(agents=("random", "search"), games=GAMES, maps=2, seed=0,
                  judge="tiny-random-gpt2", agent_options=FAST)  # fmt: skip
    fields.update(changes)
    return EvalConfig(**fields)


def played(folder):
    """What was played and earned, without timings."""
    out = {}
    for r in ResultsStore(folder).records():
        moves = [(s["action"], s["reward"]) for rd in r["rounds"] for s in rd["steps"]]
        out[(r["game"], r["map"], r["agent"])] = (r["status"], r["seed"], r["score"], moves)
    return out


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, tiny_judge):
    folder = tmp_path_factory.mktemp("full")
    board = evaluate(config(), folder, progress=False)
    return folder, board


def test_full_run_scores_every_map_and_writes_reports(full_run):
    folder, board = full_run
    records = list(ResultsStore(folder).records())
    assert len(records) == 2 * 2 * 2
    assert all(r["status"] == "ok" and isinstance(r["score"], float) for r in records)
    assert {r.agent for r in board.rows} == {"random", "search"}
    assert all(r.maps == 4 and r.errors == 0 for r in board.rows)
    for name in ("run.json", "results.json", "report.md", "leaderboard.png"):
        assert (folder / name).is_file()
    results = json.loads((folder / "results.json").read_text())
    assert results["config"]["judge_fingerprint"]["model"] == "tiny-random-gpt2"
    assert {"transformers", "torch", "xent-envs"} <= set(results["versions"])
    step = results["maps"][0]["rounds"][0]["steps"][0]
    assert {"action", "move", "reward", "token_rewards", "act_seconds", "tokens"} <= set(step)


def test_all_agents_meet_the_same_maps(full_run):
    folder, _ = full_run
    by_map = {}
    for r in ResultsStore(folder).records():
        by_map.setdefault((r["game"], r["map"]), set()).add((r["seed"], r["instance_id"]))
    assert all(len(v) == 1 for v in by_map.values())
    assert len({next(iter(v))[1] for v in by_map.values()}) == 4


def test_search_plays_the_reward_it_expected(full_run):
    folder, _ = full_run
    for r in ResultsStore(folder).records():
        if r["agent"] == "search":
            for step in (s for rd in r["rounds"] for s in rd["steps"]):
                assert step["agent"]["expected_reward"] == pytest.approx(step["reward"], abs=1e-3)
                assert step["agent"]["evaluations"] <= FAST["search"]["budget"]


def test_interrupted_run_resumes_to_identical_results(full_run, tmp_path, monkeypatch):
    folder = tmp_path / "resumed"
    real_save = ResultsStore.save
    saves = []

    def save_then_interrupt(self, record):
        real_save(self, record)
        saves.append(record)
        if len(saves) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(ResultsStore, "save", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        evaluate(config(), folder, progress=False)
    monkeypatch.setattr(ResultsStore, "save", real_save)
    assert len(list(ResultsStore(folder).records())) == 3
    notes = []
    evaluate(config(), folder, progress=False, log=notes.append)
    assert notes[0].startswith("resuming run") and "3 maps already saved" in notes[0]
    assert played(folder) == played(full_run[0])


def test_another_configuration_is_refused(full_run):
    folder, _ = full_run
    before = played(folder)
    with pytest.raises(RunConflictError, match="changed: maps: 2 -> 3"):
        evaluate(config(maps=3), folder, progress=False)
    assert played(folder) == before


def test_unknown_names_list_the_valid_ones(tmp_path):
    with pytest.raises(UnknownNameError, match="unknown agent 'randm' .*did you mean 'random'"):
        evaluate(config(agents=("randm",)), tmp_path, progress=False)
    with pytest.raises(UnknownNameError, match="Condense"):
        evaluate(config(games=("Nope",)), tmp_path, progress=False)


class Flaky(Agent):
    """Raises on its second map."""

    name = "flaky"

    def __init__(self):
        super().__init__()
        self.maps = 0
        self.inner = RandomAgent()

    def reset(self, env=None, seed=None):
        super().reset(env, seed)
        self.inner.reset(env, seed)
        self.maps += 1

    def act(self, observation, info):
        if self.maps == 2:
            raise AgentError("server down")
        return self.inner.act(observation, info)


def test_an_agent_that_raises_is_recorded_and_the_run_goes_on(tmp_path):
    notes = []
    board = evaluate(config(agents=("flaky",), games=("Condense",)), tmp_path, progress=False,
                     agent_factories={"flaky": Flaky}, log=notes.append)  # fmt: skip
    (row,) = board.rows
    assert row.errors == 1 and row.maps == 1
    failed = ResultsStore(tmp_path).load("Condense", 1, "flaky")
    assert failed["status"] == "error" and failed["error"]["message"] == "server down"
    assert any(
        "flaky failed on Condense map 1 (agent.act): AgentError: server down" in n for n in notes
    )


def test_a_full_disk_stops_with_a_clear_message_and_keeps_saved_maps(tmp_path, monkeypatch):
    real = store_module.atomic_write_bytes
    calls = []

    def fill_up(path, data):
        calls.append(path)
        if len(calls) == 3:  # run.json, map 1, then the disk is full
            raise WriteError(errno.ENOSPC, f"disk full while saving {path}")
        real(path, data)

    monkeypatch.setattr(store_module, "atomic_write_bytes", fill_up)
    with pytest.raises(WriteError, match="disk full"):
        evaluate(config(agents=("random",), games=("Condense",)), tmp_path, progress=False)
    assert len(list(ResultsStore(tmp_path).records())) == 1
