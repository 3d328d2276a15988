"""The movement model every navigator, the oracle and the scenario world share.

Eight move directions in the game's action order (``game.actions.DIRECTIONS``: N, NE,
E, SE, S, SW, W, NW), plus :data:`STAIRS` (take the stairs one stands on) and
:data:`WAIT`. Every move costs one step, diagonal or not, so the path metric is the
Chebyshev distance. A diagonal move may not cut a corner: both orthogonal cells it
passes must be passable now. Walls, closed and locked doors and lava block a move
(lava is walkable in the game but deadly, so navigation treats it as a wall).
"""

from __future__ import annotations

import numpy as np

from levels.tiles import TILE_COUNT, Tile

#: Row and column steps of the eight moves, in the game's action order.
DIRECTIONS: tuple[tuple[int, int], ...] = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
#: Move index: take the stairs one stands on (down on ``>``, up on ``<``).
STAIRS = 8
#: Move index: stay put (nothing to do, or no known way yet).
WAIT = -1
#: Number of move indices a navigator may return besides :data:`WAIT`.
MOVE_COUNT = 9

#: Tiles a navigation agent may not enter.
BLOCKING = np.zeros(TILE_COUNT, dtype=bool)
BLOCKING[[Tile.WALL, Tile.DOOR_CLOSED, Tile.DOOR_LOCKED, Tile.LAVA]] = True

#: Tiles that may change back to passable by themselves (doors): a navigator retries them.
DOORS = np.zeros(TILE_COUNT, dtype=bool)
DOORS[[Tile.DOOR_CLOSED, Tile.DOOR_LOCKED, Tile.DOOR_OPEN]] = True

Cell = tuple[int, int, int]


def move_target(tiles: np.ndarray, pos: Cell, move: int) -> tuple[Cell | None, list[Cell]]:
    """Where ``move`` from ``pos`` leads on ``tiles`` now.

    Returns ``(target, blockers)``: the cell reached (``None`` when the move fails)
    and the cells that stopped it (a wall in the way, a corner, or nothing for a
    stairs move off the stairs). A failed move is a *bump*: it still costs a step.
    """
    f, y, x = pos
    if move == WAIT:
        return pos, []
    if move == STAIRS:
        tile = tiles[f, y, x]
        if tile == Tile.STAIRS_DOWN and f + 1 < tiles.shape[0] and tiles[f + 1, y, x] == Tile.STAIRS_UP:
            return (f + 1, y, x), []
        if tile == Tile.STAIRS_UP and f > 0 and tiles[f - 1, y, x] == Tile.STAIRS_DOWN:
            return (f - 1, y, x), []
        return None, []
    dy, dx = DIRECTIONS[move]
    ty, tx = y + dy, x + dx
    _, height, width = tiles.shape
    if not (0 <= ty < height and 0 <= tx < width):
        return None, []
    blockers = [(f, ty, tx)] if BLOCKING[tiles[f, ty, tx]] else []
    if dy and dx:
        blockers += [c for c in ((f, ty, x), (f, y, tx)) if BLOCKING[tiles[c]]]
    return (None, blockers) if blockers else ((f, ty, tx), [])
