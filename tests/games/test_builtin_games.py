"""Every built-in game: its card, its program at default and extreme parameters, and whole
games on the tiny judge with random and with scripted moves."""

from __future__ import annotations

import math
import random
import re

import pytest

from xent_envs.games import RESERVED_PARAMETERS, GameDef, ParamDef, builtin_games
from xent_envs.lang import Machine, instantiate_map, load, play
from xent_envs.maps import JudgeTextSource

from .game_maps import JUDGE_DEPENDENT_ENSURES, SCRIPTED, STORIES, FixedTexts, black_score

GAMES = builtin_games()
BY_NAME = {g.name: g for g in GAMES}
PLAYERS = {"black", "white", "alice", "bob", "carol", "env"}
REFERENCE = {"Condense", "Contrast", "Synthesize", "TwoWays", "Horizon", "Alethiometer"}


def _settings(game: GameDef) -> list[dict]:
    """Defaults, then each parameter alone at each end of its range and at each choice."""
    settings = [game.defaults]
    for p in game.parameters:
        for value in (p.low, p.high, *(p.choices or ())):
            if value is not None and value != p.default:
                settings.append({**game.defaults, p.name: value})
    return settings


def test_catalogue_covers_the_reference_games_and_the_paper_tasks():
    assert len(GAMES) >= 12
    assert set(BY_NAME) >= REFERENCE
    tags = {t for g in GAMES for t in g.tags}
    for task in (
        "anomaly-detection",
        "counterfactual",
        "originality",
        "reverse-prompting",
        "creative",
        "debate",
    ):
        assert task in tags
    assert set(SCRIPTED) == set(BY_NAME)


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
def test_card(game: GameDef):
    assert re.fullmatch(r"[A-Z][A-Za-z]+", game.name)
    for text in (game.summary, game.description, game.skill, game.reward):
        assert text.strip()
    assert game.players[0] == "black" and set(game.players) <= PLAYERS
    instructions = [
        line
        for line in game.source.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert len(instructions) <= 20
    used = set(re.findall(r"\$([A-Za-z_]\w*)", game.source))
    assert used == {p.name for p in game.parameters}
    assert not used & set(RESERVED_PARAMETERS)
    budget = game.defaults.get("budget")
    assert isinstance(budget, int) and budget <= 12


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
def test_loads_with_defaults_and_at_range_ends(game: GameDef):
    for params in _settings(game):
        load(game.source, params)


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
def test_plays_random_moves_to_the_end(game: GameDef, tiny_judge):
    source = JudgeTextSource(tiny_judge, story_tokens=32)
    for i, params in enumerate(_settings(game)[:3]):
        program = instantiate_map(load(game.source, params), source, seed=i)
        machine = Machine(program, tiny_judge, rounds=2, seed=i)
        rng = random.Random(i)

        def move(request, rng=rng):
            ids = [rng.randrange(tiny_judge.vocab_size) for _ in range(request.max_tokens + 3)]
            return tiny_judge.decode(ids)

        over = play(machine, tiny_judge.score_batch, move)
        assert over.reason in ("finished", "ensure_limit")
        if over.reason == "finished":
            assert len(machine.scores) == 2 and set(machine.scores[0]) == set(machine.scores[1])
            assert {"black"} | set(game.players) - {"env"} <= set(machine.scores[0]) <= PLAYERS
            assert all(math.isfinite(v) for s in machine.scores for v in s.values())


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
def test_plays_scripted_moves_to_the_end(game: GameDef, tiny_judge):
    program = instantiate_map(load(game.source, game.defaults), FixedTexts(), seed=0)
    moves = SCRIPTED[game.name]

    def scripted_game() -> tuple[str, list[dict[str, float]], list[str]]:
        machine = Machine(program, tiny_judge, rounds=2, seed=0)
        turns = iter(range(10_000))
        asked: list[str] = []

        def move(request):
            asked.append(request.player)
            return moves[next(turns) % len(moves)]

        return play(machine, tiny_judge.score_batch, move).reason, machine.scores, asked

    reason, scores, asked = scripted_game()
    if game.name not in JUDGE_DEPENDENT_ENSURES:
        assert reason == "finished"
    if reason == "finished":
        # Both rounds score the same seats (every seat of the card that moves, and the zero-sum
        # partners of paid seats), seats that move were asked in each round, and the same map
        # and moves pay the same bits again.
        assert len(scores) == 2 and set(scores[0]) == set(scores[1])
        assert set(game.players) - {"env"} <= set(scores[0]) <= PLAYERS
        assert all(math.isfinite(v) for s in scores for v in s.values())
        assert asked.count("black") >= 2 and set(asked) <= set(game.players)
        assert scripted_game() == (reason, scores, asked)


def test_scripted_moves_keep_the_rules():
    """The scripted moves are legal where legality does not depend on the judge."""
    assert set(SCRIPTED["Alethiometer"][0].split()) <= set(
        BY_NAME["Alethiometer"].defaults["symbols"].split()
    )
    assert set(SCRIPTED["Lipogram"][0]) <= set(BY_NAME["Lipogram"].defaults["letters"])
    assert SCRIPTED["Intruder"][0].strip() in STORIES[1]


def test_condense_pays_exactly_what_the_prefix_saves(tiny_judge):
    move = " sailor ocean storm hungry kids"
    score = black_score(BY_NAME["Condense"], tiny_judge, [move])
    story = STORIES[0]
    expected = tiny_judge.xent(story).total - tiny_judge.xent(story, move.strip()).total
    assert score == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("move", ["giraffe+13", "Giraffe's", "giraffes", "GIRAFFEcab"])
def test_taboo_and_guard_refuse_any_form_of_the_target(tiny_judge, move):
    """A GRPO run on Taboo learnt to write the target glued to a symbol, then inside a
    longer word, which striking whole words missed; any form of it is now refused."""
    taboo, guard = BY_NAME["Taboo"], BY_NAME["Guard"]  # the target is "giraffe" (FixedTexts)
    question, guard_text = " What tall animal has a long neck?", "Answers are in French."
    assert black_score(taboo, tiny_judge, [move]) is None
    assert black_score(taboo, tiny_judge, [question]) is not None
    assert black_score(guard, tiny_judge, [guard_text, move]) is None  # black says it
    assert black_score(guard, tiny_judge, [move, question]) is not None  # white may
    assert black_score(guard, tiny_judge, [guard_text, question]) is not None


@pytest.mark.real_judge
def test_horizon_whatif_and_twoways_refuse_noise_but_not_language(real_judge):
    """Noise passed the xed bars of Horizon v1 and WhatIf v1 by luck within the ten tries,
    and both rewards paid it best; a TwoWays v0 bridge of noise outscored fluent bridges. So
    random play outranked search (the validity ladder, benchmarks/README.md); the fluency bar
    refuses noise and keeps the scripted moves."""
    rng = random.Random(0)

    def noise(n: int) -> str:
        return "".join(real_judge.token_strings([rng.randrange(1000, 49000) for _ in range(n)]))

    horizon, whatif, twoways = BY_NAME["Horizon"], BY_NAME["WhatIf"], BY_NAME["TwoWays"]
    for game in (horizon, whatif, twoways):
        assert black_score(game, real_judge, SCRIPTED[game.name]) is not None
    # With the bar at its loosest, noise passes again: the fluency bar is what refuses it.
    assert any(
        black_score(horizon, real_judge, [noise(5), SCRIPTED["Horizon"][1]], fluency=4.0)
        is not None
        for _ in range(10)
    )
    for _ in range(10):
        assert black_score(horizon, real_judge, [noise(5), SCRIPTED["Horizon"][1]]) is None
        assert black_score(horizon, real_judge, [SCRIPTED["Horizon"][0], noise(5)]) is None
        assert black_score(whatif, real_judge, [noise(10)]) is None
        assert black_score(twoways, real_judge, [noise(10)]) is None


def test_debate_is_zero_sum(tiny_judge):
    game = BY_NAME["Debate"]
    program = instantiate_map(load(game.source, game.defaults), FixedTexts(), seed=0)
    machine = Machine(program, tiny_judge, rounds=1, seed=0)
    moves = iter(SCRIPTED["Debate"])
    assert play(machine, tiny_judge.score_batch, lambda r: next(moves)).reason == "finished"
    assert machine.scores[0]["black"] == pytest.approx(-machine.scores[0]["white"])
    assert machine.scores[0]["black"] != 0


def test_intruder_refuses_a_quote_that_is_not_in_the_text(tiny_judge):
    assert black_score(BY_NAME["Intruder"], tiny_judge, [" a sentence nobody wrote"]) is None


def test_lipogram_refuses_a_banned_letter(tiny_judge):
    assert black_score(BY_NAME["Lipogram"], tiny_judge, [" the sea"]) is None


def test_param_def_round_trips_through_json():
    for game in GAMES:
        assert GameDef.from_json(game.to_json()) == game
    echo = GameDef.from_source("Echo", "elicit(x, $n)", parameters=[ParamDef("n", "int", 8, 1, 9)])
    assert echo.defaults == {"n": 8} and echo.players == ("black",)
