"""Braided mazes with a few open rooms.

A perfect maze is grown by an (iterative) recursive backtracker on a lattice of cells
``gen.corridors.width`` wide separated by walls one cell thick. A fraction
``gen.corridors.extra_loops`` of its dead ends are then opened into a neighbour
(braiding, which makes loops), and ``gen.rooms.count`` rooms are carved at random
places. Rows and columns left over when the lattice does not divide the floor evenly
stay wall.
"""

from __future__ import annotations

import numpy as np

from levels.params import GenerationParams


def carve(rng: np.random.Generator, height: int, width: int, gen: GenerationParams) -> np.ndarray:
    """Carve a braided maze with rooms; see the module docstring."""
    passage = max(1, min(gen.corridors.width, height - 2, width - 2))
    rows, cols = (height - 1) // (passage + 1), (width - 1) // (passage + 1)
    east, south = backtrack(rng, rows, cols)
    braid(rng, east, south, gen.corridors.extra_loops)
    walkable = np.zeros((height, width), dtype=bool)
    image = render(east, south, passage)[:height - 2, :width - 2]
    walkable[1:1 + image.shape[0], 1:1 + image.shape[1]] = image
    _add_rooms(rng, walkable, gen)
    return walkable


def backtrack(rng: np.random.Generator, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """A perfect maze on a ``rows x cols`` lattice, by iterative recursive backtracking.

    Returns ``(east, south)`` bool arrays of shape ``(rows, cols)``: whether the wall
    east of (below) each cell is open.
    """
    stride = cols + 2  # a ring of pre-visited cells spares the bounds checks
    visited = bytearray([1]) * ((rows + 2) * stride)
    for y in range(1, rows + 1):
        visited[y * stride + 1:y * stride + cols + 1] = bytes(cols)
    east, south = bytearray(len(visited)), bytearray(len(visited))
    choices = rng.random(rows * cols).tolist()  # one draw per cell carved into
    start = (int(rng.integers(rows)) + 1) * stride + int(rng.integers(cols)) + 1
    visited[start] = 1
    stack, drawn = [start], 0
    # Unrolled and branchy on purpose: this loop is the generator's hot spot.
    while stack:
        cell = stack[-1]
        options = []
        if not visited[cell - 1]:
            options.append(cell - 1)
        if not visited[cell + 1]:
            options.append(cell + 1)
        if not visited[cell - stride]:
            options.append(cell - stride)
        if not visited[cell + stride]:
            options.append(cell + stride)
        if not options:
            stack.pop()
            continue
        nxt = options[int(choices[drawn] * len(options))]
        drawn += 1
        if nxt == cell + 1:
            east[cell] = 1
        elif nxt == cell - 1:
            east[nxt] = 1
        elif nxt > cell:
            south[cell] = 1
        else:
            south[nxt] = 1
        visited[nxt] = 1
        stack.append(nxt)
    return _unpad(east, rows, cols), _unpad(south, rows, cols)


def _unpad(flags: bytearray, rows: int, cols: int) -> np.ndarray:
    """The ``(rows, cols)`` bool grid inside a flat flag buffer padded by one cell."""
    return np.frombuffer(flags, dtype=bool).reshape(rows + 2, cols + 2)[1:-1, 1:-1].copy()


def degrees(east: np.ndarray, south: np.ndarray) -> np.ndarray:
    """Open walls around each lattice cell."""
    degree = east.astype(np.int8) + south
    degree[:, 1:] += east[:, :-1]
    degree[1:, :] += south[:-1, :]
    return degree


def braid(rng: np.random.Generator, east: np.ndarray, south: np.ndarray, fraction: float) -> None:
    """Open a wall of ``round(fraction * dead ends)`` random dead ends, in place.

    A dead end that an earlier opening already turned into a passage is skipped.
    """
    dead = np.argwhere(degrees(east, south) == 1)
    picked = rng.permutation(len(dead))[:round(fraction * len(dead))]
    for y, x in dead[picked].tolist():
        walls = _walls_around(east, south, y, x)
        closed = [wall for wall in walls if not wall[0][wall[1], wall[2]]]
        if len(walls) - len(closed) != 1 or not closed:
            continue  # no longer a dead end, or the end of a one-cell-wide lattice
        grid, wy, wx = closed[int(rng.integers(len(closed)))]
        grid[wy, wx] = True


def _walls_around(east: np.ndarray, south: np.ndarray, y: int,
                  x: int) -> list[tuple[np.ndarray, int, int]]:
    """The walls between lattice cell ``(y, x)`` and its neighbours, as ``(grid, y, x)``."""
    rows, cols = east.shape
    walls = []
    if x > 0:
        walls.append((east, y, x - 1))
    if x < cols - 1:
        walls.append((east, y, x))
    if y > 0:
        walls.append((south, y - 1, x))
    if y < rows - 1:
        walls.append((south, y, x))
    return walls


def render(east: np.ndarray, south: np.ndarray, passage: int) -> np.ndarray:
    """Cells of the maze: each lattice cell is a ``passage``-wide square, walls 1 thick.

    The result has shape ``(rows * (passage + 1), cols * (passage + 1))``; its top-left
    cell is the top-left lattice cell's.
    """
    rows, cols = east.shape
    blocks = np.zeros((rows, passage + 1, cols, passage + 1), dtype=bool)
    blocks[:, :passage, :, :passage] = True
    blocks[:, :passage, :, passage] = east[:, None, :]
    blocks[:, passage, :, :passage] = south[:, :, None]
    return blocks.reshape(rows * (passage + 1), cols * (passage + 1))


def _add_rooms(rng: np.random.Generator, walkable: np.ndarray, gen: GenerationParams) -> None:
    """Carve ``gen.rooms.count`` rooms of random size at random places, in place."""
    height, width = walkable.shape
    low, high = gen.rooms.count
    count = int(rng.integers(low, high + 1))
    if count == 0:
        return
    inner_h, inner_w = height - 2, width - 2
    max_size = max(1, min(gen.rooms.max_size, inner_h, inner_w))
    min_size = max(1, min(gen.rooms.min_size, max_size))
    sides = rng.integers(min_size, max_size + 1, size=(count, 2))
    corners = rng.random((count, 2))
    for (tall, wide), (fy, fx) in zip(sides.tolist(), corners.tolist(), strict=True):
        y0 = 1 + int(fy * (inner_h - tall + 1))
        x0 = 1 + int(fx * (inner_w - wide + 1))
        walkable[y0:y0 + tall, x0:x0 + wide] = True
