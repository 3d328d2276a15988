"""D* Lite with the free-space assumption: the classic incremental baseline."""

from __future__ import annotations

from search.grid import Belief, GridIndex, successors, touching
from search.incremental import IncrementalPlanner
from search.moves import WAIT, Cell
from search.navigator import Navigator, Observation


class DStarLiteNavigator(Navigator):
    """Plans shortest routes on what it has sensed, assuming unknown cells are free.

    A cell seen blocked stays blocked until it is seen passable again (so a door that
    reopens out of sight is never retried). A new goal restarts the search. Agents run
    one after another may share a :class:`~search.grid.Belief` (a team map).
    """

    name = "dstar_lite"

    def __init__(self, shape: tuple[int, int, int], belief: Belief | None = None) -> None:
        self.grid = belief.grid if belief is not None else GridIndex(*shape)
        self.belief = belief or Belief(self.grid)
        self.planner = IncrementalPlanner(self.grid.size, self._successors, self.grid.chebyshev)
        self._pending: set[int] = set()

    def _successors(self, u: int):  # noqa: ANN202 - a hot generator
        for v, move in successors(self.grid, self.belief, u):
            yield v, move, 1.0

    def observe(self, obs: Observation) -> None:
        """Record sensed tiles; cells whose state changed are repaired at the next plan."""
        node, record, pending = self.grid.node, self.belief.record, self._pending
        for cell, tile in zip(obs.cells, obs.tiles, strict=True):
            for n in record(node(cell), tile):
                pending.update(touching(self.grid, n))

    def next_step(self, position: Cell, goal: Cell | None) -> int:
        """The first move of the shortest route believed to reach ``goal``."""
        if goal is None or position == goal:
            return WAIT
        start, target = self.grid.node(position), self.grid.node(goal)
        planner = self.planner
        if target != planner.goal:
            planner.reset(target, start)
            self._pending.clear()
        else:
            planner.move_start(start)
            if self._pending:
                planner.changed(self._pending)
                self._pending.clear()
        planner.compute()
        choice = planner.best_move()
        return WAIT if choice is None else choice[0]

    def graph_size(self) -> tuple[int, int]:
        """Cells sensed, and nodes with a finite route value in the search."""
        return self.belief.known_count(), sum(1 for v in self.planner.g if v != float("inf"))
