"""Cell and item queries the rules and the observations share: steps, shot lines, reach, keys.

Tile codes as the uint8 constants the kernels compare against, the direction lookup
of a unit step, and small numba functions over one world's arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from game.actions import DIRECTIONS
from game.state import (
    I_BATK,
    I_BDEF,
    I_BTURNS,
    I_CAT,
    I_DMAX,
    I_DMIN,
    I_F,
    I_HEAL,
    I_HOLDER,
    I_KEY,
    I_LOC,
    I_RANGE,
    I_X,
    I_Y,
    KEY,
    KEYS,
    LOC_FLOOR,
    LOC_HELD,
    POTION,
)
from levels.tiles import OPAQUE, WALKABLE, Tile

WALK = WALKABLE.astype(np.uint8)
OPAQ = OPAQUE.astype(np.uint8)
# DIR_OF[sign(dy) + 1, sign(dx) + 1]: the direction index of a unit step (-1: none).
DIR_OF = -np.ones((3, 3), dtype=np.int32)
for _d, (_dy, _dx) in enumerate(DIRECTIONS):
    DIR_OF[_dy + 1, _dx + 1] = _d
DOOR_OPEN = np.uint8(Tile.DOOR_OPEN)
DOOR_CLOSED = np.uint8(Tile.DOOR_CLOSED)
DOOR_LOCKED = np.uint8(Tile.DOOR_LOCKED)
STAIRS_DOWN = np.uint8(Tile.STAIRS_DOWN)
STAIRS_UP = np.uint8(Tile.STAIRS_UP)
WATER = np.uint8(Tile.WATER)
LAVA = np.uint8(Tile.LAVA)
EXIT = np.uint8(Tile.EXIT)
# Interact scans the four orthogonal neighbours in this order: N, E, S, W.
ORTHO = np.array([(-1, 0), (0, 1), (1, 0), (0, -1)], dtype=np.int32)
LOW32 = np.uint64(0xFFFFFFFF)


@njit(cache=True, error_model="numpy")
def is_door(t: np.uint8) -> bool:
    """True for an open, closed or locked door tile."""
    return t in (DOOR_OPEN, DOOR_CLOSED, DOOR_LOCKED)


@njit(cache=True, error_model="numpy")
def step_allowed(floor_tiles: np.ndarray, y: int, x: int, dy: int, dx: int) -> bool:
    """Whether a step (move or melee) from (y, x) by (dy, dx) is geometrically allowed.

    Diagonal steps may not enter or leave a door cell, nor squeeze between two
    non-walkable orthogonal neighbours (cutting past a single wall corner is fine).
    """
    height, width = floor_tiles.shape
    ny = y + dy
    nx = x + dx
    if ny < 0 or ny >= height or nx < 0 or nx >= width:
        return False
    if dy != 0 and dx != 0:
        if is_door(floor_tiles[y, x]) or is_door(floor_tiles[ny, nx]):
            return False
        if WALK[floor_tiles[ny, x]] == 0 and WALK[floor_tiles[y, nx]] == 0:
            return False
    return True


@njit(cache=True, error_model="numpy")
def trace_shot(tiles: np.ndarray, occ: np.ndarray, y: int, x: int, d: int,
               reach: int) -> tuple[int, int]:
    """The first agent in line from ``(y, x)`` in direction ``d`` within ``reach``.

    ``tiles`` and ``occ`` are the shooter's floor. Returns ``(slot, distance)`` or
    ``(-1, 0)``. The line stops at opaque tiles and, on a diagonal, where both
    orthogonal neighbours are opaque.
    """
    height, width = tiles.shape
    dy = DIRECTIONS[d, 0]
    dx = DIRECTIONS[d, 1]
    for k in range(1, reach + 1):
        ny = y + dy
        nx = x + dx
        if ny < 0 or ny >= height or nx < 0 or nx >= width or OPAQ[tiles[ny, nx]]:
            return -1, 0
        if dy != 0 and dx != 0 and OPAQ[tiles[ny, x]] and OPAQ[tiles[y, nx]]:
            return -1, 0
        o = occ[ny, nx]
        if o >= 0:
            return o, k
        y = ny
        x = nx
    return -1, 0


@njit(cache=True, error_model="numpy")
def reach_of(range_: int, dex: int) -> int:
    """Ranged reach: max(2, range + DEX - 2)."""
    return max(2, range_ + dex - 2)


@njit(cache=True, error_model="numpy")
def item_value(it: np.ndarray) -> int:
    """Pick-up order of an item row (see :func:`game.pool.item_value`)."""
    c = it[I_CAT]
    if c == KEY:
        return 0
    if c == POTION:
        return it[I_HEAL] + (it[I_BATK] + it[I_BDEF]) * it[I_BTURNS]
    return (it[I_DMIN] + it[I_DMAX]) * 1024 + it[I_RANGE]


@njit(cache=True, error_model="numpy")
def item_on_cell(its: np.ndarray, f: int, y: int, x: int) -> bool:
    """Whether any item of one world's ``its`` lies on the cell."""
    for i in range(its.shape[0]):
        if its[i, I_LOC] == LOC_FLOOR and its[i, I_F] == f and its[i, I_Y] == y \
                and its[i, I_X] == x:
            return True
    return False


@njit(cache=True, error_model="numpy")
def key_slot(its: np.ndarray, a: int, keys: int, lock: int) -> int:
    """Item slot (in one world's ``its``) of a key for ``lock`` that agent ``a`` carries
    (``keys``: its key count), or -1."""
    if keys == 0:
        return -1
    for i in range(its.shape[0]):
        if its[i, I_LOC] == LOC_HELD and its[i, I_HOLDER] == a and its[i, I_CAT] == KEY \
                and its[i, I_KEY] == lock:
            return i
    return -1


@njit(cache=True, error_model="numpy")
def held_key(W, b: int, a: int, lock: int) -> int:
    """Item slot of a key for ``lock`` that agent ``a`` carries, or -1."""
    return key_slot(W.it[b], a, W.ag[b, a, KEYS], lock)


