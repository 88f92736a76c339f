"""HFAgent on the tiny random GPT-2 (no chat template: the plain prompt is used)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers")

from agents.hf_agent import HFAgent

OBS = "# Condense - round 1/1\nStory: the cat sat on the mat.\nWrite x (at most 6 tokens)."


@pytest.fixture(scope="module")
def tiny_agent():
    agent = HFAgent("tiny-random-gpt2")
    agent._load()
    return agent


def test_plain_prompt_without_chat_template(tiny_agent):
    prompt = tiny_agent.prompt(OBS, {"max_tokens": 6})
    assert prompt.endswith(OBS + '\n\nMove: "')
    assert "at most 6 tokens" in prompt


def test_moves_are_within_budget_and_reproducible(tiny_agent, codec):
    tiny_agent._codec = codec
    tiny_agent.reset(seed=0)
    first = tiny_agent.act(OBS, {"max_tokens": 6})
    tiny_agent.reset(seed=0)
    assert tiny_agent.act(OBS, {"max_tokens": 6}) == first
    # The agent does not cut its move (the env does); its generation is bounded by its cap.
    assert len(first) >= 1
    details = tiny_agent.last_details
    assert details["completion_tokens"] <= 2 * 6 + 4
    assert details["prompt_tokens"] > 10


def test_sampling_is_seeded(codec):
    agent = HFAgent("tiny-random-gpt2", temperature=1.0, top_p=0.9, max_new_tokens=4, codec=codec)
    runs = []
    for seed in (1, 1, 2):
        agent.reset(seed=seed)
        runs.append(agent.act_text(OBS, {"max_tokens": 6}) + agent.last_details["raw"])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_a_judge_name_shares_the_judges_model(tiny_agent, tiny_judge):
    assert tiny_agent.lm is tiny_judge.backend.lm


@pytest.mark.parametrize(
    "options,message",
    [
        ({"top_p": 0}, "top_p must be in (0, 1], got 0"),
        ({"temperature": float("nan")}, "temperature must be a finite number >= 0, got nan"),
        ({"temperature": -0.5}, "temperature must be a finite number >= 0, got -0.5"),
    ],
)
def test_bad_sampling_options_are_config_errors(options, message):
    from xent_envs.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        HFAgent("tiny-random-gpt2", **options)
    assert message in str(info.value)


def test_generation_stops_after_a_newline_or_quote(tiny_agent):
    """The answer is cut where the quoted move closes: the decoding loop's stop test."""
    from xent_envs.judge.sampling import Sampling

    lm = tiny_agent.lm
    prompt = tiny_agent.prompt(OBS, {"max_tokens": 6})
    ids = lm.tokenizer(prompt, add_special_tokens=False)["input_ids"]
    greedy = Sampling(temperature=0, top_k=0, top_p=1.0)
    free = lm.generate_ids(ids, 40, sampling=greedy, generator=None, end_ids=lm.end_ids())
    text, n_prompt, n_new = tiny_agent._generate(prompt, 40)
    assert n_prompt == len(ids) and text == lm.tokenizer.decode(free[:n_new])
    closing = [
        k
        for k in range(1, len(free) + 1)
        if any(c in lm.tokenizer.decode(free[:k]).lstrip() for c in '\n"')
    ]
    assert n_new == (closing[0] if closing else len(free))


def test_unparseable_answer_plays_the_fallback(tiny_agent, codec, monkeypatch):
    tiny_agent._codec = codec
    monkeypatch.setattr(tiny_agent, "_generate", lambda prompt, limit: ("  \n", 5, 1))
    before = tiny_agent.stats.get("unparseable", 0)
    assert tiny_agent.act(OBS, {"max_tokens": 6}) == codec.encode("...")
    assert tiny_agent.stats["unparseable"] == before + 1
    assert tiny_agent.last_details["unparseable"] is True


def test_long_observations_keep_head_and_tail(codec):
    agent = HFAgent("tiny-random-gpt2", max_prompt_tokens=20, codec=codec)
    long = "START " + "word " * 200 + "END"
    prompt = agent.prompt(long, {"max_tokens": 3})
    assert "START" in prompt and "END" in prompt and "[...]" in prompt
    assert agent.stats["shortened_prompts"] == 1


@pytest.mark.real_judge
def test_smollm2_plays_a_move_on_the_real_judge(real_judge):
    import time

    import gymnasium as gym

    import xent_envs  # noqa: F401  (registers the envs)

    env = gym.make("xent/Condense-v0", judge="smollm2-135m")
    agent = HFAgent()  # the default: SmolLM2-135M-Instruct, sharing the judge's weights
    obs, info = env.reset(seed=0)
    agent.reset(env, seed=0)
    start = time.perf_counter()
    action = agent.act(obs, info)
    assert time.perf_counter() - start < 30
    assert agent.lm is real_judge.backend.lm  # the judge's weights, in memory once
    assert len(action) >= 1
    assert agent.lm.tokenizer.chat_template  # the chat prompt, not the plain one
    _, _reward, terminated, _, step_info = env.step(action)
    assert terminated and step_info["move"]
    assert step_info["move_tokens"] <= info["max_tokens"]
