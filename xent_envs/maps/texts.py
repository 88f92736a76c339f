"""Seeded map texts: the language's ``TextSource`` built on stories.

``StoryTexts`` answers every map-text call from one method, ``story(seed)``: lists come from
the catalogues (``catalogues.py``) or, for other prompts, from the judge; ``generate_masked``
and ``generate_list_next_token`` cut a story. Two sources write stories:

- ``JudgeTextSource``: an opening composed from seeded parts (``openings.py``), continued in
  place by the judge (the default);
- ``DocumentTexts`` (``documents.py``): a window of a user's own document.

Each is restricted to one ``side`` of the content split: openings, list items and documents
all come from that side, so a map drawn on the eval side shares no content part with a train
map. Every choice is a stable hash of the seed it is given (the global RNG is never touched);
the judge samples from a generator seeded the same way. Lengths are limits in judge tokens. The
same seed gives the same text on the same machine and dtype.
"""

from __future__ import annotations

import abc
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from xent_envs.errors import ConfigError, JudgeError
from xent_envs.judge.base import Judge
from xent_envs.lang.limits import MAX_MAP_TEXT_COUNT
from xent_envs.maps.catalogues import catalogue
from xent_envs.maps.openings import OpeningSpace
from xent_envs.maps.split import EVAL_FRACTION, Split, content_side, normalise
from xent_envs.seeding import derive_seed

__all__ = ["JudgeTextSource", "StoryTexts", "end_at_sentence"]

_WORD = re.compile(r"\w[\w'’-]*")
_LIST_PRIMER = (
    "Lists, one item per line, every item different.\n\n"
    "Fruits:\n- apple\n- quince\n- mango\n- elderberry\n\n"
    "Things in a kitchen:\n- kettle\n- rolling pin\n- colander\n- spice rack\n\n"
    "Short sentences about the sea:\n- The tide came in before we noticed.\n"
    "- Gulls argued over a fish.\n- The harbour smelled of salt and diesel.\n\n"
)
# Tries the judge gets to write a story with at least one word of its own.
_STORY_TRIES = 8


class StoryTexts(abc.ABC):
    """A ``TextSource`` whose texts all derive from ``story`` (subclasses write it).

    Args:
        judge: tokenizes (lengths are in its tokens) and writes list items for prompts with
            no catalogue.
        side: ``"train"`` or ``"eval"``: every content part (list item, opening, document)
            is drawn from that side; ``None``: from both.
        item_tokens: most tokens in a list item the judge writes.
        prefix_min_tokens: fewest tokens in a ``generate_list_next_token`` prefix.
        mask: the text that replaces each masked word in ``generate_masked``.
        sampling: options passed to ``judge.generate`` for list items.
    """

    def __init__(
        self,
        judge: Judge,
        *,
        side: Split | None,
        item_tokens: int = 12,
        prefix_min_tokens: int = 8,
        mask: str = "___",
        sampling: Mapping[str, Any] | None = None,
    ) -> None:
        if side not in (None, "train", "eval"):
            raise ConfigError(f"side must be 'train', 'eval' or None, got {side!r}")
        _check_length("item_tokens", item_tokens)
        self.judge = judge
        self.side: Split | None = side
        self.item_tokens = item_tokens
        self.prefix_min_tokens = prefix_min_tokens
        self.mask = mask
        self._sampling = dict(sampling or {})

    # -- the TextSource protocol ---------------------------------------------------------------

    @abc.abstractmethod
    def story(self, seed: int) -> str:
        """A short text, fixed by ``seed``, made of content on ``side``."""

    def generate_list(self, prompt: str, n: int, seed: int) -> list[str]:
        """``n`` different items matching ``prompt``, each on ``side``: drawn from its
        catalogue (``catalogues.py``) when there is one, else written by the judge (each at
        most ``item_tokens`` tokens; items of the other side are dropped).

        Raises:
            ConfigError: ``n`` outside ``[0, MAX_MAP_TEXT_COUNT]``, or a catalogue with fewer
                than ``n`` items on ``side``.
            JudgeError: the judge wrote too few distinct items on ``side`` in its tries.
        """
        _check_count(n, 0)
        found = catalogue(prompt)
        if found is not None:
            return found.draw(n, seed, self.side)
        share = {None: 1.0, "eval": EVAL_FRACTION, "train": 1 - EVAL_FRACTION}[self.side]
        tries = math.ceil((4 * n + 8) / share)
        items: list[str] = []
        seen: set[str] = set()
        for attempt in range(tries):
            if len(items) == n:
                break
            context = _LIST_PRIMER + f"{prompt.strip()}:\n" + "".join(f"- {x}\n" for x in items)
            raw = self.judge.generate(
                context + "-",
                self.item_tokens,
                derive_seed(seed, "list", prompt, attempt),
                stop=("\n",),
                **self._sampling,
            )
            item = self._clip(raw.strip().strip("\"'“”").strip(), self.item_tokens)
            key = normalise(item)
            if item and key not in seen and self._on_side(item):
                seen.add(key)
                items.append(item)
        if len(items) < n:
            raise JudgeError(
                f"the judge wrote only {len(items)} distinct items for {prompt!r} on the "
                f"{self.side or 'any'} side in {tries} tries; {n} were asked for"
            )
        return items

    def generate_masked(self, n: int, seed: int) -> list[str]:
        """``[text, masked]``: a story and a copy with ``n`` of its words (all of them when it
        has fewer) replaced by ``mask``.

        Raises:
            ConfigError: ``n`` outside ``[0, MAX_MAP_TEXT_COUNT]``.
        """
        _check_count(n, 0)
        text = self.story(derive_seed(seed, "masked-story"))
        words = list(_WORD.finditer(text))
        ranked = sorted(range(len(words)), key=lambda i: derive_seed(seed, "masked", i))
        pieces, last = [], 0
        for index in sorted(ranked[:n]):
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
        for attempt in range(8):
            text = self.story(derive_seed(seed, "next-token-story", attempt))
            ids = self.judge.encode(text)
            low, high = min(self.prefix_min_tokens, len(ids) - n), len(ids) - n
            if high < 1:
                continue
            low = max(low, 1)
            for k in range(16):
                cut = low + derive_seed(seed, "next-token", attempt, k) % (high - low + 1)
                prefix, following = ids[:cut], ids[cut : cut + n]
                prefix_text, next_text = self.judge.decode(prefix), self.judge.decode(following)
                if (
                    self.judge.encode(prefix_text) == prefix
                    and self.judge.encode(next_text) == following
                ):
                    return [prefix_text, next_text]
        raise JudgeError(f"could not cut a story into a prefix and {n} clean next tokens")

    # -- helpers -------------------------------------------------------------------------------

    def _on_side(self, item: str) -> bool:
        return self.side is None or content_side("items", item) == self.side

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


class JudgeTextSource(StoryTexts):
    """Map texts written by ``judge``: stories are composed openings continued in place.

    Args:
        judge: a Judge with ``generate``, ``encode`` and ``decode``.
        story_tokens: most tokens in a story.
        story_min_tokens: fewest new tokens sampled for a story before it may end.
        item_tokens: most tokens in a list item the judge writes.
        prefix_min_tokens: fewest tokens in a ``generate_list_next_token`` prefix.
        mask: the text that replaces each masked word in ``generate_masked``.
        openings: where openings come from: ``None`` for the composed space
            (``OpeningSpace.default()``), a list of opening lines, or an ``OpeningSpace``.
        side: ``"train"`` or ``"eval"`` draws every content part from that side of the
            split; ``None`` from both.
        temperature, top_k, top_p: sampling options passed to ``judge.generate``.

    Raises:
        ConfigError: a length below 1 or an empty list of openings.

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
        openings: OpeningSpace | Sequence[str] | None = None,
        side: Split | None = None,
        temperature: float = 0.9,
        top_k: int = 50,
        top_p: float = 0.95,
    ) -> None:
        sampling = {"temperature": temperature, "top_k": top_k, "top_p": top_p}
        super().__init__(
            judge,
            side=side,
            item_tokens=item_tokens,
            prefix_min_tokens=prefix_min_tokens,
            mask=mask,
            sampling=sampling,
        )
        _check_length("story_tokens", story_tokens)
        self.story_tokens = story_tokens
        self.story_min_tokens = min(story_min_tokens, story_tokens)
        if openings is None:
            openings = OpeningSpace.default()
        elif not isinstance(openings, OpeningSpace):
            openings = OpeningSpace.from_lines(openings)
        self.openings: OpeningSpace = openings

    def story(self, seed: int) -> str:
        """A short text (at most ``story_tokens`` tokens): the opening drawn for ``seed`` on
        ``side`` (without its style sentence, then clipped, when it would take more than half
        of the story) and the judge's continuation of it in the same paragraph, ended at the
        last full sentence when one ends in its second half.

        The opening is part of the story: continued in place, a small judge stays in the
        opening's register and topic; asked for a new paragraph, it drifts into lists,
        timestamps and headings.

        Raises:
            ConfigError: no opening on ``side`` (a short list of opening lines).
        """
        drawn = self.openings.draw(derive_seed(seed, "opening"), self.side)
        # Half of the story at least is the judge's: the style sentence goes first when the
        # opening is too long, then short stories clip the rest.
        half = max(1, self.story_tokens // 2)
        fits = len(self.judge.encode(drawn.text)) <= half
        opening = self._clip(drawn.text if fits else drawn.sentence, half)
        room = self.story_tokens - len(self.judge.encode(opening))
        for attempt in range(_STORY_TRIES):
            raw = self.judge.generate(
                opening,
                room + 8,
                derive_seed(seed, "story", attempt),
                min_new_tokens=min(self.story_min_tokens, room),
                stop=("\n\n",),
                **self._sampling,
            )
            text = end_at_sentence(self._clip(" ".join((opening + raw).split()), self.story_tokens))
            if _WORD.search(text[len(opening) :]):
                return text
        return self._clip(opening, self.story_tokens)


def end_at_sentence(text: str) -> str:
    """Cut after the last ``.``, ``!`` or ``?`` when that keeps more than half of ``text``.

    >>> end_at_sentence("The cat sat on the mat. Then it")
    'The cat sat on the mat.'
    """
    ends = [m.end() for m in re.finditer(r"[.!?][\"')\]]?(?=\s|$)", text)]
    if ends and ends[-1] > len(text) // 2:
        return text[: ends[-1]]
    return text


def _check_length(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be an int of at least 1, got {value!r}")


def _check_count(n: int, least: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or not least <= n <= MAX_MAP_TEXT_COUNT:
        raise ConfigError(f"the count must be an int in [{least}, {MAX_MAP_TEXT_COUNT}], got {n!r}")
