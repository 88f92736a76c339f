"""The table of judge backends: which code answers ``load_judge(name)``, with which options.

A backend only computes raw scores (:class:`ScoringBackend`); de-duplication, the result
cache and the checks on what comes back are :class:`~xent_envs.judge.cached.CachedJudge`'s,
the same for every backend. A backend is found for a judge name by, in order:

1. an exact name it serves (``"smollm2-135m"``, ``"tiny-random-gpt2"``);
2. the longest prefix it claims (``"http://"`` for a judge served over HTTP);
3. its ``accepts(name)`` test, tried in registration order (the transformers backend takes
   local folders and Hugging Face ids).

A new backend plugs in with :func:`register_backend`::

    register_backend(Backend(
        name="http",
        factory=HttpJudge.connect,          # factory(name, **options) -> ScoringBackend
        prefixes=("http://", "https://"),
        options={"timeout": Option(30.0, positive_number, "seconds per request")},
        description="a judge served by `xent-envs serve-judge`",
    ))
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from xent_envs.errors import ConfigError, UnknownNameError, did_you_mean
from xent_envs.lang.codec import Codec
from xent_envs.score import Score

__all__ = [
    "Backend",
    "Option",
    "ScoringBackend",
    "backend_for",
    "backends",
    "boolean",
    "choice",
    "int_at_least",
    "known_judges",
    "positive_number",
    "register_backend",
    "unregister_backend",
]


@runtime_checkable
class ScoringBackend(Codec, Protocol):
    """What a backend implements: a codec, an identity, raw scoring and generation.

    ``score`` gets distinct requests whose texts are non-empty, valid UTF-8 ``str``; it
    returns one ``Score`` per request, in order, with one value per token of the text (the
    wrapper checks the count and that every value is finite).
    """

    name: str
    vocab_size: int

    @property
    def fingerprint(self) -> dict[str, Any]:
        """JSON-ready identity: model, weights, dtype, device, scoring convention."""
        ...

    def score(self, requests: Sequence[tuple[str, str]]) -> list[Score]:
        """Bits of every token of each ``text`` given its ``prefix``."""
        ...

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """Readable string of each token id."""
        ...

    def generate(
        self,
        prompt: str,
        max_new_tokens: int,
        seed: int,
        *,
        temperature: float = ...,
        top_k: int = ...,
        top_p: float = ...,
        stop: str | Sequence[str] = ...,
        min_new_tokens: int = ...,
    ) -> str:
        """A continuation of ``prompt`` sampled from a generator seeded with ``seed`` alone
        (options as in ``xent_envs.judge.sampling.Sampling``; stops at a string of ``stop``,
        not before ``min_new_tokens`` tokens at an end token)."""
        ...


@dataclass(frozen=True)
class Option:
    """One load option of a backend.

    Args:
        default: the value when the option is not given.
        check: returns the value to use, or raises ``ConfigError`` saying what was expected
            (it receives the option's name for the message).
        doc: one line for error messages and docs.
    """

    default: Any
    check: Callable[[str, Any], Any]
    doc: str


@dataclass(frozen=True)
class Backend:
    """A row of the table: how judges of this kind are found, built and configured.

    Args:
        name: the backend's name (``"transformers"``, ``"http"``).
        factory: ``factory(judge_name, **options) -> ScoringBackend``; ``options`` are
            checked and complete (every option of ``options`` is passed).
        options: the options it takes, by name.
        names: exact judge names it serves, with a line of description each.
        prefixes: name prefixes it claims (``"http://"``).
        accepts: for names no exact name or prefix claims (a folder, a model id).
        description: one line for listings and error messages.
    """

    name: str
    factory: Callable[..., ScoringBackend]
    options: Mapping[str, Option] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)
    prefixes: tuple[str, ...] = ()
    accepts: Callable[[str], bool] | None = None
    description: str = ""

    def check_options(
        self, judge: str, options: Mapping[str, Any], common: Mapping[str, Option] | None = None
    ) -> dict[str, Any]:
        """Every option of this backend, given ones checked and the rest at their default.

        ``common`` names the options every judge takes besides (for the error message only).

        Raises:
            ConfigError: an option this backend does not take, or a bad value.
        """
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            valid = {**self.options, **(common or {})}
            hint = did_you_mean(unknown[0], valid)
            raise ConfigError(
                f"judge {judge!r} ({self.name} backend) takes no option {unknown[0]!r}"
                f"{f' ({hint})' if hint else ''}; its options: "
                + ", ".join(f"{k} ({o.doc})" for k, o in valid.items())
            )
        return {
            key: option.check(key, options[key]) if key in options else option.default
            for key, option in self.options.items()
        }


_table: dict[str, Backend] = {}
_table_lock = threading.Lock()


def register_backend(backend: Backend, *, replace: bool = False) -> None:
    """Add ``backend`` to the table (``replace=True`` to swap a backend of the same name).

    Raises:
        ConfigError: a backend of that name exists (without ``replace``), or one of its
            exact names is already served by another backend.
    """
    with _table_lock:
        if backend.name in _table and not replace:
            raise ConfigError(f"a judge backend named {backend.name!r} is already registered")
        for other in _table.values():
            taken = set(other.names) & set(backend.names)
            if other.name != backend.name and taken:
                raise ConfigError(
                    f"judge name(s) {sorted(taken)} are already served by the {other.name!r} "
                    "backend"
                )
        _table[backend.name] = backend


def unregister_backend(name: str) -> None:
    """Remove the backend called ``name`` (no-op when absent)."""
    with _table_lock:
        _table.pop(name, None)


def backends() -> list[Backend]:
    """The registered backends, in registration order."""
    with _table_lock:
        return list(_table.values())


def known_judges() -> dict[str, str]:
    """Every exact judge name of every backend, with its description."""
    return {name: text for backend in backends() for name, text in backend.names.items()}


def backend_for(name: str) -> Backend:
    """The backend that serves judge ``name`` (see the module docstring for the order).

    Raises:
        UnknownNameError: no backend serves it; the message lists the known names and the
            prefixes that are claimed.
    """
    table = backends()
    for backend in table:
        if name in backend.names:
            return backend
    prefixed = [(len(p), b) for b in table for p in b.prefixes if name.startswith(p)]
    if prefixed:
        return max(prefixed, key=lambda pair: pair[0])[1]
    for backend in table:
        if backend.accepts is not None and backend.accepts(name):
            return backend
    known = known_judges()
    hint = did_you_mean(name, known)
    prefixes = [p for b in table for p in b.prefixes]
    raise UnknownNameError(
        f"unknown judge {name!r}{f' ({hint})' if hint else ''}; expected one of: "
        f"{', '.join(sorted(known)) or '(none)'}"
        + (f", or a name starting with {', '.join(prefixes)}" if prefixes else "")
    )


# -- option checks -------------------------------------------------------------------------


def choice(*values: Any) -> Callable[[str, Any], Any]:
    """A check that accepts one of ``values``."""

    def check(key: str, value: Any) -> Any:
        if value not in values:
            raise ConfigError(f"{key} must be one of {list(values)}, got {value!r}")
        return value

    return check


def int_at_least(low: int) -> Callable[[str, Any], int]:
    """A check that accepts an int ``>= low`` (not a bool)."""

    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{key} must be an int >= {low}, got {value!r}")
        return value

    return check


def boolean(key: str, value: Any) -> bool:
    """A check that accepts True or False."""
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be True or False, got {value!r}")
    return value


def positive_number(key: str, value: Any) -> float:
    """A check that accepts a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key} must be a number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{key} must be a finite number > 0, got {value!r}")
    return float(value)
