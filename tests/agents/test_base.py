"""The agent contract: parsing answers, cutting text moves to budget, names, random and human
agents."""

from __future__ import annotations

import io

import pytest

from agents import AgentError, TextAgent, build_messages, make_agent, parse_move, plain_prompt
from agents.human_agent import HumanAgent
from agents.random_agent import RandomAgent
from agents.search_agent import SearchAgent
from xent_envs.errors import ConfigError, UnknownNameError
from xent_envs.evaluation import Agent as ContractAgent


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


def test_text_agent_encodes_and_leaves_the_cut_to_the_env(codec):
    agent = Echo(codec=codec)
    assert agent.act("abcdef", {"max_tokens": 4}) == [97, 98, 99, 100, 101, 102]
    assert agent.act("ab", {"max_tokens": 4}) == [97, 98]
    assert agent.stats == {"moves": 2, "move_tokens": 8, "over_budget_moves": 1}
    assert agent.last_text == "ab"


def test_the_env_cuts_a_long_text_move_and_reports_it(tiny_judge):
    import gymnasium as gym

    import xent_envs  # noqa: F401

    env = gym.make("xent/Condense-v0", judge=tiny_judge, budget=3)
    _, info = env.reset(seed=0)
    agent = Echo()
    agent.reset(env, seed=0)
    action = agent.act(" one two three four five six", info)
    assert len(action) > 3
    _, _, _, _, step = env.step(action)
    assert step["cut"] is True and step["move_tokens"] == 3
    assert step["move"] == tiny_judge.decode(action[:3])


def test_text_agent_without_tokenizer_says_how_to_fix():
    with pytest.raises(AgentError, match=r"call reset\(env\) or pass codec="):
        Echo().act("x", {"max_tokens": 3})


def test_make_agent_builds_agents_by_name_and_lists_valid_names():
    with pytest.raises(UnknownNameError) as info:
        make_agent("serch")
    assert str(info.value).startswith(
        "unknown agent 'serch'. Did you mean 'search'? Valid: hf, hfv, human, openai, random, search"
    )
    assert make_agent("random", seed=5).seed == 5
    with pytest.raises(
        ConfigError, match="unknown option 'sead' for agent 'random'. Did you mean 'seed'"
    ):
        make_agent("random", sead=5)


@pytest.mark.parametrize("cls", [RandomAgent, SearchAgent, HumanAgent, Echo])
def test_reference_agents_meet_the_evaluation_contract(cls):
    agent = cls()
    assert isinstance(agent, ContractAgent)
    assert agent.stats == {} and agent.last_details == {}


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
    assert agent.act("THE STORY", {"max_tokens": 5}) == codec.encode("hello world")
    assert "THE STORY" in out.getvalue()
    assert "Your move (at most 5 tokens): " in out.getvalue()
    assert agent.act_text("again", {}) == "bye"
    with pytest.raises(EOFError):
        agent.act("end", {"max_tokens": 5})


def test_async_act_gives_the_same_moves_concurrently():
    import asyncio
    import threading

    barrier = threading.Barrier(3, timeout=10)

    class Waiting(RandomAgent):
        """Each move waits until all three agents are moving at once."""

        def act(self, observation, info):
            barrier.wait()  # raises BrokenBarrierError unless the three acts overlap
            return super().act(observation, info)

    agents = [Waiting(seed=s, vocab_size=50) for s in range(3)]
    for agent in agents:
        agent.reset(seed=4 + agents.index(agent))

    async def all_moves():
        return await asyncio.gather(*(a.aact("", {"max_tokens": 5}) for a in agents))

    moves = asyncio.run(all_moves())
    plain = [RandomAgent(vocab_size=50) for _ in agents]
    for i, agent in enumerate(plain):
        agent.reset(seed=4 + i)
    assert moves == [a.act("", {"max_tokens": 5}) for a in plain]
    assert len({tuple(m) for m in moves}) == 3
