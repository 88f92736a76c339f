"""Bounds on a game's work: checked programs that used to hang a step are stopped with an
error that names the line and the limit, unbounded literals are refused before a game runs,
and no built-in or reference game comes near any limit."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from xent_envs.errors import ConfigError, XentCheckError, XentRuntimeError
from xent_envs.games import builtin_games
from xent_envs.lang import ElicitRequest, GameOver, Machine, ScoreRequest, instantiate_map, load
from xent_envs.lang.limits import MAX_BUDGET, MAX_MAP_TEXT_COUNT, MAX_REPLAY, Limits

from .lang_stubs import StubScorer, WordCodec

REFERENCE_GAMES = sorted((Path(__file__).parent / "reference_games").glob("*.xent"))


class CountingCodec:
    """A one-token-per-word codec that refuses to encode more than ``budget`` characters in
    all: a machine that does not meter its builtins runs into this instead of running for
    minutes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.encoded = 0

    def encode(self, text: str) -> list[int]:
        self.encoded += len(text)
        assert self.encoded <= self.budget, "the machine did unbounded tokenizer work"
        return [0] * len(text.split())

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join("w" for _ in ids)


def drive(machine: Machine, scorer: StubScorer, waves: int) -> Exception | None:
    """Answer score requests (at most ``waves``) and moves; return the error that stopped the
    machine, or fail the test if it kept going."""
    for _ in range(waves):
        try:
            request = machine.advance()
        except XentRuntimeError as error:
            return error
        if isinstance(request, GameOver):
            pytest.fail(f"the game ended without hitting a limit: {request.message}")
        if isinstance(request, ScoreRequest):
            machine.provide_scores(scorer.score_batch(request.items))
        else:
            machine.provide_move("a move")
    pytest.fail(f"the machine answered {waves} requests without hitting a limit")


# -- running limits: what used to hang ------------------------------------------------------------


def test_a_replay_loop_that_needs_scores_stops_at_the_wave_limit() -> None:
    # Each pass scores a new text, so each pass is a new judge wave: a wave used to restart
    # the instruction count, and the loop never stopped.
    source = (
        'assign(t="a")\nbeacon(flag_1)\nassign(t=t + " a")\nreward(env, xent(t))\n'
        "replay(flag_1, 1000)\nelicit(x, 1)"
    )
    codec = WordCodec()
    error = drive(Machine(load(source), codec), StubScorer(codec), waves=500)
    assert str(error) == (
        "line 4: the game needs more than 256 score requests (judge waves) in one step (from a "
        "move to the next request for a move) (Limits.waves_per_step); is a replay loop too "
        "long, or a text too large?"
    )


def test_first_n_tokens_of_a_huge_text_in_a_loop_is_refused_before_the_work() -> None:
    big = " ".join(["w"] * 450_000)  # 900k characters
    source = (
        f'assign(s="{big}")\nbeacon(flag_1)\nassign(t=first_n_tokens(s, 2))\n'
        "replay(flag_1, 1000)\nelicit(x, 1)"
    )
    codec = CountingCodec(budget=Limits().work_per_step)
    machine = Machine(load(source), codec)
    with pytest.raises(XentRuntimeError, match=r"^line 3: .*Limits\.work_per_step"):
        machine.advance()
    # Refused before encoding past the limit: 55 passes of 900k characters fit in 50M.
    assert codec.encoded == 55 * len(big)


def test_remove_common_words_of_a_long_text_with_itself_is_refused_before_it_runs() -> None:
    words = " ".join(f"w{i}" for i in range(5000))
    source = f'assign(s="{words}")\nassign(t=remove_common_words(s, s))\nelicit(x, 1)'
    machine = Machine(load(source), WordCodec())
    with pytest.raises(XentRuntimeError, match=r"^line 2: .*Limits\.work_per_step"):
        machine.advance()
    assert machine.usage["step"]["work"] > Limits().work_per_step


def test_string_operators_are_metered() -> None:
    half = "a" * 500_000
    source = (
        f'assign(s="{half}")\nbeacon(flag_1)\nassign(t=s + s)\nreplay(flag_1, 1000)\nelicit(x, 1)'
    )
    machine = Machine(load(source), WordCodec())
    with pytest.raises(XentRuntimeError, match=r"^line 3: .*Limits\.work_per_step"):
        machine.advance()


def test_episode_limits_count_across_steps_and_rounds() -> None:
    source = 'assign(s="the mat")\nelicit(x, 3)\nreward(xed(s | x))'
    codec = WordCodec()
    machine = Machine(load(source), codec, rounds=5, limits=Limits(waves_per_episode=3))
    moves = iter(["one", "two", "three", "four"])
    scorer = StubScorer(codec)
    with pytest.raises(XentRuntimeError, match=r"^line 3: .*Limits\.waves_per_episode"):
        while not isinstance(request := machine.advance(), GameOver):
            if isinstance(request, ScoreRequest):
                machine.provide_scores(scorer.score_batch(request.items))
            else:
                machine.provide_move(next(moves))
    assert machine.round == 3 and machine.usage["episode"]["waves"] == 4


def test_a_move_starts_a_new_step() -> None:
    source = 'assign(s="the mat")\nelicit(x, 3)\nreward(xed(s | x))'
    codec = WordCodec()
    machine = Machine(load(source), codec, rounds=2)
    scorer = StubScorer(codec)
    assert isinstance(machine.advance(), ElicitRequest)
    assert machine.usage["step"] == {"instructions": 2, "waves": 0, "items": 0, "work": 0}
    machine.provide_move("my move")
    request = machine.advance()
    machine.provide_scores(scorer.score_batch(request.items))
    assert isinstance(machine.advance(), ElicitRequest)
    # The move (7 characters); the reward line twice (it posts one wave of two items, then
    # runs with the scores); round 2's assign and elicit.
    assert machine.usage["step"] == {"instructions": 4, "waves": 1, "items": 2, "work": 7}
    assert machine.usage["episode"] == {"instructions": 6, "waves": 1, "items": 2, "work": 7}


def test_limits_must_be_positive_ints() -> None:
    with pytest.raises(ConfigError, match="Limits.waves_per_step must be a positive int"):
        Limits(waves_per_step=0)
    with pytest.raises(ConfigError, match="limits must be a Limits"):
        Machine(load("elicit(x, 1)"), WordCodec(), limits={"waves_per_step": 3})  # type: ignore[arg-type]


# -- static limits: unbounded literals ---------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            'beacon(flag_1)\nassign(s=sample(l) + "x")\nelicit(x, 1)\n'
            "replay(flag_1, 999999999999999999)",
            "line 4, column 16: replay's count is 999999999999999999; at most 1000 is allowed",
        ),
        (
            'assign(l=generate_list("Animals", 999999999999999999))\nelicit(x, 1)',
            "line 1, column 35: the count of 'generate_list' must be an integer from 0 to 100, "
            "found 999999999999999999",
        ),
        (
            "assign(l=generate_masked(101))\nelicit(x, 1)",
            "line 1, column 26: the count of 'generate_masked' must be an integer from 0 to 100, "
            "found 101",
        ),
        (
            "assign(l=generate_list_next_token(0))\nelicit(x, 1)",
            "line 1, column 35: the count of 'generate_list_next_token' must be an integer "
            "from 1 to 100, found 0",
        ),
        (
            "assign(l=generate_list_next_token(2.5))\nelicit(x, 1)",
            "line 1, column 35: the count of 'generate_list_next_token' must be an integer "
            "from 1 to 100, found 2.5",
        ),
        ("elicit(x, 5000)", "line 1, column 11: elicit's token budget is 5000; at most 1024 is "),
    ],
)
def test_unbounded_literals_are_refused_at_check_time(source: str, message: str) -> None:
    with pytest.raises(XentCheckError) as info:
        load(source)
    assert str(info.value).startswith(message)


def test_literals_at_their_bounds_pass() -> None:
    load(
        f'beacon(flag_1)\nassign(l=generate_list("a", {MAX_MAP_TEXT_COUNT}))\n'
        f"elicit(x, {MAX_BUDGET})\nreplay(flag_1, {MAX_REPLAY})"
    )


def test_the_check_command_names_the_fault(tmp_path: Path) -> None:
    import subprocess
    import sys

    game = tmp_path / "loop.xent"
    game.write_text("beacon(flag_1)\nelicit(x, 1)\nreplay(flag_1, 999999999999999999)\n")
    out = subprocess.run(
        [sys.executable, "-m", "xent_envs.cli", "check", str(game)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert "replay's count is 999999999999999999; at most 1000 is allowed" in out.stderr


# -- no real game comes near a limit -----------------------------------------------------------


class LongTexts:
    """Map texts as long as the registry allows (160 judge tokens: about 1,000 characters)."""

    def story(self, seed: int) -> str:
        rng = random.Random(seed)
        return " ".join(rng.choice(("river", "stone", "lamp", "fox", "door")) for _ in range(200))

    def generate_list(self, prompt: str, n: int, seed: int) -> list[str]:
        return [f"{prompt} item {i}" for i in range(n)]

    def generate_masked(self, n: int, seed: int) -> list[str]:
        return [self.story(seed), "___ " * n]

    def generate_list_next_token(self, n: int, seed: int) -> list[str]:
        return [self.story(seed), " river" * n]


def peak_usage(source: str, params: dict, rounds: int) -> tuple[dict, dict]:
    """Highest step usage and the episode usage of ``rounds`` rounds with long moves."""
    codec = WordCodec()
    program = instantiate_map(load(source, params), LongTexts(), seed=0)
    machine = Machine(program, codec, rounds=rounds)
    scorer = StubScorer(codec)
    rng = random.Random(0)
    peak = dict.fromkeys(("instructions", "waves", "items", "work"), 0)
    while not isinstance(request := machine.advance(), GameOver):
        if isinstance(request, ScoreRequest):
            machine.provide_scores(scorer.score_batch(request.items))
            continue
        peak = {k: max(v, machine.usage["step"][k]) for k, v in peak.items()}
        words = ("moon", "owl", "sun", "river", "the", "a", "stone")
        machine.provide_move(" ".join(rng.choice(words) for _ in range(request.max_tokens + 5)))
    return peak, machine.usage["episode"]


GAMES = [
    (g.name, g.source, {**g.defaults, **_high})
    for g in builtin_games()
    for _high in [{p.name: p.high for p in g.parameters if p.high is not None and p.type == "int"}]
] + [(p.stem, p.read_text(), {}) for p in REFERENCE_GAMES]


@pytest.mark.parametrize(("name", "source", "params"), GAMES, ids=[g[0] for g in GAMES])
def test_real_games_use_under_two_percent_of_each_limit(
    name: str, source: str, params: dict
) -> None:
    step, episode = peak_usage(source, params, rounds=10)
    limits = Limits()
    for key, used in step.items():
        assert used <= getattr(limits, f"{key}_per_step") / 50, (key, used)
    for key, used in episode.items():
        assert used <= getattr(limits, f"{key}_per_episode") / 50, (key, used)
