"""Maps: the content split of map texts, distinct maps per game, and resets with a map pool.

Three measures of issue 9 (``xent_envs.maps``), each printed as a Markdown table:

1. **overlap**: do train and eval texts share content? (a) every content part (opening
   character / place / situation, debate motion subject, word-list word) is drawn on each
   side ``--n`` times and the parts of the two sides are intersected (aim: zero); the word
   lists are also checked across kinds (one phrase in two lists on two sides) and by content
   word (an eval phrase whose every word is in train phrases of its kind is a near-copy).
   (b) word n-gram overlap (``--ngram``, default 4-grams) between ``--n`` train and ``--n``
   eval composed openings (``OpeningSpace.draw``), against the same measure between two
   halves of train: two independent draws from train (what two train batches share), and
   two *content-disjoint* halves of train (train parts split in two by a hash, the
   like-for-like baseline of a content split). Measured as the share of the second set's
   distinct n-grams seen in the first, and the Jaccard index of the two sets. No judge.
2. **distinct**: how many different maps ``--draws`` map seeds of each built-in game give, on
   each side. A map is reduced to its *content skeleton*: the program with every map-text
   call replaced by what decides it (the opening drawn for each ``story()``, the items drawn
   for each ``generate_list``), without the judge's continuation (which differs for every
   seed and would make every story map trivially distinct). Built with ``instantiate_map``
   and the tiny judge's tokenizer only, so it is fast; the skeleton of Debate and Taboo (no
   story) is the whole map.
3. **reset**: ``env.reset`` of Condense from a map pool (``build_pool``) against generating
   the map, the same map seeds, interleaved, the map and judge caches emptied before each
   reset; the median of each is reported, and the observations of the two are compared
   (a pool must replay the same map). ``--judges`` lists the judges; the real one with few
   maps (``--pool-maps``), as each generated map costs seconds.

    nice python benchmarks/maps.py                            # everything (~8 min, 2 cores)
    nice python benchmarks/maps.py --parts overlap,distinct   # no judge generation
    nice python benchmarks/maps.py --parts reset --judges tiny-random-gpt2 --pool-maps 20
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import xent_envs  # noqa: F401  (registers the games)
from xent_envs.envs.maps import clear_map_cache
from xent_envs.envs.xent_env import XentEnv
from xent_envs.judge import load_judge
from xent_envs.judge.base import Judge
from xent_envs.lang import instantiate_map
from xent_envs.maps import (
    EVAL_FRACTION,
    SPLITS,
    JudgeTextSource,
    OpeningSpace,
    Split,
    build_pool,
    catalogues,
)
from xent_envs.maps.phrases import Phrases
from xent_envs.maps.split import normalise
from xent_envs.registration import list_games
from xent_envs.seeding import derive_seed, unit_interval

PARTS = ("overlap", "distinct", "reset")
_WORD = re.compile(r"[a-z0-9']+")
# words that say nothing about what a phrase is about (articles, prepositions, pronouns...)
_STOP_WORDS = (
    "a an the of in on at to for from with by and or but his her their its who that which "
    "into onto over under near behind after before above below out up down off as is was "
    "be been had has have one some any all every no not than then this those these"
)
_STOP = frozenset(_STOP_WORDS.split())


# -- 1. overlap -------------------------------------------------------------------------------
def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def ngrams(texts: Iterable[str], n: int) -> set[tuple[str, ...]]:
    """The distinct word ``n``-grams of ``texts`` (lower case; none across texts)."""
    found: set[tuple[str, ...]] = set()
    for text in texts:
        w = words(text)
        found.update(tuple(w[i : i + n]) for i in range(len(w) - n + 1))
    return found


def ngram_overlap(first: Sequence[str], second: Sequence[str], n: int) -> tuple[float, float]:
    """(share of ``second``'s distinct n-grams seen in ``first``, Jaccard of the two sets)."""
    a, b = ngrams(first, n), ngrams(second, n)
    return len(a & b) / max(1, len(b)), len(a & b) / max(1, len(a | b))


def content_lists() -> list[Phrases]:
    """Every content phrase list: opening slots, word lists, motion subjects."""
    space = OpeningSpace.default()
    return [p for p in space.slots if p.content] + [c.phrases for c in catalogues().values()]


def catalogue_names() -> dict[int, str]:
    return {id(c.phrases): c.prompt for c in catalogues().values()}


def drawn_parts(n: int) -> list[dict[str, Any]]:
    """Per kind of content part: the parts ``n`` draws give on each side, and their overlap."""
    rows = []
    space = OpeningSpace.default()
    for kind in ("character", "place", "situation"):
        seen: dict[Split, set[str]] = {side: set() for side in SPLITS}
        for side in SPLITS:
            for i in range(n):
                opening = space.draw(derive_seed("bench-maps", side, i), side)
                assert opening.side == side, opening
                seen[side].update(normalise(p) for k, p in opening.parts if k == kind)
        rows.append(_part_row(f"opening {kind}", seen))
    for cat in catalogues().values():
        seen = {side: set() for side in SPLITS}
        for side in SPLITS:
            for i in range(n):
                # one item per draw (as Taboo, Guard and Debate ask), of the side's content
                chosen = cat.phrases.ranked(derive_seed("bench-maps", side, i), side)[0]
                seen[side].add(normalise(chosen))
        rows.append(_part_row(f"list {cat.prompt!r}", seen))
    return rows


def _part_row(kind: str, seen: dict[Split, set[str]]) -> dict[str, Any]:
    return {
        "kind": kind,
        "train": len(seen["train"]),
        "eval": len(seen["eval"]),
        "shared": sorted(seen["train"] & seen["eval"]),
    }


def cross_kind_leaks() -> list[tuple[str, str, str, str, str]]:
    """The same phrase (normalised) in two content lists, on two different sides: an eval map
    of one game can then show a train part of another (kind, phrase, side; kind, side)."""
    names = catalogue_names()
    where: dict[str, list[tuple[str, Split]]] = {}
    for phrases in content_lists():
        label = names.get(id(phrases), phrases.kind)
        for side in SPLITS:
            for item in phrases.on(side):
                where.setdefault(normalise(item), []).append((label, side))
    leaks: list[tuple[str, str, str, str, str]] = []
    for phrase, places in sorted(where.items()):
        sides = {side for _, side in places}
        if len(sides) > 1:
            (k1, s1), (k2, s2) = places[0], next(p for p in places if p[1] != places[0][1])
            leaks.append((phrase, k1, s1, k2, s2))
    return leaks


def near_copies() -> list[dict[str, Any]]:
    """Per content list: eval phrases whose every content word is also in train phrases of
    the same list (``"a young fisherman"`` on eval, ``"an old fisherman"`` + ``"a young
    baker"`` on train): not a shared part, but little new content."""
    names = catalogue_names()
    rows = []
    for phrases in content_lists():
        train_words = {w for p in phrases.on("train") for w in words(p) if w not in _STOP}
        evals = phrases.on("eval")
        covered = [p for p in evals if {w for w in words(p) if w not in _STOP} <= train_words]
        rows.append(
            {
                "kind": names.get(id(phrases), phrases.kind),
                "all": len(phrases.items),
                "eval": len(evals),
                "covered": covered,
            }
        )
    return rows


def contained_in_train() -> list[dict[str, Any]]:
    """Per content list: eval phrases that occur, as whole words and without their article,
    inside a train phrase of any content list (``"pig"`` on eval, ``"guinea pig"`` on train;
    ``"window cleaner"`` in Jobs on eval, ``"a window cleaner"`` a train character)."""
    names = catalogue_names()
    lists = content_lists()
    train = [(names.get(id(p), p.kind), normalise(x)) for p in lists for x in p.on("train")]
    rows = []
    for phrases in lists:
        found = []
        for item in phrases.on("eval"):
            core = re.sub(r"^(a|an|the) ", "", normalise(item))
            pattern = re.compile(rf"(?<![\w'-]){re.escape(core)}(?![\w'-])")
            hits = [f"{t!r} ({k})" for k, t in train if pattern.search(t)]
            if hits:
                found.append(f"{item!r} in {', '.join(hits[:2])}")
        rows.append({"kind": names.get(id(phrases), phrases.kind), "found": found})
    return rows


def disjoint_halves() -> tuple[OpeningSpace, OpeningSpace]:
    """Two opening spaces made of the train side's content parts, split in two by a hash
    (frames and styles, register, serve both): content-disjoint like train and eval."""
    space = OpeningSpace.default()
    halves = []
    for half in (0, 1):
        slots = tuple(
            Phrases(
                p.kind,
                tuple(
                    x
                    for x in p.on("train")
                    if (unit_interval("bench-half", p.kind, normalise(x)) < 0.5) == (half == 0)
                ),
                content=False,
            )
            for p in space.slots
        )
        halves.append(OpeningSpace(space.frames, slots, space.styles))
    return halves[0], halves[1]


def opening_overlap(n: int, order: int) -> list[dict[str, Any]]:
    """n-gram overlap of composed openings (and of their sentences without the style)."""
    space = OpeningSpace.default()
    train = [space.draw(derive_seed("bench-train", i), "train") for i in range(n)]
    train2 = [space.draw(derive_seed("bench-train2", i), "train") for i in range(n)]
    evals = [space.draw(derive_seed("bench-eval", i), "eval") for i in range(n)]
    half_a, half_b = disjoint_halves()
    a = [half_a.draw(derive_seed("bench-half-a", i), None) for i in range(n)]
    b = [half_b.draw(derive_seed("bench-half-b", i), None) for i in range(n)]
    pairs = {
        "train vs eval": (train, evals),
        "train vs train (two independent draws)": (train, train2),
        "train half A vs half B (content-disjoint)": (a, b),
    }
    rows = []
    for name, (first, second) in pairs.items():
        row: dict[str, Any] = {"pair": name}
        for field in ("text", "sentence"):
            seen, jac = ngram_overlap(
                [getattr(o, field) for o in first], [getattr(o, field) for o in second], order
            )
            row[field] = (seen, jac)
        rows.append(row)
    return rows


def motion_overlap(n: int, order: int) -> list[dict[str, Any]]:
    """The same measure for debate motions (one motion per map, as Debate draws)."""
    motions = catalogues()[normalise("Debate motions")]
    train = [motions.draw(1, derive_seed("bench-train", i), "train")[0] for i in range(n)]
    train2 = [motions.draw(1, derive_seed("bench-train2", i), "train")[0] for i in range(n)]
    evals = [motions.draw(1, derive_seed("bench-eval", i), "eval")[0] for i in range(n)]
    rows = []
    for name, (first, second) in {
        "train vs eval": (train, evals),
        "train vs train (two independent draws)": (train, train2),
    }.items():
        rows.append({"pair": name, "motion": ngram_overlap(first, second, order)})
    return rows


def report_overlap(n: int, order: int) -> None:
    space = OpeningSpace.default()
    print(f"\n### 1a. Content parts drawn on each side ({n} draws per side)\n")
    print(
        f"Opening space: {space.size('train'):,} train openings, {space.size('eval'):,} eval "
        f"openings (EVAL_FRACTION = {EVAL_FRACTION}).\n"
    )
    print("| content part | distinct on train | distinct on eval | shared |")
    print("|---|---|---|---|")
    for row in drawn_parts(n):
        shared = ", ".join(row["shared"][:5]) or "0"
        if row["shared"]:
            shared = f"**{len(row['shared'])}**: {shared}"
        print(f"| {row['kind']} | {row['train']} | {row['eval']} | {shared} |")
    leaks = cross_kind_leaks()
    print(f"\nOne phrase in two content lists, on two sides: {len(leaks)}")
    for phrase, k1, s1, k2, s2 in leaks[:20]:
        print(f"- {phrase!r}: {s1} in {k1}, {s2} in {k2}")
    print(
        "\n| content list | phrases | on eval | eval phrases whose every content word is in "
        "train phrases of the list |"
    )
    print("|---|---|---|---|")
    for row in near_copies():
        examples = "; ".join(row["covered"][:4])
        print(
            f"| {row['kind']} | {row['all']} | {row['eval']} | {len(row['covered'])}"
            f"{': ' + examples if examples else ''} |"
        )
    print("\n| content list | eval phrases found inside a train phrase (whole words, any list) |")
    print("|---|---|")
    for row in contained_in_train():
        examples = "; ".join(row["found"][:4])
        print(f"| {row['kind']} | {len(row['found'])}{': ' + examples if examples else ''} |")
    print(f"\n### 1b. Word {order}-gram overlap, {n} texts per side\n")
    print(
        f"seen = share of the second set's distinct {order}-grams that occur in the first; "
        "J = Jaccard of the two sets.\n"
    )
    print("| pair | opening (with style): seen | J | sentence (no style): seen | J |")
    print("|---|---|---|---|---|")
    for row in opening_overlap(n, order):
        (s1, j1), (s2, j2) = row["text"], row["sentence"]
        print(f"| {row['pair']} | {s1:.3f} | {j1:.3f} | {s2:.3f} | {j2:.3f} |")
    print("\n| debate motions | seen | J |")
    print("|---|---|---|")
    for row in motion_overlap(n, order):
        seen, jac = row["motion"]
        print(f"| {row['pair']} | {seen:.3f} | {jac:.3f} |")


# -- 2. distinct maps -------------------------------------------------------------------------
class SkeletonTexts(JudgeTextSource):
    """``JudgeTextSource`` whose stories stop at their opening: the part of a story that
    the seed decides by content (the judge's continuation is new for every seed). Lists come
    from the catalogues as in a real map."""

    def story(self, seed: int) -> str:
        return self.openings.draw(derive_seed(seed, "opening"), self.side).text


def distinct_maps(judge: Judge, draws: int) -> list[dict[str, Any]]:
    """Per built-in game and side: distinct content skeletons among ``draws`` map seeds."""
    rows = []
    for space in list_games():
        row: dict[str, Any] = {"game": space.name}
        for side in SPLITS:
            source = SkeletonTexts(judge, side=side)
            rng = np.random.default_rng(derive_seed("bench-maps-distinct", space.name, side))
            skeletons = set()
            start = time.perf_counter()
            for _ in range(draws):
                instance = space.sample(rng, split=side)
                program = space.program(instance.param_dict)
                skeletons.add(instantiate_map(program, source, instance.seed).to_source())
            row[side] = len(skeletons)
            row[f"{side}_s"] = time.perf_counter() - start
        rows.append(row)
    return rows


def report_distinct(judge: Judge, draws: int) -> None:
    print(f"\n### 2. Distinct maps among {draws} map seeds per game (default parameters)\n")
    print("| game | distinct train maps | distinct eval maps |")
    print("|---|---|---|")
    for row in distinct_maps(judge, draws):
        print(f"| {row['game']} | {row['train']} | {row['eval']} |", flush=True)
    print("\nSizes of the lists behind single-item draws (phrases x templates, per side):\n")
    print("| list | train | eval |")
    print("|---|---|---|")
    for cat in catalogues().values():
        print(f"| {cat.prompt} | {cat.size('train')} | {cat.size('eval')} |")


# -- 3. reset with and without a pool --------------------------------------------------------
def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def reset_times(judge_name: str, maps: int, repeats: int, game: str) -> dict[str, Any]:
    """Build a pool of ``maps`` train maps, then time resets from it and without it."""
    judge = load_judge(judge_name)
    with tempfile.TemporaryDirectory(prefix="xent-bench-pool-") as tmp:
        folder = Path(tmp) / "pool"
        build_seconds, report = timed(
            lambda: build_pool(folder, game, n=maps, split="train", judge=judge)
        )
        envs = {
            "generated": XentEnv(game, judge),
            "pool": XentEnv(game, judge, pool=folder),
        }
        seeds = envs["pool"].pool.seeds if envs["pool"].pool is not None else ()
        times: dict[str, list[float]] = {name: [] for name in envs}
        same = 0
        for _ in range(repeats):
            for seed in seeds:
                observed = {}
                for name, env in envs.items():
                    clear_map_cache()
                    judge.clear_cache()
                    start = time.perf_counter()
                    observed[name], _info = env.reset(options={"map_seed": seed})
                    times[name].append(time.perf_counter() - start)
                same += observed["generated"] == observed["pool"]
    median = {name: statistics.median(t) for name, t in times.items()}
    return {
        "judge": judge_name,
        "game": game,
        "maps": len(seeds),
        "resets": len(times["pool"]),
        "build": build_seconds,
        "built": report.built,
        "generated": median["generated"],
        "pool": median["pool"],
        "same": same,
    }


def report_reset(judges: Sequence[str], maps: Sequence[int], repeats: int, game: str) -> None:
    print(f"\n### 3. `env.reset` of {game}: generating the map vs drawing it from a pool\n")
    print(
        "| judge | pool maps | resets each | pool build (s per map) | reset, generated "
        "(median s) | reset, from pool (median s) | speed-up | same observation |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for judge_name, n in zip(judges, maps):
        r = reset_times(judge_name, n, repeats if n > 5 else 1, game)
        print(
            f"| {r['judge']} | {r['maps']} | {r['resets']} | {r['build'] / max(1, r['built']):.3f} "
            f"| {r['generated']:.4f} | {r['pool']:.4f} | {r['generated'] / r['pool']:.0f}x "
            f"| {r['same']}/{r['resets']} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--parts", default=",".join(PARTS), help=f"of {', '.join(PARTS)}")
    parser.add_argument("--n", type=int, default=2000, help="texts per side for overlap")
    parser.add_argument("--ngram", type=int, default=4, help="n of the word n-grams")
    parser.add_argument("--draws", type=int, default=1000, help="map seeds per game and side")
    parser.add_argument("--game", default="Condense", help="the game of the reset timing")
    parser.add_argument("--judges", default="tiny-random-gpt2,smollm2-135m")
    parser.add_argument(
        "--pool-maps", default="20,5", help="maps of each judge's pool (comma-separated)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="passes over a pool of more than 5 maps"
    )
    args = parser.parse_args()
    parts = args.parts.split(",")
    for part in parts:
        if part not in PARTS:
            parser.error(f"unknown part {part!r}; parts: {', '.join(PARTS)}")
    if "overlap" in parts:
        report_overlap(args.n, args.ngram)
    if "distinct" in parts:
        report_distinct(load_judge("tiny-random-gpt2"), args.draws)
    if "reset" in parts:
        judges = args.judges.split(",")
        maps = [int(m) for m in args.pool_maps.split(",")]
        if len(maps) != len(judges):
            parser.error("--pool-maps needs one count per judge in --judges")
        report_reset(judges, maps, args.repeats, args.game)


if __name__ == "__main__":
    main()
