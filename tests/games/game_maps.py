"""A fixed map source for game tests: three short stories written for these tests, handed out
in call order, so every program's map is known and the scripted moves can refer to it."""

from __future__ import annotations

from collections.abc import Callable

from xent_envs.games import GameDef
from xent_envs.lang import ElicitRequest, GameOver, Machine, instantiate_map, load, play

STORIES = (
    "The old fisherman pushed his boat into the grey sea. The wind was cold and the waves "
    "were high. He hoped to catch enough fish to feed his family. By noon his nets were "
    "still empty.",
    "Mia found a small key under the library carpet. Nobody knew which door it opened. She "
    "tried every lock in the building. At last, the key turned in the attic door.",
    "The robot learned to bake bread from an old cookbook. Its first loaves were burnt. The "
    "baker next door gave it advice. Soon the whole town lined up for its bread.",
)

# Debate's motion on the fixed map (the scripted moves argue it).
MOTION = "cities should ban cars from their centres | cities should keep cars in their centres"

# A legal, sensible move for each elicit (in order) of each game; the ensures of Horizon and
# Fresh depend on the judge, so only these games may end on the ensure limit.
SCRIPTED = {
    "Condense": [" sailor ocean storm hungry kids"],
    "Contrast": [" sailor ocean storm hungry kids"],
    "Synthesize": [" sailor, girl with books, machine baking"],
    "TwoWays": [" And here is another story."],
    "Horizon": [" He sailed far", " to a quiet island"],
    "Alethiometer": ["ship storm fish"],
    "Intruder": [" Nobody knew which door it opened."],
    "WhatIf": [" find a treasure chest, so he dived into the sea"],
    "Fresh": [" see his son again before winter."],
    "Taboo": [" What tall African animal has a very long neck?"],
    "Lipogram": ["Fishing, boat, cold wind, no fish"],
    "Debate": [
        " Fumes make the air dirty and traffic hurts children.",
        " People need to drive to shops and to work.",
    ],
    # In the order the seats move, except Guard's: white moves first, but its move is listed
    # second, as in Debate, because tests/envs gives white the second move.
    "Guard": ["What tall African animal has a very long neck?", "Answers are in French."],
    "Relay": [
        "sailor ocean storm hungry kids",
        " A fisherman at sea caught no fish for his family.",
    ],
    "Forgery": [
        " The wind was strong and the water was rough.",
        "chilly breeze, tall rough swell",
    ],
    "Censor": [
        "sailor ocean storm hungry kids",
        "hungry kids",
        " A fisherman at sea caught no fish for his family.",
    ],
    "Schelling": ["fisherman"],
}
JUDGE_DEPENDENT_ENSURES = {"Horizon", "Fresh"}


class FixedTexts:
    """A ``TextSource`` whose n-th ``story()`` call gets ``STORIES[n % 3]``, whatever the seed;
    lists are animals, or ``MOTION`` for Debate's motions."""

    def __init__(self) -> None:
        self.calls = 0

    def story(self, seed: int) -> str:
        self.calls += 1
        return STORIES[(self.calls - 1) % len(STORIES)]

    def generate_list(self, prompt: str, n: int, seed: int) -> list[str]:
        if prompt == "Debate motions":
            return [MOTION][:n]
        return ["giraffe", "penguin", "otter", "camel"][:n]

    def generate_masked(self, n: int, seed: int) -> list[str]:
        return [STORIES[0], STORIES[0].replace("boat", "___")]

    def generate_list_next_token(self, n: int, seed: int) -> list[str]:
        return [STORIES[0][:40], STORIES[0][40:50]]


def play_map(
    game: GameDef, judge, move: Callable[[ElicitRequest], str], **params
) -> tuple[Machine, GameOver]:
    """Play one round of ``game`` on the fixed map; ``move`` answers every elicit, whatever
    the seat. Any failed ``ensure`` ends the game (``GameOver.reason == "ensure_limit"``)."""
    program = instantiate_map(load(game.source, {**game.defaults, **params}), FixedTexts(), 0)
    machine = Machine(program, judge, rounds=1, seed=0, max_ensure_failures=1)
    return machine, play(machine, judge.score_batch, move)


def black_score(game: GameDef, judge, moves: list[str], **params) -> float | None:
    """Black's score for one round on the fixed map with these moves (one per elicit, in
    order), or None when the game refuses a move (any failed ``ensure`` ends it here)."""
    pending = iter(moves)
    machine, over = play_map(game, judge, lambda request: next(pending), **params)
    return machine.scores[0]["black"] if over.reason == "finished" else None
