"""Goals of a generated level: each faction's goal, the exit cells and the artifact.

A *game* (after XLand) is a level plus one goal per faction. The generator draws each
faction's goal from its weights (``[factions.NAME] goal``), and when some faction may
draw ``escape`` or ``fetch`` it turns walkable cells of the chosen floor into exits
(:data:`~levels.tiles.Tile.EXIT`) and, for ``fetch``, lays the artifact there. Both are
drawn among the cells farthest (by walking distance) from where one arrives on that
floor, so reaching them means crossing the level. Every exit and the artifact are plain
floor cells, so the generator's reachability guarantee covers them: reachable from the
entry through doors (with their keys) and stairs, never through lava.
"""

from __future__ import annotations

import numpy as np

from levels.level import ItemStats, PlacedItem
from levels.params import GOALS, LevelParams
from levels.reach import bfs_distances
from levels.tiles import PASSABLE, Tile

#: The goal every faction plays when a level names none (a level file of format 1).
DEFAULT_GOAL = "eliminate"


def draw_goals(rng: np.random.Generator, params: LevelParams) -> dict[str, str]:
    """Each faction's goal, drawn from its weights (factions in ``params.factions`` order)."""
    goals = {}
    for name in params.factions:
        weights = params.goal_weights(name)
        names = [g for g in GOALS if g in weights]
        if len(names) == 1:
            goals[name] = names[0]
            continue
        p = np.array([weights[g] for g in names], dtype=np.float64)
        goals[name] = names[int(rng.choice(len(names), p=p / p.sum()))]
    return goals


def _far_cells(rng: np.random.Generator, tiles: np.ndarray, floor: int, arrivals: list[tuple[int, int]],
               free: np.ndarray, spread: float, count: int) -> list[tuple[int, int]]:
    """``count`` distinct free cells of ``floor`` among the ``spread`` fraction farthest from ``arrivals``."""
    passable = PASSABLE[tiles[floor]] & (tiles[floor] != Tile.LAVA)
    dist = bfs_distances(passable, arrivals)
    cells = np.argwhere(free & (dist >= 0))
    if len(cells) == 0:
        return []
    far = dist[cells[:, 0], cells[:, 1]]
    order = np.argsort(-far, kind="stable")
    keep = max(count, int(np.ceil(spread * len(cells))))
    pool = cells[order[:keep]]
    picks = rng.choice(len(pool), size=min(count, len(pool)), replace=False)
    return [(int(pool[i, 0]), int(pool[i, 1])) for i in sorted(picks)]


def place_exits(rng: np.random.Generator, params: LevelParams, tiles: np.ndarray,
                arrivals: list[list[tuple[int, int]]], occupied: np.ndarray) -> list[tuple[int, int, int]]:
    """Turn plain floor cells into exits (when some goal needs them); marks them in ``occupied``."""
    if not params.needs_exits():
        return []
    f = params.floor_index(params.exits.floor)
    free = (tiles[f] == Tile.FLOOR) & ~occupied[f]
    exits = []
    for y, x in _far_cells(rng, tiles, f, arrivals[f], free, params.exits.spread, params.exits.count):
        tiles[f, y, x] = Tile.EXIT
        occupied[f, y, x] = True
        exits.append((f, y, x))
    return exits


def place_artifact(rng: np.random.Generator, params: LevelParams, tiles: np.ndarray,
                   arrivals: list[list[tuple[int, int]]], occupied: np.ndarray) -> list[PlacedItem]:
    """The artifact on a plain floor cell (when some faction may draw fetch); marks it in ``occupied``."""
    if not params.needs_artifact():
        return []
    f = params.floor_index(params.artifact.floor)
    free = (tiles[f] == Tile.FLOOR) & ~occupied[f]
    cells = _far_cells(rng, tiles, f, arrivals[f], free, params.artifact.spread, 1)
    if not cells:
        return []
    y, x = cells[0]
    occupied[f, y, x] = True
    return [PlacedItem(f, y, x, artifact_item(params))]


def artifact_item(params: LevelParams) -> ItemStats:
    """The artifact of a level family (an item without attributes)."""
    return ItemStats(kind=params.artifact.name, category="artifact")
