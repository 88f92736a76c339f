"""The ``xent-envs`` command.

::

    xent-envs list [-v] [--json]                 games, their parameters and rules
    xent-envs check FILE.xent [-p NAME=VALUE]    validate a game file (errors with line and caret)
    xent-envs play GAME [--judge J] [--seed S]   play a game in the terminal
    xent-envs eval --agent hf,search,random --games Condense,Taboo --maps 2 --judge smollm2-135m \\
                   --out results/                evaluate agents; resumes or grows a run
                   [--concurrency K] [--backend ray [--address ADDR] [--workers N]]
    xent-envs eval --seats black=search,white=hf --seats black=hf,white=search --games Debate
                                                 self-play: agents seated against each other
    xent-envs serve-judge --judge smollm2-135m --port 8000    a judge over HTTP
    xent-envs train --game Condense --policy smollm2-135m --steps 60 --out runs/x
                                                 train with GRPO, test on held-out maps
    xent-envs maps build --game Condense --split train --n 1000 --out pools/condense
                                                 pre-generate maps (resumable, --workers N)
    xent-envs maps info pools/condense [--check] what a map pool holds
    xent-envs serve [--port 8000] [--results DIR]  the web page: play games, read results
    xent-envs sample --n 20 --out games/      draw new playable games from the open game space
    xent-envs evolve --generations 10 --out archive/   MAP-Elites over game programs
    xent-envs cover archive/ --k 12 --out suite/  a covering suite of games (eval --suite)

Agents for ``eval`` are named by an entry point of the group ``xent_envs.agents`` (``random``,
``search``, ``hf``, ``openai``, ``human`` and those of installed plug-ins), by
``package.module:Class``, or as ``LABEL=SOURCE`` to run one agent twice with other options
(``--agent s16=search -O s16.budget=16``). ``--seats SEAT=AGENT,...`` (repeatable) seats
agents against each other: an agent there is a label of ``--agent`` (with its options) or any
agent name; the report adds a head-to-head table.

Exit status: 0 on success, 1 on a user error (bad name, bad file, conflicting results folder),
130 when interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xent_envs.evaluation.scoring import DEFAULT_BASELINE, NORMALISATIONS
from xent_envs.judge.models import DEFAULT_JUDGE
from xent_envs.maps.sources import DEFAULT_TEXT_SOURCE

if TYPE_CHECKING:
    from xent_envs.evaluation import EvalConfig

__all__ = ["build_parser", "eval_backend", "eval_config", "main"]


def _value(text: str) -> Any:
    """A command-line value: JSON when it parses (numbers, true, null, lists), else a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _pairs(items: Sequence[str], what: str, dotted: bool) -> dict[str, Any]:
    """``NAME=VALUE`` (or ``OWNER.NAME=VALUE`` when ``dotted``) items as a (nested) dict."""
    from xent_envs.errors import ConfigError

    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        owner, dot, name = key.rpartition(".")  # an owner may hold dots (package.module:Class)
        if not sep or not key or (dotted and not (dot and owner and name)):
            form = "OWNER.NAME=VALUE" if dotted else "NAME=VALUE"
            raise ConfigError(f"{what} must look like {form}, got {item!r}")
        if dotted:
            out.setdefault(owner, {})[name] = _value(raw)
        else:
            out[key] = _value(raw)
    return out


def _agent_names() -> list[str]:
    from xent_envs.evaluation.agent import agent_names

    return agent_names()


def _split(values: Sequence[str] | None) -> list[str]:
    """``--agent a,b --agent c`` -> ``[a, b, c]``."""
    return [v.strip() for item in values or () for v in item.split(",") if v.strip()]


# -- list --------------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    import xent_envs

    if args.markdown:
        from xent_envs.games.readme import render_readme

        print(render_readme(), end="")
        return 0
    games = xent_envs.list_games()
    if args.json:
        data = [
            {
                "name": g.name,
                "version": g.version,
                "env_id": g.env_id,
                "summary": g.definition.summary,
                "description": g.description,
                "parameters": [p.to_json() for p in g.parameters],
            }
            for g in games
        ]
        print(json.dumps(data, indent=1))
        return 0
    for g in games:
        if args.verbose:
            print(g.describe().rstrip() + "\n")
            continue
        summary = g.definition.summary or g.rules().split(". ")[0]
        print(f"{g.name}  ({g.env_id})\n  {summary}")
        for p in g.parameters:
            print(f"    {p.describe()}")
        print()
    print(f"{len(games)} games. `xent-envs list -v` shows the full rules.")
    return 0


# -- check -------------------------------------------------------------------------------
def cmd_check(args: argparse.Namespace) -> int:
    """Check a game file with the card beside it, at the card's defaults overridden by
    ``-p`` values (validated by the card), as ``register_game(path=...)`` would load it."""
    from xent_envs.errors import XentSyntaxError, caret_block
    from xent_envs.games import GameSpace, load_game_file

    path = Path(args.file)
    space = GameSpace(load_game_file(path))
    fixed = _pairs(args.param, "--param", dotted=False)
    try:
        space.program(fixed)
    except XentSyntaxError as exc:
        text = f"{path}:{exc.line or '?'}:{exc.column or '?'}: error: {exc.message}"
        if exc.hint:
            text += f" ({exc.hint})"
        lines = space.definition.source.splitlines()
        shown = exc.source_line
        if shown is None and exc.line is not None and 0 < exc.line <= len(lines):
            shown = lines[exc.line - 1]
        text += caret_block(shown, exc.column or 1)
        print(text, file=sys.stderr)
        return 1
    params = space.program_params(space.resolve(fixed))
    shown = f" (parameters: {', '.join(f'{k}={v!r}' for k, v in params.items())})" if params else ""
    print(f"{path}: OK{shown}")
    return 0


# -- play --------------------------------------------------------------------------------
def cmd_play(args: argparse.Namespace) -> int:
    import gymnasium as gym

    import xent_envs
    from agents.human_agent import HumanAgent

    space = xent_envs.game_space(args.game)
    params = _pairs(args.param, "--param", dotted=False)
    if args.rounds is not None:
        params["rounds"] = args.rounds
    print(f"Loading the judge {args.judge!r}...", flush=True)
    env = gym.make(space.env_id, judge=args.judge, **params)
    agent = HumanAgent()
    agent.reset(env, seed=args.seed)
    obs, info = env.reset(seed=args.seed)
    try:
        while True:
            action = agent.act(obs, info)
            obs, reward, terminated, truncated, info = env.step(action)
            if info.get("invalid_action"):
                print(f"Rejected: {info.get('reason')}")
                continue
            if info.get("ensure_failed") and not (terminated or truncated):
                # the next observation's feedback says why
                print(f"\nYour move {info.get('move')!r} was refused; try again.")
                continue
            print(f"\nYou played {info.get('move')!r}: {reward:+.2f} bits")
            detail = "  ".join(
                f"{tok!r}:{bits:+.1f}" for tok, bits in info.get("token_rewards", [])[:40]
            )
            if detail:
                print(f"  per token: {detail}")
            if terminated or truncated:
                break
    except EOFError:  # Ctrl-D: the player is done
        print("\nBye.")
        return 0
    finally:
        env.close()
    print(f"\n{obs}\n")
    scores = info.get("round_scores", [])
    if scores:
        print(f"Map score (best round): {max(scores):+.2f} bits")
    return 0


# -- eval --------------------------------------------------------------------------------
def eval_config(args: argparse.Namespace) -> EvalConfig:
    """The ``EvalConfig`` of ``xent-envs eval``'s arguments.

    Raises:
        ConfigError: a malformed ``--agent``, ``--seats``, ``-O`` or ``-p`` item, or neither
            ``--agent`` nor ``--seats``.
        UnknownNameError: ``-O`` for an agent that neither ``--agent`` nor ``--seats``
            names, or an agent in ``--seats`` that is neither a label of ``--agent`` nor an
            installed agent (the message lists both).
    """
    from xent_envs.errors import ConfigError, UnknownNameError, unknown_name
    from xent_envs.evaluation import AgentSpec, EvalConfig, Lineup

    options = _pairs(args.agent_option, "--agent-option", dotted=True)
    specs = [AgentSpec.parse(item) for item in _split(args.agent)]
    if not specs and not args.seats:
        raise ConfigError("name the agents to evaluate: --agent NAMES and/or --seats SEAT=AGENT")
    names = [spec.name for spec in specs]
    lineups = [Lineup.parse(item) for item in args.seats]
    seated = [spec.name for lineup in lineups for spec in lineup.seats.values()]
    for name in seated:
        if name not in names and ":" not in name and name not in _agent_names():
            raise UnknownNameError(
                unknown_name("agent", name, [*names, *_agent_names()], where=" in --seats")
                + " An agent in --seats is a label of --agent, an installed agent or "
                "package.module:Class."
            )
    for owner in options:
        if owner not in names and owner not in seated:
            raise UnknownNameError(
                unknown_name("agent", owner, [*names, *seated], where=" in --agent-option")
            )
    defined = {s.name: AgentSpec(s.name, s.source, options.get(s.name, {})) for s in specs}
    for name in seated:
        defined.setdefault(name, AgentSpec(name, None, options.get(name, {})))
    games = tuple(_split(args.games))
    params = _pairs(args.param, "--param", dotted=True)
    seeds: dict[str, tuple[int, ...]] = {}
    if args.suite is not None:
        from xent_envs.generation.suite import load_suite

        if games:
            raise ConfigError("--suite names the games to play; drop --games")
        suite = load_suite(args.suite)
        suite.register()
        games = suite.names
        seeds = {game.name: tuple(game.map_seeds) for game in suite.games}
        # The suite's parameters, each overridden by -p GAME.NAME=VALUE.
        merged = {g.name: dict(g.params) for g in suite.games if g.params}
        for game, values in params.items():
            merged[game] = {**merged.get(game, {}), **values}
        params = merged
    return EvalConfig(
        agents=tuple(defined[s.name] for s in specs),
        lineups=tuple(
            Lineup({seat: defined[spec.name] for seat, spec in lineup.seats.items()})
            for lineup in lineups
        ),
        games=games,
        maps=args.maps,
        rounds=args.rounds,
        seed=args.seed,
        judge=args.judge,
        game_params=params,
        map_seeds=seeds,
        text_source=args.text_source,
    )


def eval_backend(args: argparse.Namespace) -> Any:
    """The play backend of ``xent-envs eval``'s ``--backend``, ``--workers``, ``--address``
    and ``--concurrency``.

    Raises:
        ConfigError: ``--workers`` or ``--address`` without ``--backend ray``, or a bad count.
    """
    from xent_envs.errors import ConfigError
    from xent_envs.evaluation.backends import LocalBackend
    from xent_envs.evaluation.ray_backend import RayBackend

    if args.backend == "ray":
        return RayBackend(args.workers, args.address, concurrency=args.concurrency)
    if args.workers is not None or args.address is not None:
        raise ConfigError("--workers and --address are options of --backend ray")
    return LocalBackend(args.concurrency)


def cmd_eval(args: argparse.Namespace) -> int:
    from xent_envs.evaluation import ResultsStore, evaluate, format_table

    config = eval_config(args)
    backend = eval_backend(args)
    start = time.perf_counter()
    try:
        board = evaluate(
            config,
            args.out,
            resume=not args.no_resume,
            progress=not args.quiet,
            log=lambda msg: print(msg, file=sys.stderr),
            backend=backend,
            normalisation=args.normalisation,
            baseline=args.baseline,
        )
    except KeyboardInterrupt:
        saved = len(ResultsStore(args.out).map_files())
        print(
            f"\nInterrupted: {saved} maps are saved in {args.out}; run the same command again "
            "to resume.",
            file=sys.stderr,
        )
        return 130
    elapsed = time.perf_counter() - start
    print()
    print(format_table(board))
    print(f"\nResults: {Path(args.out) / 'results.json'}; report: {Path(args.out) / 'report.md'}; "
          f"plot: {Path(args.out) / 'leaderboard.png'} ({elapsed:.0f} s)")  # fmt: skip
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xent-envs",
        description="Xent games as Gymnasium environments: list, check, play, eval, maps.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list the games, their parameters and rules")
    p.add_argument("-v", "--verbose", action="store_true", help="show the full rules of each game")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--markdown",
        action="store_true",
        help="print the built-in games' README (xent_envs/games/README.md)",
    )
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("check", help="validate a game file (.xent)")
    p.add_argument("file", help="the game program")
    p.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a game parameter, checked by the card FILE.toml beside the file (which also "
        "gives the defaults)",
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("play", help="play a game in the terminal")
    p.add_argument("game", help="game name (see `xent-envs list`)")
    p.add_argument("--judge", default=DEFAULT_JUDGE, help=f"judge model (default {DEFAULT_JUDGE})")
    p.add_argument("--seed", type=int, default=0, help="map seed (default 0)")
    p.add_argument("--rounds", type=int, default=None, help="rounds (default: the game's)")
    p.add_argument(
        "-p", "--param", action="append", default=[], metavar="NAME=VALUE", help="a game parameter"
    )
    p.set_defaults(func=cmd_play)

    p = sub.add_parser("eval", help="evaluate agents on games; resumes an interrupted run")
    p.add_argument(
        "--agent",
        action="append",
        metavar="AGENTS",
        help="comma-separated agents, each playing every game alone: a name of the "
        f"entry-point group xent_envs.agents ({', '.join(_agent_names()) or 'none installed'}), "
        "package.module:Class, or LABEL=either (the same agent twice with other options)",
    )
    p.add_argument(
        "--seats",
        action="append",
        default=[],
        metavar="SEAT=AGENT,...",
        help="self-play: agents seated against each other, e.g. black=search,white=hf (an "
        "agent is a label of --agent or any agent name; seats left out are played by the "
        "env's echo opponent). Repeat for more lineups (e.g. the seats swapped). Without "
        "--games, plays the games that have these seats",
    )
    p.add_argument(
        "--games",
        action="append",
        metavar="NAMES",
        help="comma-separated games (default: every built-in game)",
    )
    p.add_argument(
        "--suite",
        metavar="FILE",
        help="a suite file (xent-envs cover writes one): its games and their maps, instead of "
        "--games and --maps",
    )
    p.add_argument("--maps", type=int, default=2, help="maps per game (default 2)")
    p.add_argument("--rounds", type=int, default=None, help="rounds per map (default: the game's)")
    p.add_argument("--seed", type=int, default=0, help="run seed; map seeds derive from it")
    p.add_argument("--judge", default=DEFAULT_JUDGE, help=f"judge model (default {DEFAULT_JUDGE})")
    p.add_argument("--out", default="results", help="results folder (default results/)")
    p.add_argument(
        "--text-source",
        default=DEFAULT_TEXT_SOURCE,
        metavar="SOURCE",
        help="where map texts come from: stories (default), docs:PATH (your texts), or "
        "pool:DIR (a pool from `xent-envs maps build`: instant resets)",
    )
    p.add_argument(
        "-O",
        "--agent-option",
        action="append",
        default=[],
        metavar="AGENT.NAME=VALUE",
        help="an agent option (VALUE is JSON, else a string), e.g. search.budget=96 or "
        "openai.model=gpt-4o-mini",
    )
    p.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="GAME.NAME=VALUE",
        help="a fixed game parameter, e.g. Condense.budget=5",
    )
    p.add_argument(
        "--no-resume",
        action="store_true",
        help="refuse a results folder that already holds maps of this configuration",
    )
    p.add_argument(
        "--normalisation",
        choices=NORMALISATIONS,
        default=NORMALISATIONS[0],
        help="how each map's score is normalised: baseline (default: 0 = the baseline agent, "
        "100 = the map's best; every map counts) or reference (the reference engine's "
        "score/|best|)",
    )
    p.add_argument(
        "--baseline",
        default=DEFAULT_BASELINE,
        metavar="AGENT",
        help=f"the agent scored 0 on every map (default {DEFAULT_BASELINE}; when it is not "
        "in the run, the worst agent of each map)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--concurrency",
        type=int,
        default=1,
        metavar="K",
        help="maps played at once (per worker with --backend ray), their judge calls merged; "
        "for agents that wait on a model server (default 1)",
    )
    p.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="where maps are played: this process (default) or Ray workers",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="Ray workers, each loading the judge once (default: the runtime's CPUs)",
    )
    p.add_argument(
        "--address",
        default=None,
        metavar="ADDR",
        help="a Ray cluster to join (host:port, ray://host:port or auto); default: a local "
        "Ray runtime started for the run",
    )
    p.set_defaults(func=cmd_eval)

    from xent_envs.generation.commands import add_commands as add_generation_commands
    from xent_envs.judge.commands import add_commands as add_judge_commands

    add_generation_commands(sub)
    add_judge_commands(sub)
    from xent_envs.maps.commands import add_commands as add_map_commands

    add_map_commands(sub)
    from xent_envs.web.commands import add_commands as add_web_commands

    add_web_commands(sub)
    from xent_envs.rl.commands import add_commands as add_train_command

    add_train_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``xent-envs`` console script."""
    args = build_parser().parse_args(argv)
    from xent_envs.errors import XentError

    try:
        return int(args.func(args))
    except XentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `xent-envs list | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
