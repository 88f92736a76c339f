"""HFVAgent (generate, then verify) on the tiny random GPT-2 and envs whose scores are known."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("transformers")

from agents.hf_agent import HFAgent
from agents.hfv_agent import HFVAgent
from xent_envs.errors import ConfigError

from .conftest import TargetEnv

OBS = (
    '# Condense - round 2/3\nRules.\n## Visible\ns = "the cat sat on the mat"\n'
    '## Earlier rounds\nround 1: x = "a hat" -> +1.00 bits\n## Your move\n'
    "Write x in at most 6 tokens."
)
INFO = {"max_tokens": 6, "register": "x"}


class ScoreByText(TargetEnv):
    """Scores each candidate by a function of its text; logs what it scored."""

    def __init__(self, score) -> None:
        super().__init__()
        self.score = score
        self.seen: list[str] = []

    def score_actions(self, actions):
        texts = [self.judge.decode(a) for a in actions]
        self.seen += texts
        return [self.score(t) for t in texts]


def test_plays_the_candidate_the_judge_scores_best():
    env = ScoreByText(lambda text: float(len(set(text))))  # more distinct bytes pays more
    agent = HFVAgent("tiny-random-gpt2", candidates=6, seed=1)
    agent.reset(env, seed=1)
    move = agent.act(OBS, INFO)
    details = agent.last_details
    scored = {c["text"]: c["reward"] for c in details["candidates"]}
    assert len(scored) == len(env.seen) >= 2  # one score_actions call for the unique answers
    assert env.judge.decode(move) == details["text"] == max(scored, key=scored.get)
    assert details["expected_reward"] == max(scored.values())
    assert agent.stats["candidates"] == len(scored) and agent.stats["moves"] == 1


def test_the_greedy_answer_is_hfagents_move_and_always_a_candidate():
    env = ScoreByText(lambda text: 0.0)  # all tie: the first (greedy) one is kept
    hfv = HFVAgent("tiny-random-gpt2", candidates=4)
    hfv.reset(env, seed=0)
    hf = HFAgent("tiny-random-gpt2")
    hf.reset(env, seed=0)
    greedy = hf.act(OBS, INFO)
    assert hfv.act(OBS, INFO) == greedy
    assert hfv.last_details["candidates"][0]["text"] == hf.last_text
    assert hfv.stats["greedy_chosen"] == 1


def test_a_refused_candidate_is_never_chosen_over_a_legal_one():
    greedy = HFAgent("tiny-random-gpt2")
    greedy.reset(ScoreByText(lambda t: 0.0), seed=0)
    refused_text = greedy.act_text(OBS, INFO)
    env = ScoreByText(lambda text: -math.inf if text == refused_text else -5.0)
    agent = HFVAgent("tiny-random-gpt2", candidates=6)
    agent.reset(env, seed=0)
    move = agent.act(OBS, INFO)
    assert env.judge.decode(move) != refused_text
    assert agent.last_details["expected_reward"] == -5.0
    assert agent.stats["refused_candidates"] == 1


def test_moves_are_reproducible_per_seed():
    runs = []
    for seed in (3, 3, 4):
        agent = HFVAgent("tiny-random-gpt2", candidates=5)
        agent.reset(ScoreByText(lambda text: -abs(len(text) - 12.0)), seed=seed)
        agent.act(OBS, INFO)
        runs.append([c["text"] for c in agent.last_details["candidates"]])
    assert runs[0] == runs[1]
    assert runs[0][0] == runs[2][0]  # the greedy answer does not depend on the seed
    assert runs[0] != runs[2]


def test_earlier_tries_are_shown_best_first_before_the_move_section():
    agent = HFVAgent("tiny-random-gpt2", memory=2)
    agent.tries = [("x", " dog", 1.5), ("x", " cat", 3.0), ("x", " cow", -math.inf),
                   ("y", " other register", 9.0), ("x", " dog", 2.0)]  # fmt: skip
    shown = agent.with_tries(OBS, "x")
    block = (
        "## Your tries on this map (scored by the judge, best first)\n"
        'x = " cat" -> +3.00 bits\nx = " dog" -> +2.00 bits\n## Your move\n'
    )
    assert block in shown and shown.startswith(OBS.split("## Your move")[0])
    agent.memory = 8
    assert 'x = " cow" -> refused' in agent.with_tries(OBS, "x")
    assert agent.with_tries("no sections", "x").startswith("no sections\n## Your tries")
    agent.reset(ScoreByText(lambda t: 0.0), seed=0)
    assert agent.tries == [] and agent.with_tries(OBS, "x") == OBS


def test_scores_of_one_move_are_shown_at_the_next():
    env = ScoreByText(lambda text: float(len(text)))
    agent = HFVAgent("tiny-random-gpt2", candidates=3)
    agent.reset(env, seed=0)
    agent.act(OBS, INFO)
    first = agent.last_details["candidates"]
    first_prompt = agent.last_details["prompt_tokens"]
    prompt = agent.prompt(agent.with_tries(OBS, "x"), INFO)
    for candidate in first:
        assert f"-> {candidate['reward']:+.2f} bits" in prompt
    agent.act(OBS, INFO)
    with_tries = agent.last_details["prompt_tokens"]
    plain = HFVAgent("tiny-random-gpt2", candidates=3, show_scores=False)
    plain.reset(env, seed=0)
    plain.tries = list(agent.tries)
    plain.act(OBS, INFO)  # the observation alone: as long a prompt as the first move's
    assert plain.last_details["prompt_tokens"] == first_prompt < with_tries


def test_the_best_earlier_try_is_a_candidate_again():
    """A round replays the map's texts: the best move verified in an earlier round competes
    with the new answers and is scored again (here the judge now pays it -4, not 5)."""
    env = ScoreByText(lambda text: -float(len(text)))  # shorter pays more
    agent = HFVAgent("tiny-random-gpt2", candidates=3, seed=2, recall=True)
    agent.reset(env, seed=0)
    agent.tries = [("x", "ok", -2.0), ("x", "best", 5.0), ("x", " cow", -math.inf),
                   ("y", "other", 9.0)]  # fmt: skip
    assert agent.best_try("x") == "best" and agent.best_try("z") is None
    agent.act(OBS, INFO)
    texts = [c["text"] for c in agent.last_details["candidates"]]
    assert texts[-1] == "best" and texts.count("best") == 1  # scored again, with the answers
    assert agent.last_details["expected_reward"] >= -4.0  # at least what "best" earns now
    assert agent.stats["recalled_chosen"] == int(agent.last_text == "best")
    plain = HFVAgent("tiny-random-gpt2", candidates=3, seed=2)  # recall is off by default
    plain.reset(env, seed=0)
    plain.tries = list(agent.tries)
    plain.act(OBS, INFO)
    assert "best" not in [c["text"] for c in plain.last_details["candidates"]]


def test_bad_options_are_config_errors():
    with pytest.raises(ConfigError, match="candidates must be at least 1"):
        HFVAgent("tiny-random-gpt2", candidates=0)
    with pytest.raises(ConfigError, match="temperature must be above 0"):
        HFVAgent("tiny-random-gpt2", temperature=0.0)


def test_needs_score_actions(codec):
    class NoScores:
        judge = codec
        unwrapped = property(lambda self: self)

    agent = HFVAgent("tiny-random-gpt2")
    agent.reset(NoScores(), seed=0)
    with pytest.raises(Exception, match="needs env.score_actions"):
        agent.act(OBS, INFO)
