"""Checks a loaded level must pass: what the generator guarantees and the simulator assumes.

:func:`check_level` runs when a level file (or a level embedded in a recording or a
save) is read, so a hand-edited level is refused with one line instead of breaking
the simulator's invariants at reset (``game.invariants``) or overflowing its integer
state. It checks:

- every spawn stands on a walkable tile, no two spawns share a cell, and every
  spawn's faction is one of ``params.factions``;
- spawn stats and item attributes lie within :data:`STAT_BOUNDS` / :data:`ITEM_BOUNDS`
  (wide enough for every generated level, depth scaling and loot randomisation
  included, narrow enough for the simulator's 32-bit arithmetic);
- no item lies inside a wall; lock ids fit the simulator's 16-bit lock grid;
- the entry is walkable; stairs down exist only above the last floor and land on
  stairs up at the same cell one floor below (and stairs up only below one down);
- the seed fits a signed 64-bit integer;
- no agent starts with the artifact (it lies on the floor for a fetch goal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from levels.common.errors import LevelFileError
from levels.tiles import WALKABLE, Tile

if TYPE_CHECKING:
    from levels.level import ItemStats, Level

#: Inclusive bounds of spawn stats in a level file.
STAT_BOUNDS = {"max_hp": (1, 1_000_000), "atk": (0, 1_000_000), "defense": (0, 1_000_000),
               "dex": (0, 1_000_000)}
#: Inclusive bounds of item attributes in a level file.
ITEM_BOUNDS = {"damage_min": (0, 1_000_000), "damage_max": (0, 1_000_000), "range": (0, 1024),
               "heal": (-1_000_000, 1_000_000), "buff_atk": (-1_000_000, 1_000_000),
               "buff_def": (-1_000_000, 1_000_000), "buff_turns": (0, 1_000_000),
               "key_id": (0, 32767)}
#: Lock ids are stored as int16.
MAX_LOCK_ID = 32767
#: Level seeds are stored as signed 64-bit integers.
MAX_LEVEL_SEED = 2**63 - 1


def check_level(level: Level) -> None:
    """Raise :class:`LevelFileError` naming the first broken rule (see the module docstring)."""
    if not 0 <= level.seed <= MAX_LEVEL_SEED:
        raise LevelFileError(f"seed: {level.seed} is outside [0, 2^63 - 1]")
    tiles = level.tiles
    _check_stairs(tiles)
    f, y, x = level.entry
    if not WALKABLE[tiles[f, y, x]]:
        raise LevelFileError(f"entry: {level.entry} is on a {Tile(tiles[f, y, x]).name.lower()} tile, "
                             "not a walkable one")
    if int(level.locks.max(initial=0)) > MAX_LOCK_ID:
        raise LevelFileError(f"locks: lock ids must be at most {MAX_LOCK_ID}")
    taken: dict[tuple[int, int, int], int] = {}
    for i, spawn in enumerate(level.spawns):
        where = f"spawns[{i}]"
        cell = (spawn.floor, spawn.y, spawn.x)
        if spawn.faction not in level.params.factions:
            raise LevelFileError(f"{where}.faction: {spawn.faction!r} is not a faction of the level's "
                                 f"params ({', '.join(level.params.factions)})")
        if not WALKABLE[tiles[cell]]:
            raise LevelFileError(f"{where}: cell {cell} is a {Tile(tiles[cell]).name.lower()} tile, "
                                 "not a walkable one")
        if cell in taken:
            raise LevelFileError(f"{where}: cell {cell} is already taken by spawns[{taken[cell]}]")
        taken[cell] = i
        for name, (low, high) in STAT_BOUNDS.items():
            _check_range(getattr(spawn, name), low, high, f"{where}.{name}")
        for j, item in enumerate(spawn.items):
            _check_item(item, f"{where}.items[{j}]")
            if item.category == "artifact":
                raise LevelFileError(f"{where}.items[{j}]: an agent cannot start with the artifact "
                                     "(it lies on the floor for a fetch goal)")
    for i, placed in enumerate(level.items):
        where = f"items[{i}]"
        cell = (placed.floor, placed.y, placed.x)
        if tiles[cell] == Tile.WALL:
            raise LevelFileError(f"{where}: cell {cell} is inside a wall")
        _check_item(placed.item, where)


def _check_range(value: int, low: int, high: int, where: str) -> None:
    if not low <= value <= high:
        raise LevelFileError(f"{where}: {value} is outside [{low}, {high}]")


def _check_item(item: ItemStats, where: str) -> None:
    for name, (low, high) in ITEM_BOUNDS.items():
        _check_range(getattr(item, name), low, high, f"{where}.{name}")


def _check_stairs(tiles: np.ndarray) -> None:
    floors = tiles.shape[0]
    for f, y, x in np.argwhere(tiles == Tile.STAIRS_DOWN):
        if f == floors - 1:
            raise LevelFileError(f"floors[{f}]: stairs down at ({y}, {x}) on the last floor")
        if tiles[f + 1, y, x] != Tile.STAIRS_UP:
            raise LevelFileError(f"floors[{f}]: stairs down at ({y}, {x}) without stairs up below them")
    for f, y, x in np.argwhere(tiles == Tile.STAIRS_UP):
        if f == 0 or tiles[f - 1, y, x] != Tile.STAIRS_DOWN:
            raise LevelFileError(f"floors[{f}]: stairs up at ({y}, {x}) without stairs down above them")
