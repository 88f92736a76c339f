"""The one prompt format of a language-model policy, and how a completion becomes a move.

Training (the GRPO loop and the TRL adapter) and evaluation (:class:`~xent_envs.rl.agent.
PolicyAgent`) must show the policy the same text, or the evaluation measures another task.
So the chat messages, the optional prefill and the move parser live here only.

The prompt is two chat messages: a system message with the move format and the token budget,
then the observation (rules, visible texts, budget) as the user turn. With ``prefill`` the
assistant turn starts with ``Move: "``, so even a 135M model answers with a move, and the
move ends at the closing quote (or a newline); without it (TRL renders the generation prompt
itself) the move is the text after the last ``Move:``, else the first non-empty line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["PREFILL", "SYSTEM_PROMPT", "chat_messages", "parse_move", "render_prompt"]

SYSTEM_PROMPT = (
    "You are playing a text game judged by a language model. Read the rules and the texts, "
    "then give your move: a short text of at most {max_tokens} tokens. Answer with one line "
    "of the form: Move: <your text>"
)
#: The start of the assistant turn when the prompt is prefilled.
PREFILL = 'Move: "'
_MOVE = re.compile(r"move\s*:", re.IGNORECASE)
_QUOTES = "\"'`*“”‘’ \t"


def chat_messages(observation: str, info: Mapping[str, Any]) -> list[dict[str, str]]:
    """The system and user messages for ``observation`` (``info["max_tokens"]`` is the budget).

    >>> [m["role"] for m in chat_messages("# Condense", {"max_tokens": 5})]
    ['system', 'user']
    """
    budget = info.get("max_tokens", "a few")
    return [
        {"role": "system", "content": SYSTEM_PROMPT.format(max_tokens=budget)},
        {"role": "user", "content": observation},
    ]


def render_prompt(tokenizer: Any, observation: str, info: Mapping[str, Any], prefill: bool) -> str:
    """The prompt text: the messages through the tokenizer's chat template (a plain
    "system, blank line, observation, Move:" layout for a tokenizer without one), ending
    where the move begins when ``prefill``."""
    messages = chat_messages(observation, info)
    if getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return f"{text}{PREFILL}" if prefill else str(text)
    head = f"{messages[0]['content']}\n\n{observation}\n\n"
    return head + (PREFILL if prefill else "Move:")


def parse_move(completion: str, prefilled: bool) -> str:
    """The move inside a completion (``""`` when there is none: an empty move).

    Prefilled completions continue ``Move: "``: the move is the text before the closing
    quote or the first newline. Others: the text after the last ``Move:`` (else the first
    non-empty line), without surrounding quotes, backticks and bold marks.

    >>> parse_move(' a farmer" and more', prefilled=True)
    'a farmer'
    >>> parse_move('Sure.\\nMove: "the sea"', prefilled=False)
    'the sea'
    """
    if prefilled:
        return re.split(r'["\n]', completion, maxsplit=1)[0].strip()
    found = list(_MOVE.finditer(completion))
    text = completion[found[-1].end() :] if found else completion
    for line in text.splitlines():
        move = line.strip().strip(_QUOTES)
        if move:
            return move
    return ""
