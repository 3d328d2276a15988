"""Hand-built levels from text, for rules tests, examples and designers' experiments.

>>> level = make_level(["#####", "#...#", "#####"],
...                    agents=[spawn("hero", 1, 1), spawn("monsters", 1, 3)])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from levels.level import AgentSpawn, ItemStats, Level, PlacedItem
from levels.params import FactionParams, FloorsParams, LevelParams, RulesParams
from levels.tiles import TILE_CHARS

_CHAR_TO_TILE = {char: int(tile) for tile, char in TILE_CHARS.items()}


def spawn(faction: str, y: int, x: int, floor: int = 0, hp: int = 20, atk: int = 3,
          defense: int = 3, dex: int = 3, items: Sequence[ItemStats] = ()) -> AgentSpawn:
    """An agent spawn with DeepCrawl's default stats."""
    return AgentSpawn(faction, floor, y, x, hp, atk, defense, dex, tuple(items))


def item(category: str, **attributes: int) -> ItemStats:
    """An item of ``category`` with the given attributes (the kind name is the category)."""
    return ItemStats(kind=category, category=category, **attributes)


def scenario_params(shape: tuple[int, int, int], max_turns: int = 100,
                    factions: Mapping[str, FactionParams] | None = None,
                    water_turns: int = 1, lava_damage: int = 3) -> LevelParams:
    """Parameters for a hand-built level: no spawn groups (the level defines the agents)."""
    floors, height, width = shape
    return LevelParams(
        name="scenario",
        floors=FloorsParams(count=floors, width=width, height=height),
        rules=RulesParams(max_turns=max_turns, water_turns=water_turns, lava_damage=lava_damage),
        factions=dict(factions) if factions else {"hero": FactionParams(), "monsters": FactionParams()},
        spawns=[],
    )


def make_level(floors: Sequence[str] | Sequence[Sequence[str]], agents: Sequence[AgentSpawn] = (),
               items: Sequence[tuple[int, int, int, ItemStats]] = (),
               locks: Mapping[tuple[int, int, int], int] | None = None,
               params: LevelParams | None = None, goals: Mapping[str, str] | None = None,
               **param_options: object) -> Level:
    """A level from rows of tile characters (one list of rows per floor).

    ``items`` are ``(floor, y, x, ItemStats)``; ``locks`` maps a locked door's cell to its
    lock id (locked doors without an entry get lock id 1). ``goals`` maps factions to
    their goal (default: every faction plays ``eliminate``); ``E`` cells are exits.
    """
    if floors and isinstance(floors[0], str):
        floors = [floors]  # type: ignore[list-item]
    tiles = np.array([[[_CHAR_TO_TILE[c] for c in row] for row in rows] for rows in floors],
                     dtype=np.uint8)
    lock_arr = np.zeros(tiles.shape, np.int16)
    lock_arr[tiles == _CHAR_TO_TILE["L"]] = 1
    for cell, lock in (locks or {}).items():
        lock_arr[cell] = lock
    params = params or scenario_params(tiles.shape, **param_options)  # type: ignore[arg-type]
    placed = tuple(PlacedItem(f, y, x, stats) for f, y, x, stats in items)
    entry = (agents[0].floor, agents[0].y, agents[0].x) if agents else (0, 1, 1)
    return Level(params, 0, tiles, lock_arr, placed, tuple(agents), entry,
                 ("scenario",) * tiles.shape[0], dict(goals or {}))
