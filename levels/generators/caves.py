"""Natural caverns by cellular automaton (the 4-5 rule).

Cells start as wall with chance ``gen.caves.fill``; each smoothing pass turns a cell to
wall when at least 5 cells of its 3x3 neighbourhood (itself included, out of bounds
counting as wall) are wall, and to floor otherwise. The border is always wall.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from levels.generators import drunkard
from levels.params import GenerationParams

#: Below this fraction of the interior left as floor, a drunkard's walk digs more.
MIN_FLOOR_FRACTION = 0.02
#: Coverage of that fallback walk.
FALLBACK_COVERAGE = 0.25


def carve(rng: np.random.Generator, height: int, width: int, gen: GenerationParams) -> np.ndarray:
    """Carve caverns; see the module docstring.

    When the automaton leaves (almost) nothing walkable, which high fills with many
    passes do, a drunkard's walk from the centre digs a cave-like area as well.
    """
    wall = np.ones((height, width), dtype=bool)
    wall[1:-1, 1:-1] = rng.random((height - 2, width - 2)) < gen.caves.fill
    for _ in range(gen.caves.iterations):
        wall = smooth(wall)
    walkable = ~wall
    interior = (height - 2) * (width - 2)
    if walkable.sum() < max(1.0, MIN_FLOOR_FRACTION * interior):
        fallback = dataclasses.replace(
            gen, drunkard=dataclasses.replace(gen.drunkard, coverage=FALLBACK_COVERAGE, walkers=1))
        walkable |= drunkard.carve(rng, height, width, fallback)
    return walkable


def smooth(wall: np.ndarray) -> np.ndarray:
    """One pass of the 4-5 rule over ``wall``; the border comes out as wall."""
    padded = np.pad(wall, 1, constant_values=True).view(np.uint8)
    rows = padded[:, :-2] + padded[:, 1:-1] + padded[:, 2:]  # separable 3x3 box sum
    counts = rows[:-2] + rows[1:-1] + rows[2:]
    smoothed = counts >= 5
    smoothed[[0, -1], :] = True
    smoothed[:, [0, -1]] = True
    return smoothed
