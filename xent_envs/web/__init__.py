"""The ``xent-envs serve`` page: play the games, and read evaluation results, in a browser.

One small static page (plain HTML, CSS and JavaScript in ``static/``, no build step, nothing
fetched from the internet) and the JSON API it calls (``app``), served by uvicorn on
127.0.0.1:

- **Play**: a game (built-in, registered, or sampled from the open space), a map (a map of a
  run, a seed, or an instance id), a seat; the other seats are played by the ``echo``
  baseline or an agent the server offers. The page shows the rules and visible texts, takes
  moves (checked: characters, budget in judge tokens), and draws every scored text as a
  per-token heatmap (bits saved or lost per token). A finished map of a run is recorded in
  the run's folder as the evaluation records an agent's (``recording``), so people appear on
  its leaderboard.
- **Results**: a run folder's leaderboard, per-game table, learning curves and maps, and any
  map's transcript with the same heatmaps (``results``).

Pieces: ``settings`` (limits), ``models`` (request bodies), ``folders`` (run folders under
the results root), ``plans`` (a start request checked into a plan), ``recording``,
``players`` (the person as an agent; agents on the other seats), ``sessions`` (one thread per
game, bounded), ``views`` (what a seat is shown), ``results``, ``security`` (the request
guard), ``app``, ``commands`` (the ``serve`` command).

``import xent_envs.web`` is cheap: fastapi loads with ``create_app``.

Example:
    >>> from pathlib import Path
    >>> from xent_envs.web import WebSettings, create_app
    >>> settings = WebSettings(judge="tiny-random-gpt2", results=Path("results"))
    >>> app = create_app(settings)  # serve it with uvicorn.run(app)   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xent_envs.web.settings import OpponentSpec, WebSettings

if TYPE_CHECKING:
    from xent_envs.web.app import create_app
    from xent_envs.web.commands import add_commands

__all__ = ["OpponentSpec", "WebSettings", "add_commands", "create_app"]

_LAZY = {"create_app": "xent_envs.web.app", "add_commands": "xent_envs.web.commands"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xent_envs.web' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
