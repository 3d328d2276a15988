"""Field of view: a precomputed ray tree and a numba kernel that walks it.

Offsets within the largest radius are sorted by squared distance. Each offset has a
*parent*: the previous cell on the straight line from the viewer, rounded (major axis
one step shorter, minor axis scaled and rounded half away from zero). A cell is visible
when its parent is visible and transparent, so one pass in table order computes the
whole field of view in O(cells). The parent is always strictly nearer, hence earlier.

A cell at offset ``(dy, dx)`` is within radius ``r`` when ``dy² + dx² <= r² + r`` (a
slightly fuller disc than ``r²``, which looks rounder on a grid). The offsets within
radius ``r`` are a prefix of the table of length ``count[r]``. Walls and closed doors
(:data:`levels.tiles.OPAQUE`) are visible themselves but hide what lies behind them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from levels.tiles import OPAQUE

_OPAQUE = OPAQUE.astype(np.uint8)


class FovTable(NamedTuple):
    """The ray tree for radii up to ``radius``."""

    radius: int
    dy: np.ndarray  # int32 [n]
    dx: np.ndarray  # int32 [n]
    parent: np.ndarray  # int32 [n]; parent[0] = 0 (the viewer's cell)
    count: np.ndarray  # int32 [radius + 1]: offsets within radius r
    d2_count: np.ndarray  # int32 [radius² + radius + 1]: offsets with dy² + dx² <= v
    index: np.ndarray  # int32 [2R+1, 2R+1]: table index of an offset, or -1

    def packed(self) -> np.ndarray:
        """int32 [n, 3]: dy, dx, parent of every offset (what the kernels take)."""
        return np.ascontiguousarray(np.stack([self.dy, self.dx, self.parent], axis=1))


def _round_half_away(v: float) -> int:
    return int(np.sign(v) * np.floor(abs(v) + 0.5))


def build_fov_table(radius: int) -> FovTable:
    """Build the ray tree for every radius up to ``radius``."""
    offsets = [
        (dy * dy + dx * dx, dy, dx)
        for dy in range(-radius, radius + 1)
        for dx in range(-radius, radius + 1)
        if dy * dy + dx * dx <= radius * radius + radius
    ]
    offsets.sort()
    index = -np.ones((2 * radius + 1, 2 * radius + 1), dtype=np.int32)
    for i, (_, dy, dx) in enumerate(offsets):
        index[dy + radius, dx + radius] = i
    parent = np.zeros(len(offsets), dtype=np.int32)
    for i, (_, dy, dx) in enumerate(offsets[1:], start=1):
        c = max(abs(dy), abs(dx))
        py = _round_half_away(dy * (c - 1) / c)
        px = _round_half_away(dx * (c - 1) / c)
        parent[i] = index[py + radius, px + radius]
        assert 0 <= parent[i] < i
    d2 = np.array([o[0] for o in offsets])
    count = np.array([np.searchsorted(d2, r * r + r, side="right") for r in range(radius + 1)],
                     dtype=np.int32)
    d2_count = np.searchsorted(d2, np.arange(radius * radius + radius + 1), side="right")
    return FovTable(radius,
                    np.array([o[1] for o in offsets], dtype=np.int32),
                    np.array([o[2] for o in offsets], dtype=np.int32),
                    parent, count, d2_count.astype(np.int32), index)


@njit(cache=True, error_model="numpy")
def compute_fov(floor_tiles: np.ndarray, memory: np.ndarray, y: int, x: int, r: int,
                fov: np.ndarray, fov_count: np.ndarray, d2_count: np.ndarray,
                seen: np.ndarray) -> tuple[int, int]:
    """Field of view from ``(y, x)`` with radius ``r``; updates the viewer's ``memory``.

    Writes ``seen[i]`` for the first ``n`` table offsets: 0 hidden, 1 visible and
    opaque, 2 visible and transparent. Offsets beyond the floor's extent are skipped
    (``n`` stops at the farthest in-bounds distance). ``memory[yy, xx]`` becomes
    ``1 + tile`` for every visible cell. Returns ``(n, cells seen for the first time)``.
    """
    height, width = floor_tiles.shape
    my = max(y, height - 1 - y)
    mx = max(x, width - 1 - x)
    n = fov_count[r]
    reach = my * my + mx * mx
    if reach < d2_count.shape[0]:
        n = min(n, d2_count[reach])
    new = 0
    seen[0] = 2
    if memory[y, x] == 0:
        new += 1
    memory[y, x] = floor_tiles[y, x] + 1
    for i in range(1, n):
        seen[i] = 0
        if seen[fov[i, 2]] == 2:
            yy = y + fov[i, 0]
            xx = x + fov[i, 1]
            if 0 <= yy < height and 0 <= xx < width:
                t = floor_tiles[yy, xx]
                seen[i] = 1 + (1 - _OPAQUE[t])
                if memory[yy, xx] == 0:
                    new += 1
                memory[yy, xx] = t + 1
    return n, new
