"""Generated games on disk: .xent + .toml that the registry and `xent-envs check` accept."""

from __future__ import annotations

import tomllib

import gymnasium as gym
import pytest

import xent_envs
from xent_envs.cli import main
from xent_envs.errors import ConfigError, XentCheckError, XentSyntaxError
from xent_envs.games import GameDef
from xent_envs.generation import GeneratedGame, sample_game


def test_files_round_trip_and_the_card_is_a_game_card(tmp_path):
    game = sample_game(11)
    program, card = game.write(tmp_path)
    assert (program.name, card.name) == (f"{game.name}.xent", f"{game.name}.toml")
    assert GeneratedGame.read(program).digest == game.digest
    data = tomllib.loads(card.read_text())
    assert data["name"] == game.name and data["parameters"] == {}
    assert set(data) >= {"summary", "description", "players", "skill", "reward", "tags"}
    assert data["players"][0] == "black"
    definition = GameDef.from_json({**data, "source": program.read_text()})
    assert definition == game.definition()


def test_register_game_accepts_the_xent_file_alone_and_the_env_plays_it(tmp_path, tiny_judge):
    # A one-move game without constraints ends after its move.
    game = next(
        g
        for g in map(sample_game, range(100))
        if len(g.analysis.elicits) == 1 and not g.analysis.ensures
    )
    program, _ = game.write(tmp_path)
    space = xent_envs.register_game(path=program)
    assert space.name == game.name
    env = gym.make(space.env_id, judge=tiny_judge)
    obs, info = env.reset(seed=0)
    assert obs.startswith(f"# {game.name} - round 1/1")
    _, reward, terminated, truncated, info = env.step(tiny_judge.encode(" a story"))
    assert terminated and not truncated
    assert reward == pytest.approx(sum(t["total"] for t in info["reward_terms"]))


def test_xent_envs_check_accepts_every_sampled_file(tmp_path, capsys):
    for seed in range(5):
        program, _ = sample_game(seed).write(tmp_path)
        assert main(["check", str(program)]) == 0
    assert capsys.readouterr().out.count(": OK") == 5


def test_a_hand_edited_invalid_file_is_refused_with_its_name_line_and_caret(tmp_path, capsys):
    program, _ = sample_game(13).write(tmp_path)
    text = program.read_text()
    broken = text.replace("elicit(x, ", "elicit(x, x", 1)
    program.write_text(broken)
    line = broken.splitlines().index(next(ln for ln in broken.splitlines() if "elicit(x, x" in ln))
    with pytest.raises(XentCheckError) as info:
        GeneratedGame.read(program)
    assert str(program) in str(info.value) and info.value.line == line + 1
    assert "elicit expects a token budget" in str(info.value) and "^" in str(info.value)
    assert main(["check", str(program)]) == 1
    assert f"{program}:{line + 1}:" in capsys.readouterr().err
    with pytest.raises(XentSyntaxError):
        xent_envs.register_game(path=program)


def test_an_unreadable_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the game file"):
        GeneratedGame.read(tmp_path / "nope.xent")


def test_json_records_check_their_digest():
    game = sample_game(14)
    assert GeneratedGame.from_json(game.to_json()) == game
    record = game.to_json() | {"source": game.source.replace("reward(", "reward(2 * ", 1)}
    with pytest.raises(ConfigError, match="corrupted or edited"):
        GeneratedGame.from_json(record)
    with pytest.raises(ConfigError, match="needs a 'source' string"):
        GeneratedGame.from_json({"name": "x"})
