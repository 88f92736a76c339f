"""Packing requests into padded forward passes: the buckets, the passes and the padded ids,
exactly."""

import pytest
import torch

from xent_envs.judge.batching import bucket_length, pad_right, plan_batches


def test_passes_hold_rows_of_one_bucket_up_to_the_cap():
    assert plan_batches([5, 1, 4, 2], max_tokens=32, limit=1024) == [(16, [0, 1]), (16, [2, 3])]
    assert plan_batches([3, 3, 3], max_tokens=48, limit=1024) == [(16, [0, 1, 2])]
    assert plan_batches([3, 3, 3], max_tokens=47, limit=1024) == [(16, [0, 1]), (16, [2])]
    assert plan_batches([1, 1], max_tokens=1, limit=1024) == [(16, [0]), (16, [1])]
    assert plan_batches([7], max_tokens=2, limit=1024) == [(16, [0])]  # over the cap: alone
    assert plan_batches([20, 5], max_tokens=4096, limit=1024) == [(16, [1]), (32, [0])]
    assert plan_batches([20], max_tokens=4096, limit=20) == [(20, [0])]  # never past the limit
    assert plan_batches([], max_tokens=4, limit=1024) == []


def test_bucket_lengths_depend_on_the_row_alone():
    assert [bucket_length(n, 2048) for n in (1, 16, 17, 128, 129, 257, 600)] == [
        16, 16, 32, 128, 160, 320, 640,
    ]  # fmt: skip
    with pytest.raises(ValueError, match="a row has at least one token, got 0"):
        bucket_length(0, 2048)


@pytest.mark.parametrize("cap", [0, -3])
def test_a_cap_under_one_token_is_refused(cap):
    with pytest.raises(ValueError, match=f"max_tokens must be at least 1, got {cap}"):
        plan_batches([1], max_tokens=cap, limit=1024)


def test_rows_are_right_padded_to_the_width():
    ids = pad_right([[5, 6, 7], [8]], pad_id=0, width=4)
    assert ids.dtype == torch.long and ids.device.type == "cpu"
    assert ids.tolist() == [[5, 6, 7, 0], [8, 0, 0, 0]]


def test_the_ids_go_to_the_device_asked_for():
    assert pad_right([[1, 2]], pad_id=9, width=2, device="meta").device.type == "meta"
