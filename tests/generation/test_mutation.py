"""Edit operators: each keeps programs valid, and does what its name says."""

from __future__ import annotations

import collections

import pytest

from xent_envs.errors import ConfigError
from xent_envs.games import builtin_games
from xent_envs.generation import OPERATORS, GeneratedGame, from_builtin, mutate, sample_game
from xent_envs.lang import load

PARENTS = [sample_game(s) for s in range(40)] + [from_builtin(d) for d in builtin_games()]


def test_mutants_are_valid_different_and_never_refused_by_the_checker():
    used: collections.Counter[str] = collections.Counter()
    for k, parent in enumerate(PARENTS):
        for seed in range(3):
            result = mutate(parent, seed + 10 * k)
            assert not [r for r in result.refused if "checker" in r], result.refused
            if result.game is None:
                continue
            child = result.game
            used[result.operator] += 1
            assert child.digest != parent.digest
            assert child.analysis.problems() == []
            assert load(child.source).instructions
            assert child.origin == f"{result.operator} of {parent.name}"
    assert set(used) == set(OPERATORS), used


def test_mutation_is_seeded():
    parent = sample_game(2)
    assert mutate(parent, 5).game == mutate(parent, 5).game
    children = {mutate(parent, s).game.digest for s in range(10)}
    assert len(children) >= 6


def _one(source: str, operator: str, seed: int = 0) -> str:
    result = mutate(GeneratedGame.from_lines(source.splitlines()), seed, [operator])
    assert result.game is not None, result.refused
    return result.game.canonical


BASE = "assign(s=story())\nelicit(x, 8)\nensure(num_words(x) >= 2)\nreward(xed(s | x))\n"


def test_flip_sign_negates_a_term():
    assert "reward(-xed(s | x))" in _one(BASE, "flip_sign")


def test_reweight_halves_or_doubles_a_term():
    assert any(
        f"reward({w} * xed(s | x))" in _one(BASE, "reweight", s)
        for s in range(4)
        for w in ("0.5", "2")
    )


def test_tighten_and_relax_move_the_bar():
    assert "ensure(num_words(x) >= 3)" in _one(BASE, "tighten")
    relaxed = {_one(BASE, "relax", s) for s in range(8)}
    assert any("ensure(num_words(x) >= 1)" in r for r in relaxed)
    assert any("ensure(" not in r for r in relaxed)  # the ensure dropped altogether


def test_tighten_a_character_rule_drops_a_letter_in_both_cases():
    source = 'assign(s=story())\nelicit(x, 8)\nensure(only_uses_chars("abcdefgABCDEFG ", x))\nreward(xed(s | x))'
    tightened = _one(source, "tighten")
    allowed = tightened.split('only_uses_chars("')[1].split('"')[0]
    assert len(allowed) == len("abcdefgABCDEFG ") - 2
    assert {c.lower() for c in allowed if c.isalpha()} < set("abcdefg")


def test_budget_changes_a_moves_budget():
    canonical = _one(BASE, "budget")
    assert "elicit(x, 8)" not in canonical and "elicit(x, " in canonical


def test_add_seat_adds_white_with_the_mirrored_term():
    canonical = _one("assign(s=story())\nelicit(x, 8)\nreward(xed(s | x))", "add_seat")
    assert "elicit(white, y, 8)" in canonical and "reward(white, xed(s | y))" in canonical


def test_swap_text_replaces_a_source():
    canonical = _one(BASE, "swap_text")
    assert "story()" not in canonical and "assign(s=" in canonical


def test_constrain_adds_an_ensure_on_the_move():
    canonical = _one("assign(s=story())\nelicit(x, 8)\nreward(xed(s | x))", "constrain")
    assert canonical.splitlines()[2].startswith("ensure(")


def test_delete_never_leaves_an_unplayable_game():
    # Deleting the only reward or the assign it reads would break a static rule: refused.
    result = mutate(GeneratedGame.from_lines(BASE.splitlines()), 0, ["delete"])
    assert result.game is not None and result.game.canonical == (
        "assign(s=story())\nelicit(x, 8)\nreward(xed(s | x))\n"
    )


def test_an_operator_that_never_applies_gives_no_game_and_says_why():
    result = mutate(
        GeneratedGame.from_lines(["assign(s=story())", "elicit(x, 3)", "reward(xed(s | x))"]),
        0,
        ["tighten"],
        tries=3,
    )
    assert result.game is None and result.refused == ("tighten: does not apply",) * 3


def test_unknown_operators_are_named():
    with pytest.raises(ConfigError, match="unknown mutation operators"):
        mutate(sample_game(0), 0, ["explode"])
