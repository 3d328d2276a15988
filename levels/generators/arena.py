"""One open room filling the floor's interior (DeepCrawl's 10x10 arena on a 12x12 floor).

With chance ``gen.rooms.pillars`` it gets 1 to 4 pillars: single wall cells, none next
to the outer wall or to another pillar (diagonals included), so the room stays
connected.
"""

from __future__ import annotations

import numpy as np

from levels.params import GenerationParams

MAX_PILLARS = 4
#: Random candidate cells examined when placing pillars.
PILLAR_CANDIDATES = 32


def carve(rng: np.random.Generator, height: int, width: int, gen: GenerationParams) -> np.ndarray:
    """Carve the arena; see the module docstring."""
    walkable = np.zeros((height, width), dtype=bool)
    walkable[1:-1, 1:-1] = True
    if rng.random() < gen.rooms.pillars:
        wanted = int(rng.integers(1, MAX_PILLARS + 1))
        for y, x in pillar_cells(rng, height, width, wanted):
            walkable[y, x] = False
    return walkable


def pillar_cells(rng: np.random.Generator, height: int, width: int, wanted: int) -> list[tuple[int, int]]:
    """Up to ``wanted`` cells at least two rows from the edge and two steps apart.

    "Two steps apart" is in Chebyshev distance, so no two pillars touch, even diagonally.
    Fewer are returned when the floor is too small for more.
    """
    inner_h, inner_w = height - 4, width - 4  # rows/columns 2 .. size-3
    if inner_h <= 0 or inner_w <= 0:
        return []
    count = inner_h * inner_w
    candidates = rng.choice(count, size=min(count, PILLAR_CANDIDATES), replace=False)
    chosen: list[tuple[int, int]] = []
    for flat in candidates.tolist():
        y, x = divmod(flat, inner_w)
        if all(max(abs(y - py), abs(x - px)) >= 2 for py, px in chosen):
            chosen.append((y, x))
            if len(chosen) == wanted:
                break
    return [(y + 2, x + 2) for y, x in chosen]
