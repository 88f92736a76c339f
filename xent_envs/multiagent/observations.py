"""What a seat observes in the multi-agent views: its text, and the same text as an array.

PettingZoo's conformance tests compare each observation's ``dtype`` with its space's, so a
bare ``str`` (no ``dtype``) fails them, and array-only tools (replay buffers, MARL
libraries) need fixed-shape arrays. A seat's observation is therefore a dict:

- ``"observation"``: the text as ``MAX_OBSERVATION_CHARS`` int32 Unicode code points,
  ``-1`` after its end (``Box(-1, 0x10FFFF)``; :func:`observation_text` reads it back). It is
  what the checks test (they look only at this key of a ``Dict`` space).
- ``"text"``: the same text as a ``str`` (the single-agent env's observation, in the same
  format): what an LLM policy reads.

The text is the one ``Match.observe(seat)`` gives: only what that seat may see.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from xent_envs.envs.match import MAX_OBSERVATION_CHARS
from xent_envs.spaces import UnicodeText, codes_to_text, text_to_codes

__all__ = [
    "MAX_CODE_POINT",
    "observation",
    "observation_space",
    "observation_text",
]

#: the largest Unicode code point
MAX_CODE_POINT = 0x10FFFF


def observation_space(max_chars: int = MAX_OBSERVATION_CHARS) -> spaces.Dict:
    """The space of one seat's observations (a new object: each seat gets its own, so each
    can be seeded apart)."""
    return spaces.Dict(
        {
            "observation": spaces.Box(-1, MAX_CODE_POINT, shape=(max_chars,), dtype=np.int32),
            "text": UnicodeText(max_chars),
        }
    )


def observation(text: str, max_chars: int = MAX_OBSERVATION_CHARS) -> dict[str, Any]:
    """The observation dict of ``text`` (cut to ``max_chars`` characters).

    >>> obs = observation("hi", max_chars=4)
    >>> obs["observation"].tolist(), obs["text"]
    ([104, 105, -1, -1], 'hi')
    """
    text = text[:max_chars]
    return {"observation": text_to_codes(text, max_chars), "text": text}


def observation_text(obs: Any) -> str:
    """The text of an observation: its ``"text"``, or its code-point array decoded (what a
    tool that kept only the array has).

    >>> observation_text(observation("hi", max_chars=4)["observation"])
    'hi'
    """
    if isinstance(obs, dict):
        return str(obs["text"]) if "text" in obs else codes_to_text(obs["observation"])
    return codes_to_text(np.asarray(obs))
