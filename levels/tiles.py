"""Tile codes shared by every floor array (``Level.tiles``, dtype uint8)."""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Tile(IntEnum):
    """What occupies one grid cell of a floor."""

    WALL = 0
    FLOOR = 1
    DOOR_OPEN = 2
    DOOR_CLOSED = 3
    DOOR_LOCKED = 4
    STAIRS_DOWN = 5
    STAIRS_UP = 6
    WATER = 7
    LAVA = 8
    EXIT = 9


TILE_COUNT = len(Tile)

#: Cells an agent can stand on (closed and locked doors must be opened first).
WALKABLE = np.zeros(TILE_COUNT, dtype=bool)
WALKABLE[[Tile.FLOOR, Tile.DOOR_OPEN, Tile.STAIRS_DOWN, Tile.STAIRS_UP, Tile.WATER, Tile.LAVA,
          Tile.EXIT]] = True

#: Cells that are passable once doors are opened (used by reachability guarantees).
PASSABLE = WALKABLE.copy()
PASSABLE[[Tile.DOOR_CLOSED, Tile.DOOR_LOCKED]] = True

#: Cells that stop line of sight.
OPAQUE = np.zeros(TILE_COUNT, dtype=bool)
OPAQUE[[Tile.WALL, Tile.DOOR_CLOSED, Tile.DOOR_LOCKED]] = True

#: One character per tile, the same alphabet as the navigation scenario format.
TILE_CHARS = {
    Tile.WALL: "#",
    Tile.FLOOR: ".",
    Tile.DOOR_OPEN: "/",
    Tile.DOOR_CLOSED: "+",
    Tile.DOOR_LOCKED: "L",
    Tile.STAIRS_DOWN: ">",
    Tile.STAIRS_UP: "<",
    Tile.WATER: "~",
    Tile.LAVA: "^",
    Tile.EXIT: "E",
}
