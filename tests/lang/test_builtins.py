"""Each builtin through a running machine, with the stub codec and judge."""

from __future__ import annotations

import pytest

from xent_envs.errors import XentRuntimeError
from xent_envs.lang import BUILTINS, Machine, load, play
from xent_envs.lang.builtins import remove_common_words

from .lang_stubs import StubScorer, WordCodec, xent


def value(expression: str, register: str = "s", setup: str = "") -> str:
    """The text a register holds after ``assign(register=expression)``."""
    codec = WordCodec()
    m = Machine(load(f"{setup}\nassign({register}={expression})\nreveal({register})"), codec)
    play(m, StubScorer(codec).score_batch, lambda r: "")
    return m.events[-3].values[register]


def reward(expression: str, setup: str = "") -> float:
    codec = WordCodec()
    m = Machine(load(f"{setup}\nreward({expression})"), codec)
    play(m, StubScorer(codec).score_batch, lambda r: "")
    return m.scores[0]["black"]


def condition(expression: str, setup: str = "") -> bool:
    codec = WordCodec()
    m = Machine(
        load(f"elicit(env, x, 1)\n{setup}\nensure({expression})"), codec, max_ensure_failures=1
    )
    return play(m, StubScorer(codec).score_batch, lambda r: "").reason == "finished"


def test_judge_builtins() -> None:
    setup = 'assign(s="the mat", t="my move")'
    assert reward("xent(s | t)", setup) == xent("the mat", "my move") == 4.5
    assert reward("xed(s | t)", setup) == 1.5
    assert reward("nex(s | t)", setup) == -4.5
    assert reward("dex(s | t)", setup) == -1.5
    assert reward("xent(s)", setup) == 6.0


def test_token_builtins_use_the_codec() -> None:
    setup = 'assign(t="one two three four")'
    assert value("first_n_tokens(t, 2)", setup=setup) == "one two"
    assert value("last_n_tokens(t, 2)", setup=setup) == " three four"
    assert value("first_n_tokens(t, 9)", setup=setup) == "one two three four"
    assert value("last_n_tokens(t, 0)", setup=setup) == ""


def test_remove_common_words() -> None:
    assert (
        value('remove_common_words("The cat, the HAT and a dog", "cat hat the")') == ", and a dog"
    )
    assert value('remove_common_words("a cat sat", ["cat", "a"])') == "sat"
    assert remove_common_words("catalog cat", {"cat"}) == "catalog"
    assert remove_common_words("x", set()) == "x"


def test_word_builtins() -> None:
    assert condition('only_uses_words("a b c", "a c a")')
    assert not condition('only_uses_words(["a", "b"], "a z")')
    assert condition('only_uses_chars("abc", "cab")')
    assert not condition('only_uses_chars("abc", "abd")')
    assert value('word_set("The cat; the dog")', "l") == '["cat", "dog", "the"]'
    assert value('common_word_set("A cat.", "a Dog, a cat")', "l") == '["a", "cat"]'
    assert condition('num_words("the cat the dog") == 3')
    assert condition('len("abcd") == 4')
    assert condition('len(["a", "b"]) == 2')


def test_sample_and_shuffle_of_empty_lists() -> None:
    assert value("sample(l)") == ""
    assert value("shuffle(l)", "l1") == "[]"


def test_shaping_needs_a_positive_scale() -> None:
    codec = WordCodec()
    m = Machine(load('assign(s="a")\nreward(punish_negative(xent(s), 0))'), codec)
    with pytest.raises(XentRuntimeError, match="must be positive"):
        play(m, StubScorer(codec).score_batch, lambda r: "")


def test_every_builtin_is_documented() -> None:
    assert all(b.doc for b in BUILTINS.values())
    assert {"story", "generate_list", "generate_masked", "generate_list_next_token"} == {
        name for name, b in BUILTINS.items() if b.map_text
    }
