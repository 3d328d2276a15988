"""A generated level: tiles of every floor, doors and their locks, items and spawns.

A :class:`Level` is plain data: what :func:`levels.generate` produced from a
``(LevelParams, seed)`` pair. It serialises to JSON and back losslessly
(:meth:`Level.to_json`, :meth:`Level.from_json`), and carries its parameters, so a
level file is self-contained.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from levels.common.errors import LevelFileError, ParamError
from levels.common.files import atomic_write_text, parse_json, read_user_text
from levels.params import GOALS, ITEM_CATEGORIES, LevelParams, params_from_dict, params_to_dict
from levels.tiles import TILE_CHARS, Tile
from levels.validate import MAX_LOCK_ID, check_level

FORMAT_NAME = "mindcrawl-level"
FORMAT_VERSION = 2
#: Older format versions this Mindcrawl still reads (version 1 had no goals: every
#: faction played ``eliminate``).
READABLE_VERSIONS = (1, 2)

#: The integer attributes every item carries, in a fixed order (observations use it).
ITEM_ATTRIBUTES = ("damage_min", "damage_max", "range", "heal", "buff_atk", "buff_def", "buff_turns")

_CHAR_TO_TILE = {char: int(tile) for tile, char in TILE_CHARS.items()}


@dataclass(frozen=True)
class ItemStats:
    """One concrete item: its category and sampled attribute values.

    ``kind`` is the loot-table name, kept for display and logs only: policies must see
    items by their attributes, never by this name.
    """

    kind: str
    category: str
    damage_min: int = 0
    damage_max: int = 0
    range: int = 0
    heal: int = 0
    buff_atk: int = 0
    buff_def: int = 0
    buff_turns: int = 0
    key_id: int = 0  # keys only: the lock id of the door this key opens

    def attributes(self) -> tuple[int, ...]:
        """Attribute values in :data:`ITEM_ATTRIBUTES` order."""
        return tuple(getattr(self, name) for name in ITEM_ATTRIBUTES)


@dataclass(frozen=True)
class PlacedItem:
    """An item lying on the level."""

    floor: int
    y: int
    x: int
    item: ItemStats


@dataclass(frozen=True)
class AgentSpawn:
    """An agent's starting place and stats (it starts at full HP)."""

    faction: str
    floor: int
    y: int
    x: int
    max_hp: int
    atk: int
    defense: int
    dex: int
    items: tuple[ItemStats, ...] = ()


@dataclass(eq=False)
class Level:
    """A generated multi-floor level.

    Attributes:
        params: the parameters it was generated from.
        seed: the seed it was generated with.
        tiles: ``(floors, height, width)`` uint8 array of :class:`~levels.tiles.Tile` codes.
        locks: ``(floors, height, width)`` int16 array; the lock id (>= 1) of each
            locked door, 0 elsewhere. The key item with the same ``key_id`` opens it.
        items: items lying on the level (keys included).
        spawns: agents to create, in a fixed order; the first of the hero faction
            stands at ``entry``.
        entry: ``(floor, y, x)`` where the hero starts; every walkable cell is reachable
            from it.
        generators: the generator chosen for each floor.
        goals: each faction's goal (:data:`levels.params.GOALS`); a faction not named
            plays ``eliminate``.
    """

    params: LevelParams
    seed: int
    tiles: np.ndarray
    locks: np.ndarray
    items: tuple[PlacedItem, ...]
    spawns: tuple[AgentSpawn, ...]
    entry: tuple[int, int, int]
    generators: tuple[str, ...]
    goals: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def floor_count(self) -> int:
        """Number of floors."""
        return int(self.tiles.shape[0])

    @property
    def height(self) -> int:
        """Cells per column of every floor."""
        return int(self.tiles.shape[1])

    @property
    def width(self) -> int:
        """Cells per row of every floor."""
        return int(self.tiles.shape[2])

    def stairs_down(self) -> list[tuple[int, int, int]]:
        """``(floor, y, x)`` of every stairs-down cell; the stairs up below share (y, x)."""
        return [tuple(int(v) for v in c) for c in np.argwhere(self.tiles == Tile.STAIRS_DOWN)]

    def goal_of(self, faction: str) -> str:
        """The goal ``faction`` plays on this level."""
        return self.goals.get(faction, "eliminate")

    def exits(self) -> list[tuple[int, int, int]]:
        """``(floor, y, x)`` of every exit cell."""
        return [tuple(int(v) for v in c) for c in np.argwhere(self.tiles == Tile.EXIT)]

    def floor_text(self, floor: int) -> list[str]:
        """One floor as rows of tile characters (``#`` wall, ``.`` floor, ...)."""
        table = np.array([TILE_CHARS[Tile(t)] for t in range(len(Tile))])
        return ["".join(row) for row in table[self.tiles[floor]]]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return (
            self.params == other.params
            and self.seed == other.seed
            and np.array_equal(self.tiles, other.tiles)
            and np.array_equal(self.locks, other.locks)
            and self.items == other.items
            and self.spawns == other.spawns
            and self.entry == other.entry
            and self.generators == other.generators
            and self.goals == other.goals
        )

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (see :meth:`from_dict`)."""
        locks = [[int(f), int(y), int(x), int(self.locks[f, y, x])] for f, y, x in np.argwhere(self.locks)]
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "seed": self.seed,
            "params": params_to_dict(self.params),
            "generators": list(self.generators),
            "entry": list(self.entry),
            "floors": [self.floor_text(f) for f in range(self.floor_count)],
            "locks": locks,
            "items": [{"floor": p.floor, "y": p.y, "x": p.x, **dataclasses.asdict(p.item)} for p in self.items],
            "spawns": [_spawn_to_dict(s) for s in self.spawns],
            "goals": dict(self.goals),
        }

    def to_json(self) -> str:
        """The level as a JSON document."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def save(self, path: str | Path) -> None:
        """Write the level as JSON, atomically."""
        atomic_write_text(path, self.to_json())

    @classmethod
    def from_dict(cls, data: Any) -> Level:
        """Rebuild a level from :meth:`to_dict` data, checking every part of it."""
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise LevelFileError(f"not a Mindcrawl level (expected \"format\": \"{FORMAT_NAME}\")")
        version = data.get("version")
        if isinstance(version, bool) or version not in READABLE_VERSIONS:
            raise LevelFileError(f"level format version {version!r} is not supported "
                                 f"(this Mindcrawl reads versions "
                                 f"{', '.join(str(v) for v in READABLE_VERSIONS)})")
        try:
            params = params_from_dict(_field(data, "params", dict))
        except ParamError as exc:
            where = f"params.{exc.path}" if exc.path else "params"
            raise LevelFileError(f"{where}: {exc.reason}") from None
        floors = _field(data, "floors", list)
        tiles = _parse_floors(floors)
        if tiles.shape != (params.floors.count, params.floors.height, params.floors.width):
            raise LevelFileError(f"floors: shape {tiles.shape} does not match params.floors")
        locks = np.zeros(tiles.shape, dtype=np.int16)
        for entry in _field(data, "locks", list):
            f, y, x, lock = _ints(entry, 4, "locks")
            _check_cell(tiles, (f, y, x), "locks")
            if tiles[f, y, x] != Tile.DOOR_LOCKED or not 1 <= lock <= MAX_LOCK_ID:
                raise LevelFileError(f"locks: ({f}, {y}, {x}) is not a locked door with a lock id >= 1")
            locks[f, y, x] = lock
        items = tuple(_item_from_dict(d, tiles) for d in _field(data, "items", list))
        spawns = tuple(_spawn_from_dict(d, tiles) for d in _field(data, "spawns", list))
        entry = _ints(_field(data, "entry", list), 3, "entry")
        _check_cell(tiles, entry, "entry")
        generators = tuple(str(g) for g in _field(data, "generators", list))
        seed = _field(data, "seed", int)
        goals = _goals_from_dict(data.get("goals", {}) if version >= 2 else {}, params)
        level = cls(params, seed, tiles, locks, items, spawns, entry, generators, goals)
        check_level(level)  # the invariants the simulator relies on (levels.validate)
        return level

    @classmethod
    def from_json(cls, text: str) -> Level:
        """Parse a level from :meth:`to_json` text."""
        return cls.from_dict(parse_json(text, LevelFileError))

    @classmethod
    def load(cls, path: str | Path) -> Level:
        """Read a level JSON file; errors name the file and what is wrong."""
        text = read_user_text(path, lambda reason: LevelFileError(f"{path}: {reason}"))
        try:
            return cls.from_json(text)
        except LevelFileError as exc:
            raise LevelFileError(f"{path}: {exc}") from None


def _spawn_to_dict(spawn: AgentSpawn) -> dict[str, Any]:
    data = dataclasses.asdict(spawn)
    data["items"] = [dataclasses.asdict(i) for i in spawn.items]
    return data


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    if name not in data:
        raise LevelFileError(f"missing field {name!r}")
    value = data[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise LevelFileError(f"field {name!r} should be a {kind.__name__}")
    return value


def _ints(value: Any, n: int, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) != n or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise LevelFileError(f"{where}: expected a list of {n} integers, got {value!r}")
    return tuple(value)


def _check_cell(tiles: np.ndarray, cell: tuple[int, ...], where: str) -> None:
    if not all(0 <= c < s for c, s in zip(cell, tiles.shape, strict=True)):
        raise LevelFileError(f"{where}: cell {cell} is off the map {tiles.shape}")


def _parse_floors(floors: list[Any]) -> np.ndarray:
    if not floors or not all(isinstance(f, list) and f for f in floors):
        raise LevelFileError("floors: expected a non-empty list of floors, each a list of rows")
    height, width = len(floors[0]), len(floors[0][0]) if isinstance(floors[0][0], str) else 0
    tiles = np.zeros((len(floors), height, width), dtype=np.uint8)
    for f, rows in enumerate(floors):
        if len(rows) != height:
            raise LevelFileError(f"floors[{f}]: {len(rows)} rows, expected {height}")
        for y, row in enumerate(rows):
            if not isinstance(row, str) or len(row) != width:
                raise LevelFileError(f"floors[{f}][{y}]: expected a row of {width} characters")
            for x, char in enumerate(row):
                code = _CHAR_TO_TILE.get(char)
                if code is None:
                    raise LevelFileError(f"floors[{f}][{y}][{x}]: unknown tile character {char!r}")
                tiles[f, y, x] = code
    return tiles


def _item_stats_from_dict(data: Any, where: str) -> ItemStats:
    if not isinstance(data, dict):
        raise LevelFileError(f"{where}: expected an object")
    names = {f.name for f in dataclasses.fields(ItemStats)}
    unknown = set(data) - names
    if unknown:
        raise LevelFileError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    for name in names - {"kind", "category"}:
        value = data.get(name, 0)
        if not isinstance(value, int) or isinstance(value, bool):
            raise LevelFileError(f"{where}.{name}: expected an integer")
    if data.get("category") not in ITEM_CATEGORIES:
        raise LevelFileError(f"{where}.category: expected one of {', '.join(ITEM_CATEGORIES)}")
    if not isinstance(data.get("kind"), str):
        raise LevelFileError(f"{where}.kind: expected a string")
    return ItemStats(**data)


def _item_from_dict(data: Any, tiles: np.ndarray) -> PlacedItem:
    if not isinstance(data, dict):
        raise LevelFileError("items: expected objects")
    data = dict(data)
    cell = tuple(data.pop(k, None) for k in ("floor", "y", "x"))
    cell = _ints(list(cell), 3, "items[].floor/y/x")
    _check_cell(tiles, cell, "items")
    return PlacedItem(*cell, item=_item_stats_from_dict(data, "items[]"))


def _spawn_from_dict(data: Any, tiles: np.ndarray) -> AgentSpawn:
    if not isinstance(data, dict):
        raise LevelFileError("spawns: expected objects")
    data = dict(data)
    carried = data.pop("items", [])
    if not isinstance(carried, list):
        raise LevelFileError("spawns[].items: expected a list of items")
    items = tuple(_item_stats_from_dict(i, "spawns[].items[]") for i in carried)
    names = {f.name for f in dataclasses.fields(AgentSpawn)} - {"items"}
    if set(data) != names:
        raise LevelFileError(f"spawns[]: expected fields {sorted(names)}")
    if not isinstance(data["faction"], str):
        raise LevelFileError("spawns[].faction: expected a string")
    numbers = _ints([data[k] for k in ("floor", "y", "x", "max_hp", "atk", "defense", "dex")], 7, "spawns[]")
    _check_cell(tiles, numbers[:3], "spawns")
    return AgentSpawn(data["faction"], *numbers, items=items)


def _goals_from_dict(data: Any, params: LevelParams) -> dict[str, str]:
    if not isinstance(data, dict):
        raise LevelFileError("goals: expected an object of faction = goal")
    for faction, goal in data.items():
        if faction not in params.factions:
            raise LevelFileError(f"goals.{faction}: not a faction of params.factions")
        if goal not in GOALS:
            raise LevelFileError(f"goals.{faction}: {goal!r} is not one of {', '.join(GOALS)}")
    return {str(k): str(v) for k, v in data.items()}
