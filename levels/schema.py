"""A small declarative schema for parameter files.

Parameter classes are frozen dataclasses whose fields are declared with :func:`param`,
which records the field's meaning, range and choices. One walker over those
declarations does everything else: loading a TOML table into typed objects with
field-path errors (:func:`from_dict`), dumping them back (:func:`to_dict`) and printing
the reference that ``main.py levels schema`` shows (:func:`describe`).

Field types understood:

- ``int``, ``float``, ``bool``, ``str``
- ``IntRange`` / ``FloatRange``: a number, or ``[low, high]`` (inclusive), stored as a pair
- ``Weights``: a name, or a table of ``name = weight``, stored as a dict
- ``list[str]``, ``list[int]``
- a nested parameter dataclass, ``list[...]`` of one, or ``dict[str, ...]`` of one
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Iterator
from typing import Any, NewType, TypeVar

from levels.common.errors import ParamError

IntRange = NewType("IntRange", tuple)
"""An inclusive integer range ``(low, high)``; a single number ``n`` means ``(n, n)``."""

FloatRange = NewType("FloatRange", tuple)
"""An inclusive float range ``(low, high)``; a single number ``x`` means ``(x, x)``."""

Weights = NewType("Weights", dict)
"""Relative weights by name; a single name ``"a"`` means ``{"a": 1.0}``."""

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class FieldInfo:
    """What the schema knows about one field besides its type."""

    doc: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None


def param(
    default: Any,
    doc: str,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] | None = None,
) -> Any:
    """Declare a schema field with its default, documentation and allowed values.

    Mutable defaults (lists, dicts, dataclasses) are copied for every instance.
    """
    info = FieldInfo(doc=doc, low=low, high=high, choices=choices)
    metadata = {"schema": info}
    if isinstance(default, list | dict) or dataclasses.is_dataclass(default):
        snapshot = default
        return dataclasses.field(default_factory=lambda: _copy(snapshot), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value  # frozen dataclasses and scalars are immutable


def schema_fields(cls: type) -> Iterator[tuple[dataclasses.Field[Any], Any, FieldInfo]]:
    """Yield ``(field, resolved type, info)`` for every schema field of ``cls``."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        info = f.metadata.get("schema")
        if info is not None:
            yield f, hints[f.name], info


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# ---------------------------------------------------------------------------- loading


def from_dict(cls: type[T], data: Any, path: str = "") -> T:
    """Build a ``cls`` from a TOML table, validating every field.

    Missing fields take their defaults; unknown keys, wrong types and out-of-range
    values raise :class:`ParamError` naming the field path. After the fields, the
    class's own ``check(path)`` method (if any) runs cross-field checks. A class with a
    ``from_table(data, path)`` classmethod (and ``to_table()``) loads itself.
    """
    if not isinstance(data, dict):
        raise ParamError(path, f"expected a table, got {_describe_value(data)}")
    custom = getattr(cls, "from_table", None)
    if custom is not None:
        return custom(data, path)
    known = {f.name: (f, hint, info) for f, hint, info in schema_fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ParamError(
            _join(path, unknown[0]),
            f"unknown key (known keys: {', '.join(sorted(known))})",
        )
    values = {}
    for name, (_f, hint, info) in known.items():
        if name in data:
            values[name] = _convert(hint, info, data[name], _join(path, name))
    obj = cls(**values)
    check = getattr(obj, "check", None)
    if callable(check):
        check(path)
    return obj


def _convert(hint: Any, info: FieldInfo, value: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is bool:
        if not isinstance(value, bool):
            raise ParamError(path, f"expected true or false, got {_describe_value(value)}")
        return value
    if hint is int:
        return _check_number(_as_int(value, path), info, path)
    if hint is float:
        return _check_number(_as_float(value, path), info, path)
    if hint is str:
        if not isinstance(value, str):
            raise ParamError(path, f"expected a string, got {_describe_value(value)}")
        if info.choices is not None and value not in info.choices:
            raise ParamError(path, f"{value!r} is not one of {', '.join(info.choices)}")
        return value
    if hint is IntRange or hint is FloatRange:
        return _convert_range(hint, info, value, path)
    if hint is Weights:
        return _convert_weights(info, value, path)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, path)
    if origin is list:
        (item_hint,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ParamError(path, f"expected a list, got {_describe_value(value)}")
        return [_convert(item_hint, info, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        key_hint, item_hint = typing.get_args(hint)
        if not isinstance(value, dict):
            raise ParamError(path, f"expected a table, got {_describe_value(value)}")
        return {str(k): _convert(item_hint, info, v, _join(path, str(k))) for k, v in value.items()}
    raise TypeError(f"schema: unsupported field type {hint!r} at {path}")  # programming error


def _as_int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamError(path, f"expected an integer, got {_describe_value(value)}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ParamError(path, f"expected an integer, got {value}")
        value = int(value)
    return value


def _as_float(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamError(path, f"expected a number, got {_describe_value(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ParamError(path, f"expected a finite number, got {value}")
    return value


def _check_number(value: float, info: FieldInfo, path: str) -> Any:
    if info.low is not None and value < info.low:
        raise ParamError(path, f"{value} is below the minimum {_fmt(info.low)}")
    if info.high is not None and value > info.high:
        raise ParamError(path, f"{value} exceeds the maximum {_fmt(info.high)}")
    return value


def _convert_range(hint: Any, info: FieldInfo, value: Any, path: str) -> tuple[Any, Any]:
    as_number = _as_int if hint is IntRange else _as_float
    if isinstance(value, list):
        if len(value) != 2:
            raise ParamError(path, f"expected [low, high], got a list of {len(value)}")
        low = _check_number(as_number(value[0], path + "[0]"), info, path + "[0]")
        high = _check_number(as_number(value[1], path + "[1]"), info, path + "[1]")
        if low > high:
            raise ParamError(path, f"low {low} is above high {high}")
        return (low, high)
    number = _check_number(as_number(value, path), info, path)
    return (number, number)


def _convert_weights(info: FieldInfo, value: Any, path: str) -> dict[str, float]:
    if isinstance(value, str):
        value = {value: 1.0}
    if not isinstance(value, dict) or not value:
        raise ParamError(path, f"expected a name or a table of weights, got {_describe_value(value)}")
    weights = {}
    for name, weight in value.items():
        sub = _join(path, name)
        if info.choices is not None and name not in info.choices:
            raise ParamError(sub, f"{name!r} is not one of {', '.join(info.choices)}")
        weight = _as_float(weight, sub)
        if weight < 0:
            raise ParamError(sub, f"weight {weight} is negative")
        weights[name] = weight
    if sum(weights.values()) <= 0:
        raise ParamError(path, "weights must not all be zero")
    return weights


def _describe_value(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "a list", dict: "a table"}
    kind = kinds.get(type(value), type(value).__name__)
    text = repr(value)
    return f"{kind} ({text if len(text) <= 30 else text[:27] + '...'})"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


# ---------------------------------------------------------------------------- dumping


def to_dict(obj: Any) -> Any:
    """Turn a parameter object into plain TOML-ready data (the inverse of from_dict)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        custom = getattr(obj, "to_table", None)
        if custom is not None:
            return custom()
        out = {}
        for f, hint, _info in schema_fields(type(obj)):
            value = getattr(obj, f.name)
            if hint is IntRange or hint is FloatRange:
                out[f.name] = value[0] if value[0] == value[1] else [value[0], value[1]]
            else:
                out[f.name] = to_dict(value)
        return out
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_dict(v) for v in obj]
    return obj


# ---------------------------------------------------------------------------- reference


@dataclasses.dataclass(frozen=True)
class FieldDoc:
    """One row of the printed schema reference."""

    path: str
    type_name: str
    default: str
    allowed: str
    doc: str


def describe(cls: type, path: str = "") -> list[FieldDoc]:
    """List every field of ``cls`` (recursively) with type, default, range and meaning."""
    rows: list[FieldDoc] = []
    instance = cls()
    for f, hint, info in schema_fields(cls):
        sub = _join(path, f.name)
        default = getattr(instance, f.name)
        origin = typing.get_origin(hint)
        if dataclasses.is_dataclass(hint):
            rows.append(FieldDoc(sub, "table", "", "", info.doc))
            rows.extend(describe(hint, sub))
        elif origin in (list, dict) and dataclasses.is_dataclass(typing.get_args(hint)[-1]):
            item = typing.get_args(hint)[-1]
            marker = "[]" if origin is list else ".<name>"
            kind = "array of tables" if origin is list else "table of tables"
            rows.append(FieldDoc(sub, kind, _default_text(default), "", info.doc))
            rows.extend(describe(item, sub + marker))
        else:
            rows.append(FieldDoc(sub, _type_name(hint), _default_text(default), _allowed(hint, info), info.doc))
    return rows


def _type_name(hint: Any) -> str:
    names = {int: "integer", float: "number", bool: "boolean", str: "string",
             IntRange: "integer or [low, high]", FloatRange: "number or [low, high]",
             Weights: "name or {name = weight}"}
    if hint in names:
        return names[hint]
    if typing.get_origin(hint) is list:
        return f"list of {_type_name(typing.get_args(hint)[0])}s"
    return getattr(hint, "__name__", str(hint))


def _allowed(hint: Any, info: FieldInfo) -> str:
    if info.choices is not None:
        return " | ".join(info.choices)
    if info.low is not None or info.high is not None:
        low = _fmt(info.low) if info.low is not None else "-inf"
        high = _fmt(info.high) if info.high is not None else "inf"
        return f"{low} .. {high}"
    return ""


def _default_text(value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2:
        return str(value[0]) if value[0] == value[1] else f"[{value[0]}, {value[1]}]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        if value and all(isinstance(v, float | int) for v in value.values()):
            return "{" + ", ".join(f"{k} = {_fmt(v)}" for k, v in value.items()) + "}"
        return "{" + ", ".join(value) + "}" if value else "{}"
    if isinstance(value, list):
        if value and dataclasses.is_dataclass(value[0]):
            return f"{len(value)} entries"
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def walk_values(obj: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Yield ``(path, value)`` for every leaf value of a parameter object."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f, _hint, _info in schema_fields(type(obj)):
            yield from walk_values(getattr(obj, f.name), _join(path, f.name))
    elif isinstance(obj, dict) and obj and dataclasses.is_dataclass(next(iter(obj.values()))):
        for k, v in obj.items():
            yield from walk_values(v, _join(path, k))
    elif isinstance(obj, list) and obj and dataclasses.is_dataclass(obj[0]):
        for i, v in enumerate(obj):
            yield from walk_values(v, f"{path}[{i}]")
    else:
        yield path, obj

