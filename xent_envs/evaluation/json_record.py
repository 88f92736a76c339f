"""JSON for the evaluation's typed records: one encoder and one checked decoder for every
frozen dataclass that derives from :class:`JsonRecord`.

Records are read back from files that anyone can edit, copy or truncate, so decoding checks
every field against its type hint and raises :class:`~xent_envs.errors.RecordError` naming
the field, instead of letting a wrong type surface later as an ``AttributeError`` in the
scorer. Non-finite floats (a ``nan`` reward, a ``-inf`` expected reward) are written as the
strings ``"nan"``, ``"inf"`` and ``"-inf"``, so every file is strict JSON that any reader
(a browser's ``JSON.parse`` included) accepts, and they come back as floats.

Fields declared with ``field(init=False)`` are derived by the record itself (a map's score from
its rounds): they are written for readers, and a file whose value disagrees is refused.

Supported field types: ``int``, ``float``, ``str``, ``bool``, ``None``, unions with ``None``,
``Literal[...]`` of strings, ``tuple[X, ...]``, ``Mapping[str, X]``, ``Any`` (any JSON value)
and nested ``JsonRecord`` classes.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Point(JsonRecord):
...     x: float
...     tags: tuple[str, ...] = ()
>>> Point(float("nan"), ("a",)).to_json()
{'x': 'nan', 'tags': ['a']}
>>> Point.from_json({"x": 2, "tags": ["a"]})
Point(x=2.0, tags=('a',))
>>> Point.from_json({"x": "two"})
Traceback (most recent call last):
...
xent_envs.errors.RecordError: Point.x: expected a number, got 'two'
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from xent_envs.errors import RecordError

__all__ = ["JsonRecord", "json_float", "json_value"]

_R = TypeVar("_R", bound="JsonRecord")
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def json_float(value: float) -> float | str:
    """``value`` as strict JSON: itself when finite, else ``"nan"``, ``"inf"`` or ``"-inf"``.

    >>> json_float(1.5), json_float(float("-inf"))
    (1.5, '-inf')
    """
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def json_value(value: Any) -> Any:
    """A strict-JSON copy of ``value``: records and objects with ``to_json`` through it,
    tuples as lists, numpy scalars as Python numbers, non-finite floats as strings, anything
    else unknown as its ``str``.

    >>> json_value({"a": (1, float("inf")), 2: None})
    {'a': [1, 'inf'], '2': None}
    """
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        return json_float(value)
    if hasattr(value, "to_json"):
        return json_value(value.to_json())
    if hasattr(value, "item"):  # numpy scalars
        return json_value(value.item())
    return str(value)


class JsonRecord:
    """Base class of the evaluation's frozen dataclasses: ``to_json`` and a checked
    ``from_json``. Subclasses are plain ``@dataclass(frozen=True)`` classes."""

    def to_json(self) -> dict[str, Any]:
        """A strict-JSON dict of the fields, in declaration order."""
        return {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_json(cls: type[_R], data: Any) -> _R:
        """The record that ``to_json`` gave ``data``.

        Raises:
            RecordError: ``data`` is not such a record (missing or unknown fields, a value
                of the wrong type); the message names the field.
        """
        return _decode_record(cls, data, cls.__name__)


def _encode(value: Any) -> Any:
    if isinstance(value, JsonRecord):
        return value.to_json()
    if isinstance(value, float):
        return json_float(value)
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode_record(cls: type[_R], data: Any, where: str) -> _R:
    if not isinstance(data, Mapping):
        raise RecordError(f"{where}: expected an object, got {_show(data)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise RecordError(f"{where}: unknown field {unknown[0]!r}")
    hints = _hints(typing.cast(type, cls))
    values = {}
    for name, f in fields.items():
        if name in data:
            values[name] = _decode(hints[name], data[name], f"{where}.{name}")
        elif (
            f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ):
            raise RecordError(f"{where}: missing field {name!r}")
    try:
        record = cls(**{k: v for k, v in values.items() if fields[k].init})
    except (TypeError, ValueError) as exc:  # a record's own __post_init__ check
        raise RecordError(f"{where}: {exc}") from exc
    for name, value in values.items():  # derived fields, written for readers: must agree
        if not fields[name].init and value != getattr(record, name):
            raise RecordError(
                f"{where}.{name}: {_show(value)} does not match the record "
                f"({_show(getattr(record, name))})"
            )
    return record


def _decode(hint: Any, value: Any, where: str) -> Any:
    origin = get_origin(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = [o for o in options if o is not type(None)]
        return _decode(inner, value, where)
    if origin is Literal:
        if value not in get_args(hint):
            expected = " or ".join(repr(a) for a in get_args(hint))
            raise RecordError(f"{where}: expected {expected}, got {_show(value)}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise RecordError(f"{where}: expected a list, got {_show(value)}")
        (item, _ellipsis) = get_args(hint)
        return tuple(_decode(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (Mapping, dict):
        if not isinstance(value, Mapping):
            raise RecordError(f"{where}: expected an object, got {_show(value)}")
        _key, item = get_args(hint)
        return {str(k): _decode(item, v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(hint, type) and issubclass(hint, JsonRecord):
        return _decode_record(hint, value, where)
    if hint is float:
        if isinstance(value, str) and value in _NON_FINITE:
            return _NON_FINITE[value]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise RecordError(f"{where}: expected a number, got {_show(value)}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise RecordError(f"{where}: expected an integer, got {_show(value)}")
    if hint in (str, bool):
        if isinstance(value, hint):
            return value
        raise RecordError(f"{where}: expected a {hint.__name__}, got {_show(value)}")
    raise TypeError(f"{where}: JsonRecord cannot decode fields of type {hint!r}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
