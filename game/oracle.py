"""A full-knowledge test hero: plays a level's escape or fetch goal with shortest paths.

It knows the whole level (no field of view), plans with Dijkstra over every floor and
the stairs that link them (:func:`scipy.sparse.csgraph.dijkstra`), walks around lava,
opens doors, picks up the keys of locked doors it must pass, and acts only through
:meth:`game.batch.BatchedSim.step`, so a level it solves is solvable under the real
rules. It is a yardstick for the generator's guarantees ("every exit and artifact is
reachable in time"), not an NPC: it ignores enemies, so levels are played with the
monsters removed (:func:`without_enemies`).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from game.actions import DIRECTIONS, INTERACT, MOVE_FIRST, WAIT
from game.batch import BatchedSim
from game.state import ARTIFACT, ARTIFACTS, FLOOR, I_CAT, I_F, I_KEY, I_LOC, I_X, I_Y, KEY, LOC_FLOOR, WAIT_LEFT, X, Y
from levels.level import Level
from levels.tiles import WALKABLE, Tile

_DOORS = (Tile.DOOR_OPEN, Tile.DOOR_CLOSED, Tile.DOOR_LOCKED)


class OracleResult(NamedTuple):
    """How one oracle episode ended."""

    won: bool
    cause: str
    turns: int


def without_enemies(level: Level) -> Level:
    """``level`` with only the hero faction's spawns (the entry stays where it is)."""
    hero = level.params.rules.hero_faction
    return dataclasses.replace(level, spawns=tuple(s for s in level.spawns if s.faction == hero))


class OracleHero:
    """Shortest-path play of the hero's goal in world 0 of a one-world simulator.

    Args:
        sim: a :class:`BatchedSim` with one world, already reset.
        slot: the hero's agent slot.
    """

    def __init__(self, sim: BatchedSim, slot: int = 0) -> None:
        self.sim = sim
        self.slot = slot
        self.faction = sim.layout.factions[int(sim.world.ag[0, slot, 2])]
        self.goal = sim.goals()[self.faction]
        self.plan: list[tuple[int, int, int]] = []
        self._keys_held = -1

    # ---------------------------------------------------------------- planning

    def _graph(self, open_locks: set[int]) -> coo_matrix:
        """Move graph over every cell: steps (diagonals as the rules allow) and stairs."""
        w = self.sim.world
        tiles = w.tiles[0]
        locks = w.locks[0]
        F, H, Wd = tiles.shape
        water = int(self.sim.config.rules[1])
        enter = np.isin(tiles, [t for t in range(len(Tile)) if WALKABLE[t]]) | (tiles == Tile.DOOR_CLOSED)
        enter |= (tiles == Tile.DOOR_LOCKED) & np.isin(locks, sorted(open_locks))
        enter &= tiles != Tile.LAVA
        walk_now = WALKABLE[tiles]
        cost = np.where(np.isin(tiles, [Tile.DOOR_CLOSED, Tile.DOOR_LOCKED]), 2.0, 1.0)
        cost = np.where(tiles == Tile.WATER, 1.0 + water, cost)
        door = np.isin(tiles, _DOORS)
        rows, cols, vals = [], [], []
        idx = np.arange(F * H * Wd).reshape(F, H, Wd)
        for dy, dx in DIRECTIONS:
            y0, y1 = max(0, -dy), H - max(0, dy)
            x0, x1 = max(0, -dx), Wd - max(0, dx)
            src = (slice(None), slice(y0, y1), slice(x0, x1))
            dst = (slice(None), slice(y0 + dy, y1 + dy), slice(x0 + dx, x1 + dx))
            ok = enter[src] & enter[dst]
            if dy and dx:  # no diagonal through doors, no squeezing between two blocked cells
                ok &= ~door[src] & ~door[dst]
                side_a = walk_now[:, y0 + dy:y1 + dy, x0:x1]
                side_b = walk_now[:, y0:y1, x0 + dx:x1 + dx]
                ok &= side_a | side_b
            rows.append(idx[src][ok])
            cols.append(idx[dst][ok])
            vals.append(cost[dst][ok])
        down = np.argwhere(tiles[:-1] == Tile.STAIRS_DOWN)
        for f, y, x in down:
            a, b = idx[f, y, x], idx[f + 1, y, x]
            rows += [np.array([a]), np.array([b])]
            cols += [np.array([b]), np.array([a])]
            vals += [np.array([1.0]), np.array([1.0])]
        n = F * H * Wd
        return coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))

    def _targets(self) -> list[tuple[int, int, int]]:
        w = self.sim.world
        me = w.ag[0, self.slot]
        if self.goal == "fetch" and me[ARTIFACTS] == 0:
            return [(int(r[I_F]), int(r[I_Y]), int(r[I_X])) for r in w.it[0]
                    if r[I_CAT] == ARTIFACT and r[I_LOC] == LOC_FLOOR]
        return [tuple(int(v) for v in c) for c in np.argwhere(w.tiles[0] == Tile.EXIT)]

    def _replan(self) -> None:
        w = self.sim.world
        me = w.ag[0, self.slot]
        held = {int(r[I_KEY]) for r in w.it[0] if r[I_CAT] == KEY and r[5] == self.slot}
        graph = self._graph(held)
        F, H, Wd = w.tiles.shape[1:]
        start = (int(me[FLOOR]) * H + int(me[Y])) * Wd + int(me[X])
        dist, pred = dijkstra(graph, indices=start, return_predecessors=True)
        goals = self._targets()
        if not any(np.isfinite(dist[(f * H + y) * Wd + x]) for f, y, x in goals):
            goals = [(int(r[I_F]), int(r[I_Y]), int(r[I_X])) for r in w.it[0]
                     if r[I_CAT] == KEY and r[I_LOC] == LOC_FLOOR]
        cells = [(f * H + y) * Wd + x for f, y, x in goals]
        reachable = [c for c in cells if np.isfinite(dist[c])]
        self.plan = []
        if not reachable:
            return
        node = min(reachable, key=lambda c: dist[c])
        path = []
        while node != start and node >= 0:
            path.append(node)
            node = pred[node]
        self.plan = [(c // (H * Wd), c // Wd % H, c % Wd) for c in reversed(path)]
        self._keys_held = int(me[15])

    # ---------------------------------------------------------------- acting

    def action(self) -> int:
        """The hero's next action."""
        w = self.sim.world
        me = w.ag[0, self.slot]
        if me[WAIT_LEFT] > 0:
            return WAIT
        here = (int(me[FLOOR]), int(me[Y]), int(me[X]))
        if self.plan and self.plan[0] == here:
            self.plan.pop(0)
        if not self.plan or int(me[15]) != self._keys_held or not self._adjacent(here, self.plan[0]):
            self._replan()
        if not self.plan:
            return WAIT
        f, y, x = self.plan[0]
        if f != here[0]:
            return INTERACT
        if w.tiles[0, f, y, x] in (Tile.DOOR_CLOSED, Tile.DOOR_LOCKED):
            return INTERACT
        d = [tuple(v) for v in DIRECTIONS.tolist()].index((y - here[1], x - here[2]))
        return MOVE_FIRST + d

    @staticmethod
    def _adjacent(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
        if a[0] != b[0]:
            return (a[1], a[2]) == (b[1], b[2])
        return max(abs(a[1] - b[1]), abs(a[2] - b[2])) == 1


def play_goal(level: Level, max_turns: int | None = None) -> OracleResult:
    """Play ``level`` (enemies removed) with the oracle hero until the episode ends."""
    level = without_enemies(level)
    sim = BatchedSim(level.params, 1, seed=0, levels=[level], threads=1, max_turns=max_turns)
    sim.reset()
    hero = OracleHero(sim)
    actions = np.zeros((1, sim.num_agents), np.int32)
    while True:
        actions[0, hero.slot] = hero.action()
        _, _, _, _, info = sim.step(actions)
        if info["finished"][0]:
            from game.goals import cause_name

            return OracleResult(bool(info["winner"][0] == 0), cause_name(info["cause"][0]),
                                int(info["episode_length"][0]))
