"""Registration and the game-space model: ids, names and versions, parameters, instances,
splits, game packs. Each fault of the registry that was found has a test here that fails on it."""

import json
import math
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from xent_envs.errors import ConfigError, GamePackWarning, UnknownNameError, XentSyntaxError
from xent_envs.games import GameDef, GameInstance, ParamDef, builtin_games, seed_split
from xent_envs.registration import (
    ENTRY_POINT_GROUP,
    RANDOM_ID,
    SAMPLED_ID,
    game_space,
    list_games,
    register_builtin_games,
    register_entry_point_games,
    register_game,
    temporary_registrations,
)

TINY = "tiny-random-gpt2"
REFERENCE = {"Condense", "Contrast", "Synthesize", "TwoWays", "Horizon", "Alethiometer"}
BUILTIN = {g.name for g in builtin_games()}
ECHO = "assign(s=story())\nelicit(x, {n})\nreward(xed(s | x))"


def echo(n: int = 4) -> str:
    return ECHO.format(n=n)


# -- built-in registrations ----------------------------------------------------------------
def test_builtin_games_are_registered_with_gym_ids():
    assert {space.name for space in list_games()} == BUILTIN >= REFERENCE
    assert len(BUILTIN) >= 12
    for space in list_games():
        assert space.env_id in gym.registry
        spec = gym.spec(space.env_id)
        assert spec.kwargs["game"] == space.env_id and "game_def" not in spec.kwargs
        json.dumps(spec.to_json())  # specs stay JSON-serialisable
    assert RANDOM_ID in gym.registry


def test_registering_the_builtins_makes_each_id_once_with_its_spec():
    """What ``import xent_envs`` does, done again from an empty registry (mutation testing
    runs tests in a process that imported the package long before: this is where a bug in the
    import-time registration shows)."""
    from xent_envs import registration

    judge = "smollm2-135m"
    with temporary_registrations():
        for env_id in [i for i in gym.registry if i.startswith("xent/")]:
            del gym.registry[env_id]
        registration._SPACES.clear()
        registration._UNLISTED.clear()
        register_builtin_games()
        ids = {i for i in gym.registry if i.startswith("xent/")}
        builtin_ids = {f"xent/{g.name}-v{g.version}" for g in builtin_games()}
        assert ids == builtin_ids | {RANDOM_ID, SAMPLED_ID} and len(builtin_ids) == len(BUILTIN)
        envs = ("xent_envs.envs:XentEnv", "xent_envs.envs:XentVectorEnv", 1000)
        for env_id in builtin_ids:
            spec = gym.spec(env_id)
            assert (spec.entry_point, spec.vector_entry_point, spec.max_episode_steps) == envs
            assert spec.kwargs == {"game": env_id, "judge": judge, "text_source": "stories"}
        spec = gym.spec(RANDOM_ID)
        assert (spec.entry_point, spec.vector_entry_point, spec.max_episode_steps) == envs
        assert spec.kwargs == {"game": "*", "judge": judge, "text_source": "stories"}
        spec = gym.spec(SAMPLED_ID)
        assert spec.entry_point == "xent_envs.generation.env:SampledEnv"
        assert (spec.max_episode_steps, spec.kwargs) == (1000, {"judge": judge})
        before = dict(gym.registry)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Gymnasium warns when an id is registered over
            register_builtin_games()  # again: nothing changes, nothing is refused
        assert dict(gym.registry) == before
        assert {space.name for space in list_games()} == BUILTIN


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda d: register_game(d, name="Other"), "takes a GameDef alone, or source/path"),
        (lambda d: register_game(d, summary="x"), "takes a GameDef alone, or source/path"),
        (lambda d: register_game(source=echo(), path="x.xent"), "source or path, not both"),
        (lambda d: register_game(source=echo()), "needs a GameDef, or source and a name, or"),
        (lambda d: register_game(name="Named"), "needs a GameDef, or source and a name, or"),
        (lambda d: register_game(42), "expected a GameDef, got int"),
    ],
)
def test_register_game_says_which_arguments_go_together(call, message):
    definition = GameDef.from_source("Alone", echo())
    with pytest.raises(ConfigError, match=re.escape(message)):
        call(definition)
    assert "Alone" not in {space.name for space in list_games()}


def test_a_definition_registers_under_the_version_given():
    space = register_game(GameDef.from_source("Versioned", echo()), version=3)
    assert (space.env_id, space.version) == ("xent/Versioned-v3", 3)
    assert gym.spec("xent/Versioned-v3").kwargs["game_def"]["version"] == 3
    assert register_game(source=echo(), name="Versioned", version=999_999).version == 999_999


def test_names_of_the_longest_length_are_accepted():
    assert register_game(source=echo(), name="G" * 64).name == "G" * 64
    with pytest.raises(ConfigError, match="at most 64 characters"):
        register_game(source=echo(), name="G" * 65)


def test_an_id_gymnasium_holds_from_elsewhere_is_not_taken_over():
    gym.register(id="xent/Elsewhere-v0", entry_point="gymnasium.envs.classic_control:CartPoleEnv")
    with pytest.raises(ConfigError, match=re.escape(
        "xent/Elsewhere-v0 is already a Gymnasium id registered outside xent-envs"
    )):  # fmt: skip
        register_game(source=echo(), name="Elsewhere")


def test_every_game_has_docs_and_typed_parameters():
    for space in list_games():
        d = space.definition
        assert d.summary and d.description and d.reward and d.skill
        text = space.describe()
        assert f"`{space.env_id}`" in text and "| `rounds` | int | 1 | 1..10 |" in text
        for p in space.parameters:
            assert p.type in ("int", "float", "str") and p.description
            assert space.resolve({p.name: p.default})[p.name] == p.default


def test_unknown_game_suggests_the_closest_name():
    with pytest.raises(UnknownNameError, match="Did you mean 'Condense'"):
        game_space("Condence")


# -- names and versions ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["my game", "1Game", "Foo-v1", "a/b", "", "x" * 65, "Ünï", "Random", "random"]
)
def test_a_refused_name_leaves_no_trace(name):
    before = ([s.env_id for s in list_games()], [i for i in gym.registry if i.startswith("xent/")])
    with pytest.raises(
        ConfigError,
        match="game name .* must match|game name .* is reserved|name must be a non-empty",
    ):
        register_game(source=echo(), name=name)
    after = ([s.env_id for s in list_games()], [i for i in gym.registry if i.startswith("xent/")])
    assert after == before
    env = gym.make(RANDOM_ID, judge=TINY)
    assert {s.name for s in env.unwrapped.spaces} == BUILTIN
    assert gym.spec(RANDOM_ID).kwargs["game"] == "*"  # Random-v0 is never replaced


def test_a_broken_program_leaves_no_trace():
    with pytest.raises(XentSyntaxError) as err:
        register_game(source="assign(s=story())\nelicit(x, 4\n", name="Broken")
    assert err.value.line == 2
    assert "Broken" not in {s.name for s in list_games()} and "xent/Broken-v0" not in gym.registry


def test_a_registered_game_never_changes():
    condense = game_space("Condense")
    assert register_game(condense.definition) is condense  # identical: the same space
    with pytest.raises(ConfigError, match=r"already registered .* register yours as version=1"):
        register_game(source=echo(), name="Condense")
    assert game_space("Condense") is condense
    assert gym.spec("xent/Condense-v0").kwargs == {
        "game": "xent/Condense-v0",
        "judge": "smollm2-135m",
        "text_source": "stories",
    }


@pytest.mark.filterwarnings("ignore:.*is out of date:DeprecationWarning")
def test_each_version_is_its_own_id_and_plays_its_own_program(tiny_judge):
    v0 = register_game(source=echo(3), name="Versioned", description="Version zero.")
    v1 = register_game(source=echo(5), name="Versioned", version=1, description="Version one.")
    assert (v0.env_id, v1.env_id) == ("xent/Versioned-v0", "xent/Versioned-v1")
    assert game_space("Versioned") is v1  # a bare name: the highest version
    assert game_space("xent/Versioned-v0") is v0 and game_space("Versioned-v1") is v1
    assert [s.env_id for s in list_games() if s.name == "Versioned"] == [v1.env_id]
    assert [s.env_id for s in list_games(all_versions=True) if s.name == "Versioned"] == [
        v0.env_id,
        v1.env_id,
    ]
    for env_id, budget, rules in (
        ("xent/Versioned-v0", 3, "zero"),
        ("xent/Versioned-v1", 5, "one"),
    ):
        env = gym.make(env_id, judge=tiny_judge)
        obs, info = env.reset(seed=0)
        assert info["max_tokens"] == budget and info["instance_id"].startswith(env_id + "?")
        assert f"Version {rules}." in obs
        replay = GameInstance.from_id(info["instance_id"])
        assert replay.env_id == env_id
    with pytest.raises(UnknownNameError, match="unknown version 'v7' of Versioned"):
        game_space("xent/Versioned-v7")


@pytest.mark.parametrize("version", [-1, True, 1.0, "1", 10**6])
def test_bad_versions_are_refused(version):
    with pytest.raises(ConfigError, match="version"):
        register_game(source=echo(), name="BadVersion", version=version)
    assert "BadVersion" not in {s.name for s in list_games(all_versions=True)}


def test_a_hand_built_definition_is_validated_like_a_card():
    bad = GameDef("Hand", echo(), "", "at most $n tokens", "", "", ("black",), (), ())
    with pytest.raises(ConfigError, match=r"names \$n, which is not a parameter"):
        register_game(bad)


def test_temporary_registrations_undo_what_the_block_registered():
    with temporary_registrations():
        register_game(source=echo(), name="Scratch")
        assert "xent/Scratch-v0" in gym.registry
    assert "xent/Scratch-v0" not in gym.registry
    with pytest.raises(UnknownNameError):
        game_space("Scratch")


def test_register_game_from_source_makes_a_playable_env(tiny_judge):
    space = register_game(source=echo(), name="UserEcho", summary="Echo test game.")
    assert register_game(source=echo(), name="UserEcho", summary="Echo test game.") is space
    env = gym.make(space.env_id, judge=tiny_judge)
    _obs, info = env.reset(seed=1)
    assert info["game"] == "UserEcho" and info["max_tokens"] == 4
    _, reward, terminated, truncated, _ = env.step([11, 12])
    assert terminated and not truncated and np.isfinite(reward)
    game_def = gym.spec(space.env_id).kwargs["game_def"]
    assert GameDef.from_json(game_def) == space.definition


def test_random_draws_only_the_builtin_games_whatever_other_tests_registered(tiny_judge):
    # Tests above registered games; the autouse fixture undid them, so this holds in any order.
    assert {s.name for s in list_games()} == BUILTIN
    env = gym.make(RANDOM_ID, judge=tiny_judge)
    drawn = {env.reset(seed=s)[1]["game"] for s in range(30)}
    assert drawn <= BUILTIN and len(drawn) > 5


# -- files and cards ---------------------------------------------------------------------
def write_game(folder, name, program, card=None):
    path = folder / f"{name}.xent"
    path.write_text(program, encoding="utf-8")
    if card is not None:
        (folder / f"{name}.toml").write_text(textwrap.dedent(card), encoding="utf-8")
    return path


CARD = """\
    name = "Filed"
    summary = "A game from files."
    description = "Write at most $n tokens; costs $$0."
    [parameters.n]
    type = "int"
    default = 6
    low = 2
    high = 9
    description = "Budget."
    """


def test_register_game_from_a_path_reads_the_card_beside_it(tmp_path):
    path = write_game(tmp_path, "Filed", echo().replace("4", "$n"), CARD)
    space = register_game(path=path)
    assert space.definition.summary == "A game from files." and space.definition.defaults == {
        "n": 6
    }
    assert space.rules() == "Write at most 6 tokens; costs $0."
    assert space.rules({"n": 3}) == "Write at most 3 tokens; costs $0."
    other = register_game(path=path, name="Renamed", summary="Overridden.")
    assert other.env_id == "xent/Renamed-v0" and other.definition.summary == "Overridden."


def test_a_program_without_a_card_is_named_after_its_file(tmp_path):
    space = register_game(path=write_game(tmp_path, "Bare", echo()))
    assert space.env_id == "xent/Bare-v0" and space.definition.parameters == ()


@pytest.mark.parametrize(
    "card, message",
    [
        (
            'name = "Filed"\nsumary = "x"\n',
            re.escape("unknown card field 'sumary' (did you mean 'summary'?)"),
        ),
        ('name = "Filed"\n[parameters.n]\ntype = "int"\ndefualt = 3\n', "unknown key 'defualt'"),
        ('name = "Filed"\n[parameters.n]\ntype = "float"\ndefault = inf\n', "must be finite"),
        ('name = "Filed"\n[parameters.n]\ntype = "float"\ndefault = nan\n', "must be finite"),
        ('name = "Filed"\n[parameters.n]\ntype = "int"\ndefault = 3\nlow = 4\n', r"in \[4, None\]"),
        ('name = "Filed"\n[parameters.rounds]\ntype = "int"\ndefault = 3\n', "one every game has"),
        ('name = "Filed"\ndescription = "at most $budget"\n', r"names \$budget"),
        ('name = "Filed"\ndescription = "costs $5"\n', r"\$\$ for a dollar sign"),
        ('name = "Filed"\nplayers = ["white", "white"]\n', "players must be distinct names"),
        ('name = "Filed"\nversion = -2\n', "version must be an integer >= 0"),
        ('name = "Filed"\nsummary = [1]\n', "summary must be a string"),
        ("name = 5\n", "name must be a non-empty string, got 5"),
        ("name = 'Filed\n", "not valid TOML"),
    ],
)
def test_card_errors_name_the_card_and_the_fault(tmp_path, card, message):
    path = write_game(tmp_path, "Filed", echo(), card)
    with pytest.raises(ConfigError, match=message) as err:
        register_game(path=path)
    assert str(tmp_path / "Filed.toml") in str(err.value)
    assert "Filed" not in {s.name for s in list_games()}


@pytest.mark.parametrize(
    "data, message",
    [
        (b"assign(s=\xe9)\n", re.escape("not UTF-8 text (byte 0xe9 at offset 9)")),
        (b"\x00\x01", "binary"),
    ],
)
def test_unreadable_game_files_are_config_errors(tmp_path, data, message):
    path = tmp_path / "Odd.xent"
    path.write_bytes(data)
    with pytest.raises(ConfigError, match=message):
        register_game(path=path)


# -- parameters ---------------------------------------------------------------------------
def test_parameters_are_validated_with_clear_messages():
    space = game_space("Condense")
    with pytest.raises(ConfigError, match=r"parameter 'rounds' must be in \[1, 10\], got 0"):
        space.resolve({"rounds": 0})
    with pytest.raises(ConfigError, match="parameter 'rounds' expects int, got 'two'"):
        space.resolve({"rounds": "two"})
    with pytest.raises(ConfigError, match="parameter 'rounds' expects int, got np.float64"):
        space.resolve({"rounds": np.float64(2.7)})  # never silently truncated to 2
    assert space.resolve({"rounds": np.int64(3)})["rounds"] == 3
    with pytest.raises(UnknownNameError, match="unknown parameter 'roundz' of Condense"):
        space.resolve({"roundz": 2})
    with pytest.raises(ConfigError, match="parameters must be a mapping"):
        space.resolve(5)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float64("nan")])
def test_float_parameters_must_be_finite(value, tiny_judge):
    with pytest.raises(ConfigError, match="parameter 'coherence' must be finite"):
        game_space("Fresh").resolve({"coherence": value})
    with pytest.raises(ConfigError, match="must be finite"):
        gym.make("xent/Fresh-v0", judge=tiny_judge, coherence=value)
    custom = register_game(
        source="assign(s=story())\nelicit(x, 4)\nreward(xed(s | x) * $k)",
        name="Scaled",
        parameters={"k": {"type": "float", "default": 1.5}},
    )
    with pytest.raises(ConfigError, match="parameter 'k' must be finite"):
        gym.make(custom.env_id, judge=tiny_judge, k=value)


def test_param_def_behaviour():
    budget = ParamDef("budget", "int", 10, low=3, high=40, description="Token budget.")
    assert budget.validate(np.int64(7)) == 7 and type(budget.validate(np.int64(7))) is int
    assert budget.describe() == "budget (int, default 10, 3..40): Token budget."
    draws = {budget.draw(np.random.default_rng(s)) for s in range(200)}
    assert draws == set(range(3, 41))
    coherence = ParamDef("c", "float", 0.25, low=0.0, high=1.0)
    assert coherence.validate(1) == 1.0 and isinstance(coherence.validate(1), float)
    assert all(0.0 <= coherence.draw(np.random.default_rng(s)) <= 1.0 for s in range(50))
    topic = ParamDef("topic", "str", "a", choices=("a", "b"))
    assert topic.domain == "one of 'a', 'b'" and {
        topic.draw(np.random.default_rng(s)) for s in range(20)
    } == {"a", "b"}
    free = ParamDef("text", "str", "hello")
    assert free.domain == "any" and free.draw(np.random.default_rng(0)) == "hello"
    assert ParamDef("m", "int", 5, low=1).domain == ">= 1"
    assert ParamDef("t", "str", "x" * 100).describe().startswith("t (str, default 'xxxxxxxx")
    for p in (budget, coherence, topic, free):
        assert ParamDef.from_json(json.loads(json.dumps(p.to_json()))) == p
    with pytest.raises(ConfigError, match=r"'b' default must be in \[3, 40\], got 50"):
        ParamDef("b", "int", 50, low=3, high=40)
    with pytest.raises(ConfigError, match="one of"):
        ParamDef("b", "str", "c", choices=("a", "b"))
    with pytest.raises(ConfigError, match="expects int, got 2.5"):
        ParamDef("b", "int", 2, choices=(1, 2.5))
    with pytest.raises(ConfigError, match="low 5 is above high 1"):
        ParamDef("b", "int", 2, low=5, high=1)
    with pytest.raises(ConfigError, match="has type 'bool'"):
        ParamDef("b", "bool", True)  # type: ignore[arg-type]


def test_every_builtin_parameter_round_trips_through_json():
    for game in builtin_games():
        assert GameDef.from_json(json.loads(json.dumps(game.to_json()))) == game
        for p in game.parameters:
            assert ParamDef.from_json(p.to_json()) == p


# -- instances and ids --------------------------------------------------------------------
# What a match binds a sampled instance to (digests of a judge's fingerprint and of a source).
BOUND = {"judge": "0123456789ab", "texts": "stories-ba9876543210"}


def test_instances_are_reproducible_and_ids_round_trip():
    space = game_space("Condense")
    a = space.sample(np.random.default_rng(3), vary=["story_tokens"]).bound(**BOUND)
    b = space.sample(np.random.default_rng(3), vary=["story_tokens"]).bound(**BOUND)
    assert a == b
    assert GameInstance.from_id(a.id) == a
    assert GameInstance.from_json(json.loads(json.dumps(a.to_json()))) == a
    assert a.id.startswith("xent/Condense-v0?")
    low, high = space.parameter("story_tokens").low, space.parameter("story_tokens").high
    draws = {
        space.sample(np.random.default_rng(s), vary=["story_tokens"]).param_dict["story_tokens"]
        for s in range(30)
    }
    assert all(low <= d <= high for d in draws) and len(draws) > 5


def test_ids_round_trip_string_parameters_with_any_characters():
    space = game_space("Alethiometer")
    tricky = 'a "quoted" #hash @at & amp = eq ü ✓'
    inst = space.sample(np.random.default_rng(0), fixed={"frame_open": tricky}).bound(**BOUND)
    assert GameInstance.from_id(inst.id) == inst
    assert GameInstance.from_id(inst.id).param_dict["frame_open"] == tricky


def test_instance_ids_are_validated_by_the_card():
    good = game_space("Condense").sample(np.random.default_rng(0)).bound(**BOUND).id
    assert "budget=10&" in good
    with pytest.raises(ConfigError, match=r"must be in \[3, 40\], got 9999"):
        GameInstance.from_id(good.replace("budget=10&", "budget=9999&"))
    with pytest.raises(ConfigError, match="expects int, got 2.5"):
        GameInstance.from_id(good.replace("budget=10&", "budget=2.5&"))
    with pytest.raises(ConfigError, match="must be finite"):
        GameInstance.from_id(
            game_space("Fresh")
            .sample(np.random.default_rng(0))
            .bound(**BOUND)
            .id.replace("coherence=0.25", "coherence=NaN")
        )
    with pytest.raises(ConfigError, match=r"missing parameters \['budget'\]"):
        GameInstance.from_id(good.replace("budget=10&", ""))
    with pytest.raises(ConfigError, match="'budget' appears twice"):
        GameInstance.from_id(good.replace("budget=10&", "budget=10&budget=11&"))
    with pytest.raises(UnknownNameError, match="unknown parameter 'bugdet'"):
        GameInstance.from_id(good.replace("budget=", "bugdet="))
    with pytest.raises(UnknownNameError, match="unknown version 'v3' of Condense"):
        GameInstance.from_id(good.replace("-v0?", "-v3?"))
    with pytest.raises(ConfigError, match="is not a game of xent/Taboo-v1"):
        game_space("Taboo").instance(good)
    tampered = {**GameInstance.from_id(good).to_json(), "seed": 1}
    with pytest.raises(ConfigError, match="disagree with its id"):
        GameInstance.from_json(tampered)


@pytest.mark.parametrize(
    "bad", ["nonsense", "xent/Condense-v0?budget=10", "", "xent/Condense-v0?#1@", 5]
)
def test_malformed_instance_ids_are_config_errors(bad):
    with pytest.raises(ConfigError, match="not a game instance id|is cut short or edited"):
        GameInstance.from_id(bad)


# -- the train/eval split --------------------------------------------------------------------
def test_seed_split_is_stable_and_depends_on_the_game():
    evals = {
        g: {s for s in range(3000) if seed_split(g, s) == "eval"} for g in ("Condense", "Taboo")
    }
    for seeds in evals.values():
        assert 240 < len(seeds) < 360  # EVAL_FRACTION = 0.1
    overlap = len(evals["Condense"] & evals["Taboo"])
    assert overlap < 60  # independent games share ~1% of seeds, not 10%
    assert [seed_split("Condense", s) for s in (4, 5)] == ["train", "eval"]
    assert [seed_split("Taboo", s) for s in (4, 5)] == ["eval", "train"]


def test_sample_respects_the_split():
    space = game_space("Condense")
    rng = np.random.default_rng(0)
    for split in ("train", "eval"):
        for _ in range(20):
            assert seed_split("Condense", space.sample(rng, split=split).seed) == split
    with pytest.raises(ConfigError, match="split must be"):
        space.sample(rng, split="test")  # type: ignore[arg-type]


@pytest.mark.parametrize("env_id", ["xent/Condense-v0", RANDOM_ID])
@pytest.mark.parametrize("split", ["train", "eval"])
def test_an_env_made_for_a_split_draws_only_its_maps(env_id, split, tiny_judge):
    env = gym.make(env_id, judge=tiny_judge, split=split)
    infos = [env.reset(seed=s)[1] for s in range(20)]
    assert [seed_split(i["game"], i["seed"]) for i in infos] == [split] * 20


# -- game packs (entry points) ---------------------------------------------------------------
def install_pack(folder, dist, entry_points):
    """A real installed distribution (a .dist-info folder on sys.path) declaring game packs."""
    info = folder / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}")


def test_games_from_the_entry_point_group_are_registered(tmp_path, monkeypatch):
    install_pack(tmp_path, "goodpack", {"pack": "tests.envs.game_pack:GAMES"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        register_entry_point_games()
    assert game_space("PackEcho").definition.summary == "A game from an entry point."
    assert "xent/PackEcho-v0" in gym.registry


def test_a_pack_names_a_game_list_one_game_or_a_function(tmp_path, monkeypatch):
    install_pack(
        tmp_path,
        "formspack",
        {
            "listed": "tests.envs.game_pack:GAMES",
            "single": "tests.envs.game_pack:SINGLE",
            "called": "tests.envs.game_pack:games",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        register_entry_point_games()
    assert {"PackEcho", "PackSingle", "PackCalled"} <= {s.name for s in list_games()}


@pytest.mark.parametrize(
    "target, message",
    [
        ("NOT_GAMES", "ConfigError: expected a GameDef or a list of them, got str"),
        ("endless", "ConfigError: a game pack holds at most 1000 games"),
        ("TWICE", "ConfigError: xent/PackEcho-v0 is defined twice in one registration"),
    ],
)
def test_a_pack_that_is_not_games_is_skipped_with_the_reason(
    tmp_path, monkeypatch, target, message
):
    install_pack(tmp_path, "oddpack", {"odd": f"tests.envs.game_pack:{target}"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(GamePackWarning) as caught:
        register_entry_point_games()
    assert [str(w.message).endswith(message) for w in caught] == [True]
    assert caught[0].filename == __file__  # the warning points at the caller
    assert not {s.name for s in list_games()} - BUILTIN


def test_a_broken_game_pack_warns_and_the_others_register(tmp_path, monkeypatch):
    install_pack(tmp_path, "brokenpack", {"missing": "tests.envs.game_pack:NOT_THERE"})
    install_pack(tmp_path, "badgamepack", {"bad": "tests.envs.game_pack:HALF_BROKEN"})
    install_pack(tmp_path, "goodpack", {"pack": "tests.envs.game_pack:GAMES"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(GamePackWarning) as caught:
        register_entry_point_games()
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2
    assert messages[0].startswith(
        "game pack 'badgamepack' (entry point bad = tests.envs.game_pack:HALF_BROKEN in group "
        "'xent_envs.games') was not registered: ConfigError: game name 'Pack Two'"
    )
    assert messages[1].startswith("game pack 'brokenpack' (entry point missing = ")
    assert "AttributeError" in messages[1]
    assert game_space("PackEcho")  # the good pack is registered
    assert "PackOne" not in {s.name for s in list_games()}  # a pack registers whole or not at all


def test_import_survives_a_broken_game_pack(tmp_path):
    install_pack(tmp_path, "brokenpack", {"missing": "no_such_module:GAMES"})
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", "import xent_envs; print(len(xent_envs.list_games()))"],
        cwd=root,
        env={"PYTHONPATH": f"{root}:{tmp_path}", "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(len(BUILTIN))
    assert (
        "GamePackWarning: game pack 'brokenpack' (entry point missing = no_such_module:GAMES"
        in result.stderr
    )
    assert "ModuleNotFoundError" in result.stderr


@pytest.mark.filterwarnings("ignore:.*is out of date:DeprecationWarning")
def test_sync_and_async_vector_envs_play_the_same_version():
    """Async workers play exactly what the parent's sync env plays, with another version of
    the game registered (the spec names the version; a worker can rebuild the game from it)."""
    register_game(source=echo(3), name="Twin")
    register_game(source=echo(5), name="Twin", version=1)
    played = {}
    for mode, kwargs in (("sync", {}), ("async", {"shared_memory": False})):
        envs = gym.make_vec(
            "xent/Twin-v0", num_envs=2, vectorization_mode=mode, judge=TINY, vector_kwargs=kwargs
        )
        _, infos = envs.reset(seed=[1, 2])
        _, rewards, terminated, _, _ = envs.step(([1, 2, 3, 4, 5, 6], [7]))
        envs.close()
        played[mode] = (list(infos["max_tokens"]), list(infos["instance_id"]), rewards.tolist())
        assert terminated.all()
    assert played["sync"] == played["async"]
    assert played["sync"][0] == [3, 3]


def test_an_unlisted_game_plays_by_id_but_is_not_listed_until_registered_listed():
    space = register_game(source=echo(), name="Hidden", listed=False)
    assert space.env_id in gym.registry and game_space("Hidden") is space
    assert "Hidden" not in {s.name for s in list_games()}
    register_game(source=echo(), name="Hidden")  # the same game, now listed
    assert "Hidden" in {s.name for s in list_games()}
    register_game(source=echo(), name="Hidden", listed=False)  # never unlists a listed game
    assert "Hidden" in {s.name for s in list_games()}
