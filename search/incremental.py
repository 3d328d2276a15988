"""Incremental shortest paths to a goal: the D* Lite algorithm (Koenig & Likhachev 2002).

The search runs backward from the goal: ``g[n]`` is the cost of the best known route
from ``n`` to the goal, a wavefront that spreads out of the goal (the Hebbian navigator
reads it as spreading activation, ``a = exp(-g)``). When edge costs change, only the
nodes whose value depends on them are repaired; when the agent moves, the priority
offset ``km`` grows instead of reordering the queue. The heuristic must be a metric
that never overestimates one move's cost (consistent), so keys stay valid.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable

INF = math.inf

#: ``successors(u)`` -> ``(v, move, cost)`` for every usable move out of ``u``.
Successors = Callable[[int], Iterable[tuple[int, int, float]]]
#: ``heuristic(a, b)``: a lower bound on the route cost between two nodes.
Heuristic = Callable[[int, int], float]


class IncrementalPlanner:
    """D* Lite on a graph whose moves are symmetric (successors and predecessors agree)."""

    def __init__(self, size: int, successors: Successors, heuristic: Heuristic) -> None:
        self.size = size
        self.successors = successors
        self.heuristic = heuristic
        self.goal = -1
        self.start = -1
        self.expansions = 0
        self._reset_state()

    def _reset_state(self) -> None:
        self.g = [INF] * self.size
        self.rhs = [INF] * self.size
        self._key: list[tuple[float, float] | None] = [None] * self.size
        self._heap: list[tuple[float, float, int]] = []
        self._km = 0.0
        self._last = self.start

    def reset(self, goal: int, start: int) -> None:
        """Forget everything and plan towards ``goal`` from ``start`` (a new goal)."""
        self.goal, self.start = goal, start
        self._reset_state()
        self.rhs[goal] = 0.0
        self._push(goal)

    def move_start(self, start: int) -> None:
        """The agent now stands on ``start``."""
        self.start = start

    def changed(self, nodes: Iterable[int]) -> None:
        """Costs of moves out of ``nodes`` changed (walls seen, weights learned)."""
        if self.goal < 0:
            return
        if self._last != self.start:
            self._km += self.heuristic(self._last, self.start)
            self._last = self.start
        for n in nodes:
            self._update(n)

    def compute(self) -> None:
        """Repair values until the start's is exact (or proven unreachable)."""
        start, g, rhs, heap, key = self.start, self.g, self.rhs, self._heap, self._key
        while heap:
            k1, k2, u = heap[0]
            if key[u] != (k1, k2):
                heapq.heappop(heap)  # stale entry
                continue
            sk = self._calc_key(start)
            if (k1, k2) >= sk and rhs[start] == g[start]:
                break
            heapq.heappop(heap)
            key[u] = None
            new = self._calc_key(u)
            self.expansions += 1
            if (k1, k2) < new:
                self._push(u, new)
            elif g[u] > rhs[u]:
                g[u] = rhs[u]
                for v, _, _ in self.successors(u):
                    self._update(v)
            else:
                g[u] = INF
                self._update(u)
                for v, _, _ in self.successors(u):
                    self._update(v)

    def best_move(self) -> tuple[int, int] | None:
        """``(move, next node)`` that starts the best route from the start, or None."""
        best, choice = INF, None
        for v, move, cost in self.successors(self.start):
            value = cost + self.g[v]
            if value < best:
                best, choice = value, (move, v)
        return choice

    def distance(self) -> float:
        """Cost of the best route from the start to the goal (inf when none is known)."""
        return self.g[self.start]

    # ------------------------------------------------------------------ internals

    def _calc_key(self, n: int) -> tuple[float, float]:
        m = min(self.g[n], self.rhs[n])
        return m + self.heuristic(self.start, n) + self._km, m

    def _push(self, n: int, key: tuple[float, float] | None = None) -> None:
        key = key or self._calc_key(n)
        self._key[n] = key
        heapq.heappush(self._heap, (key[0], key[1], n))

    def _update(self, u: int) -> None:
        g = self.g
        if u != self.goal:
            best = INF
            for v, _, cost in self.successors(u):
                value = cost + g[v]
                if value < best:
                    best = value
            self.rhs[u] = best
        self._key[u] = None
        if g[u] != self.rhs[u]:
            self._push(u)
