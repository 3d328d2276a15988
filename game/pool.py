"""A pool of levels compiled to arrays, drawn from by world resets.

Generating a level in Python for every finished episode would dominate at large batch
sizes, so a simulator keeps ``size`` levels: level ``k`` is generated (lazily, on first
use) from the ``k``-th seed derived from the simulator seed, and every reset draws the
level index with the world's own RNG. The sequence of levels and episodes therefore
depends only on the seed, whether levels were generated early or late.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from game.rng import seed_states
from game.slots import AgentLayout
from game.state import (
    ALIVE,
    ARTIFACT,
    ATK,
    CATEGORY_CODES,
    DEF,
    DEX,
    EQ,
    FACTION,
    FLOOR,
    GOAL_CODES,
    HP,
    I_CAT,
    I_DMIN,
    I_F,
    I_HOLDER,
    I_LOC,
    I_X,
    ITEM_ATTR_NAMES,
    KEY,
    KEYS,
    LOC_FLOOR,
    LOC_HELD,
    MAX_HP,
    PRESENT,
    Pool,
    X,
    Y,
    empty_agents,
    empty_items,
    grow_items,
    grow_kinds,
)
from levels.level import ItemStats, Level
from levels.params import LevelParams

_LEVEL_SEED_STREAM = 2


def _default_generate(params: LevelParams, seed: int) -> Level:
    try:
        from levels import generate
    except ImportError as exc:  # pragma: no cover - until levels.generate lands
        raise RuntimeError("levels.generate is not available; pass levels=[...] explicitly") from exc
    return generate(params, seed)


def item_value(category: int, attrs: Sequence[int]) -> int:
    """How good an item is; a strictly higher value replaces the carried one on pick-up.

    Weapons: damage_min + damage_max (twice the mean), ties broken by range. Potions:
    heal + (buff_atk + buff_def) * buff_turns. ``attrs`` are in ITEM_ATTR_NAMES order.
    The numba rules use the same formula.
    """
    if category in (KEY, ARTIFACT):
        return 0
    if category == CATEGORY_CODES["potion"]:
        return attrs[3] + (attrs[4] + attrs[5]) * attrs[6]
    return (attrs[0] + attrs[1]) * 1024 + attrs[2]


def item_kind_names(params: LevelParams) -> list[str]:
    """Item kinds in ``entity_kind`` order: id ``j + 1`` is the ``j``-th name here.

    The level's loot kinds in :meth:`levels.params.LootParams.all_kinds` order (the
    order the generator draws from), then ``"key"`` (keys are placed for locked doors,
    never drawn as loot). An item of any other kind name (hand-built levels) gets id 0.
    """
    return [*params.loot.all_kinds(), "key"]


class LevelPool:
    """``size`` levels for one simulator, compiled into :class:`~game.state.Pool` arrays."""

    def __init__(self, params: LevelParams, layout: AgentLayout, seed: int, size: int,
                 levels: Sequence[Level] | None = None,
                 generate: Callable[[LevelParams, int], Level] | None = None) -> None:
        self.params = params
        self.layout = layout
        self.shape = (params.floors.count, params.floors.height, params.floors.width)
        if levels:
            levels = list(levels)
            size = len(levels)
            for level in levels:
                if level.tiles.shape != self.shape:
                    raise ValueError(f"level tiles shape {level.tiles.shape} does not match "
                                     f"params.floors {self.shape}")
        if size < 1:
            raise ValueError(f"pool size must be at least 1, got {size}")
        self.size = size
        self.seeds = [int(s) for s in seed_states(seed, size, _LEVEL_SEED_STREAM) % (2**63)]
        self._generate = generate or _default_generate
        self.levels: list[Level | None] = list(levels) if levels else [None] * size
        self.ready = np.zeros(size, dtype=bool)
        F, H, W = self.shape
        A = layout.num_agents
        self.arrays = Pool(tiles=np.zeros((size, F, H, W), np.uint8),
                           locks=np.zeros((size, F, H, W), np.int16),
                           ag=empty_agents(size, A), it=empty_items(size, 0),
                           factions=np.zeros(size, np.int32), kind=np.zeros((size, 0), np.int32),
                           goal=np.zeros((size, len(layout.factions)), np.int32))
        self.kind_ids = {name: j + 1 for j, name in enumerate(item_kind_names(params))}
        if levels:
            self.ensure(np.arange(size))

    @property
    def item_capacity(self) -> int:
        """Item slots of the compiled arrays (grows as levels with more items compile)."""
        return int(self.arrays.it.shape[1])

    def grow(self, capacity: int) -> None:
        """Pad the item arrays to ``capacity`` slots."""
        self.arrays = self.arrays._replace(it=grow_items(self.arrays.it, capacity),
                                           kind=grow_kinds(self.arrays.kind, capacity))

    def ensure(self, indices: np.ndarray) -> None:
        """Generate and compile the levels at ``indices`` that are not ready yet."""
        for k in np.unique(indices[~self.ready[indices]]):
            level = self.levels[k]
            if level is None:
                level = self._generate(self.params, self.seeds[k])
                self.levels[k] = level
            self._compile(int(k), level)
            self.ready[k] = True

    def _compile(self, k: int, level: Level) -> None:
        a = self.arrays
        a.tiles[k] = level.tiles
        a.locks[k] = level.locks
        items: list[tuple[ItemStats, int, tuple[int, int, int]]] = [
            (p.item, -1, (p.floor, p.y, p.x)) for p in level.items
        ]
        seen = [0] * len(self.layout.factions)
        index = {name: f for f, name in enumerate(self.layout.factions)}
        ag = a.ag[k]
        ag[:] = empty_agents(1, ag.shape[0])[0]
        for spawn in level.spawns:
            f = index.get(spawn.faction)
            if f is None:
                raise ValueError(f"spawn faction {spawn.faction!r} is not in params.factions")
            if seen[f] >= self.layout.slots[f]:
                raise ValueError(f"level has more {spawn.faction!r} agents than the "
                                 f"{self.layout.slots[f]} slots the parameters allow")
            slot = self.layout.offset(f) + seen[f]
            seen[f] += 1
            row = ag[slot]
            row[[PRESENT, ALIVE, FACTION, FLOOR, Y, X]] = (1, 1, f, spawn.floor, spawn.y, spawn.x)
            row[[HP, MAX_HP]] = max(1, spawn.max_hp)
            row[[ATK, DEF, DEX]] = (spawn.atk, spawn.defense, spawn.dex)
            for stats in spawn.items:
                items.append((stats, slot, (spawn.floor, spawn.y, spawn.x)))
        if len(items) > self.item_capacity:
            self.grow(_round_up(len(items)))
            a = self.arrays
        it = a.it[k]
        it[:] = empty_items(1, it.shape[0])[0]
        a.kind[k] = 0
        for i, (stats, holder, cell) in enumerate(items):
            cat = CATEGORY_CODES[stats.category]
            if cat == ARTIFACT and holder >= 0:
                raise ValueError("an agent cannot start with the artifact")
            it[i, I_CAT] = cat
            a.kind[k, i] = self.kind_ids.get(stats.kind, 0)
            it[i, I_DMIN:] = [getattr(stats, name) for name in ITEM_ATTR_NAMES]
            it[i, I_F:I_X + 1] = cell
            if holder < 0:
                it[i, I_LOC] = LOC_FLOOR
            else:
                self._give(ag, it, holder, i, cat, cell)
        a.factions[k] = sum(1 for n in seen if n > 0)
        a.goal[k] = [GOAL_CODES[level.goal_of(name)] for name in self.layout.factions]

    @staticmethod
    def _give(ag: np.ndarray, it: np.ndarray, slot: int, i: int, cat: int,
              cell: tuple[int, int, int]) -> None:
        """Starting item ``i`` for ``slot``: like a pick-up (the worse one lies on the cell)."""
        it[i, I_LOC] = LOC_HELD
        it[i, I_HOLDER] = slot
        if cat == KEY:
            ag[slot, KEYS] += 1
            return
        old = ag[slot, EQ + cat]
        if old < 0 or item_value(cat, it[i, I_DMIN:]) > item_value(cat, it[old, I_DMIN:]):
            ag[slot, EQ + cat] = i
            loser = old
        else:
            loser = i
        if loser >= 0:
            it[loser, I_LOC] = LOC_FLOOR
            it[loser, I_HOLDER] = -1
            it[loser, I_F:I_X + 1] = cell


def _round_up(n: int, step: int = 8) -> int:
    return max(step, -(-n // step) * step)
