"""The games' documentation and rules text come from the cards: generated files are current,
and the rules a player reads show the parameters' values."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from xent_envs.games import GameSpace, builtin_games
from xent_envs.games.readme import games_table, render_readme

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "python -m xent_envs.games.readme > xent_envs/games/README.md"


def test_games_readme_is_generated_from_the_cards():
    committed = (ROOT / "xent_envs" / "games" / "README.md").read_text(encoding="utf-8")
    assert committed == render_readme(), f"xent_envs/games/README.md is stale: run `{REGENERATE}`"


def test_top_level_readme_shows_the_cards_games_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert games_table() in readme, (
        "README.md's games table differs from the cards: paste the output of "
        "`python -m xent_envs.games.readme --table`"
    )


def test_the_readme_describes_every_game_once():
    text = render_readme()
    for game in builtin_games():
        assert text.count(f"### {game.name} (`xent/{game.name}-v{game.version}`)") == 1
        assert game.source.rstrip() in text
        rules = GameSpace(game).describe().split("**Reward:**")[0]
        assert not re.search(r"\$[A-Za-z_{]", rules)  # placeholders shown by name, not as $name
    assert "(at most `budget` tokens)" in text


@pytest.mark.parametrize("game", builtin_games(), ids=lambda g: g.name)
def test_rules_show_the_values_in_play(game):
    space = GameSpace(game)
    named = set(string.Template(game.description).get_identifiers())
    assert named <= set(game.defaults), "the rules may name only the card's parameters"
    rules = space.rules()
    assert not re.search(r"\$[A-Za-z_{]", rules)
    if "budget" in game.defaults:
        assert "budget" in named  # every game's rules say how long a move may be
        budget = space.parameter("budget")
        other = budget.high if budget.high != budget.default else budget.low
        assert f"at most {budget.default} tokens" in rules
        assert f"at most {other} tokens" in space.rules({"budget": other})


def test_rules_render_floats_as_written():
    fresh = GameSpace(next(g for g in builtin_games() if g.name == "Fresh"))
    assert "at least 0.25 times as much" in fresh.rules()
    assert "(xed(x | p) >= 0.6 * xed(t | p))" in fresh.rules({"coherence": 0.6})
