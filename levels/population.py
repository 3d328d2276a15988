"""Populating a level: loot on the floors and agents from the spawn groups."""

from __future__ import annotations

import numpy as np

from levels.level import AgentSpawn, ItemStats, PlacedItem
from levels.loot import draw_kinds, sample_items
from levels.params import KEY_KIND, LevelParams, SpawnGroup
from levels.reach import bfs_distances
from levels.tiles import PASSABLE, Tile


def place_loot(rng: np.random.Generator, params: LevelParams, tiles: np.ndarray,
               occupied: np.ndarray) -> list[PlacedItem]:
    """Scatter items on plain floor cells: per floor, density x walkable cells of them.

    The density is drawn per floor from ``loot.density``; kinds by weight. Items take
    distinct free cells (so a crowded floor may get fewer than asked).
    """
    kinds = {name: kind for name, kind in params.loot.all_kinds().items() if kind.weight > 0}
    names = list(kinds)
    items: list[PlacedItem] = []
    low, high = params.loot.density
    for f in range(tiles.shape[0]):
        walkable = int(PASSABLE[tiles[f]].sum())
        density = float(rng.uniform(low, high)) if high > low else low
        free = np.argwhere((tiles[f] == Tile.FLOOR) & ~occupied[f])
        count = min(int(round(density * walkable)), len(free))
        if count == 0 or not names:
            continue
        cells = free[np.sort(rng.choice(len(free), size=count, replace=False))]
        stats = sample_items(rng, names, kinds, draw_kinds(rng, kinds, count))
        for (y, x), item in zip(cells, stats, strict=True):
            occupied[f, y, x] = True
            items.append(PlacedItem(f, int(y), int(x), item))
    return items


def key_items(keys: list[tuple[int, int, int, int]]) -> list[PlacedItem]:
    """Key items for ``(floor, y, x, lock_id)`` placements."""
    return [
        PlacedItem(f, y, x, ItemStats(kind="key", category=KEY_KIND.category, key_id=lock))
        for f, y, x, lock in keys
    ]


def place_agents(rng: np.random.Generator, params: LevelParams, tiles: np.ndarray,
                 entry: tuple[int, int, int], arrivals: list[list[tuple[int, int]]],
                 occupied: np.ndarray) -> list[AgentSpawn]:
    """Create the agents of every spawn group, in group order, floor by floor.

    The first agent of the hero faction stands on the entry. Others take free plain
    cells at least ``min_entry_distance`` steps from where one arrives on that floor
    (the entry on floor 0, the stairs up below); when too few cells are that far,
    the farthest free cells are used.
    """
    kinds = params.loot.all_kinds()
    agents: list[AgentSpawn] = []
    taken = np.zeros(tiles.shape, dtype=bool)
    distances = [bfs_distances(PASSABLE[tiles[f]], arrivals[f]) for f in range(tiles.shape[0])]
    hero_placed = False
    for group in params.spawns:
        floors = group.floors or list(range(tiles.shape[0]))
        for f in floors:
            count = int(rng.integers(group.count[0], group.count[1] + 1))
            for _ in range(count):
                if group.faction == params.rules.hero_faction and not hero_placed:
                    cell = entry
                    hero_placed = True
                else:
                    cell = _free_cell(rng, tiles, occupied | taken, distances, f, group.min_entry_distance)
                    if cell is None:
                        break
                taken[cell] = True
                agents.append(_make_agent(rng, group, cell, kinds))
    return agents


def _free_cell(rng: np.random.Generator, tiles: np.ndarray, blocked: np.ndarray,
               distances: list[np.ndarray], f: int, min_distance: int) -> tuple[int, int, int] | None:
    free = (tiles[f] == Tile.FLOOR) & ~blocked[f]
    far = free & (distances[f] >= min_distance)
    cells = np.argwhere(far)
    if len(cells) == 0:
        cells = np.argwhere(free)
        if len(cells) == 0:
            return None
        farthest = distances[f][cells[:, 0], cells[:, 1]].max()
        cells = cells[distances[f][cells[:, 0], cells[:, 1]] == farthest]
    y, x = cells[rng.integers(len(cells))]
    return (f, int(y), int(x))


def _make_agent(rng: np.random.Generator, group: SpawnGroup, cell: tuple[int, int, int],
                kinds: dict) -> AgentSpawn:
    depth = 1.0 + group.depth_scaling * cell[0]

    def draw(bounds: tuple[int, int]) -> int:
        return int(rng.integers(bounds[0], bounds[1] + 1))

    max_hp = max(1, int(round(draw(group.hp) * depth)))
    atk = int(round(draw(group.atk) * depth))
    defense, dex = draw(group.defense), draw(group.dex)
    names = list(group.items)
    items = sample_items(rng, names, {n: kinds[n] for n in names}, np.arange(len(names))) if names else []
    return AgentSpawn(group.faction, *cell, max_hp=max_hp, atk=atk, defense=defense, dex=dex, items=tuple(items))
