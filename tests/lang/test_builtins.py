"""Each builtin through a running machine, with the stub codec and judge."""

from __future__ import annotations

import pytest

from xent_envs.errors import XentRuntimeError
from xent_envs.lang import BUILTINS, Machine, load, play
from xent_envs.lang.builtins import only_uses_words, remove_common_words

from .lang_stubs import StubScorer, WordCodec, xent

# Every game asks for a move; env's move changes nothing the helpers look at.
MOVE = "elicit(env, x3, 1)"


def value(expression: str, register: str = "s", setup: str = "") -> str:
    """The text a register holds after ``assign(register=expression)``."""
    codec = WordCodec()
    source = f"{MOVE}\n{setup}\nassign({register}={expression})\nreveal({register})"
    m = Machine(load(source), codec)
    play(m, StubScorer(codec).score_batch, lambda r: "")
    return m.events[-3].values[register]


def reward(expression: str, setup: str = "") -> float:
    codec = WordCodec()
    m = Machine(load(f"{MOVE}\n{setup}\nreward({expression})"), codec)
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
    # The word codec has one token per word: a count, and a bar on bits per token with it.
    assert condition('num_tokens(t) == 4, num_tokens("") == 0', setup)
    assert not condition("num_tokens(t) > 4", setup)
    assert condition("num_tokens(t) * xent(t) <= 2 * num_tokens(t) * xent(t)", setup)
    # "one two three four" costs 3 + 3 + 5 + 4 = 15 bits over 4 tokens: 3.75 bits a token.
    assert condition("xent(t) <= 3.75 * num_tokens(t)", setup)
    assert not condition("xent(t) <= 3.7 * num_tokens(t)", setup)


def test_remove_common_words() -> None:
    assert (
        value('remove_common_words("The cat, the HAT and a dog", "cat hat the")') == ", and a dog"
    )
    assert value('remove_common_words("a cat sat", ["cat", "a"])') == "sat"
    assert remove_common_words("catalog cat", ["cat"]) == "catalog"
    assert remove_common_words("x", []) == "x"


def test_remove_common_words_always_tidies_whitespace() -> None:
    # The reference engine collapses runs of whitespace and strips the ends even when no word
    # is shared: the move " dog" on "The cat sat on the mat." is scored as "dog".
    assert value('remove_common_words(" dog", "The cat sat on the mat.")') == "dog"
    assert remove_common_words("  a\t\tb\nc  ", "zzz") == "a b\nc"  # a lone newline stays
    assert remove_common_words(" x  y ", []) == "x y"


def test_remove_common_words_takes_list_items_literally_and_in_order() -> None:
    # Items are literal words, not patterns: "a+b" does not match "aab", "(x" is no error.
    assert value('remove_common_words("aab a+b (x y", ["a+b", "(x"])') == "aab y"
    assert remove_common_words("a.b a*b", ["a.b"]) == "a*b"
    # Each item in turn: removing "b" first leaves "a  c", which then matches "a  c" ...
    assert remove_common_words("a b c", ["b", "a  c"]) == ""
    # ... while in the other order "a  c" finds nothing, and "b" alone goes.
    assert remove_common_words("a b c", ["a  c", "b"]) == "a c"


def test_only_uses_words_splits_on_single_spaces_as_the_reference_does() -> None:
    symbols = "anchor horse compass hourglass"
    assert only_uses_words(symbols, "horse anchor")
    for text in ("anchor  horse", "compass\nhourglass", "", " horse", "horse "):
        assert not only_uses_words(symbols, text), text
    assert only_uses_words(["anchor", ""], "anchor  anchor")
    assert condition('only_uses_words("a b c", "a c a")')
    assert not condition('only_uses_words("a b", "a  b")')


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
    m = Machine(load(f'{MOVE}\nassign(s="a")\nreward(punish_negative(xent(s), 0))'), codec)
    with pytest.raises(XentRuntimeError, match="must be positive"):
        play(m, StubScorer(codec).score_batch, lambda r: "")


def test_every_builtin_is_documented() -> None:
    assert all(b.doc for b in BUILTINS.values())
    assert {"story", "generate_list", "generate_masked", "generate_list_next_token"} == {
        name for name, b in BUILTINS.items() if b.map_text
    }
