"""benchmarks/validity.py on the tiny judge: the report, resuming, and bad input (a rung that
fails a map, a game no rung can play, an interruption between seed sets)."""

from __future__ import annotations

import json
import math
import re

import pytest

from agents.search_agent import SearchAgent
from tests.benchmarks import load_benchmark
from xent_envs.errors import AgentError, ConfigError


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("validity")


def settings(bench, tmp_path, **changes):
    base = dict(judge="tiny-random-gpt2", games=("Condense",), maps=2, seed_sets=2,
                budgets=(1, 4), out=tmp_path, progress=False)  # fmt: skip
    return bench.Settings(**{**base, **changes})


class Counting:
    """Factories that count the maps each rung plays, and can make one rung misbehave."""

    def __init__(self, bench, config, fail=None):
        self.plays: list[tuple[str, int]] = []
        self.base = bench.factories(config)
        self.fail = fail  # (rung, map number in this process, exception class)

    def factories(self):
        return {name: self._wrap(name, f) for name, f in self.base.items()}

    def _wrap(self, name, factory):
        counting = self

        def build(**options):
            agent = factory(**options)
            original = agent.act

            def act(observation, info):
                played = sum(1 for n, _ in counting.plays if n == name) - 1  # this map's number
                if counting.fail and counting.fail[0] == name and played == counting.fail[1]:
                    raise counting.fail[2](f"{name} gives up on its map #{played}")
                return original(observation, info)

            reset = agent.reset

            def reset_and_count(env=None, seed=None):
                counting.plays.append((name, seed))
                reset(env, seed)

            agent.act, agent.reset = act, reset_and_count
            return agent

        return build


def test_quick_run_writes_the_report(bench, tmp_path, tiny_judge):
    config = settings(bench, tmp_path)
    report = bench.run(config, log=lambda msg: None)
    assert report.ladder == ("random", "search1", "search4") and report.seed_sets == 2
    assert report.stability is not None and report.stability.shared_maps == 0
    assert (tmp_path / "set-1" / "results.json").exists() and (tmp_path / "set-2").is_dir()
    text = (tmp_path / "validity.md").read_text()
    assert "| Condense |" in text and "## Rank stability between seed sets 1 and 2" in text
    data = json.loads((tmp_path / "validity.json").read_text())
    assert data["ladder"] == ["random", "search1", "search4"]
    # a second run plays nothing: every map is saved
    counting = Counting(bench, config)
    again = bench.run(config, log=lambda msg: None, agent_factories=counting.factories())
    assert counting.plays == [] and again.checks == report.checks


def test_a_rung_that_fails_one_map_is_reported_and_played_again(bench, tmp_path, tiny_judge):
    config = settings(bench, tmp_path, seed_sets=1)
    failing = Counting(bench, config, fail=("search4", 1, AgentError))
    notes: list[str] = []
    report = bench.run(config, log=notes.append, agent_factories=failing.factories())
    (error,) = report.errors
    assert (error.game, error.map, error.agent) == ("Condense", 1, "search4")
    assert "AgentError: search4 gives up on its map #1" in error.message
    assert any("1 maps failed" in n and "run the same command again" in n for n in notes)
    assert "- seed set 1, Condense map 1, `search4`: AgentError" in report.to_markdown()
    fixed = Counting(bench, config)
    report = bench.run(config, log=notes.append, agent_factories=fixed.factories())
    assert [name for name, _ in fixed.plays] == ["search4"]  # only the failed map again
    assert report.errors == ()


def test_an_interruption_between_seed_sets_loses_nothing(bench, tmp_path, tiny_judge):
    config = settings(bench, tmp_path)
    # search1 is interrupted on its 3rd map: the 1st seed set (2 maps) is complete
    stopping = Counting(bench, config, fail=("search1", 2, KeyboardInterrupt))
    notes: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        bench.run(config, log=notes.append, agent_factories=stopping.factories())
    assert any(
        n.startswith("Interrupted in seed set 2: 1 maps of it are saved in")
        and "(and seed sets 1-1 are complete); run the same command again to resume" in n
        for n in notes
    ), notes
    resumed = Counting(bench, config)
    report = bench.run(config, log=notes.append, agent_factories=resumed.factories())
    # set 1 is reused whole; of set 2, random's map 0 was saved before the interruption
    assert sorted(name for name, _ in resumed.plays) == [
        "random", "search1", "search1", "search4", "search4"
    ]  # fmt: skip
    assert report.seed_sets == 2 and not report.errors


def test_a_game_no_rung_can_play_is_flat_and_not_in_order(bench, tmp_path, tiny_judge):
    import xent_envs

    # xent(x) is never below zero: every move is refused until the env gives up
    xent_envs.register_game(
        source="assign(s=story())\nelicit(x, 3)\nensure(xent(x) < 0)\nreward(xed(s | x))",
        name="Wall",
    )
    report = bench.run(settings(bench, tmp_path, games=("Wall",), seed_sets=1),
                       log=lambda msg: None)  # fmt: skip
    (check,) = report.checks
    assert check.maps == 0 and not check.in_order and all(math.isnan(m) for m in check.means)
    records = json.loads((tmp_path / "set-1" / "results.json").read_text())["maps"]
    assert all(
        re.match(r"line 3 failed \d+ times in a row", m["truncation_reason"]) for m in records
    )
    text = report.to_markdown()
    assert "| Wall | - | - | - | - | - | **no**: no rung completed a round on any map | 0 |" in text


def test_flags(bench):
    s = bench.parse(["--judge", "tiny-random-gpt2", "--games", "Condense,Taboo", "--maps", "3",
                     "--seed-sets", "1", "--budgets", "1,8", "--out", "x"])  # fmt: skip
    assert (s.judge, s.games, s.maps, s.seed_sets, s.budgets) == (
        "tiny-random-gpt2", ("Condense", "Taboo"), 3, 1, (1, 8)
    )  # fmt: skip
    assert [spec.name for spec in s.ladder()] == ["random", "search1", "search8"]
    assert s.ladder()[2].options == {"budget": 8}
    with pytest.raises(SystemExit):
        bench.parse(["--budgets", "1,x"])
    with pytest.raises(ConfigError, match="search budgets must increase from 1 or more"):
        bench.run(bench.Settings(budgets=(4, 1)), log=lambda msg: None)


def test_rungs_are_search_agents_with_their_budgets(bench, tmp_path):
    made = bench.factories(settings(bench, tmp_path))
    assert made["search4"] is SearchAgent
    assert SearchAgent(**settings(bench, tmp_path).ladder()[2].options).budget == 4
