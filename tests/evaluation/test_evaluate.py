"""End to end with the tiny judge: random + search on 2 games x 2 maps; resuming, growing and
refusing folders; agents that raise; bad files in the folder; truncated episodes; the rounds
override; a full disk; a second writer; a huge run that starts lazily."""

from __future__ import annotations

import errno
import json
import shutil
import tracemalloc
from typing import ClassVar

import pytest

from agents import Agent, AgentError
from agents.random_agent import RandomAgent
from xent_envs import files as files_module
from xent_envs.errors import (
    ConfigError,
    RunConflictError,
    RunLockedError,
    UnknownNameError,
    WriteError,
)
from xent_envs.evaluation import (
    MAX_MAPS,
    AgentSpec,
    EvalConfig,
    ResultsStore,
    agent_seed,
    evaluate,
    map_seed,
)
from xent_envs.evaluation.config import RECORD_FORMAT

GAMES = ("Condense", "Taboo")
SEARCH = AgentSpec("search", options={"budget": 12, "batch_size": 6, "generate_tokens": 4})


def config(**changes):
    fields = dict(agents=(AgentSpec("random"), SEARCH), games=GAMES, maps=2, seed=0,
                  judge="tiny-random-gpt2")  # fmt: skip
    fields.update(changes)
    return EvalConfig(**fields)


def saved(folder):
    """Every valid map record of ``folder``, by (game, map, agent)."""
    return ResultsStore(folder).scan(lambda record: record.slot).records


def played(folder):
    """What was played and earned, without timings."""
    return {
        slot: (r.status, r.seed, r.score, [(s.action, s.reward) for s in r.steps])
        for slot, r in saved(folder).items()
    }


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, tiny_judge):
    folder = tmp_path_factory.mktemp("full")
    board = evaluate(config(), folder, progress=False)
    return folder, board


@pytest.fixture
def copy_of_full_run(full_run, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(full_run[0], folder)
    return folder


class Counting(RandomAgent):
    """A random agent that counts the maps it is reset for (across instances)."""

    maps: ClassVar[list[int | None]] = []

    def reset(self, env=None, seed=None):
        super().reset(env, seed)
        Counting.maps.append(seed)


def test_full_run_scores_every_map_and_writes_reports(full_run):
    folder, board = full_run
    records = saved(folder)
    assert len(records) == 2 * 2 * 2
    assert all(r.status == "ok" and isinstance(r.score, float) for r in records.values())
    assert {r.agent for r in board.rows} == {"random", "search"}
    assert all(r.maps == 4 and r.errors == 0 for r in board.rows)
    for name in ("run.json", "results.json", "report.md", "leaderboard.png"):
        assert (folder / name).is_file()
    results = json.loads((folder / "results.json").read_text())
    assert results["judge_fingerprint"]["model"] == "tiny-random-gpt2"
    assert results["config"]["agents"][1] == SEARCH.to_json()
    assert {"transformers", "torch", "xent-envs"} <= set(results["versions"])
    assert results["skipped"] == [] and len(results["maps"]) == 8
    step = results["maps"][0]["rounds"][0]["steps"][0]
    assert {"action", "move", "reward", "reward_terms", "act_seconds", "tokens", "cut"} <= set(step)
    assert all(r.seats == {"black": r.agent} for r in records.values())


def test_all_agents_meet_the_same_maps_with_the_same_seeds(full_run):
    by_map = {}
    for (game, index, _), r in saved(full_run[0]).items():
        by_map.setdefault((game, index), set()).add((r.seed, r.agent_seed, r.instance_id))
        assert r.seed == map_seed(0, game, index) and r.agent_seed == agent_seed(r.seed)
    assert all(len(v) == 1 for v in by_map.values())
    assert len({next(iter(v))[2] for v in by_map.values()}) == 4


def test_search_plays_the_reward_it_expected(full_run):
    for r in saved(full_run[0]).values():
        if r.agent == "search":
            for step in r.steps:
                assert step.details["expected_reward"] == pytest.approx(step.reward, abs=1e-3)
                assert step.details["evaluations"] <= 12


def test_agents_are_reset_with_each_maps_seed(tmp_path, tiny_judge):
    Counting.maps = []
    evaluate(config(agents=("counting",), games=("Condense",), maps=3), tmp_path,
             agent_factories={"counting": Counting}, progress=False)  # fmt: skip
    assert Counting.maps == [agent_seed(map_seed(0, "Condense", i)) for i in range(3)]
    moves = [r.steps[0].action for r in saved(tmp_path).values()]
    assert len(set(moves)) == 3  # each map its own stream


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
    assert len(saved(folder)) == 3
    notes = []
    evaluate(config(), folder, progress=False, log=notes.append)
    assert notes == [f"resuming run {saved(folder)[('Condense', 0, 'random')].run} in {folder}: "
                     "3 maps already saved"]  # fmt: skip
    assert played(folder) == played(full_run[0])


class Flaky(Agent):
    """Raises on its second map."""

    name = "flaky"
    resets = 0

    def __init__(self):
        super().__init__()
        self.inner = RandomAgent()

    def reset(self, env=None, seed=None):
        super().reset(env, seed)
        self.inner.reset(env, seed)
        Flaky.resets += 1

    def act(self, observation, info):
        if Flaky.resets == 2:
            raise AgentError("server down")
        return self.inner.act(observation, info)


def test_an_agent_that_raises_is_recorded_and_replayed_on_resume(tmp_path, tiny_judge):
    Flaky.resets = 0
    notes = []
    flaky = config(agents=("flaky",), games=("Condense",))
    board = evaluate(flaky, tmp_path, progress=False, agent_factories={"flaky": Flaky},
                     log=notes.append)  # fmt: skip
    (row,) = board.rows
    assert row.errors == 1 and row.maps == 1
    failed = saved(tmp_path)[("Condense", 1, "flaky")]
    assert failed.status == "error" and failed.error.message == "server down"
    assert "flaky failed on Condense map 1 (agent.act): AgentError: server down" in notes
    ok_before = (tmp_path / "maps" / "Condense" / "0000-flaky.json").read_bytes()
    board = evaluate(flaky, tmp_path, progress=False, agent_factories={"flaky": Flaky})
    assert Flaky.resets == 3  # only the map recorded as an error was played again
    assert board.rows[0].errors == 0 and board.rows[0].maps == 2
    assert saved(tmp_path)[("Condense", 1, "flaky")].status == "ok"
    assert (tmp_path / "maps" / "Condense" / "0000-flaky.json").read_bytes() == ok_before


def test_maps_played_under_earlier_rules_of_a_game_are_played_again(tmp_path, tiny_judge):
    """A game's rules change with its version (Horizon v1 -> v2); a folder resumed after
    the change must not mix maps of the old rules with maps of the new ones."""
    from xent_envs import register_game

    source = "assign(s=story())\nelicit(x, 4)\nreward(xed(s | x))"
    register_game(source=source, name="Echo", version=0)
    echo = config(agents=(AgentSpec("random"),), games=("Echo",), maps=1)
    evaluate(echo, tmp_path, progress=False)
    first = saved(tmp_path)[("Echo", 0, "random")]
    evaluate(echo, tmp_path, progress=False)  # same rules: nothing is played again
    assert saved(tmp_path)[("Echo", 0, "random")].key == first.key
    register_game(source=source.replace("xed", "nex"), name="Echo", version=1)
    notes: list[str] = []
    evaluate(echo, tmp_path, progress=False, log=notes.append)
    again = saved(tmp_path)[("Echo", 0, "random")]
    assert again.key != first.key and again.instance_id.startswith("xent/Echo-v1?")
    assert first.instance_id.startswith("xent/Echo-v0?")
    assert not any("1 maps already saved" in note for note in notes)


def test_a_run_grows_with_maps_and_agents_reusing_saved_maps(copy_of_full_run, full_run):
    folder = copy_of_full_run
    before = {p: p.read_bytes() for p in ResultsStore(folder).map_files()}
    s4 = AgentSpec("s4", "search", {"budget": 4, "batch_size": 4, "generate_tokens": 0})
    notes = []
    board = evaluate(config(agents=(AgentSpec("random"), SEARCH, s4), maps=3), folder,
                     progress=False, log=notes.append)  # fmt: skip
    assert notes[0].endswith("8 maps already saved")
    assert {p: p.read_bytes() for p in before} == before  # reused, not replayed
    records = saved(folder)
    assert len(records) == 2 * 3 * 3
    assert {r.agent: r.maps for r in board.rows} == {"random": 6, "search": 6, "s4": 6}
    manifest = ResultsStore(folder).read_run()
    assert set(manifest.agents) == {"random", "search", "s4"}
    # a smaller configuration in the grown folder scores only its own maps
    notes = []
    small = evaluate(config(agents=(AgentSpec("random"),), games=("Condense",), maps=1),
                     folder, progress=False, log=notes.append)  # fmt: skip
    assert small.rows[0].maps == 1
    assert "17 saved maps of other agents, games or map numbers are kept" in notes[0]
    results = json.loads((folder / "results.json").read_text())
    assert [(m["game"], m["map"], m["agent"]) for m in results["maps"]] == [
        ("Condense", 0, "random")
    ]


def test_another_run_or_a_renamed_meaning_is_refused(full_run):
    folder, _ = full_run
    before = played(folder)
    with pytest.raises(RunConflictError, match="changed: seed: 0 -> 1"):
        evaluate(config(seed=1), folder, progress=False)
    with pytest.raises(RunConflictError, match="changed: rounds: null -> 2"):
        evaluate(config(rounds=2), folder, progress=False)
    other = AgentSpec("search", options={**SEARCH.options, "budget": 13})
    with pytest.raises(
        RunConflictError, match="agent 'search' was played here as search with options"
    ):
        evaluate(config(agents=(other,)), folder, progress=False)
    with pytest.raises(
        RunConflictError, match=r"game 'Taboo' was played here with parameters \{\}"
    ):
        evaluate(config(game_params={"Taboo": {"budget": 4}}), folder, progress=False)
    assert played(folder) == before


def test_no_resume_refuses_a_folder_with_maps_of_the_configuration(full_run):
    with pytest.raises(RunConflictError, match="already holds 8 maps of this run"):
        evaluate(config(), full_run[0], progress=False, resume=False)


def test_unknown_names_and_options_are_refused_before_playing(tmp_path):
    with pytest.raises(UnknownNameError, match="unknown agent 'randm'. Did you mean 'random'?"):
        evaluate(config(agents=("randm",)), tmp_path, progress=False)
    with pytest.raises(UnknownNameError, match="Condense"):
        evaluate(config(games=("Nope",)), tmp_path, progress=False)
    with pytest.raises(UnknownNameError, match="unknown game 'Taboo' in the game parameters"):
        evaluate(config(games=("Condense",), game_params={"Taboo": {}}), tmp_path, progress=False)
    with pytest.raises(ConfigError, match="unknown option 'bogus' for agent 'random'"):
        evaluate(config(agents=(AgentSpec("random", options={"bogus": 1}),)), tmp_path)
    with pytest.raises(ConfigError, match="budget and batch_size must be at least 1"):
        evaluate(config(agents=(AgentSpec("search", options={"budget": 0}),)), tmp_path,
                 progress=False)  # fmt: skip
    assert not (tmp_path / "maps").exists()
    assert ResultsStore(tmp_path).read_run().agents == {}  # the name is not taken
    fixed = AgentSpec("search", options={"budget": 2, "generate_tokens": 0})
    board = evaluate(config(agents=(fixed,), games=("Condense",), maps=1), tmp_path, progress=False)
    assert board.rows[0].maps == 1


def test_bad_files_in_the_folder_are_reported_and_their_maps_replayed(copy_of_full_run, full_run):
    folder = copy_of_full_run
    maps = folder / "maps" / "Condense"
    (maps / "0000-random.json").write_text("[]")
    (maps / "0001-search.json").write_text('{"status": "ok"}')
    (maps / "0099-random.json").write_bytes((maps / "0001-random.json").read_bytes())
    notes = []
    board = evaluate(config(), folder, progress=False, log=notes.append)
    assert notes[:3] == [
        "not using maps/Condense/0000-random.json: MapRecord: expected an object, got []",
        f"not using maps/Condense/0001-search.json: record format None, not {RECORD_FORMAT}",
        "not using maps/Condense/0099-random.json: the record is of Condense map 1 by random, "
        "whose file is maps/Condense/0001-random.json",
    ]
    assert all(r.maps == 4 for r in board.rows)  # the two bad maps were played again
    assert played(folder) == played(full_run[0])
    results = json.loads((folder / "results.json").read_text())
    assert [s["path"] for s in results["skipped"]] == [
        "maps/Condense/0000-random.json", "maps/Condense/0001-search.json",
        "maps/Condense/0099-random.json",
    ]  # fmt: skip


class Banned(Agent):
    """Always plays a move that Lipogram's ensure refuses (it uses the letter e)."""

    name = "banned"

    def act(self, observation, info):
        return self.env.unwrapped.judge.encode("eee")


def test_a_truncated_episode_is_recorded_with_its_reason(tmp_path, tiny_judge):
    board = evaluate(config(agents=("banned",), games=("Lipogram",), maps=1), tmp_path,
                     agent_factories={"banned": Banned}, progress=False)  # fmt: skip
    record = saved(tmp_path)[("Lipogram", 0, "banned")]
    assert record.status == "ok" and record.score == 0.0
    assert "failed 11 times in a row" in record.truncation_reason
    assert record.moves == 11 and [s.ensure_failed for s in record.steps] == [True] * 10 + [False]
    assert board.rows[0].maps == 1 and board.rows[0].errors == 0


def test_the_rounds_override_plays_every_round(tmp_path, tiny_judge):
    evaluate(config(agents=("random",), games=("Condense",), maps=1, rounds=3), tmp_path,
             progress=False)  # fmt: skip
    record = saved(tmp_path)[("Condense", 0, "random")]
    assert record.params["rounds"] == 3 and len(record.round_scores) == 3
    assert [r.round for r in record.rounds] == [0, 1, 2]
    assert record.score == max(record.round_scores)
    assert ResultsStore(tmp_path).read_run().rounds == 3


def test_a_full_disk_stops_with_a_clear_message_and_keeps_saved_maps(tmp_path, monkeypatch):
    real = files_module.atomic_write_bytes
    maps_saved = []

    def fill_up(path, data):
        if "maps" in path.parts:
            maps_saved.append(path)
            if len(maps_saved) == 2:  # map 1 is saved, then the disk is full
                raise WriteError(errno.ENOSPC, f"disk full while saving {path}")
        real(path, data)

    monkeypatch.setattr(files_module, "atomic_write_bytes", fill_up)
    with pytest.raises(WriteError, match="disk full"):
        evaluate(config(agents=("random",), games=("Condense",)), tmp_path, progress=False)
    assert len(saved(tmp_path)) == 1


def test_a_second_evaluation_into_the_folder_is_refused(tmp_path, tiny_judge):
    with (
        ResultsStore(tmp_path).lock(),
        pytest.raises(RunLockedError, match="in use by another evaluation"),
    ):
        evaluate(config(agents=("random",), games=("Condense",)), tmp_path, progress=False)
    assert not (tmp_path / "maps").exists()


class Interrupting(RandomAgent):
    def act(self, observation, info):
        raise KeyboardInterrupt


def test_a_huge_run_starts_at_once_with_little_memory(tmp_path, tiny_judge):
    huge = config(agents=(AgentSpec("random"), AgentSpec("x")), games=GAMES, maps=MAX_MAPS)
    tracemalloc.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            evaluate(huge, tmp_path, agent_factories={"x": Interrupting}, progress=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 30 * 2**20  # 400,000 slots planned eagerly would take hundreds of MB
    assert len(saved(tmp_path)) == 1  # random's map 0 was played, x was interrupted on it
