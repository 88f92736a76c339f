"""Suite files: written, read back, registered; bad files refused with what is wrong."""

from __future__ import annotations

import json

import pytest

from xent_envs.errors import ConfigError, UnknownNameError, XentCheckError
from xent_envs.generation import Suite, load_suite, sample_game
from xent_envs.generation.suite import map_seeds
from xent_envs.registration import game_space


@pytest.fixture
def suite_file(tmp_path):
    games = [sample_game(21).definition(), "Condense", sample_game(22).definition()]
    suite = Suite.of("mine", games, maps=3, seed=4, measure={"k": 3})
    path = tmp_path / "suite.json"
    suite.write(path)
    return path, suite


def test_a_suite_round_trips_and_registers_its_games(suite_file):
    path, suite = suite_file
    loaded = load_suite(path)
    assert loaded == suite
    assert loaded.names == (suite.games[0].name, "Condense", suite.games[2].name)
    assert loaded.games[1].map_seeds == map_seeds(4, "Condense", 3)
    ids = loaded.register()
    assert ids[1] == "xent/Condense-v0" and game_space(ids[0]).name == loaded.names[0]
    assert len(loaded.plan()) == 9 and loaded.plan()[3] == (
        "Condense",
        map_seeds(4, "Condense", 3)[0],
    )


def test_unknown_games_are_all_named_with_the_closest_registered_names(suite_file):
    path, _ = suite_file
    data = json.loads(path.read_text())
    data["games"][1]["name"] = "Condence"
    data["games"].append({"name": "Tabooo", "map_seeds": [1]})
    path.write_text(json.dumps(data))
    with pytest.raises(UnknownNameError) as info:
        load_suite(path)
    message = str(info.value)
    assert "'Condence' (did you mean 'Condense'?)" in message
    assert "'Tabooo' (did you mean 'Taboo'?)" in message


def test_an_invalid_program_in_a_suite_names_the_game_line_and_column(suite_file):
    path, suite = suite_file
    data = json.loads(path.read_text())
    name = suite.games[0].name
    data["games"][0]["definition"]["source"] = "elicit(x, 5)\nreward(xed(s | q))\n"
    data["games"][0].pop("digest")
    path.write_text(json.dumps(data))
    with pytest.raises(XentCheckError, match=f"game '{name}': unknown name 'q'") as info:
        load_suite(path)
    assert info.value.line == 2


def test_an_edited_program_does_not_match_its_digest(suite_file):
    path, _ = suite_file
    data = json.loads(path.read_text())
    data["games"][0]["definition"]["source"] += "reward(xent(x))\n"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="the file was edited or corrupted"):
        load_suite(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(format="other"), "not a suite file"),
        (lambda d: d.update(games=[]), "'games' must be a non-empty list"),
        (lambda d: d["games"][1].update(map_seeds=[-1]), "a list of seeds >= 0"),
        (lambda d: d["games"].append(dict(d["games"][1])), "games listed twice: Condense"),
        (lambda d: d["games"][0]["definition"].update(name="Other"), "the same name"),
    ],
)
def test_malformed_suites_are_refused(suite_file, edit, message):
    path, _ = suite_file
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=message):
        load_suite(path)


def test_a_truncated_file_says_where_the_json_breaks(suite_file):
    path, _ = suite_file
    path.write_text(path.read_text()[:50])
    with pytest.raises(ConfigError, match=r"not valid JSON at line \d+, column \d+"):
        load_suite(path)
