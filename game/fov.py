"""Field of view: a ray tree of parent cells and a numba kernel that walks it by quadrant.

Every offset ``(dy, dx)`` from the viewer has a *parent*: the previous cell on the
straight line from the viewer, rounded (major axis one step shorter, minor axis scaled
and rounded half away from zero). A cell is visible when its parent is visible and
transparent. The rule is symmetric in the signs of ``dy`` and ``dx``, so one table for
the first quadrant (``dy, dx >= 0``) serves all four.

Walls are *lit*: an opaque cell is also visible when its *second parent* (the minor
axis rounded the other way) is visible and transparent. Without it the strict ray rule
shows the sides of a one-wide corridor only beside the viewer; with it a corridor's
walls are seen as far as its floor, as in most roguelikes, and an explorer does not walk
up to every wall cell to find it is one. Lighting never shows what lies behind a wall.

A parent (either one) never has a larger ``|dy|`` or ``|dx|`` than its child, so the
kernel walks the four half-axes first and then each quadrant's interior row by row,
outwards from the viewer, and meets every parent before its children. It walks only
the part of each quadrant that lies on the floor and within the radius, so a viewer in
a corner of a small room costs a quarter of one in the open.

A cell at offset ``(dy, dx)`` is within radius ``r`` when ``dy² + dx² <= r² + r`` (a
slightly fuller disc than ``r²``, which looks rounder on a grid). Walls and closed
doors (:data:`levels.tiles.OPAQUE`) are visible themselves but hide what lies behind.

The result is an egocentric grid ``vis[G + dy, G + dx]`` (0 hidden, 1 visible and
opaque, 2 visible and transparent); its half-size ``G`` may exceed the radius (the
simulator sizes it to cover the observation patch too).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from levels.tiles import OPAQUE

_OPAQUE = OPAQUE.astype(np.uint8)


class FovTable(NamedTuple):
    """The first-quadrant ray tree for radii up to ``radius``."""

    radius: int
    parent: np.ndarray  # int32 [R+1, R+1, 4]: (dy, dx) of the parent and the second parent of (dy, dx)
    row_end: np.ndarray  # int32 [R+1, R+1]: row_end[r, dy] = largest dx within radius r (-1: none)


def _round_half_away(v: float) -> int:
    return int(np.sign(v) * np.floor(abs(v) + 0.5))


def parent_offset(dy: int, dx: int) -> tuple[int, int]:
    """The parent of a non-zero offset: one step back along the line to the viewer."""
    c = max(abs(dy), abs(dx))
    return _round_half_away(dy * (c - 1) / c), _round_half_away(dx * (c - 1) / c)


def second_parent_offset(dy: int, dx: int) -> tuple[int, int]:
    """The other cell one step back beside the line: the minor axis rounded the other way.

    Equal to :func:`parent_offset` where the line passes through a cell centre. An opaque
    cell whose second parent is visible and transparent is lit (seen) too.
    """
    c = max(abs(dy), abs(dx))
    p = parent_offset(dy, dx)
    exact = (dy * (c - 1) / c, dx * (c - 1) / c)
    other = []
    for v, rounded in zip(exact, p, strict=True):
        if v == rounded:
            other.append(rounded)
        else:
            other.append(int(np.floor(v)) if rounded > v else int(np.ceil(v)))
    return other[0], other[1]


def build_fov_table(radius: int) -> FovTable:
    """Build the ray tree for every radius up to ``radius``."""
    parent = np.zeros((radius + 1, radius + 1, 4), dtype=np.int32)
    for dy in range(radius + 1):
        for dx in range(radius + 1):
            if dy or dx:
                parent[dy, dx, :2] = parent_offset(dy, dx)
                parent[dy, dx, 2:] = second_parent_offset(dy, dx)
    row_end = -np.ones((radius + 1, radius + 1), dtype=np.int32)
    for r in range(radius + 1):
        for dy in range(r + 1):
            row_end[r, dy] = int(np.floor(np.sqrt(r * r + r - dy * dy)))
    return FovTable(radius, parent, row_end)


@njit(cache=True, error_model="numpy")
def compute_fov(floor_tiles: np.ndarray, memory: np.ndarray, y: int, x: int, r: int,
                parent: np.ndarray, row_end: np.ndarray, vis: np.ndarray) -> tuple[int, int]:
    """Field of view from ``(y, x)`` with radius ``r``; updates the viewer's ``memory``.

    Fills the egocentric grid ``vis`` (see the module docstring; cleared first).
    ``memory[yy, xx]`` becomes ``1 + tile`` for every visible cell. Returns
    ``(cells visible, cells seen for the first time)``.
    """
    height, width = floor_tiles.shape
    side = vis.shape[0]
    flat = vis.reshape(-1)  # flat indices: one multiply per row, not per cell
    flat[:] = 0
    centre = (side // 2) * side + side // 2
    flat[centre] = 2
    count = 1
    new = 0
    if memory[y, x] == 0:
        new += 1
    memory[y, x] = floor_tiles[y, x] + 1
    reach = row_end[r, 0]
    # The four half-axes first: an interior cell's wall-lighting parent may lie on one.
    for q in range(4):
        sy = (1, -1, 0, 0)[q]
        sx = (0, 0, 1, -1)[q]
        lim = min(reach, (height - 1 - y if sy > 0 else y) if sy != 0 else (width - 1 - x if sx > 0 else x))
        for d in range(1, lim + 1):
            if flat[centre + sy * (d - 1) * side + sx * (d - 1)] != 2:
                break  # an axis ray stops at its first opaque cell (axis cells have no second parent)
            yy, xx = y + sy * d, x + sx * d
            t = floor_tiles[yy, xx]
            flat[centre + sy * d * side + sx * d] = 2 - _OPAQUE[t]
            count += 1
            if memory[yy, xx] == 0:
                new += 1
            memory[yy, xx] = t + 1
    # Then each quadrant's interior (dy, dx >= 1), row by row outwards: parents come first.
    for q in range(4):
        sy = 1 if q < 2 else -1
        sx = 1 if q == 0 or q == 3 else -1
        ylim = min(r, height - 1 - y if sy > 0 else y)
        xlim = min(r, width - 1 - x if sx > 0 else x)
        for dy in range(1, ylim + 1):
            tile_row = floor_tiles[y + sy * dy]
            memory_row = memory[y + sy * dy]
            vis_row = centre + sy * dy * side
            parent_row = parent[dy]
            for dx in range(1, min(row_end[r, dy], xlim) + 1):
                xx = x + sx * dx
                if flat[centre + sy * parent_row[dx, 0] * side + sx * parent_row[dx, 1]] == 2:
                    t = tile_row[xx]
                    flat[vis_row + sx * dx] = 2 - _OPAQUE[t]
                elif flat[centre + sy * parent_row[dx, 2] * side + sx * parent_row[dx, 3]] == 2 \
                        and _OPAQUE[tile_row[xx]]:
                    t = tile_row[xx]  # a wall bounding a visible cell is lit (corridor sides)
                    flat[vis_row + sx * dx] = 1
                else:
                    continue
                count += 1
                if memory_row[xx] == 0:
                    new += 1
                memory_row[xx] = t + 1
    return count, new
