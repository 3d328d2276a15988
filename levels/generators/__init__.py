"""Floor generators: each carves the walkable cells of one floor.

Every generator has the signature::

    carve(rng: np.random.Generator, height: int, width: int, gen: GenerationParams) -> np.ndarray

and returns a ``(height, width)`` bool array, True where the floor is walkable. The
outer border is always False (wall). Generators draw randomness only from ``rng``.
The result need not be connected: :func:`levels.connect.connect_regions` joins it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from levels.params import GenerationParams

Carver = Callable[[np.random.Generator, int, int, GenerationParams], np.ndarray]


def get_generator(name: str) -> Carver:
    """The carve function of the generator called ``name`` (see ``levels.params.GENERATORS``)."""
    from levels.generators import arena, bsp, caves, drunkard, maze

    table: dict[str, Carver] = {
        "arena": arena.carve,
        "bsp": bsp.carve,
        "caves": caves.carve,
        "drunkard": drunkard.carve,
        "maze": maze.carve,
    }
    return table[name]
