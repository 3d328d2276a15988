"""Moves of in-game navigation: the cell a move leads to, the game action it is, the flee step.

Small numba kernels :func:`game.navigate.nav_range` and :mod:`game.nav_actions` call per
agent (also: what is in view, which locked doors the agent's keys open). A move is a
direction index of :data:`DIRS` (the game's order), ``MOVE_STAIRS`` or ``NO_MOVE``
(:mod:`search.grid_nav`); cells are flat indices ``f * H * W + y * W + x``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from game.actions import INTERACT, MOVE_FIRST
from game.cells import key_slot
from levels.tiles import Tile
from search.grid_nav import DIRS, F_GAME, MOVE_STAIRS, NO_MOVE, enter_cost, field_value, move_allowed

#: Tile codes the kernels compare against (the known map stores tile + 1).
STAIRS_DOWN, STAIRS_UP = int(Tile.STAIRS_DOWN), int(Tile.STAIRS_UP)
DOOR_CLOSED, DOOR_LOCKED = int(Tile.DOOR_CLOSED), int(Tile.DOOR_LOCKED)


@njit(cache=True, inline="always")
def in_view(vis, ay: int, ax: int, y: int, x: int) -> bool:
    """Whether cell ``(y, x)`` is in the egocentric field of view ``vis`` of a viewer at ``(ay, ax)``."""
    G = vis.shape[0] // 2
    dy = y - ay
    dx = x - ax
    if abs(dy) > G or abs(dx) > G:
        return False
    return vis[G + dy, G + dx] != 0


@njit(cache=True)
def mark_key_doors(tiles_b, locks_b, cells_b, n_cells: int, its, a: int, keys: int, plane: int, Wd: int,
                   extra, marked) -> int:
    """Mark the locked doors agent ``a`` holds a key for as passages (``extra < 0``).

    Writes their cells into ``marked`` (for the caller to clear) and returns how many.
    """
    n = 0
    if keys == 0:
        return 0
    for s in range(n_cells):
        cf, cy, cx = cells_b[s, 0], cells_b[s, 1], cells_b[s, 2]
        if tiles_b[cf, cy, cx] == DOOR_LOCKED and key_slot(its, a, keys, locks_b[cf, cy, cx]) >= 0:
            c = cf * plane + cy * Wd + cx
            if extra[c] == 0.0:
                extra[c] = -0.5
                marked[n] = c
                n += 1
    return n


@njit(cache=True, inline="always")
def next_cell(known, plane: int, Wd: int, F: int, here: int, move: int) -> int:
    """The cell ``move`` leads to from ``here`` (-1: off the map or no such stairs)."""
    if move == MOVE_STAIRS:
        t = known[here] - 1
        if t == STAIRS_DOWN and here + plane < F * plane:
            return here + plane
        if t == STAIRS_UP and here >= plane:
            return here - plane
        return -1
    if not 0 <= move < 8:
        return -1
    if not move_allowed(known, plane, Wd, here, move, F_GAME):
        return -1
    return here + DIRS[move, 0] * Wd + DIRS[move, 1]


@njit(cache=True, inline="always")
def move_action(tiles_b, f: int, y: int, x: int, move: int) -> int:
    """The game action that makes ``move`` from (f, y, x): a step, or interact."""
    if move == NO_MOVE:
        return 0
    if move == MOVE_STAIRS:
        return INTERACT
    ny = y + DIRS[move, 0]
    nx = x + DIRS[move, 1]
    t = tiles_b[f, ny, nx]
    if t in (DOOR_CLOSED, DOOR_LOCKED):
        return INTERACT
    return MOVE_FIRST + move


@njit(cache=True)
def flee_action(known, fc, fk, extra, plane: int, Wd: int, here: int, occ_f, turn: int, P, S) -> int:
    """The step to the free neighbour with the largest route cost from the enemies (0: none)."""
    best = field_value(S, here)
    choice = 0
    r = here % plane
    y, x = r // Wd, r % Wd
    H = plane // Wd
    for d in range(8):
        ny = y + DIRS[d, 0]
        nx = x + DIRS[d, 1]
        if ny < 0 or ny >= H or nx < 0 or nx >= Wd:
            continue
        if not move_allowed(known, plane, Wd, here, d, F_GAME):
            continue
        v = here - r + ny * Wd + nx
        if occ_f[ny, nx] >= 0 or known[v] == 0:
            continue
        kc = known[v] - 1
        if kc in (DOOR_CLOSED, DOOR_LOCKED) or enter_cost(known, fc, fk, extra, v, turn, P, F_GAME) < 0:
            continue
        gv = field_value(S, v)
        if gv == np.inf:
            gv = 1e6
        if gv > best:
            best = gv
            choice = MOVE_FIRST + d
    return choice
