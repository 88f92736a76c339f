"""Scores of the transformers judge, checked against a direct computation from the logits."""

import math
import subprocess
import sys

import pytest
import torch

from xent_envs.errors import ContextLengthError
from xent_envs.judge import load_judge
from xent_envs.score import Score

TEXTS = [
    ("The cat sat on the mat.", ""),
    (" and then it rained for a week", "It was a bright morning"),
    ("Hello", "Hello"),
    ("A much longer sentence that wanders on and on, with commas, clauses and more words.", ""),
    ("x", "A prefix that is rather longer than the text it precedes, by design"),
]


@pytest.fixture(scope="module")
def judge32():
    return load_judge("tiny-random-gpt2", dtype="float32", cache_size=0)


def direct_bits(judge, text, prefix, first_token=True):
    """Bits of each text token, from the full model logits (no batching, no shortcuts)."""
    text_ids, prefix_ids = judge.encode(text), judge.encode(prefix)
    start = [judge.start_token_id] if first_token else []
    row = start + prefix_ids + text_ids
    with torch.no_grad():
        logits = judge.model(torch.tensor([row])).logits[0].double()
    logprobs = torch.log_softmax(logits, dim=-1)
    first = len(row) - len(text_ids) + (0 if first_token else 1)
    return [-logprobs[p - 1, row[p]].item() / math.log(2) for p in range(first, len(row))]


@pytest.mark.parametrize("text,prefix", TEXTS)
def test_xent_matches_direct_computation(judge32, text, prefix):
    score = judge32.xent(text, prefix)
    expected = direct_bits(judge32, text, prefix)
    assert len(score.bits) == len(judge32.encode(text))
    assert score.bits == pytest.approx(expected, abs=1e-4)
    assert score.total == pytest.approx(sum(expected), abs=1e-3)


def test_text_tokens_do_not_depend_on_prefix(judge32):
    text = "ing the river"
    ids = judge32.encode(text)
    for prefix in ("", "Walk", "Cross "):
        assert judge32.xent(text, prefix).tokens == tuple(judge32.token_strings(ids))


def test_reference_convention_leaves_first_token_unscored():
    judge = load_judge("tiny-random-gpt2", dtype="float32", score_first_token=False)
    for text, prefix in TEXTS:
        score = judge.xent(text, prefix)
        expected = direct_bits(judge, text, prefix, first_token=False)
        assert score.bits == pytest.approx(expected, abs=1e-4)
        assert len(score) == len(judge.encode(text)) - 1
    assert judge.fingerprint["convention"] == "reference-first-token-unscored"


def test_batched_equals_unbatched(judge32):
    requests = TEXTS * 3 + [(t[::-1], p) for t, p in TEXTS]
    single = [judge32.score_batch([r])[0] for r in requests]
    batched = judge32.score_batch(requests)
    assert [s.tokens for s in batched] == [s.tokens for s in single]
    for a, b in zip(batched, single):
        assert a.bits == pytest.approx(b.bits, abs=1e-4)


def test_token_cap_splits_batches_without_changing_scores(judge32):
    capped = load_judge("tiny-random-gpt2", dtype="float32", cache_size=0, max_tokens_per_batch=24)
    calls = []
    original = capped._forward_bits
    capped._forward_bits = lambda layouts: calls.append(len(layouts)) or original(layouts)
    try:
        scores = capped.score_batch(TEXTS)
    finally:
        del capped._forward_bits
    assert len(calls) > 1
    for a, (text, prefix) in zip(scores, TEXTS):
        assert a.bits == pytest.approx(judge32.xent(text, prefix).bits, abs=1e-4)


def test_same_request_same_floats(judge32):
    assert judge32.score_batch(TEXTS) == judge32.score_batch(TEXTS)


def test_cache_returns_identical_values_without_a_model_call():
    judge = load_judge("tiny-random-gpt2", dtype="float32", cache_size=8)
    judge.clear_cache()
    first = judge.xent("a cached text", "with a prefix")
    judge._forward_bits = lambda layouts: pytest.fail("cache miss")
    try:
        assert judge.xent("a cached text", "with a prefix") == first
        # duplicates inside one batch are computed once as well
        assert judge.score_batch([("a cached text", "with a prefix")] * 3) == [first] * 3
    finally:
        del judge._forward_bits
    assert judge.cache_info()["hits"] == 4


def test_cache_is_bounded():
    judge = load_judge("tiny-random-gpt2", dtype="float32", cache_size=3)
    judge.score_batch([(f"text {i}", "") for i in range(10)])
    assert judge.cache_info()["size"] == 3


def test_empty_text_scores_zero_without_model_call(judge32):
    judge32._forward_bits = lambda layouts: pytest.fail("model called")
    try:
        assert judge32.xent("") == Score()
        assert judge32.xent("", "some prefix").total == 0.0
    finally:
        del judge32._forward_bits


def test_too_long_raises_naming_the_limit(judge32):
    text = "word " * 1100
    with pytest.raises(ContextLengthError, match="at most 1024 tokens"):
        judge32.xent(text)
    with pytest.raises(ContextLengthError):
        judge32.xent("short", prefix=text)


def test_bad_unicode_does_not_crash(judge32):
    lone = judge32.xent("broken \ud800 surrogate")
    assert lone == judge32.xent("broken \ufffd surrogate")
    assert judge32.xent(b"bytes \xff\xfe here".decode("utf-8", "replace")).total > 0
    raw = b"caf\xc3\xa9 \xff"
    assert judge32.encode(raw) == judge32.encode("café \ufffd")  # type: ignore[arg-type]


def test_fingerprint_and_codec(judge32):
    fp = judge32.fingerprint
    assert fp["model"] == "tiny-random-gpt2" and fp["dtype"] == "float32"
    assert len(fp["weights_sha256"]) == 64 and fp["convention"] == "all-tokens"
    assert fp["start_token"] == 50256
    assert judge32.encode("Hello world") == [15496, 995]
    assert judge32.decode([15496, 995]) == "Hello world"
    assert judge32.first_n_tokens("one two three four", 2) == "one two"
    assert judge32.last_n_tokens("one two three four", 2) == " three four"
    assert judge32.first_n_tokens("short", 5) == "short"


# The tiny test model is built from a seed, not downloaded: every exact value the tests expect
# of it holds only while its weights stay these (torch 2.13, CPU).
TINY_WEIGHTS_SHA256 = "6876405606cfc80bf8f75e7707bd2930d5f61aee471c48380fc2396da812d15c"


def test_tiny_weights_are_fixed():
    a = load_judge("tiny-random-gpt2", dtype="float32", cache_size=0)
    from xent_envs.judge.tiny import tiny_random_gpt2

    _, _, digest = tiny_random_gpt2()
    assert a.fingerprint["weights_sha256"] == digest == TINY_WEIGHTS_SHA256


def test_more_scored_tokens_than_one_output_chunk_in_one_pass(judge32):
    """The output layer runs on at most 1,024 scored rows at a time; a pass with more rows
    (here about 1,200) is cut into chunks that give the same bits as scoring alone."""
    wide = load_judge("tiny-random-gpt2", dtype="float32", cache_size=0, max_tokens_per_batch=4096)
    requests = [(" ".join(f"w{i}" for i in range(300)), ""), ("story " * 600, "")]
    passes = []
    original = wide._forward_bits
    wide._forward_bits = lambda layouts: passes.append(layouts) or original(layouts)
    try:
        together = wide.score_batch(requests)
    finally:
        del wide._forward_bits
    assert len(passes) == 1 and sum(len(row) - first for row, first in passes[0]) > 1024
    for score, (text, prefix) in zip(together, requests):
        assert score.bits == pytest.approx(direct_bits(judge32, text, prefix), abs=1e-4)


def test_models_whose_logits_are_not_a_plain_head_use_their_own_logits(judge32, monkeypatch):
    assert judge32._head_only  # GPT-2's logits are its head: the fast path is the default
    expected = [direct_bits(judge32, text, prefix) for text, prefix in TEXTS]
    monkeypatch.setattr(judge32, "_head_only", False)
    for score, bits in zip(judge32.score_batch(TEXTS), expected):
        assert score.bits == pytest.approx(bits, abs=1e-4)


def test_the_cache_evicts_the_least_recently_used_entry():
    from xent_envs.judge.cache import LRUCache

    cache: LRUCache[int] = LRUCache(3)
    for key in "abc":
        cache.put(key, ord(key))
    assert cache.get("a") == ord("a")  # now the most recently used
    cache.put("d", ord("d"))
    assert [cache.get(k) for k in "abcd"] == [ord("a"), None, ord("c"), ord("d")]
    assert cache.info() == {"size": 3, "maxsize": 3, "hits": 4, "misses": 1}
    cache.put("c", 0)  # replacing a value refreshes it too
    cache.put("e", ord("e"))
    assert [cache.get(k) for k in "acde"] == [None, 0, ord("d"), ord("e")]
    nothing: LRUCache[int] = LRUCache(0)
    nothing.put("a", 1)
    assert nothing.get("a") is None and len(nothing) == 0
    with pytest.raises(ValueError, match="cache size must be >= 0"):
        LRUCache(-1)


def test_threads_sharing_a_judge_get_the_serial_scores():
    """Envs in threads (vector envs, servers) share one judge and its cache."""
    from concurrent.futures import ThreadPoolExecutor

    judge = load_judge("tiny-random-gpt2", dtype="float32", cache_size=16)
    judge.clear_cache()
    requests = [(f"text number {i} of the batch", f"prefix {i % 3}") for i in range(12)]
    serial = load_judge("tiny-random-gpt2", dtype="float32", cache_size=0).score_batch(requests)
    batches = [requests[i:] + requests[:i] for i in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(judge.score_batch, batches, timeout=120))
    for i, got in enumerate(results):
        for a, b in zip(got, serial[i:] + serial[:i]):
            assert a.tokens == b.tokens and a.bits == pytest.approx(b.bits, abs=1e-5)
    info = judge.cache_info()
    assert info["size"] == 12 and info["hits"] + info["misses"] == 8 * 12


def test_generate_is_seeded_and_leaves_global_rng_alone(tiny_judge):
    state = torch.get_rng_state()
    a = tiny_judge.generate("Once upon a time", 12, seed=3)
    assert torch.equal(state, torch.get_rng_state())
    assert a == tiny_judge.generate("Once upon a time", 12, seed=3)
    assert a != tiny_judge.generate("Once upon a time", 12, seed=4)
    assert 0 < len(tiny_judge.encode(a)) <= 13


def test_generate_greedy_ignores_the_seed_and_follows_the_argmax(judge32):
    greedy = judge32.generate("Once upon a time", 6, seed=1, temperature=0)
    assert greedy == judge32.generate("Once upon a time", 6, seed=2, temperature=0)
    ids = [judge32.start_token_id, *judge32.encode("Once upon a time")]
    for _ in range(6):
        with torch.no_grad():
            ids.append(int(judge32.model(torch.tensor([ids])).logits[0, -1].argmax()))
    assert greedy == judge32.decode(ids[-6:])


def test_generate_cuts_before_the_first_stop_string(tiny_judge):
    full = tiny_judge.generate("Once upon a time", 12, seed=3)
    stop = full[len(full) // 2 : len(full) // 2 + 2]
    cut = tiny_judge.generate("Once upon a time", 12, seed=3, stop=["never there", stop])
    assert cut == full[: full.find(stop)] and len(cut) < len(full)


def test_generate_stops_at_the_end_token_but_not_before_min_new_tokens(judge32):
    """The tiny model never picks its end token by chance, so the greedy choice is made the
    end token (the tokenizer's end is renamed to it for the test)."""
    tokenizer = judge32.tokenizer
    greedy_ids = judge32.encode(judge32.generate("Once upon a time", 4, seed=0, temperature=0))
    original = tokenizer.eos_token
    tokenizer.eos_token = tokenizer.convert_ids_to_tokens(greedy_ids[0])
    try:
        assert tokenizer.eos_token_id == greedy_ids[0]
        stopped = judge32.generate("Once upon a time", 4, seed=0, temperature=0)
        forced = judge32.generate("Once upon a time", 4, seed=0, temperature=0, min_new_tokens=2)
    finally:
        tokenizer.eos_token = original
    assert tokenizer.eos_token_id == 50256
    assert stopped == ""
    assert len(judge32.encode(forced)) >= 2 and greedy_ids[0] not in judge32.encode(forced)[:2]


def test_import_is_lazy():
    code = (
        "import sys, xent_envs.judge as j; "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
