"""Evolution: MAP-Elites growth, resumable after an interruption, reproducible, guarded."""

from __future__ import annotations

import json

import pytest

from xent_envs.errors import ConfigError, RunConflictError
from xent_envs.generation import Archive, EvolutionConfig, evolve
from xent_envs.generation.archive import CELLS
from xent_envs.generation.evolution import STATE_FILE

CONFIG = EvolutionConfig(generations=2, population=4, seed=1, maps=1)


class Interrupting:
    """The tiny judge, interrupted (as by Ctrl-C) at its ``after``-th scoring call."""

    def __init__(self, judge, after: int) -> None:
        self._judge, self.calls, self.after = judge, 0, after

    def __getattr__(self, name):
        return getattr(self._judge, name)

    def score_batch(self, requests):
        self.calls += 1
        if self.calls == self.after:
            raise KeyboardInterrupt
        return self._judge.score_batch(requests)


def summary(archive: Archive) -> list[tuple]:
    """What must not depend on interruptions: elites, cells, scores, profiles' returns."""
    return [
        (
            e.game.digest,
            e.cell,
            round(e.fitness, 9),
            e.generation,
            [m.returns for m in e.profile.maps],
        )
        for e in archive.elites()
    ]


@pytest.fixture(scope="module")
def reference(tiny_judge, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    archive, history = evolve(CONFIG, out, tiny_judge)
    return out, archive, history


def test_a_run_grows_an_archive_and_saves_everything(reference):
    out, archive, history = reference
    assert [h["generation"] for h in history] == [0, 1]
    assert [h["candidates"] for h in history] == [4, 4]
    assert history[-1]["archive"] == len(archive) > 0
    assert history[-1]["coverage"] == len(archive) / CELLS
    for entry in history:
        assert entry["filters"]["static"] == {"passed": 4, "run": 4}
    state = json.loads((out / STATE_FILE).read_text())
    assert state["completed"] == 2 and len(state["seen"]) == 8
    assert summary(Archive.load(out / "archive.json")) == summary(archive)
    files = sorted(p.name for p in (out / "games").iterdir())
    assert files == sorted(
        f"{e.game.name}.{ext}" for e in archive.elites() for ext in ("toml", "xent")
    )
    assert not list(out.glob("generation-*.json"))  # no partial generation left behind


def test_an_interrupted_generation_resumes_and_ends_as_if_never_stopped(
    reference, tiny_judge, tmp_path
):
    _, archive, history = reference
    tiny_judge.clear_cache()
    with pytest.raises(KeyboardInterrupt):
        evolve(CONFIG, tmp_path, Interrupting(tiny_judge, after=60))
    partial = list(tmp_path.glob("generation-*.json"))
    assert partial, "the candidates evaluated before the interruption are saved"
    saved = json.loads(partial[0].read_text())["results"]
    assert saved
    messages = []
    resumed, resumed_history = evolve(CONFIG, tmp_path, tiny_judge, log=messages.append)
    assert summary(resumed) == summary(archive)
    assert [h["passed"] for h in resumed_history] == [h["passed"] for h in history]
    assert any("reusing" in m for m in messages)


def test_a_finished_run_is_extended_by_more_generations(reference, tiny_judge, tmp_path):
    out, archive, _ = reference
    copy = tmp_path / "run"
    copy.mkdir()
    for path in out.iterdir():
        if path.is_file():
            (copy / path.name).write_bytes(path.read_bytes())
    more = EvolutionConfig(**{**CONFIG.__dict__, "generations": 3})
    extended, history = evolve(more, copy, tiny_judge)
    assert len(history) == 3 and len(extended) >= len(archive)


def test_another_configuration_or_judge_is_refused(reference, tiny_judge):
    out, _, _ = reference
    with pytest.raises(RunConflictError, match="population"):
        evolve(EvolutionConfig(generations=2, population=5, seed=1, maps=1), out, tiny_judge)

    class OtherJudge(Interrupting):
        @property
        def fingerprint(self):
            return {"model": "another"}

    with pytest.raises(RunConflictError, match="another judge"):
        evolve(CONFIG, out, OtherJudge(tiny_judge, after=-1))


def test_a_corrupted_state_or_archive_is_refused_with_what_is_wrong(
    reference, tiny_judge, tmp_path
):
    out, archive, _ = reference
    state = tmp_path / STATE_FILE
    state.write_text((out / STATE_FILE).read_text()[:-200])
    with pytest.raises(ConfigError, match=r"not valid JSON at line \d+, column \d+"):
        evolve(CONFIG, tmp_path, tiny_judge)
    data = archive.to_json()
    data["elites"][0]["game"]["source"] += "reward(xent(x))\n"
    with pytest.raises(ConfigError, match="elite 0 is corrupted: .*corrupted or edited"):
        Archive.from_json(data)
    data = archive.to_json()
    data["elites"][0]["cell"] = [9, 9, 9, 9, 9]
    with pytest.raises(ConfigError, match="elite 0 is corrupted: its program is in cell"):
        Archive.from_json(data)
    with pytest.raises(ConfigError, match="not a game archive"):
        Archive.from_json({"elites": []})
    with pytest.raises(ConfigError, match="no such file"):
        Archive.load(tmp_path / "missing.json")
