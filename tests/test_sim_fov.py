"""The field-of-view kernel against a slow reference that walks each line cell by cell."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from game.fov import build_fov_table, compute_fov
from levels.tiles import OPAQUE, Tile


def _round_half_away(v: float) -> int:
    return int(np.copysign(np.floor(abs(v) + 0.5), v))


def _line_clear(tiles: np.ndarray, y: int, x: int, dy: int, dx: int) -> bool:
    """Whether every cell on the way in from offset (dy, dx) to the viewer is transparent.

    The way in steps the major axis down by one and scales the minor axis, rounding half
    away from zero (see game.fov).
    """
    while (dy, dx) != (0, 0):
        c = max(abs(dy), abs(dx))
        dy, dx = _round_half_away(dy * (c - 1) / c), _round_half_away(dx * (c - 1) / c)
        if (dy, dx) != (0, 0) and OPAQUE[tiles[y + dy, x + dx]]:
            return False
    return True


def _other_rounding(dy: int, dx: int) -> tuple[int, int]:
    """One step in from (dy, dx) with the minor axis rounded the other way (exact: the same)."""
    c = max(abs(dy), abs(dx))
    out = []
    for v in (dy * (c - 1) / c, dx * (c - 1) / c):
        near = _round_half_away(v)
        out.append(near if near == v else int(np.floor(v)) if near > v else int(np.ceil(v)))
    return out[0], out[1]


def reference_visible(tiles: np.ndarray, y: int, x: int, r: int) -> np.ndarray:
    """Visible cells by definition, within the disc: the way in is clear, or the cell is a lit wall.

    A lit wall is an opaque cell whose other one-step-in cell (minor axis rounded the
    other way) is transparent and has a clear way in itself.
    """
    height, width = tiles.shape
    out = np.zeros((height, width), bool)
    for yy in range(height):
        for xx in range(width):
            dy, dx = yy - y, xx - x
            if dy * dy + dx * dx > r * r + r:
                continue
            if _line_clear(tiles, y, x, dy, dx):
                out[yy, xx] = True
            elif OPAQUE[tiles[yy, xx]]:
                py, px = _other_rounding(dy, dx)
                out[yy, xx] = not OPAQUE[tiles[y + py, x + px]] and _line_clear(tiles, y, x, py, px)
    return out


def kernel_visible(tiles: np.ndarray, y: int, x: int, r: int, table_radius: int,
                   grid_radius: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The kernel's visible cells (from memory), its grid, and its counts."""
    table = build_fov_table(table_radius)
    memory = np.zeros(tiles.shape, np.uint8)
    vis = np.full((2 * grid_radius + 1, 2 * grid_radius + 1), 7, np.uint8)  # stale values
    count, new = compute_fov(tiles, memory, y, x, r, table.parent, table.row_end, vis)
    return memory > 0, vis, count, new


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 14), st.integers(3, 14), st.floats(0.0, 0.5), st.integers(1, 9),
       st.integers(0, 2**31 - 1))
def test_kernel_matches_the_reference_on_random_floors(height, width, wall_share, r, seed):
    rng = np.random.default_rng(seed)
    tiles = np.where(rng.random((height, width)) < wall_share, Tile.WALL, Tile.FLOOR).astype(np.uint8)
    y, x = int(rng.integers(height)), int(rng.integers(width))
    tiles[y, x] = Tile.FLOOR  # agents never stand in walls
    want = reference_visible(tiles, y, x, r)
    seen, vis, count, new = kernel_visible(tiles, y, x, r, table_radius=9, grid_radius=14)
    np.testing.assert_array_equal(seen, want)
    assert count == new == int(want.sum())
    G = vis.shape[0] // 2  # the grid covers the whole floor from anywhere on it
    for gy in range(vis.shape[0]):  # stale values cleared; opaque cells marked as such
        for gx in range(vis.shape[1]):
            yy, xx = y + gy - G, x + gx - G
            on_floor = 0 <= yy < height and 0 <= xx < width
            expected = 0 if not on_floor or not want[yy, xx] else 1 if OPAQUE[tiles[yy, xx]] else 2
            assert vis[gy, gx] == expected


def test_open_room_shows_the_disc_and_a_wall_hides_what_is_behind():
    tiles = np.full((9, 9), Tile.FLOOR, np.uint8)
    seen, _, _, _ = kernel_visible(tiles, 4, 4, 2, table_radius=4, grid_radius=4)
    assert seen[4, 6] and seen[6, 5] and not seen[6, 6] and not seen[4, 7]  # 8 > 2² + 2
    tiles[4, 5] = Tile.WALL
    seen, _, _, _ = kernel_visible(tiles, 4, 4, 4, table_radius=4, grid_radius=4)
    assert seen[4, 5] and not seen[4, 6] and not seen[4, 8]  # the wall itself is visible
    assert seen[3, 6] and seen[5, 6]  # lines beside the wall pass


def test_the_walls_of_a_corridor_are_seen_as_far_as_its_floor():
    tiles = np.full((12, 3), Tile.WALL, np.uint8)
    tiles[:, 1] = Tile.FLOOR  # a one-wide corridor running north-south
    tiles[0, 1] = Tile.WALL
    seen, _, _, _ = kernel_visible(tiles, 10, 1, 8, table_radius=8, grid_radius=8)
    for yy in range(2, 11):
        assert seen[yy, 1] and seen[yy, 0] and seen[yy, 2], yy
    solid = np.full((7, 7), Tile.WALL, np.uint8)
    solid[3, 1:6] = Tile.FLOOR
    solid[1, 1:6] = Tile.FLOOR  # a second corridor behind the wall row 2
    seen, _, _, _ = kernel_visible(solid, 3, 1, 6, table_radius=6, grid_radius=6)
    assert seen[2, 1:6].all() and not seen[1, 2:6].any()  # the wall is lit, what is behind is not


def test_memory_counts_only_new_cells():
    tiles = np.full((5, 5), Tile.FLOOR, np.uint8)
    table = build_fov_table(3)
    memory = np.zeros(tiles.shape, np.uint8)
    vis = np.zeros((7, 7), np.uint8)
    # From a corner with radius 3 (dy² + dx² <= 12): rows of 4, 4, 3 and 2 cells.
    assert compute_fov(tiles, memory, 0, 0, 3, table.parent, table.row_end, vis) == (13, 13)
    # One step east: rows of 5, 5, 4 and 3; the new cells are the last of each row.
    assert compute_fov(tiles, memory, 0, 1, 3, table.parent, table.row_end, vis) == (17, 4)
