"""Fakes shared by the agent tests: a byte-level codec and an env whose rewards are known."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest


class ByteCodec:
    """Token id = byte value; exact round trip for ASCII."""

    name = "bytes"
    vocab_size = 256

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: Sequence[int]) -> str:
        return bytes(ids).decode("utf-8", "replace")

    def generate(self, prompt: str, max_new_tokens: int, seed: int, **options: Any) -> str:
        return " cat hat"[:max_new_tokens]


class TargetEnv:
    """An env-like object that pays +1 per token of ``target`` in the action and -0.5 per
    other token; counts the batches it scores."""

    def __init__(self, target: str = "cat") -> None:
        self.judge = ByteCodec()
        self.target = self.judge.encode(target)
        self.batches: list[int] = []

    @property
    def unwrapped(self) -> TargetEnv:
        return self

    def score_actions(self, actions: Sequence[Sequence[int]]) -> list[float]:
        self.batches.append(len(actions))
        return [sum(1.0 if t in self.target else -0.5 for t in action) for action in actions]


@pytest.fixture
def codec() -> ByteCodec:
    return ByteCodec()


@pytest.fixture
def target_env() -> type[TargetEnv]:
    """The class, so a test can build envs with its own target."""
    return TargetEnv
