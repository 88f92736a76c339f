"""Stand-ins for the judge in language tests: a word codec, a scorer with known answers and a
text source, so no model is needed to run any game."""

from __future__ import annotations

import re
from collections.abc import Sequence

from xent_envs.score import Score


class WordCodec:
    """One token per word, the word keeping the spaces before it (decode = join)."""

    def __init__(self) -> None:
        self.vocab: list[str] = []
        self.ids: dict[str, int] = {}

    def tokens(self, text: str) -> list[str]:
        return re.findall(r"\s*\S+", text)

    def encode(self, text: str) -> list[int]:
        out = []
        for tok in self.tokens(text):
            if tok not in self.ids:
                self.ids[tok] = len(self.vocab)
                self.vocab.append(tok)
            out.append(self.ids[tok])
        return out

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.vocab[i] for i in ids)


def token_bits(token: str, prefix: str) -> float:
    """Known answer: a word costs its length in bits, half of it when a prefix word starts
    with the same letter."""
    word = token.strip()
    initials = {w[0].lower() for w in prefix.split()}
    bits = float(len(word))
    return bits / 2 if word and word[0].lower() in initials else bits


class StubScorer:
    """A deterministic judge: ``score_batch`` with ``token_bits``; counts what it is asked."""

    def __init__(self, codec: WordCodec | None = None) -> None:
        self.codec = codec or WordCodec()
        self.calls: list[tuple[tuple[str, str], ...]] = []

    def score_batch(self, items: Sequence[tuple[str, str]]) -> list[Score]:
        self.calls.append(tuple(items))
        out = []
        for text, prefix in items:
            toks = tuple(self.codec.tokens(text))
            out.append(Score(toks, tuple(token_bits(t, prefix) for t in toks)))
        return out


def xent(text: str, prefix: str = "") -> float:
    """The stub judge's total for ``text`` given ``prefix``."""
    return sum(token_bits(t, prefix) for t in WordCodec().tokens(text))


class ListTextSource:
    """Hands out the given stories in call order (seeds recorded), and simple lists."""

    def __init__(self, stories: Sequence[str]) -> None:
        self.stories = list(stories)
        self.seeds: list[int] = []

    def story(self, seed: int) -> str:
        self.seeds.append(seed)
        return self.stories[(len(self.seeds) - 1) % len(self.stories)]

    def generate_list(self, prompt: str, n: int, seed: int) -> list[str]:
        self.seeds.append(seed)
        return [f"{prompt} {i}" for i in range(n)]

    def generate_masked(self, n: int, seed: int) -> list[str]:
        self.seeds.append(seed)
        return ["the cat sat", "the [MASK] sat"]

    def generate_list_next_token(self, n: int, seed: int) -> list[str]:
        self.seeds.append(seed)
        return ["the cat", " sat"]


class SeededTextSource:
    """Stories that depend on the seed only: the same seed always gives the same story."""

    WORDS = ("river", "stone", "lamp", "fox", "winter", "bread", "song", "door", "cloud", "ink")

    def story(self, seed: int) -> str:
        return " ".join(self.WORDS[(seed >> (4 * i)) % len(self.WORDS)] for i in range(6))

    def generate_list(self, prompt: str, n: int, seed: int) -> list[str]:
        return [self.WORDS[(seed + i) % len(self.WORDS)] for i in range(n)]

    def generate_masked(self, n: int, seed: int) -> list[str]:
        return [self.story(seed), "[MASK] " * n]

    def generate_list_next_token(self, n: int, seed: int) -> list[str]:
        return [self.story(seed), " ".join(self.WORDS[:n])]
