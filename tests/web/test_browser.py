"""The page in a real browser: Debian's Chromium, headless, driven through Playwright, against
a real server on 127.0.0.1 (uvicorn in a thread, a free port, the tiny judge).

A person plays a map to the end and finds it on the run's leaderboard and in its transcript;
bad input of every kind shows a clear message; two tabs on one map; a server restarted in
the middle of a game; game texts and moves that look like HTML stay text. Each view is saved
as a screenshot under the test run's temporary folder (the paths are printed).

These tests never download a browser. Chromium is ``/usr/bin/chromium`` (Debian's
``chromium`` package), or the path in ``XENT_CHROMIUM``; without it they fail, saying how to
install it.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import gymnasium as gym
import pytest

from tests.web.servers import LiveServer
from xent_envs.evaluation import ResultsStore
from xent_envs.evaluation.config import RECORD_FORMAT

CHROMIUM = os.environ.get("XENT_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
MOVE = " a farmer and his dog"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Chromium with a fresh profile, shared by this module's tests (each has its own tabs)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the browser tests need the playwright Python package: pip install -e '.[dev]' "
            "(it drives the system's Chromium; no browser is downloaded)"
        )
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"the browser tests need Chromium at {CHROMIUM}: install Debian's package with "
            "`apt-get install -y chromium` (or set XENT_CHROMIUM to a Chromium binary)"
        )
    with sync_playwright() as playwright:  # (CSP forbids eval: waits use locators, not JS)
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        yield context
        context.close()


@pytest.fixture
def server(settings, tiny_judge):
    from xent_envs.web import create_app

    with LiveServer(create_app(settings, judge=tiny_judge)) as live:
        yield live


@pytest.fixture
def open_page(browser, server):
    """``open_page()``: a new tab on the page; JavaScript errors fail the test."""
    pages, errors = [], []

    def make(url=None):
        page = browser.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url or server.url)
        page.wait_for_selector("#game option", state="attached")
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def screenshot(shots, capsys):
    def take(page, name):
        path = shots / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        with capsys.disabled():
            print(f"\nscreenshot: {path}")
        return path

    return take


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def start(page, *, game="Condense", seat=None, source="map", value=None, folder=None,
          player=None):  # fmt: skip
    page.select_option("#game", game)
    if seat is not None:
        page.select_option("#seat", seat)
    page.check(f'input[name="source"][value="{source}"]')
    field = {"map": "#map-number", "seed": "#seed", "instance": "#instance"}[source]
    if value is not None:
        page.fill(field, str(value))
    if folder is not None:
        page.fill("#record-folder", folder)
    if player is not None:
        page.fill("#player", player)
    page.click("#start")


def message(page):
    page.wait_for_selector("#message:not([hidden])")
    return page.inner_text("#message-text")


def type_move(page, text):
    page.wait_for_selector("#move-form:not([hidden])")
    page.fill("#move", text)
    page.click("#play-move")


# ---------------------------------------------------------------------- the whole path
def test_play_a_map_to_the_end_then_read_it_in_the_results(open_page, root, screenshot, tiny_judge):
    page = open_page()
    start(page, folder="main", value=0, player="ada")
    page.wait_for_selector("#move-form:not([hidden])")
    assert page.inner_text("#rules").startswith("You are shown a story s.")
    story = page.inner_text('#visible dd[data-register="s"]')
    agent_record = (
        ResultsStore(root / "main").scan(lambda r: r.slot).records[("Condense", 0, "random")]
    )
    env = gym.make("xent/Condense-v0", judge=tiny_judge)
    obs, _ = env.reset(options={"instance": agent_record.instance_id})
    assert len(story) > 40 and story in obs  # the page shows the run's map
    assert "(write x in at most 10 tokens)" in page.inner_text("#move-prompt")

    # A draft over budget: the counter says so, and playing it is refused on the page.
    page.fill("#move", " the farmer walked his old dog along the river every single morning")
    expect(page.locator("#token-count")).to_have_text("12 / 10 tokens")
    assert page.get_attribute("#token-count", "class") == "over"
    page.click("#play-move")
    assert "the move is 12 tokens long, over the budget of 10 tokens" in message(page)
    assert page.inner_text("#steps") == ""  # nothing was played

    type_move(page, MOVE)
    page.wait_for_selector("#final:not([hidden])")
    score = page.inner_text("#final-score")
    assert re.fullmatch(r"Map score \(best round\): [+-]\d+\.\d\d bits", score)
    assert page.inner_text("#final-saved") == "recorded: main/maps/Condense/0000-ada.json"
    record = ResultsStore(root / "main").read(root / "main/maps/Condense/0000-ada.json")
    assert score == f"Map score (best round): {record.score:+.2f} bits"

    # The heatmap: one span per scored token, its bits on hover, adding up to the reward.
    tokens = page.locator("#steps .heat .tok")
    (term,) = record.steps[0].reward_terms
    assert tokens.count() == len(term.tokens)
    shown = [float(tokens.nth(i).get_attribute("data-bits")) for i in range(tokens.count())]
    assert shown == pytest.approx(list(term.bits), abs=1e-9)
    assert math.fsum(shown) == pytest.approx(record.score, abs=1e-6)
    first = tokens.nth(0)
    assert first.inner_text() == term.tokens[0]
    assert first.get_attribute("title") == f'"{term.tokens[0]}": {term.bits[0]:+.3f} bits'
    assert page.inner_text("#steps li .move") == MOVE
    screenshot(page, "play")

    page.click("#tab-results")
    page.click("#runs button:text-is('main')")
    page.wait_for_selector("#run-panel:not([hidden])")
    rows = page.locator("#leaderboard tbody tr")
    agents = [rows.nth(i).get_attribute("data-agent") for i in range(rows.count())]
    assert sorted(agents) == ["ada", "random"]
    assert page.inner_text('#leaderboard tr[data-agent="ada"] td.agent') == "adaperson"
    assert page.locator("#curves .curve[data-game='Condense'] circle").count() == 2
    assert page.locator("#maps tbody tr").count() == 3
    screenshot(page, "results")

    page.click('#maps tr[data-agent="ada"] button')
    page.wait_for_selector("#map-panel:not([hidden])")
    assert page.inner_text("#map-title") == "Condense, map 0, ada"
    assert page.locator("#map-steps .heat .tok").count() == len(term.tokens)
    assert page.inner_text("#map-steps .move") == MOVE
    screenshot(page, "transcript")


def test_a_multi_seat_game_against_the_baseline_shows_every_seat_at_the_end(open_page):
    page = open_page()
    start(page, game="Debate", seat="white", source="seed", value=4)
    page.wait_for_selector("#move-form:not([hidden])")
    assert page.locator('#visible dd[data-register="x"]').count() == 1  # black's case
    assert page.inner_text("#steps") == ""
    type_move(page, " cars need room")
    page.wait_for_selector("#transcript-box:not([hidden])")
    seats = page.locator("#transcript > li")
    assert [seats.nth(i).get_attribute("data-seat") for i in range(2)] == ["black", "white"]


# ---------------------------------------------------------------------- bad input
def test_bad_input_gets_a_clear_message_on_the_page(open_page, root, screenshot):
    page = open_page()
    start(page, source="instance", value="xent/Nope-v0?rounds=1#1@ab")
    assert message(page).startswith("unknown game 'Nope'")
    page.select_option("#game", "Condense")
    page.fill("#player", "no spaces allowed")
    start(page, source="map", value=0, folder="main")
    assert "player: String should match pattern" in message(page)

    page.fill("#player", "human")
    start(page, source="seed", value=0)
    page.fill("#move", "left\u202eright")
    expect(page.locator("#token-count")).to_contain_text("U+202E")
    page.click("#play-move")
    assert "character 5 of the move is U+202E RIGHT-TO-LEFT OVERRIDE" in message(page)
    screenshot(page, "bad-move")

    page.click("#tab-results")
    page.fill("#results-folder", "nowhere")
    page.click("#results-form button")
    assert message(page).startswith("unknown results folder 'nowhere' under ")
    (root / "main/maps/Condense/0005-intruder.json").write_text('{"hello": "world"}')
    page.fill("#results-folder", "main")
    page.click("#results-form button")
    page.wait_for_selector("#skipped:not([hidden])")
    assert (
        f"maps/Condense/0005-intruder.json: record format None, not {RECORD_FORMAT}"
        in page.inner_text("#skipped-list")
    )
    assert page.locator("#leaderboard tbody tr").count() == 1  # the foreign file counts nothing
    screenshot(page, "foreign-file")


def test_two_tabs_on_the_same_map(open_page, root):
    first, second = open_page(), open_page()
    start(first, value=1, folder="main")
    first.wait_for_selector("#move-form:not([hidden])")
    start(second, value=1, folder="main")
    assert message(second).startswith("map 1 of Condense in main is being played in another tab")
    assert second.inner_text("#message-action") == "Take it over here"
    second.click("#message-action")
    second.wait_for_selector("#move-form:not([hidden])")

    type_move(first, MOVE)  # the first tab's game was taken over: it says so, and offers more
    assert message(first).startswith("The server no longer holds this game: it was closed after")
    first.wait_for_selector("#resume-box:not([hidden])")

    type_move(second, MOVE)
    second.wait_for_selector("#final:not([hidden])")
    assert second.inner_text("#final-saved") == "recorded: main/maps/Condense/0001-human.json"
    assert (root / "main/maps/Condense/0001-human.json").exists()


def test_a_server_restarted_mid_game_loses_nothing(open_page, server, settings, tiny_judge,
                                                   root, screenshot):  # fmt: skip
    from xent_envs.web import create_app

    page = open_page()
    start(page, value=0, folder="two")  # a run of two rounds
    type_move(page, MOVE)
    expect(page.locator("#steps > li")).to_have_count(1)
    first_step = page.inner_text("#steps")

    server.stop()
    restarted = LiveServer(create_app(settings, judge=tiny_judge), port=server.port).start()
    try:
        type_move(page, " the farm")
        assert message(page) == (
            "The server was restarted, and this game was not kept. Maps already finished are saved."
        )
        page.wait_for_selector("#resume-box:not([hidden])")
        assert page.inner_text("#resume-text") == (
            "Your 1 move(s) so far can be replayed on the same map."
        )
        screenshot(page, "restarted")
        page.click("#resume")
        page.wait_for_selector("#move-form:not([hidden])")
        assert page.inner_text("#steps") == first_step  # the same move, the same bits
        assert "round 2/2" in page.inner_text("#game-meta")
        type_move(page, " the farm")
        page.wait_for_selector("#final:not([hidden])")
        assert page.inner_text("#final-saved") == "recorded: two/maps/Condense/0000-human.json"
    finally:
        restarted.stop()
    record = ResultsStore(root / "two").read(root / "two/maps/Condense/0000-human.json")
    assert [s.move for s in record.steps] == [MOVE, " the farm"]


# ---------------------------------------------------------------------- escaping
def test_game_texts_and_moves_are_never_markup(open_page, root):
    import xent_envs

    story = (
        "<img src=x onerror=document.title=1> <b>bold</b> &amp; <script>document.title=2</script>"
    )
    xent_envs.register_game(
        source=f'assign(s="{story}")\nelicit(x, 40)\nreward(xed(s | x))', name="Inject"
    )
    page = open_page()
    start(page, game="Inject", value=0, folder="main")
    page.wait_for_selector("#move-form:not([hidden])")
    assert page.inner_text('#visible dd[data-register="s"]') == story
    move = '<b onclick="x">hi</b><img src=y onerror="document.title=3">'
    type_move(page, move)
    page.wait_for_selector("#final:not([hidden])")
    assert page.inner_text("#steps li .move") == move
    page.click("#tab-results")
    page.click("#runs button:text-is('main')")
    page.click('#maps tr[data-game="Inject"] button')
    page.wait_for_selector("#map-panel:not([hidden])")
    assert page.inner_text("#map-steps .move") == move
    for selector in ("main img", "main b", "main script"):
        assert page.locator(selector).count() == 0, selector
    assert page.title() == "xent-envs"  # no injected handler ran
