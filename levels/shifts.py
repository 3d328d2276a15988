"""Design shifts: small TOML files that change level parameters the way a designer would.

A shift names only what it changes. It is applied on top of any level parameters
(a preset or a designer's file) by :func:`apply_shift`. Its tables, all optional::

    description = "one line for people"

    [params]                 # merged into the level parameters as a level TOML writes them
    loot.density = [0.15, 0.25]

    [params.loot.kinds.crossbow]   # a kind table changes only the fields it names;
    category = "ranged"            # a new kind starts from the ItemKind defaults
    damage_min = 3

    [spawns.monsters]        # fields set on every spawn group of that faction
    atk = 6

    [scale.melee]            # attribute ranges of every kind of a category, multiplied
    damage_min = 2.0         # (rounded half up, after [params])

Shipped shifts live in ``levels/shifts/`` (:func:`shift_names`). Every error is one
line naming the file and the field (:class:`levels.common.errors.ParamError`).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from levels import schema
from levels.common.errors import ParamError
from levels.common.files import MAX_TEXT_BYTES, parse_toml, read_user_text
from levels.params import LOOT_CATEGORIES, LevelParams, SpawnGroup, deep_merge, params_from_dict, params_to_dict

SHIFT_DIR = Path(__file__).parent / "shifts"
#: The name the study and tools use for "no shift".
BASE = "base"
#: Item attributes a ``[scale.<category>]`` table may multiply.
SCALABLE = ("damage_min", "damage_max", "range", "heal", "buff_atk", "buff_def", "buff_turns")
_TOP_KEYS = ("description", "params", "spawns", "scale")


@dataclass(frozen=True)
class Shift:
    """One design shift, as read from its file (see the module docstring)."""

    name: str
    description: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    spawns: dict[str, dict[str, Any]] = field(default_factory=dict)
    scale: dict[str, dict[str, float]] = field(default_factory=dict)
    source: str = ""


def shift_names() -> list[str]:
    """Names of the shipped shifts (``levels/shifts/*.toml``), sorted."""
    return sorted(p.stem for p in SHIFT_DIR.glob("*.toml"))


def load_shift(source: str | Path) -> Shift:
    """Read a shift from a TOML path or a shipped shift's name; the structure is checked here.

    Field names inside ``[params]`` are checked when the shift is applied (they need the
    level parameters it applies to); :func:`check_shift` does that against a preset.
    """
    path = Path(source)
    if path.suffix != ".toml" and not path.exists():
        path = SHIFT_DIR / f"{source}.toml"
        if not path.exists():
            raise ParamError("", f"no shift or file named {str(source)!r} (shifts: {', '.join(shift_names())})")
    where = str(path)
    def error(reason: str) -> ParamError:
        return ParamError("", reason, where)

    data = parse_toml(read_user_text(path, error, limit=MAX_TEXT_BYTES), error)
    return shift_from_dict(data, path.stem, where)


def shift_from_dict(data: dict[str, Any], name: str, source: str = "") -> Shift:
    """Check a parsed shift document's structure and build a :class:`Shift`."""
    for key in data:
        if key not in _TOP_KEYS:
            raise ParamError(key, f"unknown key (known keys: {', '.join(_TOP_KEYS)})", source)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ParamError("description", "expected a string", source)
    params = _table(data.get("params", {}), "params", source)
    spawns = _table(data.get("spawns", {}), "spawns", source)
    for faction, changes in spawns.items():
        changes = _table(changes, f"spawns.{faction}", source)
        known = {f.name for f, _h, _i in schema.schema_fields(SpawnGroup)} - {"faction"}
        for key in changes:
            if key not in known:
                raise ParamError(f"spawns.{faction}.{key}", f"unknown spawn field (known: {', '.join(sorted(known))})",
                                 source)
    scale = _table(data.get("scale", {}), "scale", source)
    factors: dict[str, dict[str, float]] = {}
    for category, table in scale.items():
        if category not in LOOT_CATEGORIES:
            raise ParamError(f"scale.{category}", f"not a loot category ({', '.join(LOOT_CATEGORIES)})", source)
        table = _table(table, f"scale.{category}", source)
        factors[category] = {}
        for attribute, factor in table.items():
            where = f"scale.{category}.{attribute}"
            if attribute not in SCALABLE:
                raise ParamError(where, f"not a scalable attribute ({', '.join(SCALABLE)})", source)
            if isinstance(factor, bool) or not isinstance(factor, int | float) or not math.isfinite(factor):
                raise ParamError(where, f"expected a finite number, got {factor!r}", source)
            if factor < 0:
                raise ParamError(where, f"factor {factor} is negative", source)
            factors[category][attribute] = float(factor)
    return Shift(name=name, description=description, params=copy.deepcopy(params),
                 spawns=copy.deepcopy(spawns), scale=factors, source=source)


def _table(value: Any, where: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParamError(where, f"expected a table, got {type(value).__name__}", source)
    return value


def _scaled(value: int, factor: float) -> int:
    """``value * factor`` rounded half away from zero (so 1 * 0.5 stays 1, -1 * 0.5 is -1)."""
    return int(math.copysign(math.floor(abs(value) * factor + 0.5), value))


def apply_shift(params: LevelParams, shift: Shift | None) -> LevelParams:
    """``params`` with ``shift`` applied (``None``: unchanged). Errors name the shift's file and field."""
    if shift is None:
        return params
    data = params_to_dict(params)
    # Make every effective loot kind explicit so a kind table edits fields, not whole kinds.
    data["loot"]["kinds"] = {name: schema.to_dict(kind) for name, kind in params.loot.all_kinds().items()}
    data["loot"]["inherit_default_kinds"] = False
    data = deep_merge(data, shift.params)
    for faction, changes in shift.spawns.items():
        groups = [g for g in data.get("spawns", []) if g.get("faction") == faction]
        if not groups:
            raise ParamError(f"spawns.{faction}", "no spawn group of that faction in the level parameters",
                             shift.source)
        for group in groups:
            group.update(copy.deepcopy(changes))
            try:
                schema.from_dict(SpawnGroup, group)
            except ParamError as exc:
                field_name = exc.path.split(".")[0].split("[")[0]
                raise ParamError(f"spawns.{faction}.{field_name}", exc.reason, shift.source) from None
    try:
        shifted = params_from_dict(data)
    except ParamError as exc:
        raise ParamError(f"params.{exc.path}" if exc.path else "params", exc.reason, shift.source) from None
    if not shift.scale:
        return shifted
    kinds = {}
    for name, kind in shifted.loot.all_kinds().items():
        factors = shift.scale.get(kind.category, {})
        changes = {a: tuple(_scaled(v, f) for v in getattr(kind, a)) for a, f in factors.items()}
        kinds[name] = dataclasses.replace(kind, **changes) if changes else kind
    out = dataclasses.replace(shifted, loot=dataclasses.replace(shifted.loot, kinds=kinds))
    try:  # scaling may push a value past a schema bound: re-validate through the schema
        return params_from_dict(params_to_dict(out))
    except ParamError as exc:
        raise ParamError(f"scale (result {exc.path})", exc.reason, shift.source) from None


def check_shift(shift: Shift, params: LevelParams) -> None:
    """Raise the shift's first error against ``params`` (apply and discard)."""
    apply_shift(params, shift)


def kind_summary(params: LevelParams) -> dict[str, dict[str, Any]]:
    """The effective loot kinds as plain data (for reports: what a shift changed)."""
    return {name: schema.to_dict(kind) for name, kind in params.loot.all_kinds().items()}


__all__ = ["BASE", "SCALABLE", "SHIFT_DIR", "Shift", "apply_shift", "check_shift",
           "kind_summary", "load_shift", "shift_from_dict", "shift_names"]
