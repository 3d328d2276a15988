"""Reachability and distances over floors and the stairs that link them."""

from __future__ import annotations

import numba
import numpy as np
from scipy import ndimage

from levels.tiles import PASSABLE, Tile

_FOUR = ndimage.generate_binary_structure(2, 1)


def label_floor(passable: np.ndarray) -> tuple[np.ndarray, int]:
    """Label the 4-connected components of one floor's passable cells (0 = not passable)."""
    labels, count = ndimage.label(passable, structure=_FOUR)
    return labels, int(count)


def reachable(tiles: np.ndarray, start: tuple[int, int, int], passable: np.ndarray | None = None) -> np.ndarray:
    """Cells reachable from ``start`` by 4-connected steps and stairs.

    Args:
        tiles: ``(floors, height, width)`` tile codes.
        start: ``(floor, y, x)``.
        passable: a ``(floors, height, width)`` bool mask of cells one may enter; by
            default every tile in :data:`levels.tiles.PASSABLE` (doors count as open).

    Returns:
        A bool mask of the same shape. A stairs-down cell at ``(f, y, x)`` links to
        ``(f + 1, y, x)`` when both are passable.
    """
    mask = PASSABLE[tiles] if passable is None else passable
    floors = tiles.shape[0]
    labels = np.zeros(tiles.shape, dtype=np.int64)
    offset = 0
    for f in range(floors):
        floor_labels, count = label_floor(mask[f])
        labels[f] = np.where(floor_labels > 0, floor_labels + offset, 0)
        offset += count
    parent = np.arange(offset + 1)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return int(a)

    for f, y, x in np.argwhere(tiles[:-1] == Tile.STAIRS_DOWN):
        a, b = labels[f, y, x], labels[f + 1, y, x]
        if a and b:
            parent[find(a)] = find(b)
    f0, y0, x0 = start
    if not labels[f0, y0, x0]:
        return np.zeros(tiles.shape, dtype=bool)
    roots = np.array([find(i) for i in range(offset + 1)])
    return (roots[labels] == roots[labels[f0, y0, x0]]) & (labels > 0)


@numba.njit(cache=True)
def _bfs(passable: np.ndarray, starts: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    height, width = passable.shape
    dist = np.full((height, width), -1, dtype=np.int32)
    queue = np.empty(height * width, dtype=np.int64)
    head = 0
    tail = 0
    for i in range(starts.shape[0]):
        y, x = starts[i, 0], starts[i, 1]
        if passable[y, x] and dist[y, x] < 0:
            dist[y, x] = 0
            queue[tail] = y * width + x
            tail += 1
    while head < tail:
        cell = queue[head]
        head += 1
        y, x = cell // width, cell % width
        d = dist[y, x] + 1
        for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            ny, nx = y + dy, x + dx
            if 0 <= ny < height and 0 <= nx < width and passable[ny, nx] and dist[ny, nx] < 0:
                dist[ny, nx] = d
                queue[tail] = ny * width + nx
                tail += 1
    return dist


def bfs_distances(passable: np.ndarray, starts: np.ndarray | list[tuple[int, int]]) -> np.ndarray:
    """Steps (4-connected) from the nearest of ``starts`` to every cell of one floor.

    Returns an int32 ``(height, width)`` array, -1 where unreachable.
    """
    start_array = np.asarray(starts, dtype=np.int64).reshape(-1, 2)
    return _bfs(np.ascontiguousarray(passable, dtype=np.bool_), start_array)
