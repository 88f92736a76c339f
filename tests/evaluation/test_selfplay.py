"""Self-play in the evaluation: lineups of agents seated against each other, their records, the
head-to-head table, resuming and growing, and the bad input refused before anything is lost."""

from __future__ import annotations

import json
import shutil

import pytest

from agents import Agent
from tests.cli_run import run
from xent_envs.cli import build_parser, eval_config
from xent_envs.errors import ConfigError, UnknownNameError
from xent_envs.evaluation import (
    AgentSpec,
    EvalConfig,
    HeadToHead,
    Lineup,
    ResultsStore,
    agent_names,
    evaluate,
    head_to_head,
    head_to_head_markdown,
    map_seed,
    plan,
)
from xent_envs.evaluation.config import _digest
from xent_envs.registration import game_space

TINY = "tiny-random-gpt2"
SEARCH = AgentSpec("search", options={"budget": 6, "batch_size": 6, "generate_tokens": 2})
DUEL = Lineup({"black": SEARCH, "white": AgentSpec("random")})
SWAPPED = Lineup({"black": AgentSpec("random"), "white": SEARCH})


def config(**changes):
    fields = dict(agents=(AgentSpec("random"),), lineups=(DUEL, SWAPPED), games=("Debate",),
                  maps=2, seed=0, judge=TINY)  # fmt: skip
    fields.update(changes)
    return EvalConfig(**fields)


def saved(folder):
    return ResultsStore(folder).scan(lambda record: record.slot).records


@pytest.fixture(scope="module")
def duel_run(tmp_path_factory, tiny_judge):
    folder = tmp_path_factory.mktemp("duel")
    evaluate(config(), folder, progress=False)
    return folder


# ---------------------------------------------------------------- lineups
def test_a_lineup_is_parsed_labelled_and_serialised():
    lineup = Lineup.parse(" black=search ,white=random", {"search": SEARCH})
    assert lineup.label == "black=search,white=random" == DUEL.label
    assert lineup.seats["black"] is SEARCH and lineup.seats["white"] == AgentSpec("random")
    assert Lineup.from_json(lineup.to_json()) == lineup


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("black", ConfigError, "a lineup is SEAT=AGENT,SEAT=AGENT (e.g. black=search,white=hf); "
         "got 'black' in 'black'"),
        ("black=search,black=hf", ConfigError, "seat 'black' is given twice in the lineup"),
        ("black=search,whte=hf", UnknownNameError, "unknown seat 'whte' in a lineup. Did you mean "
         "'white'? Valid: alice, black, bob, carol, env, white."),
        ("black=", ConfigError, "got 'black='"),
    ],
)  # fmt: skip
def test_a_malformed_lineup_says_what_is_allowed(text, error, message):
    with pytest.raises(error) as caught:
        Lineup.parse(text)
    assert message in str(caught.value)


def test_an_agent_name_has_one_definition_in_a_run():
    other = Lineup({"black": AgentSpec("search", options={"budget": 99})})
    with pytest.raises(ConfigError, match="agent 'search' is defined twice, as search with"):
        EvalConfig(agents=(SEARCH,), lineups=(other,))
    with pytest.raises(ConfigError, match="the lineup 'black=search,white=random' is given twice"):
        EvalConfig(agents=(), lineups=(DUEL, DUEL))
    with pytest.raises(ConfigError, match="name at least one agent or lineup"):
        EvalConfig(agents=())


def test_an_agents_map_key_is_unchanged_by_lineups():
    """An agent's map key is the same whether the run has lineups or not, so a folder grown
    with a lineup keeps the agents' maps."""
    plain = EvalConfig(agents=(SEARCH, AgentSpec("random")), games=("Debate",))
    program = game_space("Debate").digest
    expected = _digest(
        {"run": "r", "game": "Debate", "program": program, "params": {}, "map": 1,
         "agent": SEARCH.to_json()}
    )  # fmt: skip
    assert plain.map_key("r", "Debate", 1, "search") == expected
    assert config().map_key("r", "Debate", 1, "random") == plain.map_key("r", "Debate", 1, "random")
    assert config().map_key("r", "Debate", 1, DUEL.label) != config().map_key(
        "r", "Debate", 1, SWAPPED.label
    )


def test_the_plan_puts_the_lineups_after_the_agents_on_the_same_maps():
    slots = list(plan(config(), "r"))
    assert [s.agent for s in slots[:3]] == ["random", DUEL.label, SWAPPED.label]
    assert {s.seed for s in slots[:3]} == {map_seed(0, "Debate", 0)}


# ---------------------------------------------------------------- a run
def test_a_lineup_plays_the_agents_maps_and_says_who_sat_where(duel_run):
    records = saved(duel_run)
    assert len(records) == 6
    for index in range(2):
        alone = records[("Debate", index, "random")]
        duel = records[("Debate", index, DUEL.label)]
        assert duel.instance_id == alone.instance_id and duel.seed == alone.seed
        assert duel.seats == {"black": "search", "white": "random"} and duel.status == "ok"
        assert [s.seat for s in duel.steps] == ["black", "white"]
        assert duel.round_scores == () and duel.score is None and duel.is_lineup
        black, white = duel.seat_scores["black"], duel.seat_scores["white"]
        assert black == tuple(-w for w in white) and black[0] != 0.0
        for seat in ("black", "white"):  # a step's reward is what its seat earned until the end
            step = next(s for s in duel.steps if s.seat == seat)
            assert step.reward == pytest.approx(duel.seat_scores[seat][0], abs=1e-9)
            assert sum(t.total for t in step.reward_terms) == pytest.approx(step.reward, abs=1e-9)
        assert "black.evaluations" in duel.agent_stats and "white.moves" in duel.agent_stats
        assert duel.steps[0].details["expected_reward"] is not None


def test_the_report_shows_the_pairings_with_intervals(duel_run):
    results = json.loads((duel_run / "results.json").read_text())
    rows = results["head_to_head"]["rows"]
    assert [(r["game"], r["lineup"], r["maps"], r["errors"]) for r in rows] == [
        ("Debate", DUEL.label, 2, 0),
        ("Debate", SWAPPED.label, 2, 0),
    ]
    records = saved(duel_run)
    first = rows[0]["seats"][0]
    scores = [records[("Debate", i, DUEL.label)].seat_scores["black"][0] for i in range(2)]
    assert first["seat"] == "black" and first["agent"] == "search"
    assert first["mean"] == pytest.approx(sum(scores) / 2)
    assert first["ci_low"] == pytest.approx(min(scores)) and first["ci_high"] == pytest.approx(
        max(scores)
    )
    report = (duel_run / "report.md").read_text()
    assert "## Head to head" in report and "### Debate" in report
    assert f"| {DUEL.label} | search {first['mean']:+.2f} [" in report
    assert [r["agent"] for r in results["leaderboard"]["rows"]] == ["random"]


def test_a_rerun_reuses_every_lineup_map_and_a_new_lineup_grows_the_folder(
    duel_run, tmp_path, tiny_judge
):
    folder = tmp_path / "grow"
    shutil.copytree(duel_run, folder)
    before = {slot: r.to_json() for slot, r in saved(folder).items()}
    notes = []
    evaluate(config(), folder, progress=False, log=notes.append)
    assert {slot: r.to_json() for slot, r in saved(folder).items()} == before
    assert any("6 maps already saved" in n for n in notes)
    mirror = Lineup({"black": AgentSpec("random"), "white": AgentSpec("random")})
    evaluate(config(lineups=(DUEL, SWAPPED, mirror)), folder, progress=False)
    after = saved(folder)
    assert len(after) == 8 and all(after[slot].to_json() == r for slot, r in before.items())


class Raising(Agent):
    name = "raising"

    def act(self, observation, info):
        raise RuntimeError("out of ideas")


def test_an_agent_that_raises_in_a_lineup_is_recorded_and_the_run_goes_on(tmp_path, tiny_judge):
    lineup = Lineup({"black": AgentSpec("random"), "white": AgentSpec("raising")})
    evaluate(
        config(agents=(), lineups=(lineup,)),
        tmp_path,
        progress=False,
        agent_factories={"raising": Raising},
    )
    records = saved(tmp_path)
    assert [r.status for r in records.values()] == ["error", "error"]
    record = records[("Debate", 0, lineup.label)]
    assert record.error.where == "agent.act" and "out of ideas" in record.error.message
    assert [s.seat for s in record.steps] == ["black"]
    results = json.loads((tmp_path / "results.json").read_text())
    (row,) = results["head_to_head"]["rows"]
    assert row["maps"] == 0 and row["errors"] == 2 and row["seats"][0]["mean"] == "nan"


def test_seats_left_out_are_played_by_the_echo_opponent(tmp_path, tiny_judge):
    lineup = Lineup({"white": AgentSpec("random")})
    evaluate(config(agents=(), lineups=(lineup,), maps=1), tmp_path, progress=False)
    record = saved(tmp_path)[("Debate", 0, "white=random")]
    black = record.steps[0]
    assert black.seat == "black" and black.details == {"policy": "echo_opponent"}
    assert record.seats == {"white": "random"}
    table = head_to_head(saved(tmp_path).values())
    assert [(s.seat, s.agent) for s in table.rows[0].seats] == [
        ("black", "echo"),
        ("white", "random"),
    ]


def test_without_games_a_lineup_plays_the_games_that_have_its_seats(tmp_path, tiny_judge):
    lineup = Lineup({"black": AgentSpec("random"), "bob": AgentSpec("random")})
    evaluate(config(agents=(), lineups=(lineup,), games=(), maps=1), tmp_path, progress=False)
    assert sorted(game for game, _, _ in saved(tmp_path)) == ["Relay", "Schelling"]


# ---------------------------------------------------------------- bad input
def test_a_seat_the_game_does_not_have_is_refused_before_anything_is_lost(duel_run, tmp_path):
    folder = tmp_path / "kept"
    shutil.copytree(duel_run, folder)
    files = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    bad = Lineup({"black": AgentSpec("random"), "bob": AgentSpec("random")})
    with pytest.raises(ConfigError) as caught:
        evaluate(config(lineups=(DUEL, bad)), folder, progress=False)
    assert str(caught.value) == (
        "lineup black=random,bob=random: unknown seat 'bob' of Debate. Valid: black, white."
    )
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == files
    with pytest.raises(ConfigError, match=r"no game has the seats carol, white; games with"):
        evaluate(
            config(lineups=(Lineup({"white": "random", "carol": "random"}),), games=()),
            folder,
            progress=False,
        )


def test_an_unknown_agent_in_a_lineup_names_the_lineup_and_the_valid_agents(tmp_path):
    lineup = Lineup({"black": AgentSpec("serch"), "white": AgentSpec("random")})
    with pytest.raises(UnknownNameError) as caught:
        evaluate(config(agents=(), lineups=(lineup,)), tmp_path, progress=False)
    assert str(caught.value).startswith(
        "lineup black=serch,white=random: unknown agent 'serch'. Did you mean 'search'?"
    )
    assert not (tmp_path / "maps").exists()


def test_the_cli_seats_agents_with_their_options():
    args = build_parser().parse_args(
        ["eval", "--agent", "s=search", "--seats", "black=s,white=random",
         "--seats", "black=random,white=s", "-O", "s.budget=4", "-O", "random.seed=3"]
    )  # fmt: skip
    built = eval_config(args)
    assert [a.name for a in built.agents] == ["s"]
    assert [lineup.label for lineup in built.lineups] == [
        "black=s,white=random",
        "black=random,white=s",
    ]
    assert built.lineups[0].seats["black"] == AgentSpec("s", "search", {"budget": 4})
    assert built.lineups[1].seats["black"] == AgentSpec("random", None, {"seed": 3})


def test_the_cli_refuses_an_agent_that_does_not_exist_in_seats(capsys, tmp_path):
    code, _, err = run(capsys, "eval", "--agent", "s=search", "--seats", "black=s,white=hf2",
                       "--out", str(tmp_path))  # fmt: skip
    assert code == 1
    valid = ", ".join(sorted({"s", *agent_names()}))  # the labels and the installed agents
    assert {"hf", "random", "search"} <= set(agent_names())
    assert err.strip() == (
        f"error: unknown agent 'hf2' in --seats. Did you mean 'hf'? Valid: {valid}. An agent "
        "in --seats is a label of --agent, an installed agent or package.module:Class."
    )
    code, _, err = run(capsys, "eval", "--out", str(tmp_path))
    assert code == 1 and "--agent NAMES and/or --seats SEAT=AGENT" in err
    code, _, err = run(capsys, "eval", "--seats", "black=random,white=random", "--games",
                       "Condense", "--judge", TINY, "--out", str(tmp_path))  # fmt: skip
    assert code == 1
    assert err.strip() == (
        "error: lineup black=random,white=random: unknown seat 'white' of Condense. Valid: black."
    )
    assert not (tmp_path / "maps").exists()


def test_the_cli_runs_a_lineup(capsys, tmp_path, tiny_judge):
    code, out, _ = run(capsys, "eval", "--seats", "black=random,white=random", "--games",
                       "Guard", "--maps", "1", "--judge", TINY, "--out", str(tmp_path), "-q")  # fmt: skip
    assert code == 0 and "report.md" in out
    assert "| black=random,white=random | random " in (tmp_path / "report.md").read_text()


def test_an_empty_table_has_no_section():
    assert head_to_head_markdown(HeadToHead((), 0.95)) == ""


def test_a_lineup_plays_the_maps_of_the_runs_text_source(tmp_path, tiny_judge):
    from xent_envs.games import GameInstance
    from xent_envs.maps import resolve_text_source, source_token

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("One short text of mine. It has two sentences, no more.")
    (docs / "b.txt").write_text("Another text of mine, with a river, a bridge and a town.")
    run = config(lineups=(DUEL,), maps=1, split="all", text_source=f"docs:{docs}")
    evaluate(run, tmp_path / "run", progress=False, reports=False)
    records = saved(tmp_path / "run")
    alone, duel = records[("Debate", 0, "random")], records[("Debate", 0, DUEL.label)]
    texts = source_token(resolve_text_source(f"docs:{docs}"))
    assert duel.status == alone.status == "ok"
    assert GameInstance.from_id(duel.instance_id).texts == texts
    assert duel.instance_id == alone.instance_id
