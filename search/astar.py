"""The oracle: A* (networkx) on the full, current map, and true distances for metrics."""

from __future__ import annotations

import networkx as nx
import numpy as np

from levels.tiles import Tile
from search.moves import BLOCKING, DIRECTIONS, STAIRS, WAIT, Cell
from search.navigator import Navigator, Observation

_MOVE_OF = {d: i for i, d in enumerate(DIRECTIONS)}


def grid_graph(tiles: np.ndarray) -> nx.Graph:
    """Undirected graph of the moves :mod:`search.moves` allows on ``tiles`` (nodes are cells)."""
    free = ~BLOCKING[tiles]
    graph = nx.Graph()
    graph.add_nodes_from(map(tuple, np.argwhere(free).tolist()))
    count, height, width = tiles.shape
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        ok = np.zeros_like(free)
        ys = slice(0, height - dy)
        xs = slice(max(0, -dx), width - max(0, dx))
        ok[:, ys, xs] = free[:, ys, xs] & free[:, dy:height, max(0, dx):width + min(0, dx)]
        if dy and dx:  # no corner cutting: both orthogonal cells must be free too
            ok[:, ys, xs] &= free[:, dy:height, xs] & free[:, ys, max(0, dx):width + min(0, dx)]
        for f, y, x in np.argwhere(ok).tolist():
            graph.add_edge((f, y, x), (f, y + dy, x + dx))
    for f, y, x in np.argwhere(tiles[:-1] == Tile.STAIRS_DOWN).tolist():
        if tiles[f + 1, y, x] == Tile.STAIRS_UP:
            graph.add_edge((f, y, x), (f + 1, y, x))
    return graph


def chebyshev(a: Cell, b: Cell) -> int:
    """Moves between two cells on an open grid (one per floor change)."""
    return max(abs(a[1] - b[1]), abs(a[2] - b[2])) + abs(a[0] - b[0])


def true_distance(graph: nx.Graph, source: Cell, target: Cell) -> int | None:
    """Fewest moves from ``source`` to ``target`` on ``graph`` (None when unreachable)."""
    try:
        return int(nx.shortest_path_length(graph, source, target))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None


def move_between(a: Cell, b: Cell) -> int:
    """The move index that takes an agent from cell ``a`` to the adjacent cell ``b``."""
    if a[0] != b[0]:
        return STAIRS
    return _MOVE_OF[(b[1] - a[1], b[2] - a[2])]


class AStarNavigator(Navigator):
    """Full, current knowledge of the map; replans with A* whenever the map or goal changes."""

    name = "astar_oracle"

    def __init__(self, shape: tuple[int, int, int]) -> None:
        self.tiles = np.zeros(shape, dtype=np.uint8)
        self.graph: nx.Graph | None = None
        self._path: list[Cell] = []

    def observe(self, obs: Observation) -> None:
        """Take in the cells that changed (the whole map at the first tick)."""
        if not obs.cells:
            return
        for cell, tile in zip(obs.cells, obs.tiles, strict=True):
            self.tiles[cell] = tile
        self.graph = grid_graph(self.tiles)
        self._path = []

    def next_step(self, position: Cell, goal: Cell | None) -> int:
        """The next move of an A* path on the true map (WAIT when there is none)."""
        if goal is None or position == goal or self.graph is None:
            return WAIT
        path = self._path
        if len(path) < 2 or path[0] != position or path[-1] != goal:
            try:
                path = nx.astar_path(self.graph, position, goal, heuristic=chebyshev)
            except (nx.NetworkXNoPath, nx.NodeNotFound):
                self._path = []
                return WAIT
        self._path = path[1:]
        return move_between(position, path[1])

    def graph_size(self) -> tuple[int, int]:
        """Nodes and edges of the full-map graph."""
        return (0, 0) if self.graph is None else (self.graph.number_of_nodes(), self.graph.number_of_edges())
