"""Generation: the one decoding loop, its stops, and the checks on its options."""

import math

import pytest
import torch

from xent_envs.errors import ConfigError, ContextLengthError
from xent_envs.judge.sampling import Sampling, sample_token, seeded_generator

PROMPT = "Once upon a time"
GREEDY = Sampling(temperature=0, top_k=0, top_p=1.0)


def test_generate_is_seeded_and_leaves_global_rng_alone(tiny_judge):
    state = torch.get_rng_state()
    a = tiny_judge.generate(PROMPT, 12, seed=3)
    assert torch.equal(state, torch.get_rng_state())
    assert a == tiny_judge.generate(PROMPT, 12, seed=3)
    assert a != tiny_judge.generate(PROMPT, 12, seed=4)
    assert 0 < len(tiny_judge.encode(a)) <= 13
    # pinned: the texts of every map are generated this way
    assert a == " dugPlanitatesGazaany both Nob\ufffd spiritual extracting1990 Chilean"


def greedy_without_cache(model, ids, n):
    """Greedy tokens from full forward passes over the whole text, no key-value cache."""
    ids = list(ids)
    out = []
    with torch.no_grad():
        for _ in range(n):
            token = int(torch.argmax(model(torch.tensor([ids])).logits[0, -1]))
            out.append(token)
            ids.append(token)
    return out


def test_greedy_decoding_with_the_cache_matches_full_passes(tiny_judge):
    lm = tiny_judge.backend.lm
    prompt = [50256, *tiny_judge.encode(PROMPT)]
    want = greedy_without_cache(lm.model, prompt, 8)
    got = lm.generate_ids(prompt, 8, sampling=GREEDY, generator=None, end_ids=())
    assert got == want
    text = tiny_judge.generate(PROMPT, 8, seed=0, temperature=0)
    assert text == tiny_judge.decode(want)


def test_rows_decode_side_by_side_from_one_prompt_pass(tiny_judge):
    """generate_rows: row 0 greedy when asked (the single-row greedy answer), the others
    sampled and seeded, each row stopping on its own."""
    lm = tiny_judge.backend.lm
    prompt = [50256, *tiny_judge.encode(PROMPT)]
    greedy = lm.generate_ids(prompt, 8, sampling=GREEDY, generator=None, end_ids=())
    sampling = Sampling(temperature=1.0, top_k=0, top_p=1.0)

    def rows(seed, stop=None):
        return lm.generate_rows(
            prompt, 4, 8, sampling=sampling, generator=seeded_generator(seed), end_ids=(),
            stop=stop, greedy_first=True,
        )  # fmt: skip

    first = rows(5)
    assert first[0] == greedy and first == rows(5) and first[1:] != rows(6)[1:]
    assert len({tuple(r) for r in first[1:]}) > 1 and all(len(r) == 8 for r in first)
    stopped = rows(5, stop=lambda new: len(new) == 3 or new[-1] == first[1][0])
    assert stopped[0] == greedy[:3] and stopped[1] == first[1][:1]
    with pytest.raises(ConfigError, match="rows must be an int >= 1, got 0"):
        lm.generate_rows(prompt, 0, 4, sampling=GREEDY, generator=None, end_ids=())


def test_end_token_ends_and_min_new_tokens_holds_it_off(tiny_judge):
    lm = tiny_judge.backend.lm
    prompt = [50256, *tiny_judge.encode(PROMPT)]
    greedy = lm.generate_ids(prompt, 6, sampling=GREEDY, generator=None, end_ids=())
    end = greedy[2]
    assert end not in greedy[:2]
    stopped = lm.generate_ids(prompt, 6, sampling=GREEDY, generator=None, end_ids={end})
    assert stopped == greedy[:2]  # the end token is not kept
    held = lm.generate_ids(
        prompt, 6, sampling=GREEDY, generator=None, end_ids={end}, min_new_tokens=4
    )
    assert len(held) >= 4 and held[:2] == greedy[:2] and held[2] != end


def test_stop_strings_cut_the_text_before_them(tiny_judge):
    full = tiny_judge.generate(PROMPT, 12, seed=3)
    stop = full.split()[2]
    cut = tiny_judge.generate(PROMPT, 12, seed=3, stop=(stop,))
    assert cut == full[: full.index(stop)]
    assert tiny_judge.generate(PROMPT, 12, seed=3, stop=stop) == cut  # one str is one stop
    assert tiny_judge.generate(PROMPT, 12, seed=3, stop=("never appears in it",)) == full


def test_max_new_tokens_bounds_and_zero_gives_nothing(tiny_judge):
    assert tiny_judge.generate(PROMPT, 0, seed=1) == ""
    assert len(tiny_judge.encode(tiny_judge.generate(PROMPT, 3, seed=1))) <= 4


@pytest.mark.parametrize(
    "options,message",
    [
        ({"top_p": 0}, "top_p must be in (0, 1], got 0"),
        ({"top_p": 1.5}, "top_p must be in (0, 1], got 1.5"),
        ({"temperature": math.nan}, "temperature must be a finite number >= 0, got nan"),
        ({"temperature": -1}, "temperature must be a finite number >= 0, got -1"),
        ({"temperature": "hot"}, "temperature must be a number, got 'hot'"),
        ({"top_k": -1}, "top_k must be an int >= 0 (0: no limit), got -1"),
        ({"seed": 2**70}, "a seed must be an int in [-2**63, 2**64), got 1180591620717411303424"),
        ({"seed": 1.5}, "a seed must be an int, got float"),
        ({"stop": ("",)}, "stop strings must be non-empty str"),
        ({"max_new_tokens": -1}, "max_new_tokens and min_new_tokens must be >= 0"),
    ],
)
def test_bad_generation_options_are_config_errors(tiny_judge, options, message):
    args = {"max_new_tokens": 4, "seed": 0, **options}
    with pytest.raises(ConfigError) as info:
        tiny_judge.generate(PROMPT, **args)
    assert message in str(info.value)


def test_seed_range_edges():
    a = torch.rand(3, generator=seeded_generator(2**64 - 1))
    assert torch.equal(a, torch.rand(3, generator=seeded_generator(2**64 - 1)))
    seeded_generator(-(2**63))
    with pytest.raises(ConfigError):
        seeded_generator(2**64)
    with pytest.raises(ConfigError):
        seeded_generator(True)


def test_a_prompt_that_fills_the_context(tiny_judge):
    with pytest.raises(ContextLengthError, match="reads at most 1024"):
        tiny_judge.generate("word " * 1100, 4, seed=0)


def test_sample_token_rules():
    logits = torch.tensor([0.0, 3.0, 1.0, 2.9])
    assert sample_token(logits, None, GREEDY) == 1
    # top_k=1 is greedy whatever the generator draws
    one = Sampling(temperature=1.0, top_k=1, top_p=1.0)
    assert {sample_token(logits, seeded_generator(s), one) for s in range(20)} == {1}
    # top_p keeps the smallest head reaching the mass: here tokens 1 and 3
    nucleus = Sampling(temperature=1.0, top_k=0, top_p=0.6)
    drawn = {sample_token(logits, seeded_generator(s), nucleus) for s in range(60)}
    assert drawn == {1, 3}
