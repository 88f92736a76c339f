"""The parity table: the six reference games played by the reference engine (``xent==0.5.0``)
and by ours, on the same model, literal map texts and scripted moves (``tests/parity``).

Run from the repository root (the reference engine is a test dependency)::

    pip install --no-deps --ignore-requires-python xent==0.5.0
    python benchmarks/parity.py [--model FOLDER]

By default both engines load the tiny random GPT-2 of the tests, saved to a temporary folder,
in float32; ``--model`` takes any local causal LM folder instead (loaded in float32 by both).
Prints a Markdown table: per case, black's score per round in each engine (bits), the largest
difference, and whether the game flow (requests, moves as kept, refusals, reveals, rewards)
is the same. Exit status 1 when a case differs other than as documented.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The harness lives with the tests it serves.
from tests.parity.harness import (
    Flow,
    ReferenceMissingError,
    load_reference,
    play_project,
    play_reference,
    project_judge,
    reference_game,
    reference_judge,
    same_flow,
    save_tiny_model,
)
from tests.parity.scripts import CASES, KNOWN_DEVIATIONS, STORIES


def scores(flow: Flow) -> str:
    if flow.outcome != "finished":
        return "truncated" if flow.outcome == "ensure_limit" else flow.outcome
    return " / ".join(f"{bits:.4f}" for bits in flow.rounds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="a local model folder (default: tiny GPT-2)")
    args = parser.parse_args(argv)
    try:
        ref = load_reference()
    except ReferenceMissingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.model or save_tiny_model(Path(tmp) / "tiny-random-gpt2")
        theirs, ours = reference_judge(ref, folder), project_judge(folder)
        print(
            f"Model: {folder.name} (float32); reference xent==0.5.0; project "
            "score_first_token=False.\n"
        )
        print("| game | moves | reference (bits) | project (bits) | max diff | flow |")
        print("|---|---|---:|---:|---:|---|")
        failures = 0
        for case in CASES:
            source = reference_game(ref, case.game)
            expected = play_reference(ref, source, STORIES, case.moves, theirs, case.rounds)
            played = play_project(source, STORIES, case.moves, ours, case.rounds)
            diffs = [abs(a - b) for a, b in zip(expected.rounds, played.rounds)]
            diff = f"{max(diffs):.1e}" if diffs and expected.outcome == played.outcome else "-"
            reference_scores = scores(expected)
            if expected.outcome == "ensure_limit":
                reference_scores = "error (ensure limit)"
            if case.id in KNOWN_DEVIATIONS:
                flow = f"deviation: {KNOWN_DEVIATIONS[case.id]}"
            else:
                problem = same_flow(expected, played)
                flow = "same" if problem is None else f"**differs**: {problem}"
                failures += problem is not None
            label = case.label + (f" ({case.rounds} rounds)" if case.rounds > 1 else "")
            print(
                f"| {case.game} | {label} | {reference_scores} | {scores(played)} | {diff} "
                f"| {flow} |"
            )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
