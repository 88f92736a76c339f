"""The ``xent-envs`` subcommands of the open game space: ``sample``, ``evolve``, ``cover``.

::

    xent-envs sample --n 20 --seed 0 --out DIR [--playable --judge J --maps 2]
    xent-envs evolve --generations G --population P --seed S --out DIR [--judge J --maps 2]
    xent-envs cover SOURCE --k 8 [--method facility|kcentre] --out suite.json

``sample`` writes ``<name>.xent`` + ``<name>.toml`` per game and a ``manifest.json``;
``--playable`` keeps only games that pass every playability filter. ``evolve`` runs (or
resumes) a MAP-Elites evolution in ``DIR``. ``cover`` chooses ``k`` games covering an archive
(an evolution folder or its ``archive.json``), or a folder of ``.xent`` games (profiled with
``--judge``), and writes them as a suite file for ``xent-envs eval --suite``.

The CLI adds them with ``add_commands(subparsers)``; each ``cmd_*`` returns an exit status
and raises ``XentError`` subclasses for user errors (the CLI prints them and exits with 1).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from xent_envs.judge.models import DEFAULT_JUDGE

__all__ = ["add_commands", "cmd_cover", "cmd_evolve", "cmd_sample"]


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def add_commands(subparsers: Any) -> None:
    """Add ``sample``, ``evolve`` and ``cover`` to the CLI's subparsers."""
    p = subparsers.add_parser("sample", help="sample new game programs (.xent + .toml cards)")
    p.add_argument("--n", type=int, default=20, help="games to write (default 20)")
    p.add_argument("--seed", type=int, default=0, help="sampler seed (default 0)")
    p.add_argument("--out", required=True, help="folder for the games and manifest.json")
    p.add_argument(
        "--playable",
        action="store_true",
        help="keep only games that pass every playability filter (uses the judge)",
    )
    p.add_argument("--judge", default=DEFAULT_JUDGE, help=f"judge (default {DEFAULT_JUDGE})")
    p.add_argument("--maps", type=int, default=2, help="maps the filters probe (default 2)")
    p.set_defaults(func=cmd_sample)

    p = subparsers.add_parser(
        "evolve", help="evolve a MAP-Elites archive of playable games; resumes in --out"
    )
    p.add_argument("--generations", type=int, default=5, help="generations in all (default 5)")
    p.add_argument("--population", type=int, default=16, help="candidates per generation")
    p.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    p.add_argument("--out", required=True, help="run folder (resumed when it holds the run)")
    p.add_argument("--judge", default=DEFAULT_JUDGE, help=f"judge (default {DEFAULT_JUDGE})")
    p.add_argument("--maps", type=int, default=2, help="maps per candidate (default 2)")
    p.add_argument("--builtins", action="store_true", help="add the built-in games to generation 0")
    p.set_defaults(func=cmd_evolve)

    p = subparsers.add_parser(
        "cover", help="choose k games covering an archive; write a suite file"
    )
    p.add_argument(
        "source", help="an evolution folder, an archive.json, or a folder of .xent games"
    )
    p.add_argument("--k", type=int, default=8, help="games to choose (default 8)")
    p.add_argument(
        "--method", choices=("facility", "kcentre"), default="facility", help="covering measure"
    )
    p.add_argument("--out", required=True, help="the suite file to write (JSON)")
    p.add_argument("--maps", type=int, default=2, help="maps per game in the suite (default 2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the suite's maps (default 0)")
    p.add_argument("--judge", default=DEFAULT_JUDGE, help="judge that profiles .xent folders")
    p.add_argument(
        "--probe-maps", type=int, default=2, help="maps the probes play per .xent game (default 2)"
    )
    p.set_defaults(func=cmd_cover)


def cmd_sample(args: argparse.Namespace) -> int:
    from xent_envs.errors import ConfigError
    from xent_envs.files import atomic_write_json
    from xent_envs.generation.sampler import DEFAULT_CONFIG, sample_games

    if args.n < 1:
        raise ConfigError(f"--n must be at least 1, got {args.n}")
    out = Path(args.out)
    judge = _judge(args.judge) if args.playable else None
    manifest: list[dict[str, Any]] = []
    tally: Counter[str] = Counter()
    kept = drawn = 0
    limit = args.n * (50 if args.playable else 1)
    for game_seed, game in sample_games(limit, args.seed, DEFAULT_CONFIG):
        drawn += 1
        entry: dict[str, Any] = {"name": game.name, "digest": game.digest, "seed": game_seed}
        if judge is not None:
            from xent_envs.generation.filters import evaluate

            evaluation = evaluate(game, judge, maps=args.maps, seed=args.seed, early_stop=False)
            for result in evaluation.results:
                tally[f"{result.name}:{result.passed}"] += 1
            entry["evaluation"] = evaluation.to_json()
            entry["passed"] = evaluation.passed
            failed = evaluation.failed
            if failed is not None:
                _err(f"{game.name}  dropped ({failed.name}: {failed.detail})")
                manifest.append(entry)
                continue
        game.write(out)
        entry["summary"] = game.card.summary
        manifest.append(entry)
        kept += 1
        print(f"{out / (game.name + '.xent')}  {game.card.summary}")
        if kept >= args.n:
            break
    atomic_write_json(out / "manifest.json", {"seed": args.seed, "drawn": drawn, "games": manifest})
    if judge is not None:
        rates = ", ".join(
            f"{name} {tally[name + ':True']}/{tally[name + ':True'] + tally[name + ':False']}"
            for name in ("static", "varies", "skill", "trivial", "completes", "cost")
        )
        _err(f"filters passed: {rates}")
    print(f"{kept} games written to {out} ({drawn} drawn); manifest: {out / 'manifest.json'}")
    return 0


def cmd_evolve(args: argparse.Namespace) -> int:
    from xent_envs.generation.evolution import EvolutionConfig, evolve

    config = EvolutionConfig(
        generations=args.generations,
        population=args.population,
        seed=args.seed,
        maps=args.maps,
        builtins=args.builtins,
    )
    judge = _judge(args.judge)
    try:
        archive, history = evolve(config, args.out, judge, log=_err)
    except KeyboardInterrupt:
        _err(
            f"\nInterrupted: every evaluated candidate is saved in {args.out}; run the same "
            "command again to resume."
        )
        return 130
    print(
        f"{len(archive)} elites ({100 * archive.coverage:.1f}% of the grid) after "
        f"{len(history)} generations; archive: {Path(args.out) / 'archive.json'}, games: "
        f"{Path(args.out) / 'games'}"
    )
    return 0


def cmd_cover(args: argparse.Namespace) -> int:
    from xent_envs.errors import ConfigError
    from xent_envs.generation.covering import coverage, distance_matrix, select
    from xent_envs.generation.suite import Suite

    if args.k < 1 or args.maps < 1:
        raise ConfigError(f"--k and --maps must be at least 1, got {args.k} and {args.maps}")
    definitions, profiles = _pool(Path(args.source), args)
    if not definitions:
        raise ConfigError(f"{args.source} holds no games to choose from")
    distances = distance_matrix([p.vector() for p in profiles])
    chosen = select(distances, args.k, args.method)
    measure = {
        "method": args.method,
        "k": len(chosen),
        "pool": len(definitions),
        "distance": "euclidean distance of centred, unit-length probe profiles",
        **coverage(distances, chosen),
    }
    suite = Suite.of(
        Path(args.out).stem,
        [definitions[i] for i in chosen],
        maps=args.maps,
        seed=args.seed,
        description=f"{len(chosen)} games covering {args.source} ({args.method})",
        measure=measure,
    )
    suite.write(args.out)
    for i in chosen:
        print(f"{definitions[i].name}  {definitions[i].summary}")
    print(
        f"suite of {len(chosen)} of {len(definitions)} games written to {args.out}: covering "
        f"radius {measure['radius']:.3f}, mean distance {measure['mean_distance']:.3f}"
    )
    return 0


def _pool(source: Path, args: argparse.Namespace) -> tuple[list[Any], list[Any]]:
    """Definitions and profiles of the games ``cover`` chooses from."""
    from xent_envs.errors import ConfigError
    from xent_envs.generation.archive import Archive
    from xent_envs.generation.filters import profile_game
    from xent_envs.generation.game import GeneratedGame

    archive_file = source / "archive.json" if source.is_dir() else source
    if archive_file.exists() and archive_file.suffix == ".json":
        elites = Archive.load(archive_file).elites()
        return [e.game.definition() for e in elites], [e.profile for e in elites]
    if not source.is_dir():
        raise ConfigError(
            f"{source}: expected an evolution folder, an archive.json or a folder of .xent games"
        )
    judge = _judge(args.judge)
    definitions, profiles = [], []
    for path in sorted(source.glob("*.xent")):
        definition = GeneratedGame.read(path).definition()
        _err(f"profiling {definition.name}...")
        definitions.append(definition)
        profiles.append(profile_game(definition, judge, maps=args.probe_maps, seed=args.seed))
    return definitions, profiles


def _judge(name: str) -> Any:
    from xent_envs.judge import load_judge

    _err(f"Loading the judge {name!r}...")
    return load_judge(name)
