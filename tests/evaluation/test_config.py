"""What a run plays and what its keys cover: a folder grows with agents, games and maps, and
refuses a change of judge, seed, split or rounds, or of what an agent's name means."""

from __future__ import annotations

import pytest

from xent_envs.errors import ConfigError
from xent_envs.evaluation import MAX_MAPS, AgentSpec, EvalConfig, RunManifest

FP = {"model": "j", "weights_sha256": "aa"}


def test_agent_specs_parse_labels_and_sources():
    assert AgentSpec.parse("random") == AgentSpec("random")
    assert AgentSpec.parse(" s16 = search ", {"budget": 16}) == AgentSpec(
        "s16", "search", {"budget": 16}
    )
    assert AgentSpec.parse("pkg.mod:Agent").target == "pkg.mod:Agent"
    assert AgentSpec("s16", "search").target == "search"
    with pytest.raises(ConfigError, match="nothing after '='"):
        AgentSpec.parse("s16=")
    with pytest.raises(ConfigError, match="an agent name must be non-empty"):
        AgentSpec.parse("=search")
    with pytest.raises(ConfigError, match="must be JSON values"):
        AgentSpec("a", options={"sleep": print})


def test_configs_refuse_bad_values_with_clear_messages():
    with pytest.raises(
        ConfigError, match="maps must be between 1 and 100000 per game, got 100000000000"
    ):
        EvalConfig(agents=("random",), maps=100_000_000_000)
    with pytest.raises(ConfigError, match="maps must be between 1"):
        EvalConfig(agents=("random",), maps=0)
    with pytest.raises(ConfigError, match="rounds must be at least 1"):
        EvalConfig(agents=("random",), rounds=0)
    with pytest.raises(ConfigError, match="no agent to evaluate"):
        EvalConfig(agents=())
    with pytest.raises(ConfigError, match="agent 'random' is named twice"):
        EvalConfig(agents=("random", "random"))
    assert EvalConfig(agents=("random",), maps=MAX_MAPS).maps == MAX_MAPS


def test_the_run_key_ignores_agents_games_and_maps_so_a_folder_can_grow():
    base = EvalConfig(agents=("random",), games=("Condense",), maps=2, judge="j")
    grown = EvalConfig(agents=("random", "search"), games=("Condense", "Taboo"), maps=9, judge="j")
    assert base.run_key(FP) == grown.run_key(FP)
    for other in (
        EvalConfig(agents=("random",), seed=1),
        EvalConfig(agents=("random",), split="train"),
        EvalConfig(agents=("random",), rounds=3),
    ):
        assert other.run_key(FP) != base.run_key(FP)
    assert base.run_key(FP) != base.run_key({**FP, "weights_sha256": "bb"})


def test_a_map_key_covers_its_game_parameters_index_and_agent_but_not_secrets():
    config = EvalConfig(agents=(AgentSpec("o", "openai", {"model": "m", "api_key": "s1"}),),
                        game_params={"Condense": {"budget": 5}})  # fmt: skip
    key = config.map_key("run", "Condense", 0, "o")
    same = EvalConfig(agents=(AgentSpec("o", "openai", {"model": "m", "api_key": "s2"}), "x"),
                      game_params={"Condense": {"budget": 5}, "Taboo": {"budget": 3}})  # fmt: skip
    assert same.map_key("run", "Condense", 0, "o") == key
    assert config.map_key("run", "Condense", 1, "o") != key
    assert config.map_key("other", "Condense", 0, "o") != key
    assert config.map_key("run", "Taboo", 0, "o") != key
    changed = EvalConfig(agents=(AgentSpec("o", "openai", {"model": "n"}),),
                         game_params={"Condense": {"budget": 5}})  # fmt: skip
    assert changed.map_key("run", "Condense", 0, "o") != key
    params = EvalConfig(agents=config.agents, game_params={"Condense": {"budget": 6}})
    assert params.map_key("run", "Condense", 0, "o") != key


def test_the_manifest_names_what_changed_about_an_agent_or_a_game():
    first = EvalConfig(agents=(AgentSpec("search", options={"budget": 12}),), games=("Condense",))
    manifest = RunManifest.of(first, FP).grown(first)
    assert manifest.conflicts(first) == []
    more = EvalConfig(agents=("random", AgentSpec("search", options={"budget": 12})),
                      games=("Condense", "Taboo"))  # fmt: skip
    assert manifest.conflicts(more) == []
    assert set(manifest.grown(more).agents) == {"random", "search"}
    changed = EvalConfig(agents=(AgentSpec("search", options={"budget": 13}),), games=("Condense",),
                         game_params={"Condense": {"budget": 4}})  # fmt: skip
    assert manifest.conflicts(changed) == [
        "agent 'search' was played here as search with options {\"budget\": 12}, now search with "
        'options {"budget": 13}; give the new one another label (LABEL=SOURCE)',
        "game 'Condense' was played here with parameters {}, now {\"budget\": 4}",
    ]
