"""The Hebbian cognitive-graph navigator (after Baranski & Tani, "Life, uh, Finds a Way").

Acting on the graph mutates the graph. Nodes are places (cells), edges are moves
between them with a confidence ``w`` in [0, 1]:

* untried edges are optimistic: ``w_unknown`` into cells never seen, ``w_seen``
  between cells seen passable;
* a move that works strengthens its edge, ``w <- w + eta (1 - w)``;
* a move that fails cuts the target: a wall felt or seen is cut for good; a closed door
  (or a failure with no visible cause) is cut for a back-off of ``backoff * 2^(k-1)``
  steps after its k-th failure, then *forgotten* (it becomes unknown, hence optimistic)
  so the route through it is tried again: doors that reopen are found, and the search
  stays systematic (a goal reachable through doors is eventually reached);
* planning spreads activation from the goal over edge costs ``1 + beta (1 - w)``
  (:mod:`search.incremental`, repaired incrementally as the graph mutates), focused by
  the harmonic position code (:mod:`search.harmonic`) as the search heuristic.

Several navigators may share one :class:`CognitiveGraph` (a faction's team memory):
each keeps its own plan and reads the graph's change log.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from levels.tiles import Tile
from search.grid import UNKNOWN, Belief, GridIndex, successors, touching
from search.harmonic import HarmonicCode
from search.incremental import INF, Heuristic, IncrementalPlanner
from search.moves import WAIT, Cell
from search.navigator import Navigator, Observation

_CLOSED = (int(Tile.DOOR_CLOSED), int(Tile.DOOR_LOCKED))
HEURISTICS = ("harmonic", "chebyshev", "none")
_TIE = 1e-9  # route values closer than this are equal (sums of the same edge costs in another order)


@dataclass(frozen=True)
class HebbianParams:
    """Learning and planning constants of the Hebbian navigator.

    Attributes:
        eta: learning rate of a successful move.
        beta: how much low confidence lengthens an edge (cost ``1 + beta (1 - w)``).
        w_unknown: confidence of an untried edge touching a cell never seen.
        w_seen: confidence of an untried edge between cells seen passable.
        backoff: steps a closed door stays cut after its first failure (doubles after each repeat).
        doubt: extra cost, per failure so far, of a move into or out of a forgotten door:
            a door that failed k times is retried only when it saves more than ``k * doubt``.
        follow_goal: learn from the goal's own moves: a goal that steps from one cell to
            the next shows both passable and the move between them usable.
        heuristic: ``"harmonic"`` (the position code), ``"chebyshev"`` (exact grid
            geometry, for the ablation) or ``"none"`` (plain spreading activation).
        unknown_stairs: plan as if a cell never seen may hold stairs (the benchmark's
            optimistic model); off where stairs are seen before they are needed (the game).
        goal_ties: among moves whose routes are equally activated, take the one whose
            place code is nearest the goal's (the heuristic's distance to the goal);
            off: the first in direction order, as D* Lite does.
        moving_goal_by_length: once the goal has moved (a walk, a jump or a new goal), plan
            by route length alone (no confidence premium ``beta (1 - w)``) for the rest of
            this navigator's run. The premium buys reliability on the way to a fixed place;
            the places the agent knows were learned on the way to where the goal was, and
            a goal on the move makes the route's far end a guess, so the agent chases by
            length (see docs/navigation.md, "Moving goals", for what this costs and gains).
    """

    eta: float = 0.5
    beta: float = 0.3
    w_unknown: float = 0.5
    w_seen: float = 0.8
    backoff: int = 12
    doubt: float = 4.0
    follow_goal: bool = True
    heuristic: str = "harmonic"
    goal_ties: bool = True
    unknown_stairs: bool = True
    moving_goal_by_length: bool = True


class CognitiveGraph:
    """The learned graph: beliefs about places, edge confidences, cut doors and their back-offs."""

    def __init__(self, shape: tuple[int, int, int], params: HebbianParams | None = None) -> None:
        self.params = params or HebbianParams()
        self.grid = GridIndex(*shape)
        self.belief = Belief(self.grid, self.params.unknown_stairs)
        self.weights: dict[int, float] = {}
        self.failures: dict[int, int] = {}  # cut node -> failures in a row
        self.cut: set[int] = set()
        self._readmit: list[tuple[int, int]] = []  # (time, node), possibly stale
        self._due: dict[int, int] = {}  # cut node -> the time its current back-off ends
        self.log: list[int] = []  # nodes whose moves changed, read by every navigator
        self.time = 0

    # ------------------------------------------------------------------ mutation

    def sense(self, cells: list[Cell], tiles: list[int], time: int) -> None:
        """Take in sighted tiles (and felt ones: a bump is a sighting of what was hit)."""
        self.tick(time)
        node, record, grid, log = self.grid.node, self.belief.record, self.grid, self.log
        for cell, tile in zip(cells, tiles, strict=True):
            n = node(cell)
            changed = record(n, tile)
            if tile in _CLOSED:
                if n not in self.cut:
                    self._cut(n)
            elif changed and n in self.cut:
                self.cut.discard(n)  # seen passable again: the door reopened
                self.failures.pop(n, None)
                self._due.pop(n, None)
            for c in changed:
                log.extend(touching(grid, c))

    def tick(self, time: int) -> None:
        """Advance the clock; forget cuts whose back-off has run out."""
        self.time = max(self.time, time)
        while self._readmit and self._readmit[0][0] <= self.time:
            due, n = heapq.heappop(self._readmit)
            if self._due.get(n) == due:
                self._forget(n)

    def traversed(self, u: int, v: int) -> None:
        """The move from ``u`` to ``v`` worked: strengthen the edge."""
        key = self._key(u, v)
        w = self.weights.get(key)
        if w is None:
            w = self._default(u, v)
        self.weights[key] = w + self.params.eta * (1.0 - w)
        self.log.extend((u, v))

    def failed(self, v: int) -> None:
        """A move into ``v`` failed with no cause in sight: cut ``v`` for a back-off."""
        if v not in self.cut:
            self.belief.blocked[v] = 1
            self._cut(v)
            self.log.extend(touching(self.grid, v))

    def goal_moved(self, a: int, b: int) -> None:
        """The goal went from node ``a`` to node ``b``: if it was one move, learn that move."""
        grid = self.grid
        if a == b or b not in touching(grid, a):
            return  # a jump, not a walk: nothing learned about the way between
        tile, blocked = self.belief.tile, self.belief.blocked
        for n in (a, b):
            if tile[n] == UNKNOWN or blocked[n]:
                # someone walked here, so it is passable now (a door must be open)
                was_door = tile[n] in _CLOSED
                self.sense([grid.cell(n)], [int(Tile.DOOR_OPEN if was_door else Tile.FLOOR)], self.time)
        self.traversed(a, b)

    def _cut(self, n: int) -> None:
        self.cut.add(n)
        k = self.failures.get(n, 0) + 1
        self.failures[n] = k
        due = self.time + self.params.backoff * 2 ** (k - 1)
        self._due[n] = due
        heapq.heappush(self._readmit, (due, n))

    def _forget(self, n: int) -> None:
        if n not in self.cut:
            return
        self.cut.discard(n)
        self._due.pop(n, None)
        self.belief.tile[n] = UNKNOWN
        self.belief.blocked[n] = 0
        self.log.extend(touching(self.grid, n))

    # ------------------------------------------------------------------ reading

    def _key(self, u: int, v: int) -> int:
        return u * self.grid.size + v if u < v else v * self.grid.size + u

    def _default(self, u: int, v: int) -> float:
        tile = self.belief.tile
        return self.params.w_seen if tile[u] != UNKNOWN and tile[v] != UNKNOWN else self.params.w_unknown

    def confidence(self, u: int, v: int) -> float:
        """Confidence ``w`` of the edge between nodes ``u`` and ``v``."""
        w = self.weights.get(self._key(u, v))
        return self._default(u, v) if w is None else w

    def heuristic(self) -> Heuristic:
        """The planning heuristic the parameters name (a consistent metric)."""
        grid = self.grid
        fl, ro, co = grid.floor_of, grid.row_of, grid.col_of
        kind = self.params.heuristic
        if kind == "none":
            return lambda a, b: 0.0
        if kind == "chebyshev":
            return grid.chebyshev
        if kind != "harmonic":
            raise ValueError(f"heuristic must be one of {HEURISTICS}, got {kind!r}")
        table = _table(grid.height, grid.width)
        h0, w0 = grid.height - 1, grid.width - 1

        def harmonic(a: int, b: int) -> float:
            """The code's distance bound between two nodes, plus one per floor apart."""
            return max(0.0, table[ro[a] - ro[b] + h0][co[a] - co[b] + w0]) + abs(fl[a] - fl[b])

        return harmonic

    def size(self) -> tuple[int, int]:
        """``(nodes, edges)``: places seen and edges with learned confidence."""
        return self.belief.known_count(), len(self.weights)


_TABLES: dict[tuple[int, int], list[list[float]]] = {}


def _table(height: int, width: int) -> list[list[float]]:
    """The harmonic heuristic table for a map size (computed once per size)."""
    if (height, width) not in _TABLES:
        _TABLES[(height, width)] = HarmonicCode().heuristic_table(height, width)
    return _TABLES[(height, width)]


class HebbianNavigator(Navigator):
    """One agent's use of a (possibly shared) :class:`CognitiveGraph`."""

    name = "hebbian"

    def __init__(self, shape: tuple[int, int, int], params: HebbianParams | None = None,
                 graph: CognitiveGraph | None = None) -> None:
        self.graph = graph or CognitiveGraph(shape, params)
        if self.graph.grid.shape != tuple(shape):
            raise ValueError(f"shared graph has shape {self.graph.grid.shape}, navigator {tuple(shape)}")
        self.grid = self.graph.grid
        self.planner = IncrementalPlanner(self.grid.size, self._successors, self.graph.heuristic())
        self._cursor = 0
        self._last: tuple[int, int] | None = None  # (node moved from, node expected)
        self._explore_target = -1
        self._last_goal = -1
        self._beta = self.graph.params.beta  # the confidence premium in force (see ``moving_goal_by_length``)

    def successors(self, u: int) -> Iterator[tuple[int, int, float]]:
        """``(v, move, cost)`` of every move out of node ``u`` the graph allows now."""
        return self._successors(u)

    def expect(self, position: Cell, move: int) -> None:
        """The caller makes ``move`` from ``position`` instead of the one suggested (``WAIT``: none).

        The next observation then judges that move, so a substituted move is not mistaken
        for a failure of the suggested one.
        """
        start = self.grid.node(position)
        self._last = None
        if 0 <= move < 8:
            self._last = (start, start + self.grid.offsets[move])

    def _successors(self, u: int):  # noqa: ANN202 - a hot generator
        graph = self.graph
        weights, tile, size = graph.weights, graph.belief.tile, self.grid.size
        p = graph.params
        failures = graph.failures
        for v, move in successors(self.grid, graph.belief, u):
            w = weights.get(u * size + v if u < v else v * size + u)
            if w is None:
                w = p.w_seen if tile[u] != UNKNOWN and tile[v] != UNKNOWN else p.w_unknown
            cost = 1.0 + self._beta * (1.0 - w)
            if failures:
                cost += p.doubt * (failures.get(u, 0) + failures.get(v, 0))
            yield v, move, cost

    def observe(self, obs: Observation) -> None:
        """Learn from the last move's outcome and from what is sensed now."""
        graph = self.graph
        graph.sense(list(obs.cells), list(obs.tiles), obs.time)
        here = self.grid.node(obs.position)
        if self._last is not None:
            origin, expected = self._last
            if here == expected:
                graph.traversed(origin, expected)
            elif here == origin and any(v == expected for v, _ in successors(self.grid, graph.belief, origin)):
                graph.failed(expected)  # nothing sensed explains the failure
            self._last = None

    def next_step(self, position: Cell, goal: Cell | None) -> int:
        """The first move of the most activated route to ``goal`` (``None``: explore)."""
        start = self.grid.node(position)
        if goal is None:
            target = self._frontier(start)
            if target < 0:
                return WAIT
        else:
            target = self.grid.node(goal)
            if self._last_goal >= 0 and target != self._last_goal:
                if self.graph.params.moving_goal_by_length:
                    self._beta = 0.0  # costs change everywhere; the new goal restarts the search below
                if self.graph.params.follow_goal:
                    self.graph.goal_moved(self._last_goal, target)
            self._last_goal = target
        if target == start:
            return WAIT
        planner = self.planner
        if target != planner.goal:
            planner.reset(target, start)
            self._cursor = len(self.graph.log)
        else:
            planner.move_start(start)
            log = self.graph.log
            if self._cursor < len(log):
                planner.changed(set(log[self._cursor:]))
                self._cursor = len(log)
        planner.compute()
        choice = self._best_move(target) if self.graph.params.goal_ties else planner.best_move()
        if choice is None:
            return WAIT  # no route now: wait for a cut door's back-off to run out
        self._last = (start, choice[1])
        return choice[0]

    def _best_move(self, target: int) -> tuple[int, int] | None:
        """``(move, next node)`` starting the most activated route; ties go to the place nearest the goal.

        Equal routes are common on an 8-connected grid (any staircase of diagonal and
        straight moves). Staying nearest the goal as the position code sees it keeps the
        agent on the side where the goal is: an unknown cell there is likelier to open a
        shortcut, and a goal that moves is likelier to stay close.
        """
        planner = self.planner
        g, h = planner.g, planner.heuristic
        best, choice, near = INF, None, INF
        for v, move, cost in self._successors(planner.start):
            value = cost + g[v]
            if value < best - _TIE:
                best, choice, near = value, (move, v), h(v, target)
            elif value <= best + _TIE and value < INF:
                d = h(v, target)
                if d < near:
                    choice, near = (move, v), d
        return choice

    def explore_step(self, position: Cell) -> int:
        """The first move of a shortest walk to the nearest cell never seen (``WAIT`` when none is left).

        A breadth-first wave from the agent over the graph's known places; cheaper than
        :meth:`next_step` with no goal (no planner search), for callers that explore every
        tick (game agents).
        """
        start = self.grid.node(position)
        tile, grid, belief = self.graph.belief.tile, self.grid, self.graph.belief
        first: dict[int, tuple[int, int]] = {start: (WAIT, start)}
        queue = deque([start])
        while queue:
            u = queue.popleft()
            for v, move in successors(grid, belief, u):
                if v in first:
                    continue
                first[v] = (move, v) if u == start else first[u]
                if tile[v] == UNKNOWN:
                    move0, node0 = first[v]
                    self._last = (start, node0)
                    return move0
                queue.append(v)
        self._last = None
        return WAIT

    def _frontier(self, start: int) -> int:
        """An unknown cell next to the nearest known place (kept until it is seen)."""
        tile = self.graph.belief.tile
        if self._explore_target >= 0 and tile[self._explore_target] == UNKNOWN:
            return self._explore_target
        seen, queue = {start}, deque([start])
        while queue:
            u = queue.popleft()
            for v, _ in successors(self.grid, self.graph.belief, u):
                if tile[v] == UNKNOWN:
                    self._explore_target = v
                    return v
                if v not in seen:
                    seen.add(v)
                    queue.append(v)
        self._explore_target = -1
        return -1

    def graph_size(self) -> tuple[int, int]:
        """Places seen and edges with learned confidence (shared when the graph is)."""
        return self.graph.size()
