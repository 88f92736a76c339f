"""The multi-seat games (Guard, Relay, Forgery, Censor, Schelling): their seats and roles, what
each seat sees, how the seats are paid, whole games through the single-agent env with opponent
policies, and, on the real judge, that a sensible move beats a bad one for every seat."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Mapping

import gymnasium as gym
import pytest

from xent_envs.envs.opponents import echo_opponent
from xent_envs.games import GameInstance, builtin_games
from xent_envs.lang import ElicitRequest, Machine, RevealEvent, instantiate_map, load, parse, play
from xent_envs.lang.names import OMNISCIENT_PLAYERS, PLAYERS, PUBLIC_REGISTERS
from xent_envs.lang.nodes import Name
from xent_envs.maps import JudgeTextSource
from xent_envs.registration import game_space
from xent_envs.wrappers import TextActions

from .game_maps import STORIES, play_map

GAMES = {g.name: g for g in builtin_games()}
STORY = STORIES[0]
FIRST_SENTENCE = "The old fisherman pushed his boat into the grey sea."
SECOND_SENTENCE = " The wind was cold and the waves were high"

# The seats of each new game, in the order they move.
SEATS = {
    "Guard": ("white", "black"),
    "Relay": ("black", "bob"),
    "Forgery": ("carol", "black"),
    "Censor": ("black", "env", "alice"),
    "Schelling": ("black", "alice", "bob"),
}
MULTISEAT = sorted(SEATS)

Move = str | Callable[[ElicitRequest], str]


def echo(request: ElicitRequest) -> str:
    """A seat that repeats what it sees: the env's default opponent, as a move function."""
    return echo_opponent("", {"visible": request.visible})


def play_seats(name: str, judge, moves: Mapping[str, Move]):
    """Play one round of ``name`` on the fixed map, each seat answered by ``moves[seat]`` (a
    text, or a function of the request). Returns the machine and every request it made."""
    requests: list[ElicitRequest] = []

    def move(request: ElicitRequest) -> str:
        requests.append(request)
        answer = moves[request.player]
        return answer(request) if callable(answer) else answer

    machine, over = play_map(GAMES[name], judge, move)
    assert over.reason == "finished", over.message
    return machine, requests


def revealed(machine: Machine, player: str) -> dict[str, str]:
    """What the program revealed to ``player`` (the last value of each register)."""
    values: dict[str, str] = {}
    for event in machine.events:
        if isinstance(event, RevealEvent) and event.player == player:
            values.update(event.values)
    return values


def xent(judge, text: str, prefix: str) -> float:
    return judge.xent(text, prefix).total


# ---------------------------------------------------------------- cards and programs
def test_every_card_lists_exactly_the_seats_its_program_asks():
    """A seat on the card moves in the program and every seat that moves is on the card (the
    PettingZoo views take their agents from the card)."""
    for game in builtin_games():
        movers = {
            ins.args[0].id
            if isinstance(ins.args[0], Name) and ins.args[0].id in PLAYERS
            else "black"
            for ins in parse(game.source).instructions
            if ins.name == "elicit"
        }
        assert set(game.players) == movers, game.name


@pytest.mark.parametrize("name", MULTISEAT)
def test_multiseat_cards(name):
    game = GAMES[name]
    assert set(game.players) == set(SEATS[name]) and game.players[0] == "black"
    assert len(game.players) >= 2
    # Every budget a seat moves under is a typed, bounded parameter the rules name.
    budgets = re.findall(r"elicit\(\w+, \w+, \$(\w+)\)", game.source)
    assert len(budgets) == len(SEATS[name])
    for budget in budgets:
        param = next(p for p in game.parameters if p.name == budget)
        assert param.type == "int" and param.low >= 1 and param.high >= param.default
        assert f"at most ${budget} tokens" in game.description
    load(game.source, game.defaults)


def test_the_new_games_cover_every_role_of_the_language():
    seats = {seat for name in MULTISEAT for seat in GAMES[name].players}
    assert seats == {"black", "white", "alice", "bob", "carol", "env"}
    assert any(len(GAMES[n].players) >= 3 for n in MULTISEAT)
    tags = {t for n in MULTISEAT for t in GAMES[n].tags}
    assert {"zero-sum", "cooperative", "partial-information", "bluff", "coordination"} <= tags


# ---------------------------------------------------------------- what each seat sees
def visible_at_each_elicit(name: str, judge, moves: Mapping[str, Move]) -> dict[str, dict]:
    _, requests = play_seats(name, judge, moves)
    assert [r.player for r in requests] == list(SEATS[name])
    return {r.player: r.visible for r in requests}


def test_guard_both_seats_see_everything(tiny_judge):
    seen = visible_at_each_elicit("Guard", tiny_judge, {"white": " No.", "black": " Tall?"})
    assert seen["white"] == {"l": '["giraffe"]', "t": " giraffe"}
    assert seen["black"] == {"l": '["giraffe"]', "t": " giraffe", "y": " No."}


def test_relay_bob_sees_only_the_hint_left_after_the_story_words(tiny_judge):
    hint = " Sailor ocean, boat storm"  # "boat" is the story's: struck out
    seen = visible_at_each_elicit("Relay", tiny_judge, {"black": hint, "bob": " A tale."})
    assert seen["black"] == {"s": STORY}
    assert seen["bob"] == {"x1": "Sailor ocean, storm"}


def test_forgery_carol_sees_only_the_public_first_sentence(tiny_judge):
    seen = visible_at_each_elicit("Forgery", tiny_judge, {"carol": " It rained.", "black": " x"})
    assert seen["carol"] == {"p": FIRST_SENTENCE}
    assert seen["black"] == {
        "s": STORY,
        "p": FIRST_SENTENCE,
        "t": SECOND_SENTENCE,
        "y": " It rained.",
    }


def test_censor_alice_sees_only_what_the_censor_left(tiny_judge):
    moves = {"black": "sailor ocean storm hungry kids", "env": "ocean kids", "alice": " A tale."}
    seen = visible_at_each_elicit("Censor", tiny_judge, moves)
    assert seen["black"] == {"s": STORY}
    assert seen["env"] == {
        "s": STORY,
        "x": "sailor ocean storm hungry kids",
        "x1": "sailor ocean storm hungry kids",
    }
    assert seen["alice"] == {"x2": "sailor storm hungry"}


def test_schelling_nobody_sees_another_pick_before_moving(tiny_judge):
    moves = {"black": "fisherman", "alice": "boat", "bob": "sea"}
    machine, requests = play_seats("Schelling", tiny_judge, moves)
    assert [r.visible for r in requests] == [{"p": STORY}] * 3
    # After the picks, each partner is shown the other two (the record of the round).
    assert revealed(machine, "alice") == {"x": "fisherman", "y2": "sea"}
    assert revealed(machine, "bob") == {"x": "fisherman", "y1": "boat"}


@pytest.mark.parametrize("name", MULTISEAT)
def test_partial_information_seats_see_only_public_and_revealed_registers(name, tiny_judge):
    """The roles' promise, checked at every elicit: alice, bob and carol see public registers
    and what was revealed to them; black, white and env see every register that is set."""
    moves = {seat: " storm sea" for seat in SEATS[name]}
    _, requests = play_seats(name, tiny_judge, moves)
    for request in requests:
        if request.player in OMNISCIENT_PLAYERS:
            continue
        hidden = set(request.visible) - PUBLIC_REGISTERS
        program_reveals = re.findall(rf"reveal\({request.player}, ([\w, ]+)\)", GAMES[name].source)
        allowed = {r.strip() for group in program_reveals for r in group.split(",")}
        assert hidden <= allowed, (request.player, hidden)


# ---------------------------------------------------------------- how the seats are paid
def test_guard_is_zero_sum_and_pays_what_the_guarded_question_gains(tiny_judge):
    # (Naming the target is refused: test_builtin_games.py; the guard comes back trimmed.)
    guard, question = " Answer in French,  never.", "Which animal has the longest neck?"
    machine, _ = play_seats("Guard", tiny_judge, {"white": guard, "black": question})
    scores = machine.scores[0]
    guarded = "Answer in French, never.\nQuestion: Which animal has the longest neck?\nAnswer:"
    expected = xent(tiny_judge, " giraffe", "Question:\nAnswer:") - xent(
        tiny_judge, " giraffe", guarded
    )
    assert revealed(machine, "black") == {
        "y1": "Answer in French, never.",
        "x1": question,
    }
    assert scores["black"] == pytest.approx(expected, abs=1e-4) and scores["black"] != 0
    assert scores["black"] + scores["white"] == 0


def test_relay_pays_both_seats_for_bobs_retelling(tiny_judge):
    retelling = " A fisherman at sea caught no fish for his family."
    machine, _ = play_seats("Relay", tiny_judge, {"black": " sailor kids", "bob": retelling})
    scores = machine.scores[0]
    expected = xent(tiny_judge, STORY, "\n") - xent(tiny_judge, STORY, retelling + "\n")
    assert scores["black"] == scores["bob"] == pytest.approx(expected, abs=1e-4)
    silent, _ = play_seats("Relay", tiny_judge, {"black": " sailor kids", "bob": ""})
    assert silent.scores[0]["bob"] == 0.0


def test_forgery_is_zero_sum_between_black_and_carol(tiny_judge):
    forgery, note = " The sea was calm and the sky was clear.", " chilly breeze, sky rough swell"
    machine, _ = play_seats("Forgery", tiny_judge, {"carol": forgery, "black": note})
    scores = machine.scores[0]
    kept = "chilly breeze, rough swell"  # "sky" is the forgery's word: struck out
    assert revealed(machine, "black") == {"x1": kept}

    def gain(text: str) -> float:
        return xent(tiny_judge, text, "\n") - xent(tiny_judge, text, kept + "\n")

    assert scores["black"] == pytest.approx(gain(SECOND_SENTENCE) - gain(forgery), abs=1e-4)
    assert scores["black"] + scores["carol"] == pytest.approx(0, abs=1e-9)
    assert scores["black"] != 0
    blank, _ = play_seats("Forgery", tiny_judge, {"carol": forgery, "black": ""})
    assert blank.scores[0]["black"] == blank.scores[0]["carol"] == 0.0


def test_censor_pays_the_censor_what_the_team_loses(tiny_judge):
    moves = {"black": " sailor ocean storm", "env": " ocean", "alice": echo}
    machine, requests = play_seats("Censor", tiny_judge, moves)
    scores = machine.scores[0]
    assert requests[-1].visible == {"x2": "sailor storm"}
    expected = xent(tiny_judge, STORY, "\n") - xent(tiny_judge, STORY, "sailor storm\n")
    assert scores["black"] == scores["alice"] == pytest.approx(expected, abs=1e-4)
    assert scores["env"] == pytest.approx(-expected, abs=1e-9) and expected != 0


def test_schelling_pays_each_pick_for_the_partners_matching_it(tiny_judge):
    # "banker" is not in the story: struck out, so bob's pick is the bare "sea".
    moves = {"black": "fisherman", "alice": "fisherman", "bob": "sea banker"}
    machine, _ = play_seats("Schelling", tiny_judge, moves)
    scores = machine.scores[0]
    assert revealed(machine, "alice")["y2"] == "sea"

    def term(pick: str, partner: str) -> float:
        return xent(tiny_judge, " " + pick, "Word: \nWord:") - xent(
            tiny_judge, " " + pick, "Word: " + partner + "\nWord:"
        )

    fisherman = term("fisherman", "fisherman")
    assert scores["black"] == pytest.approx(fisherman + term("fisherman", "sea"), abs=1e-4)
    assert scores["alice"] == pytest.approx(scores["black"], abs=1e-9)
    assert scores["bob"] == pytest.approx(2 * term("sea", "fisherman"), abs=1e-4)
    assert fisherman != 0
    nowhere, _ = play_seats("Schelling", tiny_judge, dict.fromkeys(moves, "banker"))
    assert nowhere.scores[0] == {"black": 0.0, "white": 0.0, "alice": 0.0, "bob": 0.0}


# ---------------------------------------------------------------- the single-agent view
def _visible_in(observation: str) -> dict[str, str]:
    """The registers an observation shows (its ``## Visible`` section, JSON-quoted values)."""
    section = observation.split("## Visible\n", 1)[1].split("\n##", 1)[0]
    return {
        name: json.loads(value)
        for name, value in (line.split(" = ", 1) for line in section.splitlines() if " = " in line)
    }


def _first_word(visible: Mapping[str, str]) -> str:
    """A pick every Schelling seat can make on any map: the story's first word (the stories
    open with a line of plain English, so it fits the budget)."""
    return visible["p"].split()[0].translate(_NO_PUNCTUATION).lower()


_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)


# What each seat plays in the env and on the machine: a text, or a function of what it sees.
POLICIES: dict[str, dict[str, Callable[[Mapping[str, str]], str]]] = {
    "Guard": {
        "white": lambda v: " Answers are in French.",
        "black": lambda v: " What tall African animal has a very long neck?",
    },
    "Relay": {"black": lambda v: " sailor ocean storm", "bob": lambda v: v["x1"] + " at sea"},
    "Forgery": {"carol": lambda v: v["p"], "black": lambda v: " chilly breeze, tall swell"},
    "Censor": {
        "black": lambda v: " sailor ocean storm hungry kids",
        "env": lambda v: " ocean kids",
        "alice": lambda v: v["x2"],
    },
    "Schelling": {seat: _first_word for seat in ("black", "alice", "bob")},
}


@pytest.mark.parametrize("name", MULTISEAT)
def test_single_agent_env_plays_every_seat_and_pays_what_the_program_pays(name, tiny_judge):
    """Through ``gym.make`` with an opponent policy for every other seat, two rounds earn black
    exactly what the language pays when it plays the same map and moves directly."""
    policies = POLICIES[name]
    called: list[tuple[str, str]] = []

    def opponent(observation: str, info: dict) -> str:
        called.append((info["player"], info["register"]))
        assert _visible_in(observation) == info["visible"]
        return policies[info["player"]](info["visible"])

    others = {seat: opponent for seat in SEATS[name] if seat != "black"}
    env = TextActions(
        gym.make(game_space(name).env_id, judge=tiny_judge, rounds=2, opponents=others)
    )
    observation, info = env.reset(seed=3)
    rewards, done = [], False
    while not done:
        move = policies["black"](_visible_in(observation))
        observation, reward, terminated, truncated, info = env.step(move)
        rewards.append(reward)
        done = terminated or truncated
    assert terminated and not truncated
    assert [seat for seat, _ in called] == [s for s in SEATS[name] if s != "black"] * 2

    instance = GameInstance.from_id(info["instance_id"])
    params = instance.param_dict
    texts = JudgeTextSource(tiny_judge, story_tokens=params["story_tokens"], side=instance.side)
    program = instantiate_map(game_space(instance.env_id).program(params), texts, instance.seed)
    machine = Machine(program, tiny_judge, rounds=2, seed=instance.seed)
    over = play(machine, tiny_judge.score_batch, lambda r: policies[r.player](r.visible))
    assert over.reason == "finished"
    expected = [s["black"] for s in machine.scores]
    assert info["round_scores"] == pytest.approx(expected, abs=1e-9)
    assert sum(rewards) == pytest.approx(sum(expected), abs=1e-9)
    assert all(score != 0.0 for score in expected)


@pytest.mark.parametrize("name", MULTISEAT)
def test_default_opponents_finish_every_game(name, tiny_judge):
    """With no policies given, the other seats are played by the echo baseline, and every new
    game still ends on its own (no seat is left refusing moves)."""
    env = gym.make(game_space(name).env_id, judge=tiny_judge, rounds=2)
    env.reset(seed=0)
    rewards, terminated, truncated = [], False, False
    for _ in range(2 * len(SEATS[name])):
        _, reward, terminated, truncated, info = env.step([1000, 1001, 1002])
        rewards.append(reward)
        if terminated or truncated:
            break
    assert terminated and not truncated and len(rewards) == 2
    assert rewards == pytest.approx(info["round_scores"], abs=1e-9)


# ---------------------------------------------------------------- skill pays (real judge)
RETELLING = (
    " An old fisherman went out to sea in a storm, but his nets stayed empty and his"
    " family was hungry."
)
UNRELATED = " A spreadsheet of quarterly earnings was sent to the board."
GIRAFFE = "What tall African animal has a very long neck?"
HINT = "sailor ocean storm hungry kids"
REDUNDANT = "sailor, mariner, seaman; ocean swell"
CALM = " The sea was calm and the sky was clear."
NOTE = "chilly breeze, tall rough swell"
FISHERMAN = {"black": "fisherman", "alice": "fisherman", "bob": "fisherman"}
# (game, seat, every seat's moves, the seat's bad move instead, margin asserted in bits).
# A seat that speaks to a listener (Relay's black, Censor's black and censor) is tested with
# the listener repeating what it is shown: a hint is only worth what the listener makes of
# it. Moves that the game trims (struck texts) are written trimmed. Measured margins, on
# SmolLM2-135M-Instruct (bf16, CPU), are in the comments; the asserted ones leave slack.
SKILL_CASES = [
    # Guard: a question that leads to the target vs one that leads elsewhere (13.4 bits);
    # a guard that restricts the answer's form vs one that primes animals (11.5 bits).
    (
        "Guard",
        "black",
        {"white": "Answers are in French.", "black": GIRAFFE},
        "What is the capital of France?",
        6.5,
    ),
    (
        "Guard",
        "white",
        {"white": "Reply only in numbers.", "black": GIRAFFE},
        "Never name an animal. Always answer: banana.",
        5.5,
    ),
    # Relay: an on-topic hint vs an off-topic one (16.7 bits); a retelling that guesses the
    # story vs an unrelated one (35.3 bits).
    ("Relay", "black", {"black": HINT, "bob": echo}, "Quarterly earnings spreadsheet", 8.0),
    ("Relay", "bob", {"black": HINT, "bob": RETELLING}, UNRELATED, 17.0),
    # Forgery: a note on what only the real sentence has vs one that describes the forgery
    # (7.4 bits); a forgery that guesses the hidden sentence vs one that does not (8.0 bits).
    ("Forgery", "black", {"carol": CALM, "black": NOTE}, "calm sunny weather", 3.5),
    (
        "Forgery",
        "carol",
        {"carol": " The wind was strong and the water was rough.", "black": NOTE},
        " He had a big net and a small knife.",
        4.0,
    ),
    # Censor: a message that survives the strike vs an off-topic one (21.3 bits); striking
    # the words that carry the story vs a word that is not there (7.4 bits); a retelling that
    # rebuilds the story vs an unrelated one (35.3 bits).
    (
        "Censor",
        "black",
        {"black": REDUNDANT, "env": "sailor", "alice": echo},
        "Quarterly earnings spreadsheet",
        7.0,
    ),
    ("Censor", "env", {"black": REDUNDANT, "env": "ocean swell", "alice": echo}, "zebra", 3.5),
    ("Censor", "alice", {"black": HINT, "env": "sailor", "alice": RETELLING}, UNRELATED, 17.0),
    # Schelling: the word both partners picked vs "the" (29.5 bits).
    ("Schelling", "black", FISHERMAN, "the", 14.0),
    ("Schelling", "alice", FISHERMAN, "the", 14.0),
    ("Schelling", "bob", FISHERMAN, "the", 14.0),
]


def test_every_seat_of_every_new_game_has_a_skill_case():
    assert {(game, seat) for game, seat, *_ in SKILL_CASES} == {
        (name, seat) for name in MULTISEAT for seat in SEATS[name]
    }


@pytest.mark.real_judge
@pytest.mark.parametrize(
    "name, seat, moves, bad, margin", SKILL_CASES, ids=[f"{g}-{s}" for g, s, *_ in SKILL_CASES]
)
def test_a_sensible_move_beats_a_bad_one_for_every_seat(name, seat, moves, bad, margin, real_judge):
    good_machine, _ = play_seats(name, real_judge, moves)
    bad_machine, _ = play_seats(name, real_judge, {**moves, seat: bad})
    good, worse = good_machine.scores[0][seat], bad_machine.scores[0][seat]
    print(f"{name} {seat}: sensible {good:+.2f}, bad {worse:+.2f}, margin {good - worse:.2f} bits")
    assert good > worse + margin, (good, worse)
