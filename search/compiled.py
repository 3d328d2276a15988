"""The compiled Hebbian navigator behind the benchmark's :class:`~search.navigator.Navigator` interface.

It keeps the same flat arrays the game keeps per agent (known codes, ``conf``, ``fails``,
``cut``; see :mod:`search.grid_nav`) and calls the same kernels, so ``nav-bench`` tests
the navigator the game runs. Several navigators may share one :class:`NavMemory` (team memory).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search.grid_learn import learn_move, sense_many
from search.grid_nav import (
    F_TIE_GOAL,
    F_UNKNOWN_STAIRS,
    MOVE_STAIRS,
    NO_MOVE,
    P_UNKNOWN,
    NavParams,
    new_scratch,
    route_to,
)
from search.moves import DIRECTIONS, STAIRS, WAIT, Cell
from search.navigator import Navigator, Observation

#: Extra cost of a cell a move just failed into with no cause seen (someone stands there):
#: a way round up to this much longer is taken, else the agent pushes on.
BLOCKED_DETOUR = 12.0


@dataclass
class NavMemory:
    """What one agent (or a team) knows and has learned, as flat arrays over the cells."""

    shape: tuple[int, int, int]
    known: np.ndarray  # uint8 [N]: 0 unseen, 1 + tile
    conf: np.ndarray  # float32 [N]: reliability of entering the cell
    fails: np.ndarray  # uint8 [N]: closed sightings of a door in a row
    cut: np.ndarray  # int32 [N]: a door is not planned through before this tick

    @classmethod
    def empty(cls, shape: tuple[int, int, int]) -> NavMemory:
        """Nothing known yet for a grid of ``(floors, height, width)``."""
        n = int(np.prod(shape))
        return cls(shape, np.zeros(n, np.uint8), np.ones(n, np.float32), np.zeros(n, np.uint8),
                   np.zeros(n, np.int32))


@dataclass(frozen=True)
class CompiledOptions:
    """Which parts of the navigator are on (the ablations switch them off)."""

    params: NavParams = NavParams()
    learning: bool = True  # door reliability, re-admission of cut doors, move confidence
    tie_goal: bool = False  # equal routes to the goal's side instead of direction order
    door_prior: float = 0.5  # reliability of a closed door never seen open
    follow_goal: bool = True  # place-percept memory: the cells the goal was seen on are walkable
    chase_unknown: float = 1.0  # cost of unseen cells once the goal has moved (a chase)
    # place-percept memory of the goal's trail: a cell the goal was seen to walk on is a
    # proven passage towards it, priced this much below a cell merely believed open
    trail_discount: float = 0.2


class CompiledHebbianNavigator(Navigator):
    """The Hebbian navigator of :mod:`search.grid_nav` on the benchmark's interface."""

    name = "hebbian"

    def __init__(self, shape: tuple[int, int, int], options: CompiledOptions | None = None,
                 memory: NavMemory | None = None) -> None:
        self.shape = shape
        self.options = options or CompiledOptions()
        self.memory = memory or NavMemory.empty(shape)
        F, H, W = shape
        self.plane, self.width = H * W, W
        p = self.options.params
        if not self.options.learning:
            # D* Lite's door model: a door seen shut stays shut until seen open, no reliability
            p = p._replace(beta=0.0, readmit=0.0, wait=0.0, backoff=1e9, eta=0.0, eta_door=0.0)
        self._P = p.vector()
        self._flags = F_UNKNOWN_STAIRS | (F_TIE_GOAL if self.options.tie_goal else 0)
        self._scratch = new_scratch(F * H * W)
        self._extra = np.zeros(F * H * W, np.float32)  # no other agents in the benchmark
        self._goal = np.zeros(1, np.int64)
        self._goal_value = np.zeros(1, np.float64)
        self._tick = 0
        self._expect: tuple[int, int] | None = None
        self._last_goal = -1
        self._first_goal = -1
        self._chasing = False  # (cell before the move, cell aimed at)
        self._blocked_cell = -1  # the cell a move last failed into for no reason seen
        self._blocked_runs = 0
        self._blocked_until = 0

    def _node(self, cell: Cell) -> int:
        f, y, x = cell
        return f * self.plane + y * self.width + x

    def observe(self, obs: Observation) -> None:
        """Record what is sensed and learn from whether the last move worked."""
        m, P = self.memory, self._P
        self._tick = obs.time
        learn = self.options.learning
        if obs.cells:
            cells = np.asarray(obs.cells, np.int64).reshape(-1, 3)
            nodes = cells[:, 0] * self.plane + cells[:, 1] * self.width + cells[:, 2]
            codes = np.asarray(obs.tiles, np.uint8) + np.uint8(1)
            sense_many(m.known, m.conf, m.fails, m.cut, nodes, codes, obs.time, P, self.plane,
                       self.options.door_prior, learn)
        if self._expect is not None and learn:
            before, aimed = self._expect
            here = self._node(obs.position)
            if here == aimed:
                learn_move(m.conf, m.fails, aimed, True, P)
            elif here == before and int(m.known[aimed]) - 1 not in (-1, 0, 3, 4):
                # the cell is not a wall or a closed door, yet the move failed: unexplained
                # (in a concurrent scenario, someone stands there). Learn it, and go round it
                # for a while if there is a way round: a back-off that doubles with each
                # failure in a row, as for a door seen shut
                learn_move(m.conf, m.fails, aimed, False, P)
                self._blocked_runs = self._blocked_runs + 1 if aimed == self._blocked_cell else 1
                self._blocked_cell = aimed
                self._blocked_until = obs.time + 2 ** min(self._blocked_runs, 6)
        if self._blocked_cell >= 0:
            self._extra[self._blocked_cell] = BLOCKED_DETOUR if obs.time < self._blocked_until else 0.0
        self._expect = None

    def _follow_goal(self, goal: int) -> None:
        """A goal that steps to a neighbouring cell shows both cells walkable (its trail).

        Trail cells also cost ``trail_discount`` less to enter: of two routes equally long,
        the one the goal was seen to walk is sure to be open.
        """
        last = self._last_goal
        self._last_goal = goal
        if last < 0 or last == goal or last // self.plane != goal // self.plane:
            return
        ra, rb = last % self.plane, goal % self.plane
        if max(abs(ra // self.width - rb // self.width), abs(ra % self.width - rb % self.width)) != 1:
            return
        for n in (last, goal):
            if self.memory.known[n] == 0:
                self.memory.known[n] = 2  # 1 + floor: walked on, so walkable
            if self._extra[n] == 0.0:
                self._extra[n] = -self.options.trail_discount

    def next_step(self, position: Cell, goal: Cell | None) -> int:
        """The first move of the cheapest route to ``goal`` over the known map."""
        if goal is None or position == goal:
            return WAIT
        start = self._node(position)
        self._goal[0] = self._node(goal)
        if self._first_goal < 0:
            self._first_goal = int(self._goal[0])
        elif self._first_goal != self._goal[0] and not self._chasing:
            # a moving goal: every route's far end is a guess, so unseen cells are not
            # priced as risky detours any more
            self._chasing = True
            self._P[P_UNKNOWN] = self.options.chase_unknown
        if self.options.follow_goal:
            self._follow_goal(int(self._goal[0]))
        m = self.memory
        move, _ = route_to(m.known, m.conf, m.cut, self._extra, self.plane, self.width, start, self._goal,
                           self._goal_value, self._tick, self._P, self._flags, self._scratch)
        if move == NO_MOVE:
            return WAIT
        if move == MOVE_STAIRS:
            aimed = start + self.plane if m.known[start] - 1 == 5 else start - self.plane
            self._expect = (start, aimed)
            return STAIRS
        dy, dx = DIRECTIONS[move]
        self._expect = (start, start + dy * self.width + dx)
        return int(move)

    def graph_size(self) -> tuple[int, int]:
        """Cells known, and cells whose reliability has been learned away from 1."""
        m = self.memory
        return int(np.count_nonzero(m.known)), int(np.count_nonzero(m.conf != 1.0))


__all__ = ["CompiledHebbianNavigator", "CompiledOptions", "NavMemory"]
