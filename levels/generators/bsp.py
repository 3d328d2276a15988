"""Rooms and corridors by binary space partition.

The interior is split recursively into leaves; each leaf gets one room. Sibling
subtrees are joined by L-shaped corridors (so the rooms form a connected tree), then a
few extra corridors between nearby rooms add loops.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

import numpy as np

from levels.connect import carve_corridors
from levels.params import GenerationParams

#: Nearest rooms considered when picking the far end of an extra (loop) corridor.
LOOP_CANDIDATES = 3
#: Smallest room side that can hold pillars (a ring of floor around a 3x3 lattice).
PILLAR_MIN_SIDE = 5


@dataclass(frozen=True)
class Rect:
    """A half-open rectangle of cells: rows ``[y0, y1)``, columns ``[x0, x1)``."""

    y0: int
    x0: int
    y1: int
    x1: int

    @property
    def area(self) -> int:
        """Number of cells."""
        return (self.y1 - self.y0) * (self.x1 - self.x0)


def carve(rng: np.random.Generator, height: int, width: int, gen: GenerationParams) -> np.ndarray:
    """Carve BSP rooms and corridors; see the module docstring.

    The number of leaves (rooms) is drawn from ``gen.rooms.count`` (at least one room)
    and shrinks when leaves would get too small for ``gen.rooms.min_size``.
    """
    walkable = np.zeros((height, width), dtype=bool)
    low, high = gen.rooms.count
    wanted = max(1, int(rng.integers(low, high + 1)))
    min_size, max_size = _room_sides(gen, height, width)
    rects, children = _partition(rng, height, width, wanted, min_leaf=min_size + 2)
    leaves = [node for node, pair in enumerate(children) if pair is None]
    rooms = _place_rooms(rng, [rects[node] for node in leaves], height, width, min_size, max_size)
    pillared = rng.random(len(rooms)) < gen.rooms.pillars
    for (y0, y1, x0, x1), pillars in zip(rooms.tolist(), pillared.tolist(), strict=True):
        walkable[y0:y1, x0:x1] = True
        if pillars:
            _add_pillars(walkable, y0, y1, x0, x1)
    centres = np.stack([rooms[:, 0] + rooms[:, 1], rooms[:, 2] + rooms[:, 3]], axis=1)  # doubled
    gaps = np.abs(centres[:, None, :] - centres[None, :, :]).sum(axis=2)
    links = _sibling_links(children, {node: i for i, node in enumerate(leaves)}, gaps)
    links += _loop_links(rng, gaps, links, gen.corridors.extra_loops)
    _carve_links(rng, walkable, rooms, links, gen.corridors.width)
    return walkable


def _room_sides(gen: GenerationParams, height: int, width: int) -> tuple[int, int]:
    """``(min_size, max_size)`` clamped to what fits in the interior."""
    inner = max(1, min(height, width) - 2)
    max_size = max(1, min(gen.rooms.max_size, inner))
    return max(1, min(gen.rooms.min_size, max_size)), max_size


def _partition(rng: np.random.Generator, height: int, width: int, wanted: int,
               min_leaf: int) -> tuple[list[Rect], list[tuple[int, int] | None]]:
    """Split the interior into at most ``wanted`` leaves no thinner than ``min_leaf``.

    The largest splittable leaf is split next. Returns every node's rectangle and its
    ``(left, right)`` children (None for a leaf); node 0 is the root.
    """
    rects = [Rect(1, 1, height - 1, width - 1)]
    children: list[tuple[int, int] | None] = [None]
    heap = [(-rects[0].area, 0)]
    leaves = 1
    while heap and leaves < wanted:
        _, node = heapq.heappop(heap)
        halves = _split(rng, rects[node], min_leaf)
        if halves is None:
            continue  # stays a leaf
        children[node] = (len(rects), len(rects) + 1)
        for half in halves:
            heapq.heappush(heap, (-half.area, len(rects)))
            rects.append(half)
            children.append(None)
        leaves += 1
    return rects, children


def _split(rng: np.random.Generator, rect: Rect, min_leaf: int) -> tuple[Rect, Rect] | None:
    """Cut ``rect`` in two across its rows or columns, or None if it is too small."""
    tall, wide = rect.y1 - rect.y0, rect.x1 - rect.x0
    can_cut_rows, can_cut_cols = tall >= 2 * min_leaf, wide >= 2 * min_leaf
    if not (can_cut_rows or can_cut_cols):
        return None
    if not can_cut_cols or (can_cut_rows and _cut_across_rows(rng, tall, wide)):
        at = int(rng.integers(rect.y0 + min_leaf, rect.y1 - min_leaf + 1))
        return Rect(rect.y0, rect.x0, at, rect.x1), Rect(at, rect.x0, rect.y1, rect.x1)
    at = int(rng.integers(rect.x0 + min_leaf, rect.x1 - min_leaf + 1))
    return Rect(rect.y0, rect.x0, rect.y1, at), Rect(rect.y0, at, rect.y1, rect.x1)


def _cut_across_rows(rng: np.random.Generator, tall: int, wide: int) -> bool:
    """Whether to cut a leaf that could be cut either way across its rows.

    An elongated leaf is cut across its long side so leaves stay roughly square;
    otherwise the direction is random.
    """
    if tall > 1.25 * wide or wide > 1.25 * tall:
        return tall > wide
    return bool(rng.random() < 0.5)


def _place_rooms(rng: np.random.Generator, leaves: list[Rect], height: int, width: int,
                 min_size: int, max_size: int) -> np.ndarray:
    """One room per leaf, with sides drawn in ``[min_size, max_size]`` and clamped to it.

    A leaf keeps its last row and column as wall (unless they border the outer wall)
    so rooms of neighbouring leaves never merge. Returns ``(n, 4)`` boxes
    ``(row0, row1, col0, col1)``, half-open.
    """
    corners = np.array([(leaf.y0, leaf.x0) for leaf in leaves])
    ends = np.array([(leaf.y1, leaf.x1) for leaf in leaves])
    room = ends - corners - (ends < (height - 1, width - 1))  # the room's part of the leaf
    sides = np.clip(rng.integers(min_size, max_size + 1, size=room.shape), 1, room)
    starts = corners + (rng.random(room.shape) * (room - sides + 1)).astype(np.int64)
    stops = starts + sides
    return np.stack([starts[:, 0], stops[:, 0], starts[:, 1], stops[:, 1]], axis=1)


def _add_pillars(walkable: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> None:
    """Wall off every other cell of a room's inner lattice, one cell in from its edges.

    Pillars are isolated and the room's edge ring stays open, so every floor cell of
    the room remains reachable. Rooms with a side under :data:`PILLAR_MIN_SIDE` get none.
    """
    if min(y1 - y0, x1 - x0) >= PILLAR_MIN_SIDE:
        walkable[y0 + 1:y1 - 1:2, x0 + 1:x1 - 1:2] = False


def _sibling_links(children: list[tuple[int, int] | None], room_of: dict[int, int],
                   gaps: np.ndarray) -> list[tuple[int, int]]:
    """For every inner node, the closest pair of rooms across its two subtrees.

    ``room_of`` maps leaf nodes to room indices and ``gaps`` holds the distances between
    room centres. Linking these pairs joins all rooms into a tree.
    """
    below: list[list[int]] = [[] for _ in children]
    links = []
    for node in range(len(children) - 1, -1, -1):  # children always have larger ids
        pair = children[node]
        if pair is None:
            below[node] = [room_of[node]]
            continue
        left, right = below[pair[0]], below[pair[1]]
        across = gaps[left][:, right]
        a, b = np.unravel_index(int(np.argmin(across)), across.shape)
        links.append((left[a], right[b]))
        below[node] = left + right
    return links


def _loop_links(rng: np.random.Generator, gaps: np.ndarray, links: list[tuple[int, int]],
                extra_loops: float) -> list[tuple[int, int]]:
    """``round(extra_loops * rooms)`` extra pairs of nearby rooms not already linked.

    Each joins a random room to one of its :data:`LOOP_CANDIDATES` nearest unlinked rooms.
    """
    count = len(gaps)
    if count < 2:
        return []
    linked: list[set[int]] = [set() for _ in range(count)]
    for a, b in links:
        linked[a].add(b)
        linked[b].add(a)
    by_distance = np.argsort(gaps, axis=1, kind="stable")[:, 1:].tolist()  # column 0: the room itself
    extra = []
    for _ in range(round(extra_loops * count)):
        i = int(rng.integers(count))
        options = list(itertools.islice((j for j in by_distance[i] if j not in linked[i]), LOOP_CANDIDATES))
        if options:
            j = options[int(rng.integers(len(options)))]
            linked[i].add(j)
            linked[j].add(i)
            extra.append((i, j))
    return extra


def _carve_links(rng: np.random.Generator, walkable: np.ndarray, rooms: np.ndarray,
                 links: list[tuple[int, int]], width: int) -> None:
    """Carve an L-shaped corridor between random cells of the two rooms of every link."""
    if not links:
        return
    starts = _random_cells(rng, rooms[[a for a, _ in links]])
    ends = _random_cells(rng, rooms[[b for _, b in links]])
    corridor = max(1, min(width, walkable.shape[0] - 2, walkable.shape[1] - 2))
    carve_corridors(walkable, starts, ends, corridor, rng.random(len(links)) < 0.5)


def _random_cells(rng: np.random.Generator, boxes: np.ndarray) -> np.ndarray:
    """A uniformly drawn ``(row, column)`` inside each ``(row0, row1, col0, col1)`` box."""
    spots = rng.random((len(boxes), 2))
    rows = boxes[:, 0] + (spots[:, 0] * (boxes[:, 1] - boxes[:, 0])).astype(np.int64)
    cols = boxes[:, 2] + (spots[:, 1] * (boxes[:, 3] - boxes[:, 2])).astype(np.int64)
    return np.stack([rows, cols], axis=1)
