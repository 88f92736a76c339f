"""Mutation testing of the core packages, whole or a few modules at a time (`make mutate`).

mutmut (>= 3) reads its configuration only from pyproject.toml's ``[tool.mutmut]``, which
names the whole core and its packages' tests: hours of work on a small machine. Naming modules
narrows both what is mutated and which tests run (each module's package tests plus the module's
own doctests), so one module takes minutes; the table printed at the end is the per-module kill
rate that benchmarks/README.md records (Mutation testing).

Usage (from the repository root)::

    python benchmarks/mutate.py                                  # everything configured
    python benchmarks/mutate.py xent_envs/lang/truth.py          # one module
    python benchmarks/mutate.py xent_envs/envs/maps.py --tests tests/envs/test_xent_env.py
    python benchmarks/mutate.py --report xent_envs/lang/truth.py # table of the last run only
    python benchmarks/mutate.py --retest xent_envs/lang/truth.py # its survivors, after new tests
    mutmut show <mutant name>                                    # the diff of one mutant

A kill is a mutant that makes a test fail or time out; "no tests" mutants (no selected test
runs the function) count against the rate, as the bugs they stand for would go unnoticed.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

__all__ = ["kill_rates", "main", "survivors", "tests_for"]

ROOT = pathlib.Path(__file__).resolve().parents[1]

# The tests that exercise each core package; the longest matching prefix wins.
TESTS_BY_PREFIX = {
    "xent_envs/lang/": ["tests/lang"],
    "xent_envs/judge/": ["tests/judge"],
    "xent_envs/evaluation/": ["tests/evaluation"],
    "xent_envs/games/": ["tests/games", "tests/envs/test_registry.py"],
    "xent_envs/registration.py": ["tests/envs/test_registry.py", "tests/games"],
    "xent_envs/envs/": ["tests/envs"],
}

DETECTED = {"killed", "timeout", "caught by type check"}
# Verdicts worth another run after new tests: survivors, and runs that ended without a verdict
# (a worker killed from outside reads as "segfault").
RETESTED = {"survived", "segfault", "suspicious"}


def tests_for(module: str) -> list[str]:
    """The test paths that run against ``module``: its package's tests and its doctests."""
    prefixes = [p for p in TESTS_BY_PREFIX if module.startswith(p)]
    if not prefixes:
        raise SystemExit(f"{module}: not in the core packages {sorted(TESTS_BY_PREFIX)}")
    return [*TESTS_BY_PREFIX[max(prefixes, key=len)], module]


def survivors(modules: list[str]) -> list[str]:
    """The mutants of ``modules`` that survived the last run or got no verdict in it."""
    from mutmut.stats import status_by_exit_code

    names: list[str] = []
    for module in modules:
        meta = ROOT / "mutants" / f"{module}.meta"
        if meta.exists():
            exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
            names += [
                name for name, code in exit_codes.items() if status_by_exit_code[code] in RETESTED
            ]
    return sorted(names)


def kill_rates(modules: list[str]) -> list[dict[str, object]]:
    """Per module, how many mutants each verdict got in mutants/ (the last run's results)."""
    from mutmut.stats import status_by_exit_code

    rows: list[dict[str, object]] = []
    for module in modules:
        meta = ROOT / "mutants" / f"{module}.meta"
        if not meta.exists():
            continue
        exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
        counts: dict[str, int] = {}
        for code in exit_codes.values():
            status = status_by_exit_code[code]
            counts[status] = counts.get(status, 0) + 1
        checked = sum(n for s, n in counts.items() if s not in {"not checked", "skipped"})
        detected = sum(counts.get(s, 0) for s in DETECTED)
        rows.append(
            {
                "module": module,
                "mutants": checked,
                "killed": detected,
                "survived": counts.get("survived", 0),
                "no tests": counts.get("no tests", 0),
                "other": checked - detected - counts.get("survived", 0) - counts.get("no tests", 0),
                "kill rate": f"{100 * detected / checked:.1f}%" if checked else "-",
            }
        )
    return rows


def print_table(rows: list[dict[str, object]]) -> None:
    if not rows:
        print("no mutation results in mutants/: run without --report first")
        return
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join("---" for _ in columns) + "|")
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")


def configured_modules() -> list[str]:
    from mutmut.configuration import config

    return sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "xent_envs").rglob("*.py")
        if "mutants" not in p.parts and config().should_mutate(str(p.relative_to(ROOT)))
    )


def fresh_tree_unless_same(selection: dict[str, list[str]]) -> None:
    """Start from an empty mutants/ when the modules or tests differ from the last run's.

    mutmut decides that a file is already mutated from its copy's modification time, so a
    module left out of the last run would stay unmutated (and score no mutants) in this one.
    """
    import shutil

    record = ROOT / "mutants" / "selection.json"
    if record.exists() and json.loads(record.read_text()) == selection:
        return
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    record.parent.mkdir()
    record.write_text(json.dumps(selection))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="source files to mutate (default: all core)")
    parser.add_argument("--tests", nargs="+", help="test paths to run instead of the packages'")
    parser.add_argument("--max-children", type=int, default=2, help="parallel mutant runs")
    parser.add_argument("--report", action="store_true", help="print the last run's table")
    parser.add_argument(
        "--retest",
        action="store_true",
        help="test the surviving mutants again (mutmut keeps earlier verdicts otherwise)",
    )
    args = parser.parse_args(argv)

    import os

    os.chdir(ROOT)  # mutmut reads ./pyproject.toml and writes ./mutants
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from mutmut.configuration import config

    modules = [m.removeprefix("./") for m in args.modules] or configured_modules()
    for module in modules:
        if not (ROOT / module).is_file() or not config().should_mutate(module):
            raise SystemExit(f"{module}: not a module [tool.mutmut] mutates (pyproject.toml)")
    if not args.report:
        if args.modules:
            # mutmut has no command-line override; its configuration object is read once.
            config().only_mutate = modules
            selection = args.tests or sorted({t for m in modules for t in tests_for(m)})
            config().pytest_add_cli_args_test_selection = selection
        elif args.tests:
            config().pytest_add_cli_args_test_selection = args.tests
        fresh_tree_unless_same(
            {"modules": modules, "tests": config().pytest_add_cli_args_test_selection}
        )
        from mutmut.__main__ import cli

        try:
            names = survivors(modules) if args.retest else []
            if args.retest and not names:
                print("no surviving mutants to test again")
                print_table(kill_rates(modules))
                return 0
            cli(["run", "--max-children", str(args.max_children), *names], standalone_mode=False)
        except SystemExit as stop:
            if stop.code:
                return int(stop.code) if isinstance(stop.code, int) else 1
    print_table(kill_rates(modules))
    return 0


if __name__ == "__main__":
    sys.exit(main())
