"""Packing requests into padded forward passes: the groups and the padded tensors, exactly."""

import pytest
import torch

from xent_envs.judge.batching import pad_right, plan_batches


def test_groups_keep_rows_times_longest_under_the_cap():
    assert plan_batches([5, 1, 4, 2], max_tokens=8) == [[1, 3], [2], [0]]
    assert plan_batches([3, 3, 3], max_tokens=9) == [[0, 1, 2]]
    assert plan_batches([3, 3, 3], max_tokens=8) == [[0, 1], [2]]
    assert plan_batches([1, 1], max_tokens=1) == [[0], [1]]  # the smallest cap works
    assert plan_batches([7], max_tokens=2) == [[0]]  # a row over the cap goes alone
    assert plan_batches([], max_tokens=4) == []


@pytest.mark.parametrize("cap", [0, -3])
def test_a_cap_under_one_token_is_refused(cap):
    with pytest.raises(ValueError, match=f"max_tokens must be at least 1, got {cap}"):
        plan_batches([1], max_tokens=cap)


def test_rows_are_right_padded_with_a_zero_one_mask():
    ids, mask = pad_right([[5, 6, 7], [8]], pad_id=0)
    assert ids.dtype == mask.dtype == torch.long and ids.device.type == "cpu"
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0]]


def test_both_tensors_go_to_the_device_asked_for():
    ids, mask = pad_right([[1, 2]], pad_id=9, device="meta")
    assert ids.device.type == mask.device.type == "meta"
