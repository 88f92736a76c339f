"""The ASGI app of ``xent-envs serve``: one page, and the JSON API it calls.

Routes (request bodies are the pydantic models of ``xent_envs.web.models``; every error is
``{"error": {"code", "message"}}`` with a status that says what kind it is):

=======  ==============================  ==================================================
GET      ``/``                           the page (``/static/app.js``, ``/static/style.css``)
GET      ``/api/info``                   server id, judge, limits, opponents, results root
GET      ``/api/games``                  every registered game: rules, seats, parameters
POST     ``/api/play``                   start a game (``StartRequest``) -> play view
GET      ``/api/play/{id}?wait=S``       the play view (waiting up to S s while it moves)
POST     ``/api/play/{id}/move``         play a move (``MoveRequest``) -> play view
POST     ``/api/play/{id}/count``        judge tokens of a draft (``CountRequest``)
DELETE   ``/api/play/{id}``              leave the game (nothing is recorded)
GET      ``/api/runs``                   run folders under the results root
GET      ``/api/results?folder=F``       leaderboard, per-game table, curves, maps, skipped
GET      ``/api/results/map?folder=F&game=G&map=N&agent=A``   one map's record
=======  ==============================  ==================================================

The app holds no HTML templates: the page is static, and it writes every text it shows
with ``textContent``, never as markup, so no game text or move can inject HTML.
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations, which
# name types local to ``create_app`` (fastapi is imported there, when the app is made).
import contextlib
import importlib.resources
import secrets
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, Any

from xent_envs.errors import (
    ConfigError,
    MapInPlayError,
    RecordError,
    SessionError,
    SessionLimitError,
    TurnError,
    UnknownNameError,
    UnknownSessionError,
    WriteError,
    XentError,
)
from xent_envs.judge.base import Judge
from xent_envs.web.folders import run_folders
from xent_envs.web.models import CountRequest, MoveRequest, StartRequest
from xent_envs.web.moves import character_problem, move_problem
from xent_envs.web.plans import Planner, sampling_available
from xent_envs.web.results import ResultsReader
from xent_envs.web.security import RequestGuard, error_body
from xent_envs.web.sessions import SESSION_ID_PATTERN, Engine, SessionStore
from xent_envs.web.settings import (
    ECHO_OPPONENT,
    MAX_BODY_BYTES,
    MAX_FOLDER_CHARS,
    MAX_MOVE_CHARS,
    MAX_REPLAY_MOVES,
    WebSettings,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["STATIC_FILES", "create_app", "error_status"]

#: the page's files: name -> content type
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
#: seconds a GET of a play view may wait for the game to settle
_MAX_POLL_SECONDS = 30.0
#: seconds a token count waits for the judge before answering without a count
_COUNT_WAIT_SECONDS = 2.0

# (class, HTTP status, code), most specific first
_ERRORS: tuple[tuple[type[XentError], int, str], ...] = (
    (UnknownSessionError, 404, "unknown_session"),
    (SessionLimitError, 503, "too_many_sessions"),
    (MapInPlayError, 409, "map_in_play"),
    (SessionError, 409, "session_conflict"),
    (TurnError, 409, "not_your_turn"),
    (UnknownNameError, 404, "unknown_name"),
    (RecordError, 404, "bad_record"),
    (ConfigError, 422, "bad_request"),
    (WriteError, 500, "write_failed"),
    (XentError, 500, "game_error"),
)


def error_status(exc: XentError) -> tuple[int, str]:
    """The HTTP status and error code of ``exc``."""
    for cls, status, code in _ERRORS:
        if isinstance(exc, cls):
            return status, code
    return 500, "game_error"


def _static(name: str) -> bytes:
    return (importlib.resources.files("xent_envs.web") / "static" / name).read_bytes()


def create_app(settings: WebSettings | None = None, *, judge: Judge | None = None) -> "FastAPI":
    """The web app.

    Args:
        settings: what to serve and the limits (default ``WebSettings()``).
        judge: the judge, already loaded (default: ``load_judge(settings.judge)``).

    Raises:
        ConfigError: fastapi is not installed (``pip install 'xent-envs[web]'``).
    """
    try:
        from fastapi import FastAPI, Path, Query, Request
        from fastapi.exceptions import RequestValidationError
        from fastapi.responses import JSONResponse, Response
        from starlette.exceptions import HTTPException
    except ImportError as exc:
        raise ConfigError(
            f"the web page needs fastapi and uvicorn: pip install 'xent-envs[web]' ({exc})"
        ) from None
    import xent_envs
    from xent_envs.envs.match import seat_budgets
    from xent_envs.judge import load_judge

    settings = settings or WebSettings()
    judge = judge if judge is not None else load_judge(settings.judge)
    engine = Engine(judge)
    sessions = SessionStore(settings, engine)
    planner = Planner(settings, judge)
    reader = ResultsReader(settings.results)
    server_id = secrets.token_hex(8)
    pages = {name: (_static(name), kind) for name, kind in STATIC_FILES.items()}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        yield
        sessions.shutdown()

    app = FastAPI(
        title="xent-envs",
        summary="Play Xent games and read evaluation results.",
        version=xent_envs.__version__,
        docs_url=None,  # Swagger UI would load scripts from a CDN; the schema is enough
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.sessions = sessions
    app.state.settings = settings

    def answer(data: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(data, status_code=status)

    @app.exception_handler(XentError)
    async def _xent_error(_request: Request, exc: XentError) -> JSONResponse:
        status, code = error_status(exc)
        return answer(error_body(code, str(exc)), status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
            parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg"))
        return answer(error_body("invalid_request", "; ".join(map(str, parts))), 422)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
        return answer(error_body(code, str(exc.detail)), exc.status_code)

    @app.exception_handler(Exception)
    async def _bug(_request: Request, exc: Exception) -> JSONResponse:
        return answer(error_body("internal_error", f"{type(exc).__name__}: {exc}"), 500)

    # ------------------------------------------------------------------ the page
    def page(name: str) -> Response:
        content, kind = pages[name]
        return Response(content, media_type=kind)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return page("index.html")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in pages or name == "index.html":
            return answer(error_body("not_found", f"no file {name!r:.60}"), 404)
        return page(name)

    # ------------------------------------------------------------------ about
    @app.get("/api/info")
    def info() -> JSONResponse:
        return answer(
            {
                "server_id": server_id,
                "version": xent_envs.__version__,
                "judge": {"name": settings.judge, "fingerprint": dict(judge.fingerprint)},
                "results_root": str(settings.results),
                "play_folder": settings.play_folder,
                "opponents": [ECHO_OPPONENT, *(o.name for o in settings.opponents)],
                "sampling": sampling_available(),
                "limits": {
                    "max_move_chars": MAX_MOVE_CHARS,
                    "max_replay_moves": MAX_REPLAY_MOVES,
                    "max_body_bytes": MAX_BODY_BYTES,
                    "max_sessions": settings.max_sessions,
                    "idle_seconds": settings.idle_seconds,
                },
            }
        )

    @app.get("/api/games")
    def games() -> JSONResponse:
        listed = []
        for space in xent_envs.list_games():
            budgets = seat_budgets(space.program())
            d = space.definition
            listed.append(
                {
                    "name": space.name, "env_id": space.env_id, "summary": d.summary,
                    "skill": d.skill, "players": list(d.players),
                    "seats": [{"seat": s, "budget": b} for s, b in budgets.items()],
                    "rules": space.rules(), "parameters": [p.to_json() for p in space.parameters],
                }
            )  # fmt: skip
        return answer({"games": listed})

    # ------------------------------------------------------------------ play
    SessionId = Annotated[str, Path(pattern=SESSION_ID_PATTERN)]

    @app.post("/api/play", status_code=201)
    def start(body: StartRequest) -> JSONResponse:
        session = sessions.open(planner.plan(body), take_over=body.take_over)
        return answer(session.wait_settled(settings.move_wait_seconds), 201)

    @app.get("/api/play/{sid}")
    def view(
        sid: SessionId, wait: Annotated[float, Query(ge=0, le=_MAX_POLL_SECONDS)] = 0.0
    ) -> JSONResponse:
        session = sessions.get(sid)
        return answer(session.wait_settled(wait) if wait else session.snapshot())

    @app.post("/api/play/{sid}/move")
    def move(sid: SessionId, body: MoveRequest) -> JSONResponse:
        session = sessions.get(sid)
        budget = session.expect_move(body.version)
        with engine.hold(settings.move_wait_seconds) as held:
            problem = move_problem(body.text, budget, held)
        if problem is not None:  # a player's mistake: nothing is played, the page says why
            return answer(error_body("bad_move", f"Your move was not played: {problem}."), 422)
        session.submit(body.text, body.version)
        return answer(session.wait_settled(settings.move_wait_seconds))

    @app.post("/api/play/{sid}/count")
    def count(sid: SessionId, body: CountRequest) -> JSONResponse:
        session = sessions.get(sid)
        budget = session.snapshot().get("max_tokens")
        problem = character_problem(body.text)
        tokens: int | None = None
        if problem is None:
            # the judge busy with other games: no count this time
            with contextlib.suppress(SessionError), engine.hold(_COUNT_WAIT_SECONDS) as held:
                tokens = len(held.encode(body.text))
        return answer({"tokens": tokens, "max_tokens": budget, "problem": problem})

    @app.delete("/api/play/{sid}")
    def leave(sid: SessionId) -> JSONResponse:
        sessions.close(sid)
        return answer({"closed": True})

    # ------------------------------------------------------------------ results
    Folder = Annotated[str, Query(min_length=1, max_length=MAX_FOLDER_CHARS)]

    @app.get("/api/runs")
    def runs() -> JSONResponse:
        return answer({"root": str(settings.results), "runs": run_folders(settings.results)})

    @app.get("/api/results")
    def results(folder: Folder) -> JSONResponse:
        return answer(reader.run(folder))

    @app.get("/api/results/map")
    def results_map(
        folder: Folder,
        game: Annotated[str, Query(min_length=1, max_length=100)],
        map: Annotated[int, Query(ge=0, lt=10**9)],
        agent: Annotated[str, Query(min_length=1, max_length=100)],
    ) -> JSONResponse:
        return answer(reader.map(folder, game, map, agent))

    app.add_middleware(RequestGuard, allowed_hosts=settings.allowed_hosts, max_body=MAX_BODY_BYTES)
    return app
