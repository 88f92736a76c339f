"""Map pools: built ahead (resumable, atomic, checked), drawn from by envs in milliseconds,
and refused when they cannot serve a map exactly."""

import json
import shutil

import gymnasium as gym
import numpy as np
import pytest

from xent_envs.cli import main
from xent_envs.envs.maps import clear_map_cache
from xent_envs.errors import ConfigError, PoolError
from xent_envs.games import seed_split
from xent_envs.maps import MapPool, build_pool, judge_digest

from .test_sources import Proverbs

SMALL = {"story_tokens": 16}


@pytest.fixture(scope="module")
def pool_dir(tmp_path_factory, tiny_judge):
    folder = tmp_path_factory.mktemp("pools") / "condense"
    report = build_pool(folder, "Condense", n=4, judge=tiny_judge, params=SMALL)
    assert (report.size, report.kept, report.built, report.rebuilt) == (4, 0, 4, 0)
    return folder


@pytest.fixture()
def pool_copy(pool_dir, tmp_path):
    return shutil.copytree(pool_dir, tmp_path / "copy")


def test_a_pool_map_is_the_map_the_source_makes(pool_dir, tiny_judge):
    pool = MapPool.open(pool_dir)
    assert len(pool) == 4 and pool.manifest.split == "train"
    assert all(seed_split("Condense", seed) == "train" for seed in pool.seeds)
    pooled = gym.make("xent/Condense-v0", judge=tiny_judge, pool=pool_dir)
    fresh = gym.make("xent/Condense-v0", judge=tiny_judge, **SMALL)
    seen = set()
    for seed in range(8):
        obs, info = pooled.reset(seed=seed)
        assert info["map_seed"] in pool.seeds
        seen.add(info["map_seed"])
        clear_map_cache()  # the fresh env makes the map again, with the judge
        assert fresh.reset(options={"instance": info["instance_id"]}) == (obs, info)
    assert len(seen) > 1


def test_a_pool_is_drawn_reproducibly_and_takes_fixed_parameters(pool_dir, tiny_judge):
    env = gym.make("xent/Condense-v0", judge=tiny_judge, pool=pool_dir, budget=5, rounds=2)
    a = env.reset(seed=3)
    assert a == env.reset(seed=3)
    assert a[1]["params"]["budget"] == 5 and a[1]["rounds"] == 2
    seed = MapPool.open(pool_dir).seeds[0]
    _, info = env.reset(options={"map_seed": seed})
    assert info["map_seed"] == seed
    by_name = gym.make("xent/Condense-v0", judge=tiny_judge, text_source=f"pool:{pool_dir}")
    defaults = {"params": {"budget": 10, "rounds": 1}}
    assert by_name.reset(seed=3) == env.reset(seed=3, options=defaults)


def test_texts_the_pool_does_not_hold_are_refused(pool_dir, tiny_judge):
    env = gym.make("xent/Condense-v0", judge=tiny_judge, pool=pool_dir, story_tokens=30)
    with pytest.raises(PoolError, match=r"has no text for story\(\) with story_tokens=30"):
        env.reset(seed=0)
    env = gym.make("xent/Condense-v0", judge=tiny_judge, pool=pool_dir)
    train = next(s for s in range(10**6) if seed_split("Condense", s) == "train")
    with pytest.raises(PoolError, match=f"holds no map of seed {train}"):
        env.reset(options={"map_seed": train})


def test_a_pool_of_another_judge_game_split_or_with_vary_is_refused(pool_dir, tiny_judge):
    from tests.envs.test_xent_env import _OtherJudge

    with pytest.raises(PoolError, match=r"was built with the judge .*not with this env's judge"):
        gym.make("xent/Condense-v0", judge=_OtherJudge(tiny_judge), pool=pool_dir)
    with pytest.raises(ConfigError, match="holds maps of xent/Condense-v0; this env plays"):
        gym.make("xent/Taboo-v1", judge=tiny_judge, pool=pool_dir)
    with pytest.raises(ConfigError, match="holds train maps; this env draws eval maps"):
        gym.make("xent/Condense-v0", judge=tiny_judge, pool=pool_dir, split="eval")
    with pytest.raises(ConfigError, match="vary= cannot be used with a pool"):
        gym.make("xent/Condense-v0", judge=tiny_judge, pool=pool_dir, vary=["budget"])
    with pytest.raises(ConfigError, match="a pool or a text_source, not both"):
        gym.make("xent/Condense-v0", judge=tiny_judge, pool=pool_dir, text_source=Proverbs())
    gym.make("xent/Condense-v0", judge=tiny_judge, pool=pool_dir, split="all")


def test_building_again_resumes_grows_and_rebuilds_bad_files(pool_copy, tiny_judge):
    report = build_pool(pool_copy, "Condense", n=4, judge=tiny_judge, params=SMALL)
    assert (report.kept, report.built, report.rebuilt) == (4, 0, 0)
    first = sorted(MapPool.open(pool_copy).seeds)
    path = pool_copy / "maps" / f"{first[0]}.json"
    path.write_text(path.read_text()[:50])  # an interrupted copy, say
    notes = []
    report = build_pool(
        pool_copy, "Condense", n=6, judge=tiny_judge, params=SMALL, log=notes.append
    )
    assert (report.size, report.kept, report.built, report.rebuilt) == (6, 3, 2, 1)
    assert any(f"rebuilding map {first[0]}" in n and "not JSON" in n for n in notes)
    grown = MapPool.open(pool_copy)
    assert set(first) < set(grown.seeds) and len(grown) == 6 and grown.manifest.size == 6


def test_building_into_a_pool_of_another_judge_or_game_is_refused(pool_copy, tiny_judge):
    from tests.envs.test_xent_env import _OtherJudge

    with pytest.raises(PoolError, match=r"holds a pool built otherwise \(judge: "):
        build_pool(pool_copy, "Condense", n=4, judge=_OtherJudge(tiny_judge), params=SMALL)
    with pytest.raises(PoolError, match=r"holds a pool built otherwise \(game: 'xent/Condense-v0'"):
        build_pool(pool_copy, "Taboo", n=4, judge=tiny_judge, params=SMALL)
    with pytest.raises(PoolError, match=r"\(params: \{'story_tokens': 16\} there, \{\} here\)"):
        build_pool(pool_copy, "Condense", n=4, judge=tiny_judge)
    (pool_copy.parent / "stuff").mkdir()
    (pool_copy.parent / "stuff" / "notes.txt").write_text("mine")
    with pytest.raises(PoolError, match="is not empty and holds no pool"):
        build_pool(pool_copy.parent / "stuff", "Condense", n=1, judge=tiny_judge)


def _first_map(folder):
    pool = MapPool.open(folder)
    return pool, folder / "maps" / f"{pool.seeds[0]}.json"


def test_a_corrupted_map_file_is_refused_by_name(pool_copy, tiny_judge):
    pool, path = _first_map(pool_copy)
    data = json.loads(path.read_text())
    data["texts"][0]["value"] = "An edited story."
    path.write_text(json.dumps(data))
    env = gym.make("xent/Condense-v0", judge=tiny_judge, pool=pool_copy)
    with pytest.raises(PoolError, match=rf"{path.name} is corrupt: its content does not match"):
        env.reset(options={"map_seed": pool.seeds[0]})
    path.write_text(path.read_text()[:-40])
    with pytest.raises(PoolError, match=rf"{path.name} is corrupt: not JSON"):
        MapPool.open(pool_copy).read(pool.seeds[0])


def test_a_foreign_map_file_is_refused(pool_copy, tiny_judge, tmp_path):
    other = tmp_path / "taboo"
    build_pool(other, "Taboo", n=1, judge=tiny_judge, params=SMALL)
    (foreign,) = (other / "maps").iterdir()
    pool, path = _first_map(pool_copy)
    shutil.copy(foreign, path)
    with pytest.raises(PoolError, match=r"is not a map of this pool: its instance 'xent/Taboo-v1"):
        pool.read(pool.seeds[0])
    (pool_copy / "maps" / "notes.txt").write_text("mine")
    with pytest.raises(PoolError, match=r"notes\.txt is not a map file of this pool"):
        MapPool.open(pool_copy)


def test_a_corrupt_or_foreign_manifest_is_refused(pool_copy, tmp_path):
    manifest = pool_copy / "pool.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "format": 99}))
    with pytest.raises(PoolError, match="is a pool of format 99; this xent-envs reads format 1"):
        MapPool.open(pool_copy)
    manifest.write_text(json.dumps({**data, "seed": "zero"}))
    with pytest.raises(PoolError, match="field 'seed' should be a int, got 'zero'"):
        MapPool.open(pool_copy)
    manifest.write_text(json.dumps({**data, "texts": "stories-000000000000"}))
    with pytest.raises(PoolError, match="token does not match its fingerprint"):
        MapPool.open(pool_copy)
    manifest.write_text("{")
    with pytest.raises(PoolError, match="pool.json is corrupt: not JSON"):
        MapPool.open(pool_copy)
    with pytest.raises(PoolError, match="is not a map pool .no pool.json.; build one with"):
        MapPool.open(tmp_path / "nothing")


def test_an_empty_pool_says_how_to_fill_it(pool_dir, tmp_path, tiny_judge):
    empty = tmp_path / "empty"
    (empty / "maps").mkdir(parents=True)
    shutil.copy(pool_dir / "pool.json", empty / "pool.json")
    with pytest.raises(PoolError, match="holds no map yet: build it with"):
        MapPool.open(empty).draw(np.random.default_rng(0))


def test_bad_build_arguments(tmp_path, tiny_judge, pool_dir):
    with pytest.raises(ConfigError, match="n must be an int in"):
        build_pool(tmp_path / "a", "Condense", n=0, judge=tiny_judge)
    with pytest.raises(ConfigError, match="split 'train' or 'eval'"):
        build_pool(tmp_path / "a", "Condense", n=1, split="all", judge=tiny_judge)
    with pytest.raises(ConfigError, match="workers > 1 need the judge by name"):
        build_pool(tmp_path / "a", "Condense", n=1, judge=tiny_judge, workers=2)
    with pytest.raises(ConfigError, match="not from another pool"):
        build_pool(
            tmp_path / "b", "Condense", n=1, judge=tiny_judge, text_source=f"pool:{pool_dir}"
        )


def test_an_eval_pool_of_another_source_serves_an_eval_env(tmp_path, tiny_judge):
    folder = tmp_path / "proverbs"
    build_pool(folder, "Condense", n=2, split="eval", judge=tiny_judge, text_source=Proverbs())
    pool = MapPool.open(folder)
    assert pool.manifest.judge_digest == judge_digest(tiny_judge)
    env = gym.make("xent/Condense-v0", judge=tiny_judge, pool=folder, split="eval")
    obs, info = env.reset(seed=0)
    assert "A stitch in time" in obs or "Still waters" in obs
    assert seed_split("Condense", info["map_seed"]) == "eval"


def test_the_cli_builds_resumes_and_checks_a_pool(tmp_path, capsys):
    out = tmp_path / "cli-pool"
    args = ["maps", "build", "--game", "Taboo", "--split", "eval", "--n", "2", "--out", str(out)]
    args += ["--judge", "tiny-random-gpt2", "-p", "topic=Sports", "-q"]
    assert main(args) == 0
    assert "2 maps (0 kept, 2 built, 0 rebuilt)" in capsys.readouterr().out
    assert main(args) == 0
    assert "2 maps (2 kept, 0 built, 0 rebuilt)" in capsys.readouterr().out
    assert main(["maps", "info", str(out), "--check"]) == 0
    shown = capsys.readouterr().out
    assert '"game": "xent/Taboo-v1"' in shown and "all 2 maps are intact" in shown
    assert main(["maps", "info", str(tmp_path)]) == 1
    assert "is not a map pool" in capsys.readouterr().err


def test_workers_build_the_same_pool_side_by_side(pool_dir, tmp_path):
    folder = tmp_path / "parallel"
    report = build_pool(folder, "Condense", n=4, judge="tiny-random-gpt2", params=SMALL, workers=2)
    assert (report.built, report.kept) == (4, 0)
    for path in sorted((pool_dir / "maps").iterdir()):
        assert (folder / "maps" / path.name).read_bytes() == path.read_bytes()
    assert json.loads((folder / "pool.json").read_text()) == json.loads(
        (pool_dir / "pool.json").read_text()
    )
