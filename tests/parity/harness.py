"""Both engines side by side: the reference engine (``xent==0.5.0``) and ours, on the same
model, the same literal map texts and the same scripted moves.

The reference engine is driven the way its benchmark drives it, minus its LLM players:
``preprocess_dsl_code`` writes the map texts into the game as literals, a ``XentRuntime``
holds a scripted player, and ``play_single_game`` plays each round. Its LLM client module
(which imports the Anthropic, Google, Ollama and OpenAI SDKs) is replaced by a stub when those
SDKs are absent: no scripted game reaches it.

Install the reference engine (test-only) with::

    pip install --no-deps --ignore-requires-python xent==0.5.0

(it declares Python >= 3.12 and heavy dependencies it does not need to score games; on 3.11
its scoring code runs unchanged.)
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.metadata
import io
import logging
import math
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xent_envs.lang import (
    ElicitEvent,
    EnsureFailedEvent,
    GameOver,
    Machine,
    MoveEvent,
    RevealEvent,
    RewardEvent,
    RoundEndEvent,
    ScoreRequest,
    instantiate_map,
    load,
)

__all__ = [
    "INSTALL",
    "REFERENCE_VERSION",
    "Flow",
    "ReferenceMissingError",
    "TextsInOrder",
    "load_reference",
    "play_project",
    "play_reference",
    "project_judge",
    "reference_game",
    "reference_judge",
    "same_flow",
    "save_tiny_model",
]

REFERENCE_VERSION = "0.5.0"
INSTALL = f"pip install --no-deps --ignore-requires-python xent=={REFERENCE_VERSION}"


class ReferenceMissingError(RuntimeError):
    """The reference engine cannot be imported (the message says how to install it)."""


class OutOfMovesError(LookupError):
    """A game asked for more moves than its script holds (scripts are written for the tiny
    test model; on another model an ``ensure`` may refuse more moves)."""


def load_reference() -> types.SimpleNamespace:
    """The parts of the reference engine the harness drives.

    Raises:
        ReferenceMissingError: ``xent`` is not installed, or not version 0.5.0.
    """
    try:
        version = importlib.metadata.version("xent")
    except importlib.metadata.PackageNotFoundError:
        version = None
    if version != REFERENCE_VERSION:
        found = "is not installed" if version is None else f"is version {version}"
        raise ReferenceMissingError(
            f"the parity tests compare with the reference engine xent=={REFERENCE_VERSION}, "
            f"which {found}; install it (test-only) with: {INSTALL}"
        )
    client = "xent.runtime.players.llm_api_client"
    try:
        importlib.import_module(client)
    except ImportError:  # the LLM SDKs are absent; scripted games never make a client
        stub = types.ModuleType(client)

        def make_client(options: Any) -> Any:
            raise RuntimeError("the parity harness plays scripted moves; no LLM client")

        stub.make_client = make_client  # type: ignore[attr-defined]
        sys.modules[client] = stub
    return types.SimpleNamespace(
        execution=importlib.import_module("xent.runtime.execution"),
        runtime=importlib.import_module("xent.runtime.runtime"),
        variables=importlib.import_module("xent.runtime.variables"),
        judge=importlib.import_module("xent.runtime.judge"),
        players=importlib.import_module("xent.runtime.players.base_player"),
        expand=importlib.import_module("xent.benchmark.expand_benchmark"),
        presentation=importlib.import_module("xent.presentation.executor"),
        x_string=importlib.import_module("xent.common.x_string"),
        x_list=importlib.import_module("xent.common.x_list"),
        games=Path(importlib.import_module("xent.games").__file__ or "").parent,
    )


def reference_game(ref: types.SimpleNamespace, name: str) -> str:
    """The source of one of the six game files shipped with the reference engine."""
    return (ref.games / f"{name}.xent").read_text()


def save_tiny_model(folder: Path) -> Path:
    """The tiny random GPT-2 of the tests, saved (float32) where both engines can load it."""
    from xent_envs.judge.tiny import tiny_random_gpt2

    model, tokenizer, _ = tiny_random_gpt2()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def reference_judge(ref: types.SimpleNamespace, folder: Path) -> Any:
    """The reference engine's judge on the model in ``folder``, in float32."""
    import torch

    return ref.judge.Judge(folder.name, str(folder.parent), model_params={"dtype": torch.float32})


def project_judge(folder: Path) -> Any:
    """Our judge on the model in ``folder``, in float32, with the reference's convention (the
    first token of a text is not scored)."""
    from xent_envs.judge import load_judge

    return load_judge(str(folder), dtype="float32", score_first_token=False)


@dataclass
class Flow:
    """What happened in a game, in a form both engines produce.

    ``events``: ``("elicit", register, line)``, ``("move", text)``, ``("ensure_failed",
    line)``, ``("reveal", {register: text})``, ``("reward", player, bits)``, lines 1-based.
    ``rounds``: black's score per finished round. ``outcome``: ``"finished"``,
    ``"ensure_limit"``, ``"out of moves"`` or ``"error: ..."``.
    """

    events: list[tuple[Any, ...]] = field(default_factory=list)
    rounds: list[float] = field(default_factory=list)
    outcome: str = "finished"


class TextsInOrder:
    """Map texts handed out in call order: ``story()`` for both engines (the reference asks
    through ``generate_text``), whatever the seed."""

    def __init__(self, stories: Sequence[str]) -> None:
        self.stories = list(stories)
        self.calls = 0

    def _next(self) -> str:
        self.calls += 1
        return self.stories[(self.calls - 1) % len(self.stories)]

    def story(self, seed: int) -> str:
        return self._next()

    def generate_text(self) -> str:
        return self._next()

    def generate_list(self, prompt: str, n: int, seed: int) -> list[str]:
        raise NotImplementedError

    def generate_masked(self, n: int, seed: int) -> list[str]:
        raise NotImplementedError

    def generate_list_next_token(self, n: int, seed: int) -> list[str]:
        raise NotImplementedError


def play_project(
    source: str, stories: Sequence[str], moves: Sequence[str], judge: Any, rounds: int = 1
) -> Flow:
    """Our engine: load the game, write the map texts in, play the moves in order."""
    program = instantiate_map(load(source), TextsInOrder(stories), seed=0)
    machine = Machine(program, judge, rounds=rounds)
    queue = list(moves)
    flow = Flow()
    while not isinstance(request := machine.advance(), GameOver):
        if isinstance(request, ScoreRequest):
            machine.provide_scores(judge.score_batch(request.items))
        elif queue:
            machine.provide_move(queue.pop(0))
        else:
            flow.outcome = "out of moves"
            break
    else:
        flow.outcome = request.reason
    for event in machine.events:
        if isinstance(event, ElicitEvent):
            flow.events.append(("elicit", event.register, event.line))
        elif isinstance(event, MoveEvent):
            flow.events.append(("move", event.text))
        elif isinstance(event, EnsureFailedEvent):
            flow.events.append(("ensure_failed", event.line))
        elif isinstance(event, RevealEvent):
            flow.events.append(("reveal", dict(event.values)))
        elif isinstance(event, RewardEvent):
            flow.events.append(("reward", event.player, event.score.total))
        elif isinstance(event, RoundEndEvent):
            flow.rounds.append(event.scores["black"])
    return flow


def play_reference(
    ref: types.SimpleNamespace,
    source: str,
    stories: Sequence[str],
    moves: Sequence[str],
    judge: Any,
    rounds: int = 1,
) -> Flow:
    """The reference engine: its own map-text rewriting, runtime and round loop (those of
    ``play_game``), with a scripted player; an exception ends the game as its benchmark
    records it."""
    code = ref.expand.preprocess_dsl_code(source, TextsInOrder(stories))
    game_map = {
        "game_map": {
            "name": "parity",
            "code": code,
            "presentation_function": ref.presentation.get_default_presentation(),
            "map_seed": "0",
        },
        "metadata": {
            "benchmark_id": "parity",
            "xent_version": REFERENCE_VERSION,
            "judge_model": "tiny",
            "num_rounds_per_game": rounds,
            "seed": "0",
        },
        "player": {"name": "black", "id": "scripted", "player_type": "scripted", "options": None},
    }
    player = _scripted_player(ref, game_map, moves)
    locals_ = ref.variables.build_locals(player, [], game_map)
    runtime = ref.runtime.XentRuntime(player, [], locals_, ref.variables.build_globals(judge))
    lines = [line.strip() for line in code.split("\n")]
    flow = Flow()
    for index in range(rounds):
        try:
            with _quiet():
                result = asyncio.run(ref.execution.play_single_game(lines, runtime, index))
        except Exception as error:  # the reference ends the game on any error
            if isinstance(error.__cause__, OutOfMovesError):
                flow.outcome = "out of moves"
            elif "Ensure limit exceeded" in str(error):
                flow.outcome = "ensure_limit"
            else:
                flow.outcome = f"error: {type(error).__name__}"
            flow.events += _reference_events(runtime.history)
            return flow
        flow.events += _reference_events(result["history"])
        flow.rounds.append(float(result["score"]))
    return flow


@contextlib.contextmanager
def _quiet() -> Any:
    """The reference engine prints every move and logs every error it raises: silence both
    while it plays (the harness reports what matters)."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(previous)


def _reference_events(history: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    events: list[tuple[Any, ...]] = []
    for event in history:
        kind = event["type"]
        if kind == "elicit_request":
            events.append(("elicit", event["var_name"], event["line_num"] + 1))
        elif kind == "elicit_response":
            events.append(("move", str(event["response"])))
        elif kind == "failed_ensure":
            events.append(("ensure_failed", event["line_num"] + 1))
        elif kind == "reveal":
            events.append(("reveal", {k: str(v) for k, v in event["values"].items()}))
        elif kind == "reward":
            events.append(("reward", event["player"], float(event["value"].total_xent())))
    return events


def _scripted_player(ref: types.SimpleNamespace, game_map: dict, moves: Sequence[str]) -> Any:
    base = ref.players

    class ScriptedPlayer(base.XGP):  # type: ignore[name-defined]
        """Black, playing the given moves in order."""

        def __init__(self) -> None:
            super().__init__("black", "scripted", None, game_map)
            self.queue = list(moves)

        def serialize(self) -> dict[str, Any]:
            return {}

        @classmethod
        def deserialize(cls, data: dict[str, Any]) -> Any:
            raise NotImplementedError

        def add_score(self, score: float) -> None:
            self.score += score

        def get_score(self) -> float:
            return self.score

        def reset_score(self) -> None:
            self.score = 0.0

        async def make_move(self, var_name: str, register_states: Any) -> Any:
            if not self.queue:
                raise OutOfMovesError(var_name)
            usage = {"input_tokens": 0, "output_tokens": 0}
            return base.MoveResult(self.queue.pop(0), usage, [], "")

        async def post(self, event: Any) -> None:
            return None

    return ScriptedPlayer()


def same_flow(reference: Flow, project: Flow, tolerance: float = 1e-4) -> str | None:
    """None when both engines played the same game (bits within ``tolerance``), else what
    differs. Where the reference ends a game on its eleventh failed ``ensure`` it raises
    before logging that failure; ours logs it, then truncates."""
    ours = list(project.events)
    if reference.outcome == project.outcome == "ensure_limit" and ours[-1][0] == "ensure_failed":
        ours = ours[:-1]
    if reference.outcome != project.outcome:
        return f"outcome: reference {reference.outcome}, project {project.outcome}"
    if len(reference.events) != len(ours):
        return f"{len(reference.events)} events in the reference, {len(ours)} in the project"
    for theirs, mine in zip(reference.events, ours):
        if theirs[0] != mine[0] or (theirs[0] != "reward" and theirs != mine):
            return f"event differs: reference {theirs}, project {mine}"
        if theirs[0] == "reward" and (
            theirs[1] != mine[1] or not math.isclose(theirs[2], mine[2], abs_tol=tolerance)
        ):
            return f"reward differs: reference {theirs}, project {mine}"
    if len(reference.rounds) != len(project.rounds) or any(
        not math.isclose(a, b, abs_tol=tolerance) for a, b in zip(reference.rounds, project.rounds)
    ):
        return f"round scores: reference {reference.rounds}, project {project.rounds}"
    return None
