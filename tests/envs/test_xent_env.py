import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import xent_envs
from tests.games.game_maps import SCRIPTED
from xent_envs.envs import XentEnv, echo_opponent
from xent_envs.games import GameInstance
from xent_envs.lang import Machine, instantiate_map
from xent_envs.lang import play as play_program
from xent_envs.maps import JudgeTextSource
from xent_envs.registration import game_space, list_games
from xent_envs.wrappers import TextActions

TINY = "tiny-random-gpt2"
ALL_IDS = [space.env_id for space in list_games()] + ["xent/Random-v0", "xent/Sampled-v0"]


def play(env, seed, policy):
    """Play one episode; return (observations, rewards, infos, terminated, truncated)."""
    obs, info = env.reset(seed=seed)
    observations, rewards, infos = [obs], [], [info]
    for _ in range(200):
        obs, reward, terminated, truncated, info = env.step(policy(info))
        observations.append(obs)
        rewards.append(reward)
        infos.append(info)
        if terminated or truncated:
            return observations, rewards, infos, terminated, truncated
    raise AssertionError("episode did not end")


def first_tokens(info):
    return list(range(1000, 1000 + info["max_tokens"]))


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_env_checker_passes_for_every_registered_id(env_id):
    check_env(gym.make(env_id, judge=TINY).unwrapped, skip_render_check=False)


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_random_moves_end_every_episode_with_finite_rewards(env_id):
    env = gym.make(env_id, judge=TINY, rounds=2)
    env.action_space.seed(0)
    _, rewards, infos, terminated, truncated = play(env, 5, lambda info: env.action_space.sample())
    assert all(np.isfinite(r) for r in rewards)
    if terminated:
        assert len(infos[-1]["round_scores"]) == 2
    else:  # a game with an ensure that random moves keep failing
        assert truncated and infos[-1]["truncation_reason"]


# On the tiny judge's map texts these games refuse the scripted move (Intruder's quote is not
# in the random text; the bars of Horizon, Fresh and WhatIf depend on the judge): they must end on the
# ensure limit exactly when the language does.
REFUSED_ON_TINY_MAPS = {"Intruder", "Horizon", "Fresh"}
# Schelling pays only for picks that are words of the story, and the tiny judge's random story
# does not hold the scripted word: every round scores exactly 0 (tests/games covers its pay).
ZERO_ON_TINY_MAPS = {"Schelling"}


@pytest.mark.parametrize("name", sorted(SCRIPTED))
def test_every_game_pays_what_its_program_promises(name, tiny_judge):
    """Scripted moves through the env earn, round by round, exactly what the program pays when
    the language plays the same map directly (another path: no env, no wrapper)."""

    def scripted(player, register):
        """The move for an elicit: Debate's second move is white's, Horizon's is x2."""
        moves = SCRIPTED[name]
        return moves[1] if player == "white" or register == "x2" else moves[0]

    seats = game_space(name).definition.players
    opponents = {
        seat: (lambda obs, info, seat=seat: scripted(seat, info["register"]))
        for seat in seats
        if seat != "black"
    }
    env = TextActions(
        gym.make(game_space(name).env_id, judge=tiny_judge, rounds=2, opponents=opponents)
    )
    _, info = env.reset(seed=5)
    rewards, done = [], False
    while not done:
        _, reward, terminated, truncated, info = env.step(scripted("black", info["register"]))
        rewards.append(reward)
        done = terminated or truncated

    instance = GameInstance.from_id(info["instance_id"])
    space = game_space(instance.env_id)
    params = instance.param_dict
    texts = JudgeTextSource(tiny_judge, story_tokens=params["story_tokens"], side=instance.side)
    program = instantiate_map(space.program(params), texts, instance.seed)
    machine = Machine(program, tiny_judge, rounds=2, seed=instance.seed)

    def move(request):
        text = scripted(request.player, request.register)
        return tiny_judge.decode(tiny_judge.encode(text)[: request.max_tokens])

    over = play_program(machine, tiny_judge.score_batch, move)
    expected = [s["black"] for s in machine.scores]
    assert over.reason == ("ensure_limit" if name in REFUSED_ON_TINY_MAPS else "finished")
    assert (terminated, truncated) == (over.reason == "finished", over.reason != "finished")
    assert info["round_scores"] == pytest.approx(expected, abs=1e-9)
    assert sum(rewards) == pytest.approx(sum(expected), abs=1e-9)
    if over.reason == "finished":
        assert len(expected) == 2 and (expected[0] == 0.0) == (name in ZERO_ON_TINY_MAPS)


@pytest.mark.parametrize("env_id", ["xent/Condense-v0", "xent/Random-v0"])
def test_same_seed_same_episode(env_id):
    runs = [play(gym.make(env_id, judge=TINY, rounds=2), 42, first_tokens) for _ in range(2)]
    (obs_a, rew_a, info_a, *_), (obs_b, rew_b, info_b, *_) = runs
    assert obs_a == obs_b
    assert rew_a == rew_b
    assert [i["instance_id"] for i in info_a] == [i["instance_id"] for i in info_b]
    other = play(gym.make(env_id, judge=TINY, rounds=2), 43, first_tokens)
    assert other[2][0]["instance_id"] != info_a[0]["instance_id"]


def test_reset_without_seed_continues_the_stream():
    env = gym.make("xent/Condense-v0", judge=TINY)
    _, a = env.reset(seed=7)
    _, b = env.reset()
    assert a["instance_id"] != b["instance_id"]


def test_observation_and_info_contract():
    env = gym.make("xent/Condense-v0", judge=TINY, rounds=2)
    obs, info = env.reset(seed=0)
    lines = obs.splitlines()
    assert lines[0] == "# Condense - round 1/2"
    assert "## Visible" in lines and "## Your move" in lines
    assert lines[-1] == f"Write x in at most {info['max_tokens']} tokens."
    for key in (
        "game",
        "instance_id",
        "params",
        "seed",
        "player",
        "register",
        "max_tokens",
        "round",
        "rounds",
        "judge",
    ):
        assert key in info
    assert info["judge"] == env.unwrapped.judge.fingerprint
    obs, reward, terminated, _truncated, info = env.step(first_tokens(info))
    assert not terminated and info["round"] == 1
    assert "## Earlier rounds" in obs and "round 1: x = " in obs
    assert info["reward_terms"] and sum(t["total"] for t in info["reward_terms"]) == pytest.approx(
        reward
    )
    assert sum(bits for _, bits in info["token_rewards"]) == pytest.approx(reward, abs=1e-6)
    assert info["round_scores"][0] == pytest.approx(reward)


@pytest.mark.parametrize(
    "action, reason",
    [
        ([10**9], "token ids must be in [0, 50257); got [1000000000]"),
        ([-1, 3], "token ids must be in [0, 50257); got [-1]"),
        ("hello", "an action must be a flat sequence of integer token ids"),
        ([1.5, 2.0], "an action must be a flat sequence of integer token ids"),
        ([[1, 2]], "an action must be a flat sequence of integer token ids"),
        (None, "an action must be a flat sequence of integer token ids"),
    ],
)
def test_invalid_actions_are_game_events(action, reason):
    env = gym.make("xent/Condense-v0", judge=TINY)
    _obs0, _ = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(action)
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert info["invalid_action"] and info["reason"] == reason
    assert f"Your move was rejected: {reason}" in obs
    _, _, terminated, _, info = env.step([5, 6])  # the game goes on
    assert terminated and not info["invalid_action"]


def test_over_budget_moves_are_cut_and_empty_moves_are_played():
    env = gym.make("xent/Condense-v0", judge=TINY, rounds=2)
    _, info = env.reset(seed=0)
    budget = info["max_tokens"]
    _, _, _, _, info = env.step(list(range(300, 300 + budget + 7)))
    assert info["cut"] and info["move_tokens"] == budget
    _, reward, terminated, _, info = env.step([])
    assert terminated and info["move"] == "" and np.isfinite(reward)


def test_step_after_the_end_needs_reset():
    env = XentEnv("Condense", judge=TINY)
    env.reset(seed=0)
    env.step([1])
    with pytest.raises(gym.error.ResetNeeded):
        env.step([1])


def test_score_actions_predicts_the_step_reward():
    env = gym.make(game_space("Synthesize").env_id, judge=TINY)
    _, _info = env.reset(seed=3)
    candidates = [[100, 200], [300], [], [10**9], list(range(400, 460))]
    predicted = env.unwrapped.score_actions(candidates)
    assert predicted[3] == float("-inf")
    for action, expected in zip(candidates, predicted):
        if expected == float("-inf"):
            continue
        env.reset(seed=3)
        _, reward, *_ = env.step(action)
        assert reward == pytest.approx(expected, abs=1e-9)


def test_ensure_failing_ten_times_truncates_with_reason():
    space = xent_envs.register_game(
        source="assign(s=story())\nelicit(x, 3)\nensure(xed(x | s) > xed(x | s))\nreward(xed(s | x))",
        name="NeverPass",
    )
    env = gym.make(space.env_id, judge=TINY)
    _, info = env.reset(seed=0)
    for attempt in range(1, 12):
        obs, _reward, terminated, truncated, info = env.step([7])
        if attempt < 11:
            assert not (terminated or truncated) and info["ensure_failed"]
            assert "## Feedback" in obs
    assert truncated and not terminated
    assert "11" in info["truncation_reason"]


def test_other_seats_are_played_by_opponents_and_zero_sum_is_paid():
    source = (
        "assign(s=story())\nelicit(x, 4)\nelicit(white, y, 4)\n"
        "reward(black, xed(s | x))\nreward(white, xed(s | y))"
    )
    space = xent_envs.register_game(source=source, name="Duel")
    seen = []

    def white(observation, info):
        seen.append(info["player"])
        return [50, 51]

    env = gym.make(space.env_id, judge=TINY, opponents={"white": white})
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step([60, 61])
    assert seen == ["white"] and terminated
    black = [t["total"] for t in info["reward_terms"]]
    white = [
        ev.score.total
        for ev in env.unwrapped.match.machine.events
        if getattr(ev, "kind", None) == "reward" and ev.player == "white"
    ]
    assert len(black) == 2 and reward == pytest.approx(sum(black))
    assert white == pytest.approx([-b for b in black])


def test_render_ansi_transcript():
    env = gym.make("xent/Condense-v0", judge=TINY, render_mode="ansi")
    env.reset(seed=0)
    env.step([100, 101])
    text = env.render()
    assert (
        text.startswith("== xent/Condense-v0?") and "black x = " in text and "reward line" in text
    )


def test_text_actions_wrapper_encodes_with_the_judge_tokenizer():
    env = TextActions(gym.make("xent/Condense-v0", judge=TINY, render_mode="ansi"))
    env.reset(seed=0)
    _, _, terminated, _, info = env.step("the cat sat")
    assert terminated and info["move"] == "the cat sat"
    _, info = env.reset(seed=0)
    _, _, _, _, info = env.step(12)
    assert info["invalid_action"]


def test_vary_and_per_episode_params():
    env = gym.make("xent/Condense-v0", judge=TINY, vary=["story_tokens"])
    drawn = {env.reset(seed=s)[1]["params"]["story_tokens"] for s in range(6)}
    assert len(drawn) > 1
    _, info = env.reset(seed=0, options={"params": {"rounds": 3}})
    assert info["rounds"] == 3
    replay_id = info["instance_id"]
    _, again = gym.make("xent/Condense-v0", judge=TINY).reset(options={"instance": replay_id})
    assert again["instance_id"] == replay_id


def test_bad_make_arguments_fail_at_make_time():
    with pytest.raises(xent_envs.XentError):
        gym.make("xent/Condense-v0", judge=TINY, rounds=0)
    with pytest.raises(xent_envs.XentError, match="Did you mean"):
        XentEnv("Condens", judge=TINY)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_envs_run(mode):
    kwargs = {"vector_kwargs": {"shared_memory": False}} if mode == "async" else {}
    envs = gym.make_vec(
        "xent/Condense-v0", num_envs=3, vectorization_mode=mode, judge=TINY, **kwargs
    )
    obs, _ = envs.reset(seed=[1, 2, 3])
    assert len(obs) == 3 and all(isinstance(o, str) for o in obs)
    obs, rewards, terminated, _truncated, _infos = envs.step(([1, 2], [3], [4, 5, 6]))
    assert rewards.shape == (3,) and terminated.all()
    envs.close()


def test_score_actions_plays_the_other_seats_like_step():
    env = gym.make(game_space("Debate").env_id, judge=TINY)
    candidates = [[100, 200, 300], [400]]
    env.reset(seed=2)
    predicted = env.unwrapped.score_actions(candidates)
    for action, expected in zip(candidates, predicted):
        env.reset(seed=2)
        _, reward, terminated, *_ = env.step(action)
        assert terminated and reward == pytest.approx(expected, abs=1e-9) and reward != 0.0


# ------------------------------------------------------------------ faults fixed (issues 8, 9, 15, 16)
def test_text_actions_wrapped_env_passes_the_env_checker():
    with pytest.warns(UserWarning, match="different from the unwrapped version"):
        check_env(TextActions(gym.make("xent/Condense-v0", judge=TINY)))


@pytest.mark.parametrize(
    "kwargs, expected",
    [({}, 10), ({"budget": 7}, 7), ({"vary": ["budget"]}, 32)],
)
def test_action_space_is_as_long_as_the_largest_budget(kwargs, expected):
    env = gym.make("xent/Condense-v0", judge=TINY, **kwargs)
    space = xent_envs.game_space("Condense")
    budget = space.parameter("budget")
    expected = {10: budget.default, 7: 7, 32: budget.high}[expected]
    assert env.action_space.max_length == expected
    _, info = env.reset(seed=0)
    assert info["max_tokens"] <= env.action_space.max_length


def test_info_after_a_step_says_which_seat_moved():
    env = gym.make("xent/Debate-v1", judge=TINY, seat="white")
    obs, info = env.reset(seed=1)
    assert info["player"] == info["seat"] == "white" and "Write y in at most" in obs
    _, reward, terminated, _, info = env.step([100, 200])
    assert info["moved_seat"] == "white" and terminated
    black = gym.make("xent/Debate-v1", judge=TINY, opponents={"white": lambda o, i: [100, 200]})
    black.reset(seed=1)
    _, black_reward, *_ = black.step(XentEnv("Debate", judge=TINY).judge.encode(_echo(env)))
    assert black_reward == pytest.approx(-reward, abs=1e-9)


def _echo(env):
    """The text echo_opponent played for black in ``env``'s finished match."""
    (move,) = [
        ev.text
        for ev in env.unwrapped.match.machine.events
        if getattr(ev, "player", "") == "black" and type(ev).__name__ == "MoveEvent"
    ]
    return move


def test_refused_candidates_score_minus_inf_and_never_outrank_legal_moves(tiny_judge):
    space = xent_envs.register_game(
        source='assign(s=story())\nelicit(x, 4)\nensure(only_uses_chars("ab ", x))\n'
        "reward(-xent(s | x))",
        name="OnlyAB",
        summary="Write with a, b and spaces only.",
        description="Moves may use only the characters a, b and space.",
        reward="-xent(s | x)",
        skill="constrained writing",
    )
    env = gym.make(space.env_id, judge=TINY)
    env.reset(seed=0)
    legal, refused = tiny_judge.encode(" a b"), tiny_judge.encode(" xyz")
    scores = env.unwrapped.score_actions([legal, refused, [10**9]])
    assert -math.inf < scores[0] < 0 and scores[1] == scores[2] == -math.inf
    assert max(range(3), key=scores.__getitem__) == 0
    detail = env.unwrapped.score_actions([legal, refused, [10**9]], detail=True)
    assert [d.legal for d in detail] == [True, False, False]
    assert detail[0].reward == scores[0] and detail[0].terms[0].line == 4
    assert detail[1].reason.startswith("Your move was refused by line 3: ensure(")
    assert detail[2].reason == "token ids must be in [0, 50257); got [1000000000]"
    _, reward, *_ = env.step(legal)
    assert reward == pytest.approx(scores[0], abs=1e-9)


def test_score_actions_at_a_non_final_elicit_plays_the_round_with_the_baseline():
    env = gym.make("xent/Horizon-v2", judge=TINY)
    candidate = [1000, 2000]
    env.reset(seed=5)  # a map where the baseline's second step passes the ensure
    (predicted,) = env.unwrapped.score_actions([candidate])
    assert predicted != 0.0 and math.isfinite(predicted)
    with pytest.raises(xent_envs.XentError, match="non-final elicit"):
        env.unwrapped.score_actions([candidate], continuation=None)
    obs, info = env.reset(seed=5)
    obs, total, terminated, truncated, info = env.step(candidate)
    assert total == 0.0 and info["register"] == "x2"
    while not (terminated or truncated):
        move = env.unwrapped.judge.encode(echo_opponent(obs, {**info, "visible": _visible(env)}))
        obs, reward, terminated, truncated, info = env.step(move)
        total += reward
    assert total == pytest.approx(predicted, abs=1e-9)


def _visible(env):
    return dict(env.unwrapped.match.pending.visible)


def test_info_exposes_the_eval_score_and_the_rl_return():
    env = gym.make("xent/Condense-v0", judge=TINY, rounds=3)
    _, info = env.reset(seed=0)
    rewards = []
    for move in ([5], [700, 800, 900], [3000]):
        *_, reward, _terminated, _truncated, info = env.step(move)
        rewards.append(reward)
    assert info["round_scores"] == pytest.approx(rewards)
    assert info["map_score"] == max(info["round_scores"])
    assert info["episode_return"] == pytest.approx(sum(rewards))
    assert info["map_score"] != pytest.approx(info["episode_return"])


def test_map_seed_option_plays_that_map_directly():
    env = gym.make("xent/Condense-v0", judge=TINY)
    obs, info = env.reset(seed=0)
    assert info["seed"] == info["map_seed"] != 0  # reset's seed seeds the draw of the map seed
    again, replay = gym.make("xent/Condense-v0", judge=TINY).reset(
        options={"map_seed": info["map_seed"]}
    )
    assert (again, replay["instance_id"]) == (obs, info["instance_id"])
    eval_seed = next(s for s in range(1000) if xent_envs.seed_split("Condense", s) == "eval")
    with pytest.raises(xent_envs.XentError, match="'eval' split"):
        gym.make("xent/Condense-v0", judge=TINY, split="train").reset(
            options={"map_seed": eval_seed}
        )
    with pytest.raises(xent_envs.XentError, match="must be an int"):
        env.reset(options={"map_seed": "7"})


@pytest.mark.parametrize(
    "options, message",
    [
        ({"params": 5}, "options['params'] must be a dict of parameter values"),
        ({"params": {"rouns": 2}}, "unknown parameter 'rouns' of Condense. Did you mean 'rounds'"),
        ({"param": {}}, "unknown reset option 'param'. Did you mean 'params'"),
        ("rounds", "reset options must be a dict"),
        ({"instance": "xent/Condense-v0?#1@x", "map_seed": 3}, "cannot be combined"),
    ],
)
def test_bad_reset_options_are_clear_errors(options, message):
    env = XentEnv("Condense", judge=TINY)
    with pytest.raises(xent_envs.XentError) as raised:
        env.reset(seed=0, options=options)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"judge": 123}, "judge must be a judge name"),
        ({"opponents": 5}, "opponents must be a dict of seat name -> policy"),
        ({"opponents": {"whit": print}}, "unknown opponent seat 'whit'"),
        ({"opponents": {"white": 5}}, "must be a callable"),
        ({"game": []}, "game must be a game name, '*' (every game) or a non-empty list"),
        ({"game": [3]}, "game must be a game name"),
        ({"seat": "white", "game": "Condense"}, "seat 'white' is not a seat of Condense"),
        ({"step_limit": 0}, "step_limit must be a positive int"),
    ],
)
def test_bad_make_arguments_are_config_errors(kwargs, message):
    kwargs = {"game": "Debate", "judge": TINY, **kwargs}
    with pytest.raises(xent_envs.errors.ConfigError) as raised:
        XentEnv(**kwargs)
    assert message in str(raised.value)


def test_step_after_the_end_names_why():
    env = gym.make("xent/Condense-v0", judge=TINY)
    env.reset(seed=0)
    env.step([1])
    with pytest.raises(
        gym.error.ResetNeeded, match=r"the episode is over \(all 1 round\(s\) played\)"
    ):
        env.step([1])
    with pytest.raises(gym.error.ResetNeeded, match="call reset"):
        env.unwrapped.score_actions([[1]])


def test_step_limit_truncates_with_a_reason():
    assert (
        XentEnv("Condense", judge=TINY).step_limit == gym.spec("xent/Condense-v0").max_episode_steps
    )
    env = gym.make("xent/Condense-v0", judge=TINY, step_limit=3)
    env.reset(seed=0)
    for _ in range(2):
        *_, terminated, truncated, info = env.step("not tokens")
        assert not (terminated or truncated) and info["invalid_action"]
    *_, terminated, truncated, info = env.step("not tokens")
    assert truncated and not terminated
    assert info["truncation_reason"] == "step limit reached: 3 steps"
    with pytest.raises(gym.error.ResetNeeded, match="step limit reached"):
        env.step([1])


def test_a_move_is_cut_once_by_the_language_rule(tiny_judge):
    env = gym.make("xent/Condense-v0", judge=TINY, budget=3)
    env.reset(seed=0)
    ids = [tiny_judge.encode(c)[0] for c in "abcd"]  # four tokens that decode to one word
    assert len(tiny_judge.encode("abcd")) <= 3
    *_, info = env.step(ids)
    assert (info["move"], info["cut"], info["move_tokens"]) == (
        "abcd",
        False,
        len(tiny_judge.encode("abcd")),
    )


class _OtherJudge:
    """The tiny judge under another fingerprint, writing other map texts."""

    def __init__(self, judge):
        self._judge = judge

    def __getattr__(self, name):
        return getattr(self._judge, name)

    @property
    def fingerprint(self):
        return {**self._judge.fingerprint, "variant": "other"}

    def generate(self, prompt, max_new_tokens, seed, **options):
        return self._judge.generate(prompt, max_new_tokens, seed + 1, **options)


def test_two_judges_never_share_a_map(tiny_judge):
    first = XentEnv("Condense", judge=tiny_judge)
    obs, info = first.reset(seed=0)
    other = XentEnv("Condense", judge=_OtherJudge(tiny_judge))
    other_obs, again = other.reset(seed=0)
    # The same map seed, but the id names the judge: two ids, two maps.
    assert again["seed"] == info["seed"] and again["instance_id"] != info["instance_id"]
    assert other_obs != obs and again["judge"]["variant"] == "other"
    # An id replays only with the judge it names (its texts and scores depend on it).
    with pytest.raises(xent_envs.errors.ConfigError, match="it names the judge [0-9a-f]{12}, this"):
        other.reset(options={"instance": info["instance_id"]})
