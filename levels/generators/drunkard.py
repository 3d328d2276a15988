"""Drunkard's-walk digging.

Walkers take random 4-directional steps, digging every cell they enter, until a
fraction ``gen.drunkard.coverage`` of the interior is dug. The first walker starts at
the centre and digs its share alone; then the others start at random dug cells and
walk together (their steps interleaved) until the target is reached. Walks reflect off
the interior's edges. A step budget bounds the work, so the dig always ends (possibly
short of the target). The dug area is always connected.
"""

from __future__ import annotations

import math

import numpy as np

from levels.params import GenerationParams

#: Step budget of all walkers together, per interior cell (plus :data:`BASE_STEPS`).
STEPS_PER_CELL = 40
BASE_STEPS = 1000
#: Steps drawn at once: first a multiple of the cells to dig, then enough for what is
#: left at the rate (new cells per step) seen so far, within bounds.
CHUNK_FACTOR = 4
CHUNK_MIN, CHUNK_MAX = 128, 1 << 16
MIN_RATE = 1 / 32

_DY = np.array([-1, 1, 0, 0], dtype=np.int32)
_DX = np.array([0, 0, -1, 1], dtype=np.int32)


def carve(rng: np.random.Generator, height: int, width: int, gen: GenerationParams) -> np.ndarray:
    """Dig with drunkard's walks; see the module docstring."""
    inner_h, inner_w = height - 2, width - 2
    interior = inner_h * inner_w
    target = min(interior, max(1, math.ceil(gen.drunkard.coverage * interior)))
    walkers = gen.drunkard.walkers
    dug = np.zeros((inner_h, inner_w), dtype=bool)
    centre = np.array([(inner_h // 2) * inner_w + inner_w // 2])
    dug.flat[centre] = True
    budget = STEPS_PER_CELL * interior + BASE_STEPS
    got, used = _walk(rng, dug, centre, math.ceil((target - 1) / walkers), budget)
    remaining = target - 1 - got
    if walkers > 1 and remaining > 0:
        dug_cells = np.flatnonzero(dug)
        starts = dug_cells[rng.integers(len(dug_cells), size=walkers - 1)]
        _walk(rng, dug, starts, remaining, budget - used)
    walkable = np.zeros((height, width), dtype=bool)
    walkable[1:-1, 1:-1] = dug
    return walkable


def _walk(rng: np.random.Generator, dug: np.ndarray, starts: np.ndarray, quota: int,
          max_steps: int) -> tuple[int, int]:
    """Walk from the flat cells ``starts`` together, digging ``dug`` in place.

    Each round every walker takes one step, in order. Digging stops at the step that
    digs the ``quota``-th new cell, or after ``max_steps`` steps of all walkers.
    Steps are drawn in vectorised chunks. Returns ``(cells dug, steps taken)``.
    """
    rows, cols = dug.shape
    flat = dug.reshape(-1)
    ys, xs = np.divmod(starts, cols)
    walkers = len(starts)
    got = steps = 0
    size = CHUNK_FACTOR * quota
    while got < quota and steps + walkers <= max_steps:
        rounds = min(max_steps - steps, max(CHUNK_MIN, min(CHUNK_MAX, size))) // walkers
        moves = rng.integers(0, 4, size=(walkers, rounds), dtype=np.int8)
        path_y = _reflect(ys[:, None] + np.cumsum(_DY[moves], axis=1), rows)
        path_x = _reflect(xs[:, None] + np.cumsum(_DX[moves], axis=1), cols)
        path = (path_y * cols + path_x).T.ravel()  # round by round
        cells, first = _first_visits(path, flat)
        last = path.size - 1
        if len(cells) > quota - got:
            cells, first = cells[:quota - got], first[:quota - got]
            last = int(first[-1])
        flat[cells] = True
        got += len(cells)
        steps += last + 1
        ys, xs = path_y[:, -1], path_x[:, -1]  # only used if the quota is not yet met
        # Size the next chunk from this one's digging rate, with a margin.
        size = int(1.5 * (quota - got) / max(len(cells) / (last + 1), MIN_RATE)) + 1
    return got, steps


def _first_visits(path: np.ndarray, dug: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells of ``path`` not yet ``dug``, each once, with its first step; in step order."""
    steps = np.flatnonzero(~dug[path])
    cells = path[steps]
    earliest = np.full(dug.size, len(path), dtype=np.int64)
    np.minimum.at(earliest, cells, steps)
    first = steps[earliest[cells] == steps]
    return path[first], first


def _reflect(free: np.ndarray, size: int) -> np.ndarray:
    """Fold unbounded coordinates into ``[0, size)``, reflecting off both ends."""
    if size == 1:
        return np.zeros_like(free)
    edge = size - 1
    return edge - np.abs(np.mod(free, 2 * edge) - edge)
