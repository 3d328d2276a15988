"""A compact TOML writer for parameter documents a designer reads (sampled games).

``tomli_w`` spreads every array over several lines; a sampled game file reads better
the way the presets are written: ``count = [2, 4]``, weights as inline tables
(``goal = { escape = 2.0, fetch = 1.0 }``), one ``[table]`` per nested table and
``[[spawns]]`` for arrays of tables. :func:`dumps` handles what parameter documents
hold (strings, booleans, integers, floats, lists of them, tables) and checks that the
text parses back to the same data.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from typing import Any

#: Tables written inline (``key = { a = 1.0 }``): the weighted mixes.
INLINE_TABLES = ("generator", "goal")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} has no TOML form in a parameter file")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_scalar(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table(key: str, value: Any) -> bool:
    return isinstance(value, dict) and key not in INLINE_TABLES


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _has_values(table: dict[str, Any]) -> bool:
    """Whether ``table`` is empty or holds a value written under its own header."""
    return not table or any(not _is_table(k, v) and not _is_table_array(v) for k, v in table.items())


def _emit(table: dict[str, Any], path: list[str], lines: list[str]) -> None:
    for key, value in table.items():
        if not _is_table(key, value) and not _is_table_array(value):
            lines.append(f"{_key(key)} = {_scalar(value)}")
    for key, value in table.items():
        sub = [*path, _key(key)]
        if _is_table(key, value):
            if _has_values(value):  # a table of tables only needs no header of its own
                lines.extend(["", f"[{'.'.join(sub)}]"])
            _emit(value, sub, lines)
        elif _is_table_array(value):
            for entry in value:
                lines.extend(["", f"[[{'.'.join(sub)}]]"])
                _emit(entry, sub, lines)


def dumps(document: dict[str, Any], header: str = "") -> str:
    """``document`` as TOML text, after ``header`` (lines written as ``# `` comments)."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    _emit(document, [], lines)
    text = "\n".join(lines).strip("\n") + "\n"
    if tomllib.loads(text) != document:  # a writer bug must never produce a different file
        raise RuntimeError("toml_text.dumps: the text does not read back as the document")
    return text
