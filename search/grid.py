"""Flat node ids for the cells of a multi-floor grid, and what an agent believes of them.

Planners run in pure Python, so cells are plain ints into a padded layout: every floor
gets a one-cell border of wall, which makes neighbour arithmetic free of bounds checks.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from levels.tiles import Tile
from search.moves import BLOCKING, DIRECTIONS, STAIRS, Cell

#: Tile code of a cell never seen.
UNKNOWN = 255

_BLOCKING = [bool(b) for b in BLOCKING] + [False] * (256 - len(BLOCKING))


class GridIndex:
    """Maps ``(floor, row, col)`` cells to flat ids in a padded layout, and back."""

    def __init__(self, floors: int, height: int, width: int) -> None:
        self.floors, self.height, self.width = floors, height, width
        self.pw = width + 2
        self.plane = (height + 2) * self.pw
        self.size = floors * self.plane
        self.offsets = [dy * self.pw + dx for dy, dx in DIRECTIONS]
        # For each diagonal move, the two orthogonal cells it must not cut through.
        self.sides = [(dy * self.pw, dx) if dy and dx else None for dy, dx in DIRECTIONS]
        ids = np.arange(self.size)
        self.floor_of = (ids // self.plane).tolist()
        self.row_of = ((ids % self.plane) // self.pw - 1).tolist()
        self.col_of = (ids % self.pw - 1).tolist()

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(floors, height, width)`` of the unpadded grid."""
        return self.floors, self.height, self.width

    def node(self, cell: Cell) -> int:
        """Flat id of ``(floor, row, col)``."""
        f, y, x = cell
        return f * self.plane + (y + 1) * self.pw + x + 1

    def cell(self, node: int) -> Cell:
        """``(floor, row, col)`` of a flat id."""
        return self.floor_of[node], self.row_of[node], self.col_of[node]

    def chebyshev(self, a: int, b: int) -> int:
        """Moves between two cells on an open grid, one per floor change included."""
        return (max(abs(self.row_of[a] - self.row_of[b]), abs(self.col_of[a] - self.col_of[b]))
                + abs(self.floor_of[a] - self.floor_of[b]))


class Belief:
    """What one agent (or a team) believes of every cell: its tile and whether it blocks.

    ``tile[i]`` is the last tile seen at node ``i`` (:data:`UNKNOWN` if never seen);
    ``blocked[i]`` is 1 when a planner must not enter ``i``. Unknown cells are
    optimistic: passable, and possibly stairs (so a goal on another floor is reachable
    in the plan until the agent has seen where stairs are not). With ``unknown_stairs``
    off, only stairs seen can be taken (an agent that sees stairs before it needs them,
    as in the game, plans much less: unknown cells no longer link the floors).
    """

    def __init__(self, grid: GridIndex, unknown_stairs: bool = True) -> None:
        self.grid = grid
        self.unknown_stairs = unknown_stairs
        self.tile = bytearray([UNKNOWN]) * grid.size
        self.blocked = bytearray(grid.size)
        border = np.ones((grid.floors, grid.height + 2, grid.pw), dtype=bool)
        border[:, 1:-1, 1:-1] = False
        for i in np.flatnonzero(border.ravel()).tolist():
            self.tile[i] = int(Tile.WALL)
            self.blocked[i] = 1
        self._border = int(border.sum())

    def record(self, node: int, tile: int) -> tuple[int, ...]:
        """Store a sighting; returns the nodes whose belief changed (none if it agreed)."""
        if self.tile[node] == tile:
            return ()
        self.tile[node] = tile
        self.blocked[node] = _BLOCKING[tile]
        plane = self.grid.plane
        # Stairs always come in linked pairs, so one end tells where the other is.
        if tile == Tile.STAIRS_DOWN and node + plane < self.grid.size:
            self.tile[node + plane] = int(Tile.STAIRS_UP)
            return node, node + plane
        if tile == Tile.STAIRS_UP and node >= plane:
            self.tile[node - plane] = int(Tile.STAIRS_DOWN)
            return node, node - plane
        return (node,)

    def known_count(self) -> int:
        """Cells seen so far (the border excluded)."""
        return len(self.tile) - self.tile.count(UNKNOWN) - self._border


def touching(grid: GridIndex, node: int) -> list[int]:
    """Nodes whose moves may change when ``node`` changes: itself, its 8 neighbours, the stairs ends."""
    out = [node] + [node + off for off in grid.offsets]
    if node + grid.plane < grid.size:
        out.append(node + grid.plane)
    if node >= grid.plane:
        out.append(node - grid.plane)
    return out

def successors(grid: GridIndex, belief: Belief, u: int) -> Iterable[tuple[int, int]]:
    """``(v, move)`` for every move out of ``u`` the belief allows (stairs included)."""
    blocked, tile = belief.blocked, belief.tile
    if blocked[u]:
        return
    for move, off in enumerate(grid.offsets):
        v = u + off
        if blocked[v]:
            continue
        side = grid.sides[move]
        if side is not None and (blocked[u + side[0]] or blocked[u + side[1]]):
            continue
        yield v, move
    t = tile[u]
    if t == UNKNOWN and not belief.unknown_stairs:
        return
    if t == UNKNOWN or t == Tile.STAIRS_DOWN:
        v = u + grid.plane
        if v < grid.size and tile[v] in (UNKNOWN, Tile.STAIRS_UP) and not blocked[v]:
            yield v, STAIRS
    if t == UNKNOWN or t == Tile.STAIRS_UP:
        v = u - grid.plane
        if v >= 0 and tile[v] in (UNKNOWN, Tile.STAIRS_DOWN) and not blocked[v]:
            yield v, STAIRS
