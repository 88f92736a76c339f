"""The resumable machine: each instruction, score batching and caching, ensure, loops,
rounds, zero-sum rewards, visibility, snapshots and the event log."""

from __future__ import annotations

import json

import pytest

from xent_envs.errors import ConfigError, XentCheckError, XentRuntimeError
from xent_envs.lang import (
    ElicitRequest,
    GameOver,
    Machine,
    ScoreRequest,
    check,
    event_from_json,
    instantiate_map,
    load,
    parse,
    play,
)
from xent_envs.lang.nodes import BinOp, Expr, Name, Num
from xent_envs.lang.spans import Span
from xent_envs.lang.truth import truth_requests
from xent_envs.score import Score

from .lang_stubs import SeededTextSource, StubScorer, WordCodec, xent


def machine(source: str, **options) -> tuple[Machine, StubScorer]:
    codec = WordCodec()
    return Machine(load(source), codec, **options), StubScorer(codec)


def run(source: str, moves: list[str] | None = None, **options) -> tuple[Machine, GameOver]:
    m, scorer = machine(source, **options)
    queue = list(moves or [])
    over = play(m, scorer.score_batch, lambda request: queue.pop(0) if queue else "move")
    return m, over


def kinds(m: Machine) -> list[str]:
    return [e.kind for e in m.events]


# -- assign / elicit -------------------------------------------------------------------------


def test_assign_evaluates_string_operators() -> None:
    m, _ = run(
        'assign(s="once upon a time", t="x")\n'
        'assign(x=s // " a", y=s % "upon ", p=s + t, x1=s // "zz", y1=s % "zz")\n'
        "elicit(env, x2, 3)"
    )
    st = m._state.registers
    assert st["x"].text == "once upon" and st["y"].text == "a time"
    assert st["p"].text == "once upon a timex"
    assert st["x1"].text == "once upon a time" and st["y1"].text == ""


def test_elicit_request_and_move_cut_to_budget() -> None:
    m, _ = machine("elicit(x, 3)\nreveal(x)")
    request = m.advance()
    assert isinstance(request, ElicitRequest)
    assert (request.player, request.register, request.max_tokens, request.line) == (
        "black",
        "x",
        3,
        1,
    )
    assert m.advance() is request  # asking again gives the same request
    m.provide_move("one two three four five")
    assert m._state.registers["x"].text == "one two three"
    move = m.events[1]
    assert move.kind == "move" and move.cut and move.text == "one two three"


def test_elicit_several_registers_and_player() -> None:
    m, _ = machine("elicit(alice, x, y, 2)\nreveal(alice, x, y)")
    first = m.advance()
    m.provide_move("a b c")
    second = m.advance()
    assert (first.register, second.register, second.player) == ("x", "y", "alice")
    m.provide_move("d")
    assert isinstance(m.advance(), GameOver)
    assert m.events[-3].values == {"x": "a b", "y": "d"}


def test_move_without_pending_elicit_is_an_error() -> None:
    m, _ = machine("elicit(x, 3)")
    with pytest.raises(XentRuntimeError, match="no move is pending"):
        m.provide_move("x")
    m.advance()
    with pytest.raises(XentRuntimeError, match="no scores are pending"):
        m.provide_scores([])


# -- scores ------------------------------------------------------------------------------


def test_xed_asks_for_scores_once_and_caches_the_baseline() -> None:
    m, scorer = machine('assign(s="the mat")\nelicit(x, 5)\nreward(xed(s | x))', rounds=2)
    assert isinstance(m.advance(), ElicitRequest)
    m.provide_move("my move")
    request = m.advance()
    assert isinstance(request, ScoreRequest)
    assert request.items == (("the mat", ""), ("the mat", "my move"))
    assert m.advance() is request
    m.provide_scores(scorer.score_batch(request.items))
    m.advance()  # round 2 elicit
    m.provide_move("other")
    request = m.advance()
    # xent(s) is in the per-map cache: only the new pair is asked for.
    assert request.items == (("the mat", "other"),)


CONSECUTIVE_REWARDS = (
    'assign(s="the mat", t="a cat")\nelicit(x, 5)\n'
    "reward(xed(s | x))\nreward(alice, xent(t | x))\nreward(xed(t | s))\n"
    "assign(y=s + x)\nreward(xent(y))"
)


def test_consecutive_reward_lines_ask_the_judge_in_one_wave() -> None:
    m, scorer = machine(CONSECUTIVE_REWARDS)
    m.advance()
    m.provide_move("my move")
    waves = []
    while isinstance(request := m.advance(), ScoreRequest):
        waves.append(request.items)
        m.provide_scores(scorer.score_batch(request.items))
    # The three reward lines share one wave; the line after the assign waits for its value.
    assert waves == [
        (("the mat", ""), ("the mat", "my move"), ("a cat", "my move"), ("a cat", ""),
         ("a cat", "the mat")),
        (("the matmy move", ""),),
    ]  # fmt: skip
    assert m.usage["step"]["waves"] == 2 and m.usage["step"]["items"] == 6
    # Paid exactly as line by line: the same events as a machine that looks nothing ahead.
    rewards = [(e.player, e.line, e.score) for e in m.events if e.kind == "reward"]
    assert [(p, line) for p, line, _ in rewards] == [
        ("black", 3), ("white", 3), ("alice", 4), ("black", 5), ("white", 5), ("black", 7),
        ("white", 7),
    ]  # fmt: skip
    alone = {items: scorer.score_batch([items])[0] for wave in waves for items in wave}
    assert rewards[2][2] == alone[("a cat", "my move")]


def test_a_reward_line_that_fails_ahead_fails_only_when_it_runs() -> None:
    """The look-ahead stops at an error; the line raises it for real once it is reached."""
    m, scorer = machine(
        'assign(s="the mat")\nelicit(x, 5)\nreward(xent(s | x))\nreward(xent(s) * 1e308 * 1e308)'
    )
    m.advance()
    m.provide_move("my move")
    request = m.advance()
    assert request.items == (("the mat", "my move"), ("the mat", ""))
    m.provide_scores(scorer.score_batch(request.items))
    with pytest.raises(XentRuntimeError, match="line 4"):
        m.advance()
    assert [e.line for e in m.events if e.kind == "reward"] == [3, 3]  # black and white


def test_reward_total_and_per_token_detail() -> None:
    m, over = run('assign(s="the mat")\nelicit(x, 5)\nreward(xed(s | x))', ["my move"])
    reward = next(e for e in m.events if e.kind == "reward")
    assert reward.score.tokens == ("the", " mat")
    assert reward.score.bits == (0.0, 1.5)
    assert m.scores == [{"black": 1.5, "white": -1.5}]
    assert over.reason == "finished"


def test_zero_sum_pair_and_other_players() -> None:
    m, _ = run(
        'elicit(env, x3, 1)\nassign(s="ab cd")\nreward(white, xent(s))\nreward(alice, nex(s))'
    )
    assert m.scores == [{"black": -4.0, "white": 4.0, "alice": -4.0}]
    players = [(e.player, e.score.total) for e in m.events if e.kind == "reward"]
    assert players == [("white", 4.0), ("black", -4.0), ("alice", -4.0)]


def test_score_arithmetic_and_shaping() -> None:
    m, _ = run(
        'elicit(env, x3, 1)\nassign(s="abcd")\n'
        "reward(2 * xent(s) - xent(s) * 0.5 + -xent(s))\n"
        "reward(alice, punish_negative(nex(s), 2))\n"
        "reward(bob, reward_positive(nex(s), 2))\n"
        "reward(carol, punish_negative(xent(s)))"
    )
    assert m.scores[0]["black"] == pytest.approx(2.0)
    assert m.scores[0]["alice"] == -8.0 and m.scores[0]["bob"] == -2.0
    assert m.scores[0]["carol"] == 4.0 / 64


def test_empty_text_needs_no_judge() -> None:
    m, scorer = machine("elicit(x, 3)\nreward(xent(x))")
    m.advance()
    m.provide_move("")
    assert isinstance(m.advance(), GameOver)
    assert scorer.calls == []


def test_provide_scores_validates_the_answer() -> None:
    m, _ = machine('assign(s="a")\nreward(xent(s))\nelicit(env, x3, 1)')
    request = m.advance()
    with pytest.raises(XentRuntimeError, match="expected 1 scores, got 0"):
        m.provide_scores([])
    with pytest.raises(XentRuntimeError, match="expected Score values"):
        m.provide_scores([1.0])  # type: ignore[list-item]
    m.provide_scores([Score(("a",), (1.0,))])
    assert request.items == (("a", ""),)


# -- ensure ------------------------------------------------------------------------------

ENSURE = 'assign(s="apple")\nelicit(x, 4)\nensure(xed(s | x) > 0)\nreward(xed(s | x))'


def test_ensure_returns_to_the_elicit_with_feedback() -> None:
    m, scorer = machine(ENSURE)
    m.advance()
    m.provide_move("nothing here")
    request = m.advance()
    m.provide_scores(scorer.score_batch(request.items))
    retry = m.advance()
    assert isinstance(retry, ElicitRequest) and retry.register == "x"
    assert retry.feedback == (
        "Your move was refused by line 3: ensure(xed(s | x) > 0) "
        "(failure 1; failure 11 in a row ends the game). Try again."
    )
    m.provide_move("an answer")
    over = play(m, scorer.score_batch, lambda r: "unused")
    assert over.reason == "finished"
    assert m.scores[0]["black"] == 2.5
    assert kinds(m).count("ensure_failed") == 1


def test_ensure_limit_ends_the_game_as_truncated() -> None:
    m, over = run(ENSURE, max_ensure_failures=3)
    assert over.reason == "ensure_limit"
    assert "line 3 failed 3 times in a row" in over.message
    assert kinds(m).count("ensure_failed") == 3
    assert m.events[-1].kind == "game_over"
    assert m.advance() is over


def test_ensure_counter_resets_on_success() -> None:
    source = (
        'assign(s="apple")\nbeacon(flag_1)\nelicit(x, 4)\nensure(xed(s | x) > 0)\nreplay(flag_1, 3)'
    )
    moves = ["no", "a", "no", "no", "a", "no", "a", "a"]
    m, over = run(source, moves, max_ensure_failures=3)
    assert over.reason == "finished"
    assert [e.failures for e in m.events if e.kind == "ensure_failed"] == [1, 1, 2, 1]


def test_ensure_with_boolean_builtins_and_string_equality() -> None:
    source = 'assign(s1="red blue")\nelicit(x, 5)\nensure(only_uses_words(s1, x), x != "blue")'
    m, over = run(source, ["green", "blue", "red blue"])
    assert over.reason == "finished"
    assert kinds(m).count("ensure_failed") == 2


def truth_game(true_bits: float, false_bits: float) -> tuple[list[str], Machine]:
    """Play ``ensure(is_true(x))`` then ``ensure(is_false(x))`` with a judge that charges
    ``true_bits`` for the "true" text and ``false_bits`` for the "false" one; returns the
    kinds of events after the move, and the machine."""
    m = Machine(
        load("elicit(x, 5)\nensure(is_true(x))\nensure(is_false(x))"),
        WordCodec(),
        max_ensure_failures=1,
    )
    m.advance()
    m.provide_move("sky")
    request = m.advance()
    assert request.items == tuple(truth_requests("sky"))
    bits = {request.items[0]: true_bits, request.items[1]: false_bits}
    m.provide_scores([Score(("v",), (bits[item],)) for item in request.items])
    m.advance()
    return [e.kind for e in m.events[2:]], m


def test_is_true_follows_the_cheaper_verdict() -> None:
    # "true" is cheaper: is_true holds (line 2 passes) and is_false fails (line 3).
    kinds_after, m = truth_game(1.0, 2.0)
    assert kinds_after == ["ensure_failed", "game_over"]
    assert m.events[2].line == 3
    # "false" is cheaper: is_true fails on line 2.
    kinds_after, m = truth_game(2.0, 1.0)
    assert kinds_after == ["ensure_failed", "game_over"]
    assert m.events[2].line == 2
    # A tie is false: line 2 fails.
    assert truth_game(1.5, 1.5)[1].events[2].line == 2


def test_is_true_asks_for_the_reference_prompt() -> None:
    (true_text, p1), (false_text, p2) = truth_requests("the sky is green")
    assert p1 == p2 == ""
    assert true_text.startswith("You are a core knowledge engine.")
    assert true_text.endswith('Statement: "the sky is green"\nEvaluation: true')
    assert false_text == true_text[: -len("true")] + "false"


# -- reveal and visibility ---------------------------------------------------------------


def test_visibility_public_omniscient_and_revealed() -> None:
    m, _ = machine(
        'assign(s="secret", p="public")\nreveal(alice, s)\nassign(s="changed")\n'
        "elicit(alice, x, 3)\nelicit(x1, 3)",
        statics={"a": "static"},
    )
    alice = m.advance()
    assert alice.visible == {"a": "static", "p": "public", "s": "secret"}
    m.provide_move("hi")
    black = m.advance()
    assert black.visible == {"a": "static", "s": "changed", "p": "public", "x": "hi"}


def test_reveal_defaults_to_black_and_renders_lists() -> None:
    m, _ = run('assign(l=["a", "b"])\nreveal(l)\nelicit(env, x3, 1)')
    event = m.events[0]
    assert (event.player, event.values) == ("black", {"l": '["a", "b"]'})


# -- beacon / replay, rounds ---------------------------------------------------------------


def test_replay_loops_n_times_and_resets() -> None:
    source = (
        'assign(s="abc")\nbeacon(flag_1)\nelicit(x, 3)\nbeacon(flag_2)\nreward(xent(s))\n'
        "replay(flag_2, 1)\nreplay(flag_1, 2)"
    )
    m, _ = run(source)
    assert kinds(m).count("elicit") == 3
    assert kinds(m).count("reward") == 3 * 2 * 2  # black and white, twice per elicit
    assert m.scores[0]["black"] == 3 * 2 * 3.0


def test_rounds_empty_registers_keep_statics_and_cache() -> None:
    m, scorer = machine(
        "elicit(x, 3)\nassign(y=y + x)\nreward(xent(y))", rounds=3, statics={"b": "kept"}
    )
    moves = iter(["ab", "ab", "ab"])
    over = play(m, scorer.score_batch, lambda r: next(moves))
    assert over == GameOver("finished", "all 3 round(s) played")
    # y is emptied each round, so each round scores "ab" alone, from the cache after round 1.
    assert m.scores == [{"black": 2.0, "white": -2.0}] * 3
    assert len(scorer.calls) == 1
    assert [e.round for e in m.events if e.kind == "round_end"] == [0, 1, 2]
    assert m.round == 3 and m.rounds == 3
    assert m._state.registers["b"].text == "kept"


def test_runaway_loop_is_a_runtime_error() -> None:
    m, _ = machine(
        'beacon(flag_1)\nbeacon(flag_2)\nassign(s="a")\nreplay(flag_2, 1000)\n'
        "replay(flag_1, 1000)\nelicit(x, 1)"
    )
    with pytest.raises(XentRuntimeError) as info:
        m.advance()
    assert str(info.value) == (
        "line 2: the game needs more than 100000 instructions in one step (from a move to the "
        "next request for a move) (Limits.instructions_per_step); is a replay loop too long, "
        "or a text too large?"
    )


def test_string_growth_is_bounded() -> None:
    m, _ = machine(
        'assign(s="ab")\nbeacon(flag_1)\nassign(s=s + s)\nreplay(flag_1, 40)\nelicit(x, 1)'
    )
    with pytest.raises(XentRuntimeError, match="longer than 1000000 characters"):
        m.advance()


# -- snapshots ---------------------------------------------------------------------------


def test_snapshot_branches_are_independent() -> None:
    m, scorer = machine('assign(s="the mat")\nelicit(x, 5)\nreward(xed(s | x))')
    assert isinstance(m.advance(), ElicitRequest)
    snap = m.snapshot()
    results = {}
    for move in ("my move", "nothing", "my move"):
        m.restore(snap)
        m.provide_move(move)
        play(m, scorer.score_batch, lambda r: "")
        results.setdefault(move, []).append((m.scores[0]["black"], len(m.events)))
    assert results["my move"][0] == results["my move"][1] == (1.5, 6)
    assert results["nothing"] == [(0.0, 6)]
    m.restore(snap)
    assert isinstance(m.advance(), ElicitRequest) and len(m.events) == 1


def test_snapshot_of_another_program_is_refused() -> None:
    m1, _ = machine("elicit(x, 1)")
    m2, _ = machine("elicit(y, 1)")
    with pytest.raises(ConfigError, match="another program"):
        m2.restore(m1.snapshot())


# -- randomness ---------------------------------------------------------------------------

SAMPLING = (
    'assign(l=["a", "b", "c", "d", "e", "f", "g", "h"])\nbeacon(flag_1)\n'
    "assign(s=sample(l), l1=shuffle(l))\nreveal(s, l1)\nreplay(flag_1, 5)\nelicit(env, x3, 1)"
)


def reveals(m: Machine) -> list[dict[str, str]]:
    return [e.values for e in m.events if e.kind == "reveal"]


def test_sample_and_shuffle_are_seeded_and_vary_per_draw() -> None:
    a, _ = run(SAMPLING, seed=1)
    b, _ = run(SAMPLING, seed=1)
    c, _ = run(SAMPLING, seed=2)
    assert reveals(a) == reveals(b)
    assert reveals(a) != reveals(c)
    assert len({r["s"] + r["l1"] for r in reveals(a)}) > 1
    assert all(sorted(json.loads(r["l1"])) == list("abcdefgh") for r in reveals(a))


def test_sampling_is_stable_across_score_requests() -> None:
    m, scorer = machine(
        'assign(l=["aa", "bbb", "c"])\nreward(xent(sample(l)))\nelicit(env, x3, 1)', seed=3
    )
    request = m.advance()
    m.provide_scores(scorer.score_batch(request.items))
    assert isinstance(m.advance(), ElicitRequest)
    assert m.scores[0]["black"] == xent(request.items[0][0])


# -- construction --------------------------------------------------------------------------


def test_machine_refuses_uninstantiated_maps_and_bad_options() -> None:
    codec = WordCodec()
    with pytest.raises(ConfigError, match="instantiate_map"):
        Machine(load("assign(s=story())\nelicit(x, 1)"), codec)
    with pytest.raises(ConfigError, match="rounds must be at least 1"):
        Machine(load("elicit(x, 1)"), codec, rounds=0)
    with pytest.raises(ConfigError, match="statics may set only static registers"):
        Machine(load("elicit(x, 1)"), codec, statics={"s": "no"})
    with pytest.raises(XentCheckError):
        from xent_envs.lang import parse

        Machine(parse("elicit(z, 1)"), codec)


# -- events ---------------------------------------------------------------------------------


def test_event_log_json_round_trip() -> None:
    m, _ = run(ENSURE, ["zzz", "an apple"], rounds=2)
    data = json.loads(json.dumps([e.to_json() for e in m.events]))
    assert [event_from_json(d) for d in data] == m.events
    assert {d["kind"] for d in data} == {
        "elicit",
        "move",
        "ensure_failed",
        "reward",
        "round_end",
        "game_over",
    }
    with pytest.raises(ValueError, match="unknown event kind"):
        event_from_json({"kind": "nope"})


# -- numbers and scores stay finite --------------------------------------------------------------

NON_FINITE = "line 3: a score is not a finite number of bits; is a scale too large?"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("xent(s | x) * 1e308 * 1e308", NON_FINITE),  # inf bits
        ("xent(s) * 1e308", NON_FINITE),  # finite bits whose sum overflows
        ("xent(s) * 1e308 - xent(s) * 1e308 * 2", NON_FINITE),
        ("reward_positive(nex(s), 1e-320)", NON_FINITE),  # 1/k is inf
        (
            "xent(s) * (999999999999999999 * 999999999999999999 * 999999999999999999 * "
            "999999999999999999 * 999999999999999999 * 999999999999999999 * "
            "999999999999999999 * 999999999999999999 * 999999999999999999 * "
            "999999999999999999 * 999999999999999999 * 999999999999999999 * "
            "999999999999999999 * 999999999999999999 * 999999999999999999 * "
            "999999999999999999 * 999999999999999999 * 999999999999999999)",
            "line 3: a number is out of range",
        ),
        ("xent(s) * (1e308 * 10)", "line 3: a number is out of range (inf)"),
    ],
)
def test_a_non_finite_score_or_number_is_never_paid(expression: str, message: str) -> None:
    m, scorer = machine(f'assign(s="ab cd")\nelicit(x, 3)\nreward({expression})')
    m.advance()
    m.provide_move("x")
    with pytest.raises(XentRuntimeError) as info:
        play(m, scorer.score_batch, lambda r: "")
    assert str(info.value).startswith(message)
    assert m.scores == [{"black": 0.0}]


def test_a_non_finite_comparison_is_refused() -> None:
    m, scorer = machine('assign(s="ab cd")\nelicit(x, 3)\nensure(xent(s) * 1e308 > 0)')
    m.advance()
    m.provide_move("x")
    with pytest.raises(XentRuntimeError, match=NON_FINITE):
        play(m, scorer.score_batch, lambda r: "")


def test_the_judge_may_not_answer_with_non_finite_bits() -> None:
    m, _ = machine('assign(s="ab")\nreward(xent(s))\nelicit(x, 1)')
    request = m.advance()
    with pytest.raises(XentRuntimeError, match="a value that is not finite"):
        m.provide_scores([Score(("a", "b"), (1.0, float("nan")))])
    assert m.advance() is request  # nothing was cached: the request is still pending


def test_non_finite_parameters_and_literals_are_refused_at_load() -> None:
    with pytest.raises(XentCheckError, match=r"parameter \$k is nan; a number must be finite"):
        load("elicit(x, 3)\nreward($k * xent(x))", {"k": float("nan")})
    with pytest.raises(XentCheckError, match=r"parameter \$k is inf"):
        load("elicit(x, 3)\nreward($k * xent(x))", {"k": float("inf")})
    hand_built = parse("elicit(x, 3)\nreward(2.5 * xent(x))").map_exprs(
        lambda e: Num(float("inf"), e.span) if isinstance(e, Num) and e.value == 2.5 else e
    )
    with pytest.raises(XentCheckError, match="the number inf is not finite"):
        check(hand_built)


# -- a program is checked once --------------------------------------------------------------------


def test_a_program_is_checked_once_however_many_games_play_it(monkeypatch) -> None:
    from xent_envs.lang import checker

    runs = []
    original = checker._Checker.run
    monkeypatch.setattr(checker._Checker, "run", lambda self: runs.append(1) or original(self))
    program = load("assign(s=story())\nelicit(x, 3)\nreward(xed(s | x))")
    assert program.checked and len(runs) == 1
    mapped = instantiate_map(program, SeededTextSource(), seed=1)
    assert mapped.checked and len(runs) == 1
    for seed in range(3):
        Machine(mapped, WordCodec(), seed=seed)
    assert len(runs) == 1


def test_hand_built_programs_are_still_checked() -> None:
    hand_built = parse("elicit(x, 3)\nreward(xed(s | x))")
    assert not hand_built.checked
    Machine(hand_built, WordCodec())
    assert hand_built.checked
    broken = parse("elicit(z, 3)")
    with pytest.raises(XentCheckError, match="unknown register 'z'"):
        Machine(broken, WordCodec())
    with pytest.raises(XentCheckError, match="unknown register 'z'"):
        instantiate_map(broken, SeededTextSource(), seed=1)
    # A copy of a checked program is a new program: it is checked again.
    copy = load("elicit(x, 3)").map_exprs(lambda e: e)
    assert not copy.checked


def test_a_too_deep_hand_built_program_is_an_error_everywhere() -> None:
    deep: Expr = Name("s", Span(1, 10))
    for _ in range(5000):
        deep = BinOp("+", deep, Name("s", Span(1, 10)), Span(1, 12))
    program = parse("elicit(x, 3)\nassign(s=s)").map_exprs(
        lambda e: deep if isinstance(e, Name) and e.id == "s" and e.span.line == 2 else e
    )
    for attempt in (check, lambda p: Machine(p, WordCodec()), lambda p: p.to_source()):
        with pytest.raises(XentCheckError, match="5001 levels deep; at most 100"):
            attempt(program)


# -- moves ---------------------------------------------------------------------------------------


def test_provide_move_returns_what_was_kept() -> None:
    m, _ = machine("elicit(x, 3)\nelicit(y, 3)")
    m.advance()
    event = m.provide_move(" one two three four")
    assert (event.text, event.tokens, event.cut) == (" one two three", 3, True)
    assert event is m.events[-1]
    m.advance()
    event = m.provide_move("five")
    assert (event.text, event.tokens, event.cut) == ("five", 1, False)
    assert event_from_json(json.loads(json.dumps(event.to_json()))) == event


# -- the ensure rule (the reference engine's) -----------------------------------------------------


def test_an_eleventh_try_that_passes_is_scored() -> None:
    m, over = run(ENSURE, ["nothing"] * 10 + ["an apple"])
    assert over.reason == "finished"
    assert [e.failures for e in m.events if e.kind == "ensure_failed"] == list(range(1, 11))
    assert m.scores[0]["black"] == 2.5


def test_an_eleventh_failure_ends_the_game() -> None:
    m, over = run(ENSURE, ["nothing"] * 11 + ["an apple"])
    assert over == GameOver(
        "ensure_limit", "line 3 failed 11 times in a row: ensure(xed(s | x) > 0)"
    )
    assert kinds(m).count("elicit") == 11


# -- rounds start afresh --------------------------------------------------------------------------


def test_reveals_are_cleared_between_rounds() -> None:
    m, _ = machine('elicit(alice, x, 2)\nassign(s="secret")\nreveal(alice, s)', rounds=2)
    seen = []
    while not isinstance(request := m.advance(), GameOver):
        seen.append(request.visible)
        m.provide_move("hi")
    assert seen == [{}, {}]


def test_sample_and_shuffle_draw_anew_each_round() -> None:
    source = (
        'assign(l=["a", "b", "c", "d", "e", "f", "g", "h"])\n'
        "assign(s=sample(l), l1=shuffle(l))\nreveal(s, l1)\nelicit(env, x3, 1)"
    )
    m, _ = run(source, rounds=4, seed=7)
    draws = [r["s"] + r["l1"] for r in reveals(m)]
    assert len(draws) == 4 and len(set(draws)) == 4
    again, _ = run(source, rounds=4, seed=7)
    assert reveals(again) == reveals(m)
