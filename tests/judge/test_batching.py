"""Packing scoring requests into forward passes: exact plans and padding."""

import pytest
import torch

from xent_envs.judge.batching import bucket_length, pad_right, plan_batches


def test_passes_hold_rows_of_one_bucket_under_the_token_cap():
    # 5, 1, 4 and 2 tokens all pad to 16: two rows of 16 fit in 32 tokens.
    assert plan_batches([5, 1, 4, 2], max_tokens=32, limit=1024) == [(16, [0, 1]), (16, [2, 3])]
    assert plan_batches([5, 1, 4, 2], max_tokens=64, limit=1024) == [(16, [0, 1, 2, 3])]
    # Under one row's bucket, each row goes alone (never dropped).
    assert plan_batches([5, 1], max_tokens=8, limit=1024) == [(16, [0]), (16, [1])]
    # Buckets are planned shortest first; rows keep their order inside a bucket.
    assert plan_batches([20, 3, 17], max_tokens=1024, limit=1024) == [(16, [1]), (32, [0, 2])]
    assert plan_batches([], max_tokens=4, limit=1024) == []


def test_a_bucket_never_passes_the_models_context():
    assert bucket_length(20, 24) == 24  # 32 would pass a context of 24
    assert bucket_length(30, 24) == 30  # a row longer than the context keeps its length
    assert plan_batches([20, 21], max_tokens=48, limit=24) == [(24, [0, 1])]


@pytest.mark.parametrize("cap", [0, -3])
def test_a_cap_under_one_token_is_refused(cap):
    with pytest.raises(ValueError, match=f"max_tokens must be at least 1, got {cap}"):
        plan_batches([1], max_tokens=cap, limit=1024)


def test_rows_are_right_padded_to_the_width():
    ids = pad_right([[5, 6, 7], [8]], pad_id=0, width=4)
    assert ids.dtype == torch.long and ids.device.type == "cpu"
    assert ids.tolist() == [[5, 6, 7, 0], [8, 0, 0, 0]]


def test_the_tensor_goes_to_the_device_asked_for():
    assert pad_right([[1, 2]], pad_id=9, width=2, device="meta").device.type == "meta"
