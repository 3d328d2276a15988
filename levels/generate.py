"""``generate(params, seed) -> Level``: the whole pipeline from parameters to a level.

Per floor: choose a generator from the mix, carve, make the stairs from the floor
above walkable, join every region (:func:`levels.connect.connect_regions`), pick the
stairs down, then doors and hazard pools. Then, over the whole level: the factions'
goals with their exits and artifact (:mod:`levels.goals`), locks and their keys, loot,
agents.

Each floor draws from its own random stream (``SeedSequence(seed).spawn``), the
level-wide steps from one more and the goals from another, so the same
``(params, seed)`` always gives the same level and no global random state is touched
(and a family without escape or fetch goals generates the same levels as before goals
existed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from levels.common.errors import ParamError
from levels.connect import connect_regions
from levels.features import assign_locks_and_keys, pick_stairs, place_doors, place_hazards
from levels.generators import get_generator
from levels.goals import draw_goals, place_artifact, place_exits
from levels.level import Level
from levels.params import LevelParams, load_params
from levels.population import key_items, place_agents, place_loot
from levels.tiles import Tile


def generate(params: LevelParams | str | Path, seed: int) -> Level:
    """Generate the level that ``seed`` picks from the family ``params`` describes.

    Args:
        params: a :class:`LevelParams`, a preset name or a TOML file path.
        seed: any non-negative integer.
    """
    params = load_params(params)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    count, height, width = params.floors.count, params.floors.height, params.floors.width
    streams = np.random.SeedSequence(int(seed)).spawn(count + 2)
    tiles = np.zeros((count, height, width), dtype=np.uint8)
    generators: list[str] = []
    arrivals: list[list[tuple[int, int]]] = []
    entry: tuple[int, int, int] = (0, 0, 0)
    stairs_above: list[tuple[int, int]] = []
    for f in range(count):
        rng = np.random.default_rng(streams[f])
        gen = params.floor_generation(f)
        name = _choose(rng, gen.generator)
        generators.append(name)
        walkable = get_generator(name)(rng, height, width, gen)
        for cell in stairs_above:
            walkable[cell] = True
        walkable = connect_regions(walkable, rng, gen.corridors.width)
        floor = np.where(walkable, Tile.FLOOR, Tile.WALL).astype(np.uint8)
        for cell in stairs_above:
            floor[cell] = Tile.STAIRS_UP
        if f == 0:
            cells = np.argwhere(walkable)
            y, x = cells[rng.integers(len(cells))]
            entry = (0, int(y), int(x))
            arrival = [entry[1:]]
        else:
            arrival = list(stairs_above)
        arrivals.append(arrival)
        stairs_below = pick_stairs(rng, floor, arrival, gen.stairs) if f < count - 1 else []
        for cell in stairs_below:
            floor[cell] = Tile.STAIRS_DOWN
        protected = arrival + stairs_below
        place_doors(rng, floor, gen.doors, protected)
        place_hazards(rng, floor, gen.hazards, protected)
        tiles[f] = floor
        stairs_above = stairs_below
    rng = np.random.default_rng(streams[count])
    goal_rng = np.random.default_rng(streams[count + 1])
    occupied = np.zeros(tiles.shape, dtype=bool)
    occupied[entry] = True
    goals = draw_goals(goal_rng, params)
    place_exits(goal_rng, params, tiles, arrivals, occupied)
    artifact = place_artifact(goal_rng, params, tiles, arrivals, occupied)
    locks, keys = assign_locks_and_keys(rng, tiles, entry, occupied)
    items = key_items(keys) + artifact + place_loot(rng, params, tiles, occupied)
    agents = place_agents(rng, params, tiles, entry, arrivals, occupied)
    return Level(params=params, seed=int(seed), tiles=tiles, locks=locks, items=tuple(items),
                 spawns=tuple(agents), entry=entry, generators=tuple(generators), goals=goals)


def _choose(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = list(weights)
    if len(names) == 1:
        return names[0]
    p = np.array([weights[n] for n in names], dtype=np.float64)
    return names[int(rng.choice(len(names), p=p / p.sum()))]
