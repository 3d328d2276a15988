"""Connectivity pass: join every walkable region of a floor into one.

Generators may leave disconnected pockets (caves almost always do). The pass carves
corridors from each pocket to the nearest cell of the largest region, so every
walkable cell becomes reachable from every other by 4-directional steps. It also
provides :func:`carve_corridors`, the L-shaped corridors the generators use.

Everything is vectorised over corridors: cellular caves can leave hundreds of pockets.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy import ndimage

#: 4-connectivity: cells touch through an edge, never through a corner alone.
FOUR_CONNECTED = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)
#: Corridors planned at once; after each batch, regions it joined drop out of later ones.
BATCH = 16


def carve_corridors(walkable: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int,
                    horizontal_first: np.ndarray) -> None:
    """Carve L-shaped corridors ``width`` cells wide from ``starts[i]`` to ``ends[i]``, in place.

    ``starts`` and ``ends`` are ``(n, 2)`` arrays of ``(row, column)`` cells inside the
    border. Corridor ``i`` runs along its start's row, then along its end's column
    (column first when ``horizontal_first[i]`` is False); it is straight when the two
    share a row or column. Corridors never touch the border ring.
    """
    rects = corridor_rects(starts, ends, width, horizontal_first, walkable.shape)
    walkable.put(rasterize(rects, walkable.shape[1])[0], True)


def corridor_rects(starts: np.ndarray, ends: np.ndarray, width: int, horizontal_first: np.ndarray,
                   shape: tuple[int, int]) -> np.ndarray:
    """The two rectangles of each corridor of :func:`carve_corridors`.

    Returns an ``(n, 2, 4)`` int array of half-open ``(row0, row1, col0, col1)`` boxes;
    the two boxes of a corridor overlap at its bend.
    """
    starts, ends = np.asarray(starts).reshape(-1, 2), np.asarray(ends).reshape(-1, 2)
    across_first = np.asarray(horizontal_first, dtype=bool).reshape(-1)
    height, row_length = shape
    (y0, x0), (y1, x1) = starts.T, ends.T
    # The horizontal leg lies on the start's row when it comes first, else on the end's.
    leg_row, leg_col = np.where(across_first, y0, y1), np.where(across_first, x1, x0)
    rows_lo, rows_hi = _band(leg_row, width, height)
    span_c_lo, _ = _band(np.minimum(x0, x1), width, row_length)
    _, span_c_hi = _band(np.maximum(x0, x1), width, row_length)
    cols_lo, cols_hi = _band(leg_col, width, row_length)
    span_r_lo, _ = _band(np.minimum(y0, y1), width, height)
    _, span_r_hi = _band(np.maximum(y0, y1), width, height)
    across = np.stack([rows_lo, rows_hi, span_c_lo, span_c_hi], axis=1)  # the horizontal leg
    down = np.stack([span_r_lo, span_r_hi, cols_lo, cols_hi], axis=1)  # the vertical leg
    return np.stack([across, down], axis=1)


def _band(center: np.ndarray, width: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Half-open spans ``[lo, hi)`` of ``width`` cells around each center on an axis.

    Spans stay inside the interior ``[1, size - 1)``; each contains its center when the
    center lies in the interior.
    """
    lo = np.maximum(1, np.minimum(center - (width - 1) // 2, size - 1 - width))
    return lo, np.minimum(size - 1, lo + width)


def rasterize(rects: np.ndarray, row_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of every cell of every rectangle, and the corridor each belongs to.

    ``rects`` is ``(n, 2, 4)`` as from :func:`corridor_rects`; indices are into a
    C-ordered array with ``row_length`` columns. Cells where two boxes overlap repeat.
    """
    boxes = rects.reshape(-1, 4)
    tall, wide = boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2]
    areas = np.maximum(tall, 0) * np.maximum(wide, 0)
    box = np.repeat(np.arange(len(boxes)), areas)
    offset = np.arange(box.size) - np.repeat(np.cumsum(areas) - areas, areas)
    rows, cols = np.divmod(offset, wide[box])  # within the box; empty boxes own no cells
    rows += boxes[box, 0]
    cols += boxes[box, 2]
    return rows * row_length + cols, box // 2


def connect_regions(walkable: np.ndarray, rng: np.random.Generator, corridor_width: int = 1) -> np.ndarray:
    """A copy of ``walkable`` whose walkable cells form one 4-connected region.

    Every region other than the largest (the main one) is joined to it by a corridor
    ``corridor_width`` cells wide, from the region's cell nearest the main region to the
    nearest cell of the main region. Regions are handled farthest first, and one that an
    earlier corridor ran into or beside is skipped: long corridors pick up the pockets
    on their way. Cells are only added, never removed, and the border ring is never
    carved: ``walkable`` must be False on it. ``rng`` picks the corridors' bends, so the
    result is deterministic given the rng state.
    """
    result = np.array(walkable, dtype=bool, copy=True)
    labels, count = ndimage.label(result, structure=FOUR_CONNECTED)
    if count <= 1:
        return result
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    sizes[0] = 0
    main = int(np.argmax(sizes))  # ties go to the lowest label, i.e. the first in raster order
    # Taxicab distance: the length of an L-shaped corridor.
    distance, nearest = ndimage.distance_transform_cdt(labels != main, metric="taxicab",
                                                       return_indices=True)
    regions, starts = _closest_cells(labels, distance, main)
    ends = nearest[:, starts[:, 0], starts[:, 1]].T
    bends = rng.random(len(regions)) < 0.5
    joined = bytearray(count + 1)
    for batch in _unjoined_batches(regions.tolist(), joined):
        rects = corridor_rects(starts[batch], ends[batch], corridor_width, bends[batch], labels.shape)
        cells, owner = rasterize(rects, labels.shape[1])
        corridor, touched = _touched_regions(labels, cells, owner, count)
        needed = _join_in_order(regions[batch], corridor, touched, joined)
        result.put(cells[needed[owner]], True)
    return result


def _unjoined_batches(regions: list[int], joined: bytearray) -> Iterator[list[int]]:
    """Positions in ``regions`` of up to :data:`BATCH` regions not yet joined, in order.

    ``joined`` is read as the batches are consumed, so regions joined by an earlier
    batch are never handed out (and their corridors never rasterised).
    """
    batch: list[int] = []
    for i, region in enumerate(regions):
        if not joined[region]:
            batch.append(i)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _closest_cells(labels: np.ndarray, distance: np.ndarray, main: int) -> tuple[np.ndarray, np.ndarray]:
    """Each non-main region's label and its cell nearest the main region, as ``(n, 2)``.

    Sorted farthest first (ties: lower label first); within a region, ties go to the
    first cell in raster order.
    """
    flat_labels = labels.ravel()
    cells = np.flatnonzero((flat_labels != 0) & (flat_labels != main))
    region, dist = flat_labels[cells], distance.ravel()[cells]
    order = np.lexsort((dist, region))  # stable: raster order breaks distance ties
    region, dist, cells = region[order], dist[order], cells[order]
    first = np.flatnonzero(np.r_[True, region[1:] != region[:-1]])
    by_distance = first[np.lexsort((region[first], -dist[first]))]  # farthest first
    starts = np.stack(np.divmod(cells[by_distance], labels.shape[1]), axis=1)
    return region[by_distance], starts


def _touched_regions(labels: np.ndarray, cells: np.ndarray, owner: np.ndarray,
                     count: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique ``(corridor, label)`` pairs: regions each corridor runs into or beside.

    Edge neighbours count (a corridor beside a region joins it), diagonal ones do not.
    Corridor cells lie inside the border, so their neighbours are all in the array.
    Sorted by corridor.
    """
    flat, width = labels.ravel(), labels.shape[1]
    neighbours = cells[None, :] + np.array([0, -width, width, -1, 1])[:, None]
    found = flat[neighbours].ravel()
    keys = np.tile(owner.astype(np.int64), 5)[found != 0] * (count + 1) + found[found != 0]
    keys.sort()
    distinct = np.ones(len(keys), dtype=bool)  # np.unique, without its overhead
    distinct[1:] = keys[1:] != keys[:-1]
    return np.divmod(keys[distinct], count + 1)


def _join_in_order(regions: np.ndarray, corridor: np.ndarray, touched: np.ndarray,
                   joined: bytearray) -> np.ndarray:
    """Which of the corridors of ``regions`` to carve, marking what they join in ``joined``.

    Corridors are taken in order; the one of a region that an earlier corridor joined is
    skipped. Every carved corridor ends in the main region, so whatever it touches is
    joined.
    """
    bounds = np.searchsorted(corridor, np.arange(len(regions) + 1)).tolist()
    touched_list = touched.tolist()
    needed = np.zeros(len(regions), dtype=bool)
    for i, region in enumerate(regions.tolist()):
        if joined[region]:
            continue
        needed[i] = True
        for label in touched_list[bounds[i]:bounds[i + 1]]:
            joined[label] = 1
    return needed
