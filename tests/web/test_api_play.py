"""The play API, through a real app and the tiny judge: a person plays a run's map and is
recorded as an agent of that run; practice maps; other seats played by agents; every kind of
bad input answered with a clear message and nothing played or lost."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

from agents.random_agent import RandomAgent
from agents.search_agent import SearchAgent
from tests.web.conftest import make_run
from xent_envs.evaluation import AgentSpec, EvalConfig, ResultsStore, evaluate, leaderboard
from xent_envs.web import OpponentSpec, WebSettings

MOVE = " a farmer and his dog"


def start(client, **body):
    response = client.post("/api/play", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def play(client, view, text):
    response = client.post(
        f"/api/play/{view['session']}/move", json={"text": text, "version": view["version"]}
    )
    assert response.status_code == 200, response.text
    return response.json()


def error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == code, body
    return body["message"]


def saved_records(folder):
    return ResultsStore(folder).scan(lambda record: record.slot).records


# ---------------------------------------------------------------------- a run's map
def test_a_person_plays_the_runs_map_and_is_recorded_as_an_agent(client, root, tiny_judge):
    view = start(client, game="Condense", map=0, folder="main", player="ada")
    assert view["state"] == "your_move" and view["register"] == "x" and view["max_tokens"] == 10
    agent_record = saved_records(root / "main")[("Condense", 0, "random")]
    assert view["instance_id"] == agent_record.instance_id  # the map the agent played
    assert view["recorded"] == {"folder": "main", "game": "Condense", "map": 0, "agent": "ada"}
    assert view["rules"].startswith("You are shown a story s.") and list(view["visible"]) == ["s"]

    over = play(client, view, MOVE)
    assert over["state"] == "over" and over["version"] > view["version"]
    assert over["saved"] == "main/maps/Condense/0000-ada.json"
    record = ResultsStore(root / "main").read(root / over["saved"])
    assert record.agent == "ada" and dict(record.seats) == {"black": "ada"}
    assert [s.move for s in record.steps] == [MOVE] and record.status == "ok"
    assert record.instance_id == agent_record.instance_id and record.run == agent_record.run

    # The score is the env's: the same instance and move in a fresh env pay the same bits.
    env = gym.make("xent/Condense-v0", judge=tiny_judge)
    env.reset(options={"instance": record.instance_id})
    _, reward, terminated, *_ = env.step(tiny_judge.encode(MOVE))
    assert terminated and record.score == reward == over["map_score"] == over["steps"][0]["reward"]
    step = over["steps"][0]
    assert step["reward"] == sum(step["reward_terms"][0]["bits"])
    tokens = step["reward_terms"][0]["tokens"]  # the story, token by token
    assert (
        len(tokens) == len(step["reward_terms"][0]["bits"])
        and "".join(tokens) == view["visible"]["s"]
    )

    # run.json names the person as the human agent; the leaderboard ranks it beside random.
    manifest = ResultsStore(root / "main").read_run()
    assert manifest.agents["ada"].to_json() == {"name": "ada", "source": "human", "options": {}}
    board = client.get("/api/results", params={"folder": "main"}).json()["leaderboard"]
    assert {row["agent"] for row in board["rows"]} == {"ada", "random"}
    records = saved_records(root / "main").values()
    expected = leaderboard(records, seed=0).to_json()
    assert json.loads(json.dumps(board)) == json.loads(json.dumps(expected, default=str))


def test_an_evaluation_growing_the_folder_keeps_the_persons_maps(client, root):
    start_view = start(client, game="Condense", map=1, folder="main")
    play(client, start_view, MOVE)
    board = make_run(root / "main", maps=3)  # the same run, one map more: it resumes
    assert [row.agent for row in board.rows] == ["random"]
    assert ("Condense", 1, "human") in saved_records(root / "main")
    manifest = ResultsStore(root / "main").read_run()
    assert set(manifest.agents) == {"human", "random"}


def test_a_new_folder_becomes_a_run_of_the_default_seed_and_split(client, root, tiny_judge):
    view = start(client, game="Condense", map=0)  # the server's play folder: web
    assert view["recorded"]["folder"] == "web"
    assert not (root / "web").exists()  # nothing is written before the map is finished
    over = play(client, view, MOVE)
    assert over["saved"] == "web/maps/Condense/0000-human.json"
    manifest = ResultsStore(root / "web").read_run()
    assert (manifest.seed, manifest.split, manifest.judge) == (0, "eval", "tiny-random-gpt2")
    # seed 0, split eval: the same map as map 0 of `main`, made by `xent-envs eval --seed 0`
    main = saved_records(root / "main")[("Condense", 0, "random")]
    assert view["instance_id"] == main.instance_id


def test_a_run_with_rounds_is_played_with_them(client, root):
    view = start(client, game="Condense", map=0, folder="two")
    assert view["rounds"] == 2
    second = play(client, view, MOVE)
    assert second["state"] == "your_move" and second["round"] == 1
    assert len(second["steps"]) == 1 and second["round_scores"][0] == second["steps"][0]["reward"]
    over = play(client, second, " the farm")
    record = ResultsStore(root / "two").read(root / over["saved"])
    assert [r.round for r in record.rounds] == [0, 1]
    assert record.score == max(over["round_scores"]) == over["map_score"]


# ---------------------------------------------------------------------- practice
def test_practice_by_seed_plays_the_map_reset_draws_and_records_nothing(client, root, tiny_judge):
    view = start(client, game="Condense", seed=7)
    _, info = gym.make("xent/Condense-v0", judge=tiny_judge).reset(seed=7)
    assert view["instance_id"] == info["instance_id"] and view["recorded"] is None
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    over = play(client, view, MOVE)
    assert over["state"] == "over" and over["saved"] is None
    assert over["message"] == "practice map: not recorded"
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_practice_by_instance_id_plays_exactly_that_map(client, root):
    agent_record = saved_records(root / "main")[("Condense", 1, "random")]
    view = start(client, instance=agent_record.instance_id)
    assert view["instance_id"] == agent_record.instance_id and view["game"] == "Condense"
    assert view["visible"]["s"] in agent_record.steps[0].observation


def test_sampled_games_are_played_like_any_game(client):
    pytest.importorskip("xent_envs.generation", exc_type=ImportError)  # merged separately
    from xent_envs.generation import sample_game

    game = sample_game(3)
    view = start(client, sampled=3)
    assert view["game"] == game.name and view["source"].startswith(f"sampled game {game.name}")
    assert view["state"] in ("your_move", "over")


def test_sampled_games_need_the_generation_package(client, monkeypatch):
    from xent_envs.web import plans

    monkeypatch.setattr(plans, "GENERATION_MODULE", "xent_envs.no_such_package")
    message = error(client.post("/api/play", json={"sampled": 1}), 422, "bad_request")
    assert "generation package" in message
    assert client.get("/api/info").json()["sampling"] is False


# ---------------------------------------------------------------------- other seats
@pytest.fixture
def with_agents(settings, client_for):
    search = OpponentSpec(
        "search", SearchAgent, {"budget": 6, "batch_size": 6, "generate_tokens": 0}
    )
    opponents = (OpponentSpec("random", RandomAgent), search)
    return client_for(WebSettings(judge="tiny-random-gpt2", results=settings.results,
                                  opponents=opponents))  # fmt: skip


def test_the_other_seat_is_played_by_the_chosen_agent(with_agents):
    info = with_agents.get("/api/info").json()
    assert info["opponents"] == ["echo", "random", "search"]
    view = start(with_agents, game="Debate", seed=1, seat="white", opponent="random")
    assert view["seat"] == "white" and view["register"] == "y"
    black_move = view["visible"]["x"]  # white reads black's case
    echo = start(with_agents, game="Debate", seed=1, seat="white")["visible"]["x"]
    assert black_move != echo  # random's tokens, not the echo baseline's
    again = start(with_agents, game="Debate", seed=1, seat="white", opponent="random")
    assert again["visible"]["x"] == black_move  # the agent is seeded by the map
    assert [s["seat"] for s in view["steps"]] == []  # white has not moved; black's is hidden
    over = play(with_agents, view, " cars need space in every centre")
    seats = [step["seat"] for step in over["transcript"]]
    assert seats == ["black", "white"]
    black, white = over["transcript"]
    assert black["move"] == black_move and white["reward"] == -black["reward"]  # zero-sum
    assert over["steps"] == [white]


def test_a_search_agent_ranks_moves_by_its_own_seat(with_agents):
    view = start(with_agents, game="Debate", seed=2, seat="black", opponent="search")
    over = play(with_agents, view, " cars make noise and smoke")
    black, white = over["transcript"]
    assert white["move"] and white["reward"] == -black["reward"]
    assert over["state"] == "over" and over["opponent"] == "search"


def test_a_persons_seat_and_opponent_are_part_of_its_agent(with_agents, root):
    view = start(with_agents, game="Debate", map=0, folder="main", seat="white", opponent="random")
    play(with_agents, view, " keep the cars")
    manifest = ResultsStore(root / "main").read_run()
    assert manifest.agents["human"].options == {"seat": "white", "opponent": "random"}
    # the same name under other conditions would mix results: refused, with a way out
    message = error(
        with_agents.post("/api/play", json={"game": "Debate", "map": 1, "folder": "main"}),
        422, "bad_request",
    )  # fmt: skip
    assert "'human' played in main under other conditions" in message and "human-black" in message


# ---------------------------------------------------------------------- bad moves
def test_a_move_over_budget_is_refused_and_nothing_is_played(client):
    view = start(client, game="Condense", seed=0)
    long = " the farmer walked his old dog along the river every single morning"
    response = client.post(
        f"/api/play/{view['session']}/move", json={"text": long, "version": view["version"]}
    )
    message = error(response, 422, "bad_move")
    assert message == (
        "Your move was not played: the move is 12 tokens long, over the budget of 10 tokens: "
        "shorten it."
    )
    same = client.get(f"/api/play/{view['session']}").json()
    assert (same["state"], same["version"], same["steps"]) == ("your_move", view["version"], [])
    assert play(client, same, MOVE)["state"] == "over"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ('"red \\u001b[31m"', "character 5 of the move is U+001B"),
        ('"a\\u202ecat"', "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ('"x\\u0000"', "U+0000"),
    ],
)
def test_a_move_with_invalid_characters_is_refused(client, raw, shown):
    view = start(client, game="Condense", seed=0)
    body = f'{{"text": {raw}, "version": {view["version"]}}}'
    response = client.post(
        f"/api/play/{view['session']}/move",
        content=body.encode(),
        headers={"content-type": "application/json"},
    )
    assert shown in error(response, 422, "bad_move")
    assert client.get(f"/api/play/{view['session']}").json()["state"] == "your_move"


def test_a_move_that_is_not_unicode_text_is_refused(client):
    view = start(client, game="Condense", seed=0)
    body = f'{{"text": "a\\ud800", "version": {view["version"]}}}'  # a lone surrogate
    response = client.post(
        f"/api/play/{view['session']}/move",
        content=body.encode(),
        headers={"content-type": "application/json"},
    )
    assert error(response, 422, "invalid_request").startswith(
        "text: Input should be a valid string"
    )


def test_line_breaks_and_tabs_are_fine_in_a_move(client):
    view = start(client, game="Condense", seed=0)
    assert play(client, view, "a\tdog\nran")["steps"][0]["move"] == "a\tdog\nran"


def test_a_move_an_ensure_refuses_is_asked_again_with_the_games_feedback(client, root):
    view = start(client, game="Lipogram", map=0, folder="main")
    again = play(client, view, " the tree")  # 'e' is not an allowed character
    assert again["state"] == "your_move" and again["version"] > view["version"]
    assert again["feedback"] and again["steps"][0]["ensure_failed"]
    assert again["steps"][0]["reason"] == again["feedback"] and again["steps"][0]["reward"] == 0.0
    over = play(client, again, " a big dog")
    assert [s["ensure_failed"] for s in over["steps"]] == [True, False]
    assert over["moves"] == [" the tree", " a big dog"]
    record = ResultsStore(root / "main").read(root / over["saved"])
    assert [(s.move, s.ensure_failed) for s in record.steps] == [
        (" the tree", True), (" a big dog", False),
    ]  # fmt: skip


def test_a_move_longer_than_the_request_limit_is_refused(client):
    view = start(client, game="Condense", seed=0)
    response = client.post(
        f"/api/play/{view['session']}/move", json={"text": "a" * 1001, "version": view["version"]}
    )
    assert "text: String should have at most 1000 characters" in error(
        response, 422, "invalid_request"
    )


def test_counting_tokens_of_a_draft(client, tiny_judge):
    view = start(client, game="Condense", seed=0)
    url = f"/api/play/{view['session']}/count"
    assert client.post(url, json={"text": MOVE}).json() == {
        "tokens": len(tiny_judge.encode(MOVE)), "max_tokens": 10, "problem": None,
    }  # fmt: skip
    bad = client.post(url, json={"text": "a\u200fb"}).json()
    assert bad["tokens"] is None and "U+200F RIGHT-TO-LEFT MARK" in bad["problem"]


# ---------------------------------------------------------------------- bad starts
@pytest.mark.parametrize(
    ("body", "status", "code", "shown"),
    [
        ({"game": "Condens", "seed": 0}, 404, "unknown_name",
         "unknown game 'Condens'. Did you mean 'Condense'?"),
        ({"instance": "xent/Condense-v0#12"}, 422, "bad_request", "not a game instance id"),
        ({"instance": "xent/Nope-v0?rounds=1#1@abc"}, 404, "unknown_name", "unknown game 'Nope'"),
        ({"instance": "xent/Condense-v0?budget=999&rounds=1&story_tokens=48#1@abc"}, 422,
         "bad_request", "budget"),
        ({"game": "Debate", "seed": 0, "seat": "pink"}, 404, "unknown_name",
         "unknown seat 'pink' of Debate. Valid: black, white."),
        ({"game": "Debate", "seed": 0, "opponent": "rnadom"}, 404, "unknown_name",
         "unknown opponent 'rnadom'. Valid: echo."),
        ({"game": "Condense"}, 422, "invalid_request", "exactly one of map, seed"),
        ({"game": "Condense", "map": 0, "seed": 1}, 422, "invalid_request", "(got map, seed)"),
        ({"map": 0}, 422, "invalid_request", "a game is needed"),
        ({"game": "Condense", "map": "0"}, 422, "invalid_request", "map: Input should be"),
        ({"game": "Condense", "map": -1}, 422, "invalid_request", "map: Input should be"),
        ({"game": "Condense", "seed": 0, "colour": "red"}, 422, "invalid_request", "colour"),
        ({"game": "Condense", "map": 0, "player": "a b"}, 422, "invalid_request", "player"),
        ({"game": "Condense", "map": 0, "folder": "../elsewhere"}, 422, "bad_request",
         "not hidden, not '..'"),
        ({"game": "Condense", "map": 0, "folder": "/etc"}, 422, "bad_request", "'/etc'"),
        ({"game": "Condense", "map": 0, "player": "random", "folder": "main"}, 422,
         "bad_request", "'random' is an agent of the run in main (random)"),
        ({"game": "Condense", "seed": 0, "replay": ["a"] * 501}, 422, "invalid_request",
         "replay: List should have at most 500 items"),
    ],
)  # fmt: skip
def test_bad_start_requests_are_refused_with_what_is_wrong(client, body, status, code, shown):
    assert shown in error(client.post("/api/play", json=body), status, code)
    assert len(client.app.state.sessions) == 0


def test_a_run_of_another_judge_is_refused(client, root, real_judge_fingerprint):
    store = ResultsStore(root / "main")
    manifest = store.read_run()
    data = manifest.to_json()
    data["judge_fingerprint"] = real_judge_fingerprint
    data["judge"] = "smollm2-135m"
    (root / "main" / "run.json").write_text(json.dumps(data))
    message = error(
        client.post("/api/play", json={"game": "Condense", "map": 0, "folder": "main"}),
        422, "bad_request",
    )  # fmt: skip
    assert message.startswith("the run in main was judged by 'smollm2-135m' (SmolLM2")
    assert "start the server with --judge smollm2-135m" in message


@pytest.fixture
def real_judge_fingerprint():
    return {"model": "SmolLM2-135M-Instruct", "dtype": "bfloat16"}


def test_a_folder_whose_run_file_is_foreign_is_refused(client, root):
    (root / "odd").mkdir()
    (root / "odd" / "run.json").write_text('{"what": "a file of another tool"}')
    message = error(
        client.post("/api/play", json={"game": "Condense", "map": 0, "folder": "odd"}),
        422, "bad_request",
    )  # fmt: skip
    assert message.startswith("odd is not a results folder this page can record in")


# ---------------------------------------------------------------------- sessions
def test_a_recorded_map_is_never_played_again(client):
    play(client, start(client, game="Condense", map=0, folder="main"), MOVE)
    response = client.post("/api/play", json={"game": "Condense", "map": 0, "folder": "main"})
    message = error(response, 409, "session_conflict")
    assert message.startswith("'human' already played map 0 of Condense in main (")


def test_a_foreign_file_in_the_maps_slot_is_never_overwritten(client, root):
    path = root / "main" / "maps" / "Condense" / "0001-human.json"
    path.write_text("notes of another tool")
    response = client.post("/api/play", json={"game": "Condense", "map": 1, "folder": "main"})
    assert "is taken by a file that is not a record" in error(response, 409, "session_conflict")
    assert path.read_text() == "notes of another tool"


def test_two_tabs_cannot_play_the_same_map_unless_one_takes_it_over(client, root):
    body = {"game": "Condense", "map": 1, "folder": "main"}
    first = start(client, **body)
    message = error(client.post("/api/play", json=body), 409, "map_in_play")
    assert message.startswith("map 1 of Condense in main is being played in another tab")
    second = start(client, **body, take_over=True)
    gone = client.get(f"/api/play/{first['session']}")
    assert "the server was restarted, or the game was closed" in error(gone, 404, "unknown_session")
    over = play(client, second, MOVE)
    assert over["saved"] == "main/maps/Condense/0001-human.json"
    # practice maps are no one's: two tabs may practise the same map
    assert (
        start(client, game="Condense", seed=3)["instance_id"]
        == start(client, game="Condense", seed=3)["instance_id"]
    )


def test_a_move_for_a_version_the_game_has_left_is_refused(client):
    view = start(client, game="Condense", map=0, folder="two")
    moved = play(client, view, MOVE)  # another tab plays first
    response = client.post(
        f"/api/play/{view['session']}/move", json={"text": " late", "version": view["version"]}
    )
    message = error(response, 409, "not_your_turn")
    assert "this game has moved on since the page showed it" in message
    now = client.get(f"/api/play/{view['session']}").json()
    assert now["steps"] == moved["steps"] and now["version"] == moved["version"]


def test_a_move_after_the_end_is_refused(client):
    over = play(client, start(client, game="Condense", seed=0), MOVE)
    response = client.post(
        f"/api/play/{over['session']}/move", json={"text": MOVE, "version": over["version"]}
    )
    assert error(response, 409, "not_your_turn") == "no move is asked now: the game is over"


def test_a_restarted_server_resumes_a_game_by_replaying_its_moves(client_for, settings, root):
    first_server = client_for(settings)
    view = start(first_server, game="Condense", map=0, folder="two")
    after_one = play(first_server, view, MOVE)
    assert after_one["moves"] == [MOVE]

    restarted = client_for(settings)  # a new server process: no session survives
    gone = restarted.get(f"/api/play/{view['session']}")
    assert error(gone, 404, "unknown_session").startswith("this game is not on the server any more")
    resumed = start(restarted, game="Condense", map=0, folder="two", replay=after_one["moves"])
    assert resumed["state"] == "your_move" and resumed["round"] == 1
    assert resumed["steps"] == after_one["steps"]  # the same move, the same bits
    over = play(restarted, resumed, " the farm")
    record = ResultsStore(root / "two").read(root / over["saved"])
    assert [s.move for s in record.steps] == [MOVE, " the farm"]
    assert record.agent_stats == {"moves": 2.0, "replayed_moves": 1.0}
    assert [s.details["replayed"] for s in record.steps] == [True, False]


def test_a_replayed_move_that_no_longer_fits_stops_the_game_with_a_message(client):
    view = start(client, game="Condense", seed=0, replay=["a\u202eb"])
    assert view["state"] == "failed"
    assert "move 1 to replay ('a\\u202eb'): character 2 of the move is U+202E" in view["message"]


def test_games_played_at_once_stay_apart(client):
    from concurrent.futures import ThreadPoolExecutor

    seeds = (11, 12, 13)
    views = [start(client, game="Condense", seed=s, player=f"p{s}") for s in seeds]
    moves = [f" move number {s}" for s in seeds]
    with ThreadPoolExecutor(3) as pool:
        finished = list(pool.map(lambda vm: play(client, *vm), zip(views, moves)))
    alone = []
    for seed, move in zip(seeds, moves):  # the same games, one after the other
        alone.append(play(client, start(client, game="Condense", seed=seed), move))
    for view, done, single, move in zip(views, finished, alone, moves):
        assert done["session"] == view["session"] and done["instance_id"] == view["instance_id"]
        assert [s["move"] for s in done["steps"]] == [move] and done["moves"] == [move]
        assert done["steps"] == single["steps"]  # same bits as when played alone


def test_sessions_are_bounded_and_finished_ones_make_room(client_for, settings):
    client = client_for(WebSettings(judge="tiny-random-gpt2", results=settings.results,
                                    max_sessions=2))  # fmt: skip
    first = start(client, game="Condense", seed=0)
    start(client, game="Condense", seed=1)
    message = error(client.post("/api/play", json={"game": "Condense", "seed": 2}), 503,
                    "too_many_sessions")  # fmt: skip
    assert message.startswith("the server is playing 2 games, its most")
    play(client, first, MOVE)  # a finished game gives its place up
    start(client, game="Condense", seed=2)
    assert len(client.app.state.sessions) == 2
    assert client.get(f"/api/play/{first['session']}").status_code == 404


def test_idle_sessions_are_closed_and_their_threads_end(client_for, settings):
    client = client_for(WebSettings(judge="tiny-random-gpt2", results=settings.results,
                                    idle_seconds=0.3))  # fmt: skip
    view = start(client, game="Condense", map=0, folder="main")
    session = client.app.state.sessions.get(view["session"])
    session.join(5)
    assert not session._thread.is_alive()
    assert error(client.get(f"/api/play/{view['session']}"), 404, "unknown_session")
    # the map was not finished: nothing recorded, and it can be played again
    assert start(client, game="Condense", map=0, folder="main")["state"] == "your_move"


def test_session_ids_are_unguessable_and_never_listed(client):
    ids = {start(client, game="Condense", seed=i)["session"] for i in range(3)}
    assert len(ids) == 3 and all(len(i) == 43 for i in ids)
    guess = "A" * 43
    message = error(client.get(f"/api/play/{guess}"), 404, "unknown_session")
    assert not any(i in message for i in ids)
    assert error(client.get("/api/play/short"), 422, "invalid_request")


def test_leaving_a_game_records_nothing(client, root):
    view = start(client, game="Condense", map=1, folder="main")
    assert client.delete(f"/api/play/{view['session']}").json() == {"closed": True}
    assert error(client.get(f"/api/play/{view['session']}"), 404, "unknown_session")
    assert ("Condense", 1, "human") not in saved_records(root / "main")


def test_a_map_that_cannot_be_saved_in_its_folder_is_saved_aside(client_for, settings, root):
    client = client_for(WebSettings(judge="tiny-random-gpt2", results=settings.results,
                                    lock_seconds=0.2))  # fmt: skip
    view = start(client, game="Condense", map=1, folder="main")
    with ResultsStore(root / "main").lock():  # an evaluation writing to the folder
        over = play(client, view, MOVE)
    assert over["state"] == "over"
    assert over["saved"].startswith(".unsaved/main-Condense-0001-human-")
    assert (
        "the run folder could not take it: " in over["saved"]
        and "in use by another" in over["saved"]
    )
    aside = next((root / ".unsaved").glob("*.json"))
    assert json.loads(aside.read_text())["agent"] == "human"
    assert ("Condense", 1, "human") not in saved_records(root / "main")


def test_the_run_file_grows_only_when_a_map_is_saved(client, root):
    before = (root / "main" / "run.json").read_text()
    view = start(client, game="Debate", map=0, folder="main")
    assert (root / "main" / "run.json").read_text() == before
    play(client, view, " cars are loud")
    manifest = ResultsStore(root / "main").read_run()
    assert set(manifest.games) == {"Condense", "Debate"} and set(manifest.agents) == {
        "human", "random",
    }  # fmt: skip
    evaluate(
        EvalConfig(agents=(AgentSpec("random"),), games=("Condense",), maps=2,
                   judge="tiny-random-gpt2"),
        root / "main", agent_factories={"random": RandomAgent}, progress=False,
    )  # fmt: skip
    assert set(ResultsStore(root / "main").read_run().agents) == {"human", "random"}
