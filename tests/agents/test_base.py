"""The agent contract: parsing answers, cutting text moves to budget, names, random and human
agents."""

from __future__ import annotations

import io

import pytest

from agents import AgentError, TextAgent, build_messages, make_agent, parse_move, plain_prompt
from agents.human_agent import HumanAgent
from agents.random_agent import RandomAgent
from xent_envs.errors import UnknownNameError


@pytest.mark.parametrize(
    ("answer", "move"),
    [
        ("Move: a cat", "a cat"),
        ('I think about it.\nMove: "the sea"\nThanks', "the sea"),
        ("move:   `short`  ", "short"),
        ("**Move:** **bold move**", "bold move"),
        ("<think>Move: no</think>\nMove: yes", "yes"),
        ("  first line\nsecond", "first line"),
        ("Move:\n\n  on the next line", "on the next line"),
        ("", None),
        ("   \n  ", None),
        ('Move: ""', None),
        (None, None),
    ],
)
def test_parse_move(answer, move):
    assert parse_move(answer) == move


def test_prompts_carry_budget_and_observation():
    messages = build_messages("OBS", {"max_tokens": 7})
    assert messages[0]["role"] == "system" and "at most 7 tokens" in messages[0]["content"]
    assert messages[1] == {"role": "user", "content": "OBS"}
    prompt = plain_prompt("OBS", {"max_tokens": 7})
    assert prompt.endswith("OBS\n\nMove:") and "at most 7 tokens" in prompt


class Echo(TextAgent):
    name = "echo"

    def act_text(self, observation, info):
        return observation


def test_text_agent_encodes_and_cuts_to_budget(codec):
    agent = Echo(codec=codec)
    assert agent.act("abcdef", {"max_tokens": 4}) == [97, 98, 99, 100]
    assert agent.act("ab", {"max_tokens": 4}) == [97, 98]
    assert agent.stats == {"truncated_moves": 1, "moves": 2, "move_tokens": 6}
    assert agent.last_text == "ab"


def test_text_agent_without_tokenizer_says_how_to_fix():
    with pytest.raises(AgentError, match=r"call reset\(env\) or pass codec="):
        Echo().act("x", {"max_tokens": 3})


def test_make_agent_lists_valid_names():
    with pytest.raises(UnknownNameError) as info:
        make_agent("serch")
    assert str(info.value) == (
        "unknown agent 'serch' (did you mean 'search'?); "
        "expected one of: random, search, hf, openai, human"
    )
    assert make_agent("random", seed=5).seed == 5


def test_random_agent_is_reproducible_and_within_budget():
    agent = RandomAgent(seed=1, vocab_size=50)
    agent.reset(seed=9)
    first = [agent.act("", {"max_tokens": 6}) for _ in range(3)]
    agent.reset(seed=9)
    again = [agent.act("", {"max_tokens": 6}) for _ in range(3)]
    assert first == again
    assert all(len(m) == 6 and all(0 <= t < 50 for t in m) for m in first)
    agent.reset(seed=10)
    assert agent.act("", {"max_tokens": 6}) != first[0]
    short = RandomAgent(seed=0, vocab_size=50, full_budget=False)
    lengths = {len(short.act("", {"max_tokens": 4})) for _ in range(50)}
    assert lengths == {1, 2, 3, 4}


def test_random_agent_uses_the_env_vocabulary(target_env):
    agent = RandomAgent()
    agent.reset(target_env(), seed=0)
    assert all(0 <= t < 256 for t in agent.act("", {"max_tokens": 30}))
    with pytest.raises(AgentError, match="vocab_size"):
        RandomAgent().act("", {"max_tokens": 3})


def test_human_agent_reads_a_line(codec):
    out = io.StringIO()
    agent = HumanAgent(input=io.StringIO("hello world\nbye\n"), output=out, codec=codec)
    assert agent.act("THE STORY", {"max_tokens": 5}) == codec.encode("hello")
    assert "THE STORY" in out.getvalue()
    assert "Your move (at most 5 tokens): " in out.getvalue()
    assert agent.act_text("again", {}) == "bye"
    with pytest.raises(EOFError):
        agent.act("end", {"max_tokens": 5})


def test_async_act_gives_the_same_moves_concurrently():
    import asyncio

    agents = [RandomAgent(seed=s, vocab_size=50) for s in range(3)]
    for agent in agents:
        agent.reset(seed=4)

    async def all_moves():
        return await asyncio.gather(*(a.aact("", {"max_tokens": 5}) for a in agents))

    moves = asyncio.run(all_moves())
    for agent in agents:
        agent.reset(seed=4)
    assert moves == [a.act("", {"max_tokens": 5}) for a in agents]
