"""Seeded map texts written by the judge: ``JudgeTextSource`` (the language's ``TextSource``).

Every call builds its own ``torch.Generator`` from the seed it is given (the global RNG is never
touched), picks one of the opening lines kept in ``openings.txt`` next to this file, and
samples from the judge. Lengths are limits in judge tokens. The same seed gives the same text
on the same machine and dtype; different seeds give different texts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xent_envs.errors import ConfigError, JudgeError
from xent_envs.judge.base import Judge
from xent_envs.judge.sampling import Sampling
from xent_envs.lang.limits import MAX_MAP_TEXT_COUNT
from xent_envs.seeding import derive_seed

__all__ = ["JudgeTextSource", "load_openings"]

_OPENINGS = Path(__file__).with_name("openings.txt")
_WORD = re.compile(r"\w[\w'’-]*")
_LIST_PRIMER = (
    "Lists, one item per line, every item different.\n\n"
    "Fruits:\n- apple\n- quince\n- mango\n- elderberry\n\n"
    "Things in a kitchen:\n- kettle\n- rolling pin\n- colander\n- spice rack\n\n"
    "Short sentences about the sea:\n- The tide came in before we noticed.\n"
    "- Gulls argued over a fish.\n- The harbour smelled of salt and diesel.\n\n"
)


def load_openings(path: str | Path = _OPENINGS) -> list[str]:
    """The opening lines in ``path`` (blank lines and ``#`` comments skipped)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


class JudgeTextSource:
    """Map texts sampled from ``judge`` (implements the language's ``TextSource``).

    Args:
        judge: a Judge with ``generate``, ``encode`` and ``decode``.
        story_tokens: most tokens in a story.
        story_min_tokens: fewest new tokens sampled for a story before it may end.
        item_tokens: most tokens in a list item.
        prefix_min_tokens: fewest tokens in a ``generate_list_next_token`` prefix.
        mask: the text that replaces each masked passage in ``generate_masked``.
        openings: opening lines to prime the judge (default: ``openings.txt``).
        temperature, top_k, top_p: sampling options passed to ``judge.generate``.

    Raises:
        ConfigError: a length below 1, no opening line, or bad sampling options.

    Example:
        >>> from xent_envs.judge import load_judge
        >>> source = JudgeTextSource(load_judge("tiny-random-gpt2"), story_tokens=12)
        >>> source.story(7) == source.story(7)
        True
    """

    def __init__(
        self,
        judge: Judge,
        *,
        story_tokens: int = 60,
        story_min_tokens: int = 40,
        item_tokens: int = 12,
        prefix_min_tokens: int = 8,
        mask: str = "___",
        openings: Sequence[str] | None = None,
        temperature: float = 0.9,
        top_k: int = 50,
        top_p: float = 0.95,
    ) -> None:
        if story_tokens < 1 or item_tokens < 1:
            raise ConfigError(
                f"story_tokens and item_tokens must be at least 1, got {story_tokens} and "
                f"{item_tokens}"
            )
        self.judge = judge
        self.story_tokens = story_tokens
        self.story_min_tokens = min(story_min_tokens, story_tokens)
        self.item_tokens = item_tokens
        self.prefix_min_tokens = prefix_min_tokens
        self.mask = mask
        self.openings = list(openings) if openings is not None else load_openings()
        if not self.openings:
            raise ConfigError("JudgeTextSource needs at least one opening line")
        Sampling(temperature, top_k, top_p)  # refused here, not at the first story
        self._sampling = {"temperature": temperature, "top_k": top_k, "top_p": top_p}

    # -- the TextSource protocol ---------------------------------------------------------------

    def story(self, seed: int) -> str:
        """A short text (at most ``story_tokens`` tokens): a seeded opening line and the
        judge's continuation of it in the same paragraph, ended at the last full sentence when
        one ends in its second half.

        The opening is part of the story: continued in place, a small judge stays in the
        opening's register and topic; asked for a new paragraph, it drifts into lists,
        timestamps and headings.
        """
        generator = self._generator(seed, "story")
        opening = self.openings[self._randint(generator, len(self.openings))]
        # Half of the story at least is the judge's: short stories clip the opening.
        opening = self._clip(opening, max(1, self.story_tokens // 2))
        room = self.story_tokens - len(self.judge.encode(opening))
        for _ in range(8):
            raw = self.judge.generate(
                opening,
                room + 8,
                self._randint(generator, 2**62),
                min_new_tokens=min(self.story_min_tokens, room),
                stop=("\n\n",),
                **self._sampling,
            )
            text = self._clip(" ".join((opening + raw).split()), self.story_tokens)
            text = _end_at_sentence(text)
            if _WORD.search(text[len(opening) :]):
                return text
        return self._clip(opening, self.story_tokens)

    def generate_list(self, prompt: str, n: int, seed: int) -> list[str]:
        """``n`` different items (each at most ``item_tokens`` tokens) matching ``prompt``.

        Raises:
            ConfigError: ``n`` outside ``[0, MAX_MAP_TEXT_COUNT]``.
            JudgeError: the judge wrote too few distinct items in ``4 * n + 8`` tries.
        """
        _check_count(n, 0)
        generator = self._generator(seed, "list", prompt)
        items: list[str] = []
        seen: set[str] = set()
        attempts = 0
        while len(items) < n:
            attempts += 1
            if attempts > 4 * n + 8:
                raise JudgeError(
                    f"the judge wrote only {len(items)} distinct items for {prompt!r} "
                    f"in {attempts - 1} tries; {n} were asked for"
                )
            context = _LIST_PRIMER + f"{prompt.strip()}:\n" + "".join(f"- {x}\n" for x in items)
            raw = self.judge.generate(
                context + "-",
                self.item_tokens,
                self._randint(generator, 2**62),
                stop=("\n",),
                **self._sampling,
            )
            item = self._clip(raw.strip().strip("\"'“”").strip(), self.item_tokens)
            key = " ".join(item.split()).casefold()
            if item and key not in seen:
                seen.add(key)
                items.append(item)
        return items

    def generate_masked(self, n: int, seed: int) -> list[str]:
        """``[text, masked]``: a story and a copy with ``n`` of its words (all of them when it
        has fewer) replaced by ``mask``.

        Raises:
            ConfigError: ``n`` outside ``[0, MAX_MAP_TEXT_COUNT]``.
        """
        _check_count(n, 0)
        text = self.story(derive_seed(seed, "masked-story"))
        generator = self._generator(seed, "masked")
        words = list(_WORD.finditer(text))
        import torch

        chosen = sorted(torch.randperm(len(words), generator=generator)[:n].tolist())
        pieces, last = [], 0
        for index in chosen:
            match = words[index]
            pieces += [text[last : match.start()], self.mask]
            last = match.end()
        return [text, "".join(pieces) + text[last:]]

    def generate_list_next_token(self, n: int, seed: int) -> list[str]:
        """``[prefix, next]``: a story cut at a seeded token position into a prefix (at least
        ``prefix_min_tokens`` tokens) and the ``n`` tokens that follow it. Both parts
        re-tokenize to exactly their tokens, so ``next`` is ``n`` tokens of the judge.

        Raises:
            ConfigError: ``n`` outside ``[1, MAX_MAP_TEXT_COUNT]``.
            JudgeError: no story of 8 tried could be cut cleanly (stories too short for ``n``).
        """
        _check_count(n, 1)
        generator = self._generator(seed, "next-token")
        for attempt in range(8):
            text = self.story(derive_seed(seed, "next-token-story", attempt))
            ids = self.judge.encode(text)
            low, high = min(self.prefix_min_tokens, len(ids) - n), len(ids) - n
            if high < 1:
                continue
            low = max(low, 1)
            for _ in range(16):
                cut = low + self._randint(generator, high - low + 1)
                prefix, following = ids[:cut], ids[cut : cut + n]
                prefix_text, next_text = self.judge.decode(prefix), self.judge.decode(following)
                if (
                    self.judge.encode(prefix_text) == prefix
                    and self.judge.encode(next_text) == following
                ):
                    return [prefix_text, next_text]
        raise JudgeError(f"could not cut a story into a prefix and {n} clean next tokens")

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _generator(seed: int, *tags: str | int) -> Any:
        import torch

        return torch.Generator(device="cpu").manual_seed(derive_seed(int(seed), *tags))

    @staticmethod
    def _randint(generator: Any, high: int) -> int:
        import torch

        return int(torch.randint(high, (1,), generator=generator))

    def _clip(self, text: str, limit: int) -> str:
        """``text`` cut to at most ``limit`` tokens (re-tokenization can merge or split bytes,
        so the cut is checked, not assumed)."""
        ids = self.judge.encode(text)
        keep = min(limit, len(ids))
        while keep > 0:
            clipped = self.judge.decode(ids[:keep]).strip() if keep < len(ids) else text.strip()
            if len(self.judge.encode(clipped)) <= limit:
                return clipped
            keep -= 1
        return ""


def _check_count(n: int, least: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or not least <= n <= MAX_MAP_TEXT_COUNT:
        raise ConfigError(f"the count must be an int in [{least}, {MAX_MAP_TEXT_COUNT}], got {n!r}")


def _end_at_sentence(text: str) -> str:
    """Cut after the last ``.``, ``!`` or ``?`` when that keeps more than half of ``text``."""
    ends = [m.end() for m in re.finditer(r"[.!?][\"')\]]?(?=\s|$)", text)]
    if ends and ends[-1] > len(text) // 2:
        return text[: ends[-1]]
    return text
