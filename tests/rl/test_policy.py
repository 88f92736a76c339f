"""Policies: the shared-prompt computation is the plain one, the untrained policy is the
reference, sampling and initial weights are pinned by seeds, weights round-trip."""

from __future__ import annotations

import pytest
import torch

from xent_envs.errors import ConfigError, UnknownNameError
from xent_envs.rl.policy import LMPolicy, TokenTablePolicy, load_policy
from xent_envs.rl.prompts import PREFILL, parse_move

OBS = '# Condense - round 1/1\nWrite a prefix.\n## Visible\ns = "a cat sat"\n## Your move'
INFO = {"max_tokens": 4}


@pytest.fixture(scope="module")
def lm():
    return LMPolicy("tiny-random-gpt2", dtype="float32", seed=1)


def test_log_probs_continue_one_prompt_pass_exactly_as_whole_sequences(lm):
    prompt = lm.prompt(OBS, INFO)
    completions = [(11, 12, 13), (14,), (15, 16)]
    with torch.no_grad():
        got, mask = lm.log_probs(prompt, completions)
    ids = list(prompt[0])
    for i, c in enumerate(completions):
        full = torch.tensor([ids + list(c)])
        logp = torch.log_softmax(lm.model(input_ids=full).logits[0, len(ids) - 1 : -1].float(), -1)
        want = logp.gather(-1, torch.tensor(c)[:, None])[:, 0]
        assert torch.allclose(got[i, : len(c)], want, atol=1e-5)
        assert mask[i].tolist() == [k < len(c) for k in range(3)]
        assert got[i, len(c) :].abs().sum() == 0


def test_the_untrained_lora_policy_is_the_base_model(lm):
    prompt = lm.prompt(OBS, INFO)
    completions = lm.sample(prompt, 3, torch.Generator().manual_seed(0))
    with torch.no_grad():
        mine, _ = lm.log_probs(prompt, completions)
        with lm.reference():
            ref, _ = lm.log_probs(prompt, completions)
    assert torch.equal(mine, ref)
    assert lm.parameters() and all(p.requires_grad for p in lm.parameters())
    assert not any(p.requires_grad for n, p in lm.model.named_parameters() if "lora" not in n)


def test_sampling_is_pinned_by_the_generator_and_stops_at_the_budget(lm):
    prompt = lm.prompt(OBS, INFO)
    assert prompt[1] == 4 + 4  # the budget and room for the closing quote
    a = lm.sample(prompt, 4, torch.Generator().manual_seed(5))
    b = lm.sample(prompt, 4, torch.Generator().manual_seed(5))
    c = lm.sample(prompt, 4, torch.Generator().manual_seed(6))
    assert a == b != c and all(1 <= len(s) <= 8 for s in a)
    greedy = lm.sample(prompt, 2, None, greedy=True)
    assert greedy[0] == greedy[1]


def test_a_prefilled_move_ends_at_the_closing_quote(lm):
    quote = lm.tokenizer.encode('"')[0]
    assert lm._ends([lm.tokenizer.encode(" sea")[0], quote])
    assert lm.move(tuple(lm.tokenizer.encode(' the sea" and'))) == "the sea"
    assert lm.prompt(OBS, INFO)[0][-len(lm.tokenizer.encode(PREFILL[5:])) :] == tuple(
        lm.tokenizer.encode(PREFILL[5:])
    )
    assert parse_move("no quote at all", prefilled=True) == "no quote at all"


def test_initial_adapters_follow_the_seed_and_leave_torch_global_generator_alone():
    before = torch.random.get_rng_state()
    a = LMPolicy("tiny-random-gpt2", seed=3)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = LMPolicy("tiny-random-gpt2", seed=3)
    c = LMPolicy("tiny-random-gpt2", seed=4)
    pa, pb, pc = (dict(p.model.named_parameters()) for p in (a, b, c))
    name = next(n for n in pa if "lora_A" in n)
    assert torch.equal(pa[name], pb[name]) and not torch.equal(pa[name], pc[name])


def test_weights_round_trip_through_save_and_load(lm, tmp_path):
    other = LMPolicy("tiny-random-gpt2", dtype="float32", seed=9)
    with torch.no_grad():
        for p in other.parameters():
            p.add_(0.01)
    other.save(tmp_path / "policy")
    lm_copy = LMPolicy("tiny-random-gpt2", dtype="float32", seed=1)
    lm_copy.load(tmp_path / "policy")
    prompt = lm.prompt(OBS, INFO)
    with torch.no_grad():
        want, _ = other.log_probs(prompt, [(1, 2)])
        got, _ = lm_copy.log_probs(prompt, [(1, 2)])
    assert torch.equal(want, got)
    assert (tmp_path / "policy" / "adapter_config.json").is_file()


def test_token_table(tiny_judge, tmp_path):
    table = TokenTablePolicy(tiny_judge, vocab=10, first_id=100, length=3)
    prompt = table.prompt("ignored", {"max_tokens": 2})
    assert prompt == (0, 2)  # the budget caps the length
    samples = table.sample(prompt, 5, torch.Generator().manual_seed(0))
    assert all(len(s) == 2 and all(0 <= k < 10 for k in s) for s in samples)
    assert table.move((0, 9)) == [100, 109]
    logp, mask = table.log_probs(prompt, [(0, 9), (3,)])
    assert torch.allclose(logp[0], torch.full((2,), -torch.log(torch.tensor(10.0))))
    assert mask.tolist() == [[True, True], [True, False]]
    with torch.no_grad():
        table.logits[0, 4] = 5.0
    assert table.sample(prompt, 1, None, greedy=True) == [(4, 0)]
    with table.reference():
        assert table.sample(prompt, 1, None, greedy=True) == [(0, 0)]
    table.save(tmp_path)
    fresh = TokenTablePolicy(tiny_judge, vocab=10, first_id=100, length=3)
    fresh.load(tmp_path)
    assert torch.equal(fresh.logits, table.logits)
    with pytest.raises(ConfigError, match="must lie in the judge's vocabulary"):
        TokenTablePolicy(tiny_judge, vocab=10, first_id=tiny_judge.vocab_size - 5)


def test_policies_by_name(tiny_judge):
    with pytest.raises(UnknownNameError, match=r"unknown policy 'smollm-135m'.*smollm2-135m"):
        load_policy("smollm-135m", tiny_judge)
    with pytest.raises(ConfigError, match=r"unknown policy option 'lenght'.*length"):
        load_policy("token-table", tiny_judge, lenght=3)
    assert isinstance(load_policy("token-table", tiny_judge, vocab=5), TokenTablePolicy)
