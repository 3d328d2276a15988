"""Per-episode measurements over a batched simulation: movement, exploration, first contact.

:class:`EpisodeMeter` reads a :class:`game.batch.BatchedSim`'s state after every step
(it never changes it) and keeps, per world and faction, for the episode under way:

* moving turns: turns on which a living agent's cell (floor, y, x) changed;
* undoing moves: moving turns on which the agent stepped back onto the cell it left on its
  previous moving turn (A, then B, then back to A: the second move undoes the first);
* explored cells: the distinct cells the faction's agents stood on (the start cells
  included), and the level's passable cells (walkable or a door) at the start, to make a share;
* first contact: for every ordered pair of factions (observer, target), the first turn on
  which a living agent of the observer's faction had a living agent of the target's in its
  field of view (same floor, the cell lit in ``World.fov``). Looked for after each turn is
  played and, unless ``contact_at_start`` is off, in the start state (turn 0): agents that
  see each other from the start and fight it out on turn 1 made contact at 0, not never.

When a world finishes an episode its figures become an :class:`EpisodeRecord`; when the
simulator auto-resets it, the world starts over from the new episode's start state.
The work per step is one numba pass over the worlds being measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from game.state import ALIVE, FACTION, FLOOR, W_TURN, X, Y
from levels.tiles import PASSABLE


@njit(cache=True)
def _track(ag: np.ndarray, fov: np.ndarray, turn: np.ndarray, which: np.ndarray, G: int, H: int, W: int,
           pos: np.ndarray, prev: np.ndarray, moving: np.ndarray, undo: np.ndarray, contact: np.ndarray,
           visited: np.ndarray, explored: np.ndarray) -> None:  # pragma: no cover - compiled
    """Fold one played turn of the worlds in ``which`` into the running figures."""
    B, A = ag.shape[0], ag.shape[1]
    K = moving.shape[1]
    for b in range(B):
        if not which[b]:
            continue
        for a in range(A):
            f = ag[b, a, FACTION]
            alive = ag[b, a, ALIVE] != 0
            if f < 0 or f >= K or not alive:
                pos[b, a] = -1
                continue
            cell = ag[b, a, FLOOR] * H * W + ag[b, a, Y] * W + ag[b, a, X]
            if pos[b, a] >= 0 and cell != pos[b, a]:
                moving[b, f] += 1
                if cell == prev[b, a]:
                    undo[b, f] += 1
                prev[b, a] = pos[b, a]
            pos[b, a] = cell
            if visited[b, f, cell] == 0:
                visited[b, f, cell] = 1
                explored[b, f] += 1
    _contacts(ag, fov, turn, which, G, contact)


@njit(cache=True)
def _contacts(ag: np.ndarray, fov: np.ndarray, turn: np.ndarray, which: np.ndarray, G: int,
              contact: np.ndarray) -> None:  # pragma: no cover - compiled
    """Note ``turn[b]`` for every (observer, target) faction pair that sees each other for the first time."""
    B, A = ag.shape[0], ag.shape[1]
    K = contact.shape[1]
    for b in range(B):
        if not which[b]:
            continue
        for o in range(A):
            fo = ag[b, o, FACTION]
            if fo < 0 or fo >= K or ag[b, o, ALIVE] == 0:
                continue
            for t in range(A):
                ft = ag[b, t, FACTION]
                if ft < 0 or ft >= K or ft == fo or contact[b, fo, ft] >= 0 or ag[b, t, ALIVE] == 0:
                    continue
                if ag[b, t, FLOOR] != ag[b, o, FLOOR]:
                    continue
                dy = ag[b, t, Y] - ag[b, o, Y]
                dx = ag[b, t, X] - ag[b, o, X]
                if abs(dy) <= G and abs(dx) <= G and fov[b, o, G + dy, G + dx] > 0:
                    contact[b, fo, ft] = turn[b]


@njit(cache=True)
def _restart(ag: np.ndarray, tiles: np.ndarray, passable: np.ndarray, which: np.ndarray, H: int, W: int,
             pos: np.ndarray, prev: np.ndarray, moving: np.ndarray, undo: np.ndarray, contact: np.ndarray,
             visited: np.ndarray, explored: np.ndarray, cells: np.ndarray) -> None:  # pragma: no cover
    """Start the worlds in ``which`` over from their current (start) state."""
    B, A = ag.shape[0], ag.shape[1]
    K = contact.shape[1]
    for b in range(B):
        if not which[b]:
            continue
        moving[b, :] = 0
        undo[b, :] = 0
        contact[b, :, :] = -1
        visited[b, :, :] = 0
        explored[b, :] = 0
        n = 0
        for f in range(tiles.shape[1]):
            for y in range(tiles.shape[2]):
                for x in range(tiles.shape[3]):
                    n += passable[tiles[b, f, y, x]]
        cells[b] = n
        for a in range(A):
            prev[b, a] = -1
            pos[b, a] = -1
            f = ag[b, a, FACTION]
            if f < 0 or f >= K or ag[b, a, ALIVE] == 0:
                continue
            cell = ag[b, a, FLOOR] * H * W + ag[b, a, Y] * W + ag[b, a, X]
            pos[b, a] = cell
            if visited[b, f, cell] == 0:
                visited[b, f, cell] = 1
                explored[b, f] += 1


@dataclass
class EpisodeRecord:
    """One finished episode's measurements; per-faction lists follow the level's faction order."""

    world: int
    winner: int  # faction index, -1 for a draw
    cause: int  # game.state.CAUSES index
    length: int  # turns played
    moving: list[int]  # moving turns per faction
    undo: list[int]  # of those, moves back onto the cell left on the previous moving turn
    explored: list[int]  # distinct cells stood on per faction
    passable_cells: int  # the level's passable cells at the start
    contact: list[list[int]]  # [observer][target]: first turn seen, -1 never
    alive_end: list[int]  # living agents per faction when it ended

    def first_contact(self, faction: int) -> int:
        """The first turn ``faction`` saw an enemy or was seen by one (-1: never)."""
        turns = [t for g, row in enumerate(self.contact) for h, t in enumerate(row)
                 if t >= 0 and g != h and faction in (g, h)]
        return min(turns) if turns else -1


class EpisodeMeter:
    """Measures every world's episodes on a :class:`game.batch.BatchedSim` while it is played.

    Call :meth:`begin` after ``sim.reset()`` and :meth:`observe` with the ``info`` of every
    ``sim.step``; ``observe`` returns the records of the episodes that ended on that step.
    ``active`` (bool ``[B]``) limits the work to the worlds whose episodes still count.
    ``contact_at_start``: look for first contact in the start state too (turn 0).
    """

    def __init__(self, sim: Any, contact_at_start: bool = True) -> None:
        self.sim = sim
        self.contact_at_start = contact_at_start
        B, A = sim.num_worlds, sim.num_agents
        F, H, W = sim.shape
        self.K = len(sim.layout.factions)
        self.G = int(sim.fov_grid // 2)
        self.pos = np.full((B, A), -1, np.int64)
        self.prev = np.full((B, A), -1, np.int64)
        self.moving = np.zeros((B, self.K), np.int64)
        self.undo = np.zeros((B, self.K), np.int64)
        self.contact = np.full((B, self.K, self.K), -1, np.int64)
        self.visited = np.zeros((B, self.K, F * H * W), np.uint8)
        self.explored = np.zeros((B, self.K), np.int64)
        self.cells = np.zeros(B, np.int64)
        self._passable = PASSABLE.astype(np.int64)

    def _restart(self, which: np.ndarray) -> None:
        w = self.sim.world
        _, H, W = self.sim.shape
        _restart(w.ag, w.tiles, self._passable, which, H, W, self.pos, self.prev, self.moving, self.undo,
                 self.contact, self.visited, self.explored, self.cells)
        if self.contact_at_start:
            _contacts(w.ag, w.fov, np.ascontiguousarray(w.wi[:, W_TURN]), which, self.G, self.contact)

    def begin(self) -> None:
        """Start every world over from the current state (right after ``sim.reset()``)."""
        self._restart(np.ones(self.sim.num_worlds, np.bool_))

    def observe(self, info: dict[str, np.ndarray], active: np.ndarray | None = None) -> list[EpisodeRecord]:
        """Fold in the step just played; the records of ``active`` worlds that finished on it."""
        B = self.sim.num_worlds
        active = np.ones(B, np.bool_) if active is None else np.asarray(active, np.bool_)
        reset = np.asarray(info["reset"], np.bool_)
        if (reset & active).any():
            self._restart(reset & active)
        played = active & ~reset
        if played.any():
            w = self.sim.world
            _, H, W = self.sim.shape
            turn = np.ascontiguousarray(w.wi[:, W_TURN])
            _track(w.ag, w.fov, turn, played, self.G, H, W, self.pos, self.prev, self.moving, self.undo,
                   self.contact, self.visited, self.explored)
        finished = np.flatnonzero(np.asarray(info["finished"], np.bool_) & active)
        return [self.record(int(b), info) for b in finished]

    def record(self, b: int, info: dict[str, np.ndarray]) -> EpisodeRecord:
        """World ``b``'s figures for the episode that just ended (``info``: the step's)."""
        ag = self.sim.world.ag[b]
        alive = [int(((ag[:, FACTION] == f) & (ag[:, ALIVE] != 0)).sum()) for f in range(self.K)]
        return EpisodeRecord(
            world=b, winner=int(info["winner"][b]), cause=int(info["cause"][b]),
            length=int(info["episode_length"][b]), moving=self.moving[b].tolist(), undo=self.undo[b].tolist(),
            explored=self.explored[b].tolist(), passable_cells=int(self.cells[b]),
            contact=self.contact[b].tolist(), alive_end=alive)
