"""The knobs of the game distribution: bounds on every axis :mod:`levels.distribution` draws.

A :class:`GameKnobs` is what a curriculum widens: each numeric field is an inclusive
``(low, high)`` range the sampler draws from, each tuple of names the choices it may
pick. The defaults cover the range of the shipped presets (arena, caves, dungeon,
labyrinth) and somewhat beyond. Every range must lie inside the level schema's range
for the fields it feeds, so any knobs that pass :meth:`GameKnobs.check` give valid
parameter sets. A TOML table with the same keys loads with :func:`knobs_from_dict`.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from levels.common.errors import ParamError
from levels.common.files import MAX_TEXT_BYTES, parse_toml, read_user_text
from levels.params import GENERATORS, GOALS, preset_names

IntBounds = tuple[int, int]
FloatBounds = tuple[float, float]

#: Presets a game may start its floor generation from (the default choices).
DEFAULT_PRESETS = ("arena", "caves", "dungeon", "labyrinth")


@dataclass(frozen=True)
class GameKnobs:
    """Bounds on each axis of the game distribution (inclusive ranges, allowed names).

    Fields ending in ``_chance`` are probabilities; the others are ``(low, high)``
    ranges or tuples of allowed names. See docs/levels.md, "Procedural games".
    """

    # layout
    preset_chance: float = 0.3  # chance that a game keeps a preset's floor generation
    presets: tuple[str, ...] = DEFAULT_PRESETS
    generators: tuple[str, ...] = GENERATORS  # otherwise a mix of these, drawn per floor
    mix_size: IntBounds = (1, 3)  # generators in a mix
    width: IntBounds = (12, 64)
    height: IntBounds = (12, 48)
    floors: IntBounds = (1, 3)
    # doors and hazards
    door_density: FloatBounds = (0.0, 0.6)
    locked_share: FloatBounds = (0.0, 0.3)  # fraction of the door weights that is locked
    water: FloatBounds = (0.0, 0.06)
    lava: FloatBounds = (0.0, 0.03)
    # agents
    hero_hp: IntBounds = (15, 30)
    sight: IntBounds = (5, 12)
    monster_groups: IntBounds = (1, 2)
    monsters_per_floor: IntBounds = (0, 4)
    monster_hp: IntBounds = (5, 30)
    monster_atk: IntBounds = (1, 6)
    monster_def: IntBounds = (0, 4)
    monster_dex: IntBounds = (1, 5)
    depth_scaling: FloatBounds = (0.0, 0.4)
    # loot
    loot_density: FloatBounds = (0.005, 0.08)
    default_kinds_chance: float = 0.7  # chance to keep DeepCrawl's nine kinds beside the new ones
    new_kinds: IntBounds = (0, 4)  # procedural kinds composed of the known attributes
    weapon_damage: IntBounds = (0, 12)  # damage_min and damage_max are drawn inside this
    bow_range: IntBounds = (1, 4)
    heal: IntBounds = (-10, 10)  # negative: poison
    buff: IntBounds = (-3, 4)  # buff_atk and buff_def
    buff_turns: IntBounds = (1, 6)
    # goals and time
    hero_goals: tuple[str, ...] = GOALS
    monster_goals: tuple[str, ...] = ("eliminate",)
    goals_per_faction: IntBounds = (1, 2)  # goals in a faction's weighted mix
    turns_per_cell: FloatBounds = (3.5, 7.0)  # max_turns = this x (floors + 1) x (width + height)
    exit_count: IntBounds = (1, 3)

    def check(self, path: str = "knobs") -> None:
        """Refuse knobs outside the schema's ranges, empty choices and reversed ranges."""
        for name, low, high in _LIMITS:
            value = getattr(self, name)
            if isinstance(value, tuple):
                if len(value) != 2 or value[0] > value[1]:
                    raise ParamError(_join(path, name), f"expected [low, high] with low <= high, got {list(value)}")
                items = value
            else:
                items = (value,)
            for v in items:
                if not low <= v <= high:
                    raise ParamError(_join(path, name), f"{v} is outside [{low}, {high}]")
        for name, allowed in (("presets", tuple(preset_names())), ("generators", GENERATORS),
                              ("hero_goals", GOALS), ("monster_goals", GOALS)):
            value = getattr(self, name)
            if not value and name != "presets":
                raise ParamError(_join(path, name), "name at least one")
            for v in value:
                if v not in allowed:
                    raise ParamError(_join(path, name), f"{v!r} is not one of {', '.join(allowed)}")
        if not self.presets and self.preset_chance > 0:
            raise ParamError(_join(path, "presets"), "name at least one when preset_chance is above 0")
        if self.mix_size[0] > len(self.generators):
            raise ParamError(_join(path, "mix_size"), f"asks for {self.mix_size[0]} generators but "
                             f"generators names {len(self.generators)}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


#: ``(field, lowest, highest)``: the schema range each knob must stay inside.
_LIMITS: tuple[tuple[str, float, float], ...] = (
    ("preset_chance", 0.0, 1.0), ("mix_size", 1, len(GENERATORS)),
    ("width", 12, 256), ("height", 12, 256), ("floors", 1, 16),
    ("door_density", 0.0, 1.0), ("locked_share", 0.0, 1.0), ("water", 0.0, 0.5), ("lava", 0.0, 0.3),
    ("hero_hp", 1, 10000), ("sight", 1, 32), ("monster_groups", 0, 8), ("monsters_per_floor", 0, 64),
    ("monster_hp", 1, 10000), ("monster_atk", 0, 1000), ("monster_def", 0, 1000), ("monster_dex", 0, 1000),
    ("depth_scaling", 0.0, 4.0), ("loot_density", 0.0, 0.5), ("default_kinds_chance", 0.0, 1.0),
    ("new_kinds", 0, 32), ("weapon_damage", 0, 1000), ("bow_range", 1, 64), ("heal", -1000, 1000),
    ("buff", -100, 100), ("buff_turns", 1, 1000), ("goals_per_faction", 1, len(GOALS)),
    ("turns_per_cell", 0.01, 100.0), ("exit_count", 1, 8),
)


def knobs_from_dict(data: dict[str, Any], path: str = "knobs") -> GameKnobs:
    """Checked :class:`GameKnobs` from a TOML table (unknown keys and wrong types refused)."""
    if not isinstance(data, dict):
        raise ParamError(path, "expected a table")
    hints = typing.get_type_hints(GameKnobs)
    names = {f.name for f in dataclasses.fields(GameKnobs)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = _join(path, key)
        if key not in names:
            raise ParamError(where, f"unknown key (known keys: {', '.join(sorted(names))})")
        values[key] = _knob_value(hints[key], value, where)
    knobs = GameKnobs(**values)
    knobs.check(path)
    return knobs


def _knob_value(hint: Any, value: Any, where: str) -> Any:
    args = typing.get_args(hint)
    if hint is float:
        return _number(float, value, where)
    if args and args[-1] is Ellipsis:  # tuple[str, ...]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ParamError(where, "expected a list of names")
        return tuple(value)
    if not isinstance(value, list) or len(value) != 2:
        raise ParamError(where, "expected [low, high]")
    return tuple(_number(args[i], v, f"{where}[{i}]") for i, v in enumerate(value))


def _number(kind: type, value: Any, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamError(where, f"expected a number, got {value!r}")
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ParamError(where, f"expected an integer, got {value}")
        return int(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ParamError(where, f"expected a finite number, got {value}")
    return float(value)


def load_knobs(path: str | Path) -> GameKnobs:
    """Checked :class:`GameKnobs` from a TOML file of knob keys; errors name the file and key."""
    def error(reason: str) -> ParamError:
        return ParamError("", reason, str(path))

    data = parse_toml(read_user_text(path, error, limit=MAX_TEXT_BYTES), error)
    try:
        return knobs_from_dict(data, "")
    except ParamError as exc:
        raise exc.in_file(str(path)) from None
