"""Typed game parameters: what a card declares, and everything a parameter does with a value.

A ``ParamDef`` is one parameter of a game (a token budget, a prompt, a coherence bar): its type,
default, and either a range or a list of choices. It checks a value (``validate``), draws one
from a seeded generator (``draw``), describes itself for listings (``domain``, ``describe``) and
round-trips through JSON in the card's form (``to_json``/``from_json``), so every place that
handles parameters (cards, the registry, instance ids, the CLI) shares this one definition.

Example:
    >>> budget = ParamDef("budget", "int", 10, low=3, high=40, description="Token budget.")
    >>> budget.validate(12), budget.describe()
    (12, 'budget (int, default 10, 3..40): Token budget.')
    >>> ParamDef.from_json(budget.to_json()) == budget
    True
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np

from xent_envs.errors import ConfigError, did_you_mean

__all__ = ["COMMON_PARAMETERS", "PARAM_TYPES", "RESERVED_PARAMETERS", "ParamDef", "ParamValue"]

ParamValue = int | float | str
ParamType = Literal["int", "float", "str"]
PARAM_TYPES: tuple[ParamType, ...] = ("int", "float", "str")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYS = ("name", "type", "default", "low", "high", "choices", "description")
# What a value of each type may arrive as: numpy scalars come from samplers and arrays, and an
# int is a fine float; a float is never silently truncated to an int, and no bool is a number.
_ACCEPTED: dict[str, tuple[type, ...]] = {
    "int": (int, np.integer),
    "float": (int, float, np.integer, np.floating),
    "str": (str,),
}
_CAST: dict[str, type] = {"int": int, "float": float, "str": str}
_SHOWN_DEFAULT = 40  # characters of a long default shown in one-line listings


@dataclass(frozen=True)
class ParamDef:
    """One typed game parameter: a default and either a range (``low``..``high``, numbers) or
    ``choices`` (any type); a string parameter with neither is free text.

    The definition is checked when it is made, so a card with a default outside its range, a
    value of the wrong type or a non-finite number fails at load time, naming the parameter.
    """

    name: str
    type: ParamType
    default: ParamValue
    low: int | float | None = None
    high: int | float | None = None
    choices: tuple[ParamValue, ...] | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ConfigError(f"parameter name {self.name!r} must match [A-Za-z_][A-Za-z0-9_]*")
        if self.type not in PARAM_TYPES:
            raise ConfigError(
                f"parameter {self.name!r} has type {self.type!r}; expected one of "
                f"{', '.join(PARAM_TYPES)}"
            )
        if self.choices is not None:
            if isinstance(self.choices, (str, bytes)) or not self.choices:
                raise ConfigError(f"parameter {self.name!r}: choices must be a non-empty list")
            object.__setattr__(self, "choices", tuple(self._typed(c) for c in self.choices))
        if (self.low is not None or self.high is not None) and self.type == "str":
            raise ConfigError(f"parameter {self.name!r}: a str parameter has no low/high")
        for bound in ("low", "high"):
            value = getattr(self, bound)
            if value is not None:
                object.__setattr__(self, bound, self._typed(value, bound))
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ConfigError(f"parameter {self.name!r}: low {self.low} is above high {self.high}")
        if not isinstance(self.description, str):
            raise ConfigError(f"parameter {self.name!r}: description must be a string")
        object.__setattr__(self, "default", self.validate(self.default, "default"))

    def _typed(self, value: Any, what: str = "") -> ParamValue:
        """``value`` as this parameter's type, or a ``ConfigError`` naming what was wrong."""
        label = f"parameter {self.name!r}{' ' + what if what else ''}"
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, _ACCEPTED[self.type]):
            shown = f"np.{type(value).__name__}" if isinstance(value, np.generic) else repr(value)
            raise ConfigError(f"{label} expects {self.type}, got {shown}")
        cast_value = cast(ParamValue, _CAST[self.type](value))
        if isinstance(cast_value, float) and not math.isfinite(cast_value):
            raise ConfigError(f"{label} must be finite, got {cast_value!r}")
        return cast_value

    def validate(self, value: Any, what: str = "") -> ParamValue:
        """``value`` checked against the type, range and choices, cast to the type (``what``
        names the value in messages, e.g. ``"default"``).

        Raises:
            ConfigError: naming the parameter, what it expects and what arrived.
        """
        label = f"parameter {self.name!r}{' ' + what if what else ''}"
        typed = self._typed(value, what)
        if self.choices is not None and typed not in self.choices:
            raise ConfigError(f"{label} must be one of {list(self.choices)}, got {typed!r}")
        if not isinstance(typed, str) and (
            (self.low is not None and typed < self.low)
            or (self.high is not None and typed > self.high)
        ):
            raise ConfigError(f"{label} must be in [{self.low}, {self.high}], got {typed!r}")
        return typed

    @property
    def drawable(self) -> bool:
        """Whether ``draw`` can vary this parameter (it has choices or both range ends)."""
        return self.choices is not None or (self.low is not None and self.high is not None)

    def draw(self, rng: np.random.Generator) -> ParamValue:
        """A value drawn uniformly from the choices or the range (the default when the
        parameter has neither, as free text has)."""
        if self.choices is not None:
            return self.choices[int(rng.integers(len(self.choices)))]
        if self.low is None or self.high is None:
            return self.default
        if self.type == "int":
            return int(rng.integers(int(self.low), int(self.high) + 1))
        return float(rng.uniform(self.low, self.high))

    @property
    def domain(self) -> str:
        """The values it takes, for listings: ``3..40``, ``one of 'a', 'b'``, ``>= 0``, ``any``."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.low is not None and self.high is not None:
            return f"{self.low}..{self.high}"
        if self.low is not None:
            return f">= {self.low}"
        if self.high is not None:
            return f"<= {self.high}"
        return "any"

    def describe(self) -> str:
        """One line: ``name (type, default D, domain): description`` (long defaults cut)."""
        default = repr(self.default)
        if len(default) > _SHOWN_DEFAULT:
            default = default[: _SHOWN_DEFAULT - 3] + "..." + default[0]
        return f"{self.name} ({self.type}, default {default}, {self.domain}): {self.description}"

    def to_json(self) -> dict[str, Any]:
        """The parameter as a JSON-ready dict, in the card's form: the keys that are set."""
        data: dict[str, Any] = {"name": self.name, "type": self.type, "default": self.default}
        if self.low is not None:
            data["low"] = self.low
        if self.high is not None:
            data["high"] = self.high
        if self.choices is not None:
            data["choices"] = list(self.choices)
        if self.description:
            data["description"] = self.description
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ParamDef:
        """Inverse of ``to_json``; also reads a card's ``[parameters.NAME]`` table plus its name.

        Raises:
            ConfigError: a missing type or default, an unknown key (with the closest valid
                one), or a definition that does not hold together.
        """
        if not isinstance(data, Mapping):
            raise ConfigError(f"a parameter must be a table of {', '.join(_KEYS)}, got {data!r}")
        unknown = sorted(set(data) - set(_KEYS))
        if unknown:
            hint = did_you_mean(unknown[0], _KEYS)
            raise ConfigError(
                f"parameter {data.get('name')!r} has unknown key {unknown[0]!r}"
                + (f" ({hint})" if hint else "")
                + f"; valid keys: {', '.join(_KEYS[1:])}"
            )
        for key in ("type", "default"):
            if key not in data:
                raise ConfigError(f"parameter {data.get('name')!r} needs a {key}")
        choices = data.get("choices")
        return cls(
            name=data.get("name", ""),
            type=data["type"],
            default=data["default"],
            low=data.get("low"),
            high=data.get("high"),
            choices=tuple(choices) if isinstance(choices, (list, tuple)) else choices,
            description=data.get("description", ""),
        )


COMMON_PARAMETERS: tuple[ParamDef, ...] = (
    ParamDef(
        name="rounds",
        type="int",
        default=1,
        low=1,
        high=10,
        description="Rounds played on the same map; the observation shows earlier rounds' "
        "moves and scores, and the map's score is its best round.",
    ),
    ParamDef(
        name="story_tokens",
        type="int",
        default=48,
        low=16,
        high=160,
        description="Length, in judge tokens, of each generated map text (story() & co.).",
    ),
)
"""Parameters every game space has; they are the environment's business, not the program's."""

#: Names a card may not define: the common parameters every game space adds.
RESERVED_PARAMETERS: tuple[str, ...] = tuple(p.name for p in COMMON_PARAMETERS)
