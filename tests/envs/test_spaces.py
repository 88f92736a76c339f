import numpy as np
import pytest

from xent_envs.spaces import TokenSequence, UnicodeText, as_token_ids


def test_unicode_text_contains_any_unicode_within_length():
    space = UnicodeText(10)
    assert space.contains("Ünï ✓ 東京")
    assert not space.contains("x" * 11)
    assert not space.contains(b"bytes")
    assert space.contains(space.sample())


def test_token_sequence_bounds_length_and_ids():
    space = TokenSequence(vocab_size=100, max_length=4, seed=0)
    assert space.contains([0, 99])
    assert space.contains(np.array([1, 2, 3], dtype=np.int64))
    assert space.contains(())
    assert not space.contains([100])
    assert not space.contains([-1])
    assert not space.contains([1, 2, 3, 4, 5])
    for _ in range(20):
        sample = space.sample()
        assert space.contains(sample) and 1 <= len(sample) <= 4


@pytest.mark.parametrize(
    "bad",
    ["abc", b"ab", 3, 2.5, [1.0, 2.0], [[1, 2]], [True, 1], np.zeros((2, 2), dtype=int), None],
)
def test_as_token_ids_rejects_non_token_forms(bad):
    assert as_token_ids(bad) is None


def test_as_token_ids_accepts_common_forms():
    assert as_token_ids((1, 2)) == [1, 2]
    assert as_token_ids(np.array([5, 6], dtype=np.int32)) == [5, 6]
    assert as_token_ids([np.int64(7)]) == [7]
    assert as_token_ids(np.array([])) == []


def test_unicode_text_round_trips_through_shared_memory():
    import copy

    from gymnasium.vector.utils import (
        create_shared_memory,
        read_from_shared_memory,
        write_to_shared_memory,
    )

    space = UnicodeText(12)
    memory = create_shared_memory(space, n=3)
    view = read_from_shared_memory(space, memory, n=3)  # read once, like AsyncVectorEnv
    write_to_shared_memory(space, 0, "héllo\n✓ 東", memory)
    write_to_shared_memory(space, 2, "x" * 20, memory)
    write_to_shared_memory(space, 1, "emoji 🙂", memory)
    assert tuple(view) == ("héllo\n✓ 東", "emoji 🙂", "x" * 12)
    snapshot = copy.deepcopy(view)
    write_to_shared_memory(space, 1, "", memory)
    assert snapshot == ("héllo\n✓ 東", "emoji 🙂", "x" * 12) and type(snapshot) is tuple
    assert (
        view[1] == "" and view[:2] == ("héllo\n✓ 東", "") and view == ("héllo\n✓ 東", "", "x" * 12)
    )
