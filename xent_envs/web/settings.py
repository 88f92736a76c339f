"""The web server's settings and its fixed limits.

Every limit a request or a session can push on is here, in one place: the size of a request
body and of a move, the number of play sessions and how long an idle one lives, how long a
request waits for the other seats to move. The fixed ones are constants (the request models
are declared with them); the ones an operator may want to change are fields of
:class:`WebSettings`, which ``xent-envs serve`` fills from its options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xent_envs.errors import ConfigError
from xent_envs.judge.models import DEFAULT_JUDGE

__all__ = [
    "ECHO_OPPONENT",
    "MAX_BODY_BYTES",
    "MAX_FOLDER_CHARS",
    "MAX_INSTANCE_CHARS",
    "MAX_MOVE_CHARS",
    "MAX_REPLAY_MOVES",
    "OpponentSpec",
    "WebSettings",
]

#: characters of one move (far above any budget: 160 judge tokens are under 1000 characters)
MAX_MOVE_CHARS = 1000
#: moves a resumed game may replay (10 rounds, a few elicits, ten ensure retries each)
MAX_REPLAY_MOVES = 500
#: bytes of one request body (a resume carrying its most moves fits)
MAX_BODY_BYTES = 1 << 20
#: characters of an instance id
MAX_INSTANCE_CHARS = 4000
#: characters of a results folder name (relative to the results root)
MAX_FOLDER_CHARS = 200
#: the judge-free baseline that plays the other seats unless another opponent is chosen
ECHO_OPPONENT = "echo"


@dataclass(frozen=True)
class OpponentSpec:
    """An agent the page offers to play the seats a person does not hold.

    Attributes:
        name: its name on the page (unique; ``echo`` is the built-in baseline).
        factory: builds the agent from ``options`` (the CLI passes factories: the library
            never imports the reference agents).
        options: keyword arguments of ``factory``.
    """

    name: str
    factory: Any
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WebSettings:
    """What ``xent-envs serve`` serves, and the limits an operator may change.

    Attributes:
        judge: judge name (``load_judge``) scoring every game played on the page.
        results: the results root: the page opens run folders under it, and records the
            maps people play in one of them; nothing outside it is read or written.
        play_folder: the run folder (relative to ``results``) where people's maps are
            recorded unless the page names another.
        opponents: agents offered for the other seats, besides the ``echo`` baseline.
        max_sessions: play sessions held at once (each holds a map in progress).
        idle_seconds: a session nobody touched for this long is closed (its map was not
            finished, so nothing recorded is lost; the page can resume it by replaying).
        move_wait_seconds: how long a move request waits for the other seats; past it the
            page polls the session.
        lock_seconds: how long saving a map waits for an evaluation writing to the same
            folder before it is saved aside (``.unsaved/`` under the results root).
        allowed_hosts: extra ``Host`` names accepted besides the loopback ones (a server
            bound to another interface); every other ``Host`` is refused, so a web page
            elsewhere cannot reach the server through DNS rebinding.
    """

    judge: str = DEFAULT_JUDGE
    results: Path = Path("results")
    play_folder: str = "web"
    opponents: tuple[OpponentSpec, ...] = ()
    max_sessions: int = 32
    idle_seconds: float = 1800.0
    move_wait_seconds: float = 60.0
    lock_seconds: float = 10.0
    allowed_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "results", Path(self.results))
        if self.max_sessions < 1:
            raise ConfigError(f"max_sessions must be at least 1, got {self.max_sessions}")
        for name in ("idle_seconds", "move_wait_seconds", "lock_seconds"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)!r}")
        names = [o.name for o in self.opponents]
        taken = sorted({n for n in names if names.count(n) > 1 or n == ECHO_OPPONENT})
        if taken:
            raise ConfigError(f"opponent name {taken[0]!r} is used twice (echo is built in)")
