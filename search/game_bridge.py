"""One game agent's navigator: its egocentric observation in, a primitive move out.

The game's navigator actions (go to an entity, explore, flee; :mod:`training.nav_actions`)
each tick turn into one move through an :class:`AgentNavigator`, a
:class:`~search.hebbian.HebbianNavigator` fed only with what that agent sees. This module
knows nothing of the game's code: the caller passes the patch layout
(:class:`PatchCodes`), the agent's absolute cell (for the navigator's bookkeeping), the
cells of its targets and which moves the game allows now.

Two differences between the game's movement and the navigator's model are bridged here:

* a closed (unlocked) door can be opened by the agent, so it is reported to the
  navigator as an open door; a move into it becomes "open the door" (the caller's
  ``interact``);
* the game forbids some moves the navigator allows (a diagonal into a door cell, a cell
  an ally stands on): such a move is replaced by the legal move whose route the
  navigator values most, and the navigator is told which move was really made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from levels.tiles import Tile
from search.grid import UNKNOWN
from search.hebbian import CognitiveGraph, HebbianNavigator, HebbianParams
from search.incremental import INF
from search.moves import DIRECTIONS, WAIT, Cell
from search.navigator import Observation

#: What :meth:`AgentNavigator.legal_move` may answer besides a move index: open the door ahead.
OPEN_DOOR = -2
#: How far (cells) a flee target may lie from the agent.
FLEE_RANGE = 10


@dataclass(frozen=True)
class PatchCodes:
    """How the game's egocentric patch is laid out.

    Attributes:
        radius: cells from the centre to the patch's edge (the agent stands at the centre).
        off_map: channel-0 code of cells beyond the floor's edge.
        tile_offset: channel 0 holds ``tile + tile_offset``; 0 means never seen.
        known: channel of the remembered tile code; visible: channel that is 1 where the
            agent sees the cell now.
    """

    radius: int = 6
    off_map: int = 10
    tile_offset: int = 1
    known: int = 0
    visible: int = 1


def patch_sightings(patch: np.ndarray, position: Cell, codes: PatchCodes,
                    shape: tuple[int, int, int]) -> tuple[list[Cell], list[int]]:
    """Cells the agent sees now in its patch, and their tiles (closed doors reported open).

    ``patch`` is one agent's ``[P, P, channels]`` window centred on ``position``.
    """
    f, y, x = position
    r = codes.radius
    code = patch[:, :, codes.known].astype(np.int64)
    seen = (patch[:, :, codes.visible] != 0) & (code > 0) & (code != codes.off_map)
    ys, xs = np.nonzero(seen)
    rows, cols = ys + (y - r), xs + (x - r)
    inside = (rows >= 0) & (rows < shape[1]) & (cols >= 0) & (cols < shape[2])
    rows, cols = rows[inside], cols[inside]
    tiles = code[ys[inside], xs[inside]] - codes.tile_offset
    tiles[tiles == Tile.DOOR_CLOSED] = Tile.DOOR_OPEN  # the agent can open it: passable for planning
    cells = [(f, int(a), int(b)) for a, b in zip(rows.tolist(), cols.tolist(), strict=True)]
    return cells, tiles.tolist()


class AgentNavigator:
    """One agent's navigator for one episode: go to a cell, explore, flee; moves the game allows.

    Every tick: :meth:`observe` with the agent's patch, then (if the agent runs a navigator
    action) :meth:`go_to`, :meth:`explore` or :meth:`flee` for the navigator's move, then
    :meth:`legal_move` to fit it to the game's rules.
    """

    def __init__(self, shape: tuple[int, int, int], params: HebbianParams | None = None,
                 graph: CognitiveGraph | None = None, codes: PatchCodes | None = None) -> None:
        self.shape = tuple(shape)
        self.nav = HebbianNavigator(self.shape, params, graph)
        self.codes = codes or PatchCodes()
        self.position: Cell = (0, 0, 0)
        self._flee_target: Cell | None = None
        grid = self.nav.grid
        self._tile = np.frombuffer(self.nav.graph.belief.tile, np.uint8).reshape(
            grid.floors, grid.height + 2, grid.pw)
        self._blocked = np.frombuffer(self.nav.graph.belief.blocked, np.uint8).reshape(self._tile.shape)

    # ------------------------------------------------------------------ sensing

    def observe(self, position: Cell, patch: np.ndarray, time: int) -> None:
        """Take in what the agent sees now (its patch) at its absolute ``position``."""
        self.position = tuple(int(v) for v in position)
        cells, tiles = patch_sightings(patch, self.position, self.codes, self.shape)
        self.nav.observe(Observation(self.position, cells, tiles, time))

    def has_frontier(self) -> bool:
        """True while some known passable cell borders a cell never seen (there is something to explore)."""
        unknown = self._tile == UNKNOWN
        open_ = ~unknown & (self._blocked == 0)
        inner = open_[:, 1:-1, 1:-1]
        border = (unknown[:, :-2, 1:-1] | unknown[:, 2:, 1:-1] | unknown[:, 1:-1, :-2] | unknown[:, 1:-1, 2:])
        return bool((inner & border).any())

    # ------------------------------------------------------------------ the three actions

    def go_to(self, goal: Cell) -> int:
        """The navigator's move towards ``goal`` (a direction index, ``STAIRS`` or ``WAIT``)."""
        return self.nav.next_step(self.position, tuple(int(v) for v in goal))

    def explore(self) -> int:
        """The navigator's move towards the nearest unexplored place."""
        return self.nav.explore_step(self.position)

    def flee(self, threats: list[Cell]) -> int:
        """A move towards a known open place far from ``threats`` (kept while it stays safer)."""
        if not threats:
            return WAIT
        target = self._flee_target
        if target is None or target == self.position or not self._safer(target, threats):
            target = self._flee_goal(threats)
            self._flee_target = target
        if target is None:
            return WAIT
        return self.nav.next_step(self.position, target)

    def _safer(self, target: Cell, threats: list[Cell]) -> bool:
        """The agent is nearer ``target`` than every threat on its floor."""
        mine = _chebyshev(self.position, target)
        return all(t[0] != target[0] or _chebyshev(t, target) > mine for t in threats)

    def _flee_goal(self, threats: list[Cell]) -> Cell | None:
        """The known passable cell within :data:`FLEE_RANGE` that is farthest from the threats."""
        f, y, x = self.position
        h, w = self.shape[1], self.shape[2]
        y0, y1 = max(0, y - FLEE_RANGE), min(h, y + FLEE_RANGE + 1)
        x0, x1 = max(0, x - FLEE_RANGE), min(w, x + FLEE_RANGE + 1)
        tile = self._tile[f, y0 + 1:y1 + 1, x0 + 1:x1 + 1]
        ok = (tile != UNKNOWN) & (self._blocked[f, y0 + 1:y1 + 1, x0 + 1:x1 + 1] == 0)
        if not ok.any():
            return None
        rows, cols = np.meshgrid(np.arange(y0, y1), np.arange(x0, x1), indexing="ij")
        danger = np.full(ok.shape, np.inf)
        for tf, ty, tx in threats:
            if tf == f:
                danger = np.minimum(danger, np.maximum(np.abs(rows - ty), np.abs(cols - tx)))
        if np.isinf(danger).all():
            return None
        travel = np.maximum(np.abs(rows - y), np.abs(cols - x))
        # far from every threat, not much farther from me than from them, and near rather than far
        score = np.where(ok & (danger > travel), danger - 0.5 * travel, -np.inf)
        best = np.unravel_index(int(np.argmax(score)), score.shape)
        if not np.isfinite(score[best]):
            return None
        return f, int(rows[best]), int(cols[best])

    # ------------------------------------------------------------------ fitting moves to the game

    def legal_move(self, move: int, allowed: np.ndarray, closed_door_ahead: np.ndarray) -> int:
        """Fit the navigator's ``move`` to the game's rules.

        ``allowed``: bool ``[9]``, the game allows direction ``d`` (``0..7``) / taking the
        stairs (8) now. ``closed_door_ahead``: bool ``[8]``, direction ``d`` leads into a
        closed door the agent can open (then :data:`OPEN_DOOR` is answered, and the caller
        must make the agent open it). Otherwise the move itself if allowed, else the allowed
        move whose route the navigator values most, else ``WAIT``. The navigator is told
        which move is really made.
        """
        if move == WAIT:
            return WAIT
        if 0 <= move < 8 and closed_door_ahead[move]:
            self.nav.expect(self.position, WAIT)
            return OPEN_DOOR
        if allowed[move]:
            return move
        choice = self._best_allowed(allowed)
        self.nav.expect(self.position, choice)
        return choice

    def _best_allowed(self, allowed: np.ndarray) -> int:
        """The allowed move (not the stairs) with the lowest route value to the current goal, or ``WAIT``."""
        nav = self.nav
        planner = nav.planner
        here = nav.grid.node(self.position)
        if planner.goal < 0 or planner.start != here:
            return WAIT
        g = planner.g
        best, choice = INF, WAIT
        for v, move, cost in nav.successors(here):
            # only moves that bring the agent nearer the goal (by the plan's values) beat waiting
            if move < 8 and allowed[move] and g[v] < g[here] and cost + g[v] < best:
                best, choice = cost + g[v], move
        return choice


def _chebyshev(a: Cell, b: Cell) -> int:
    return max(abs(a[1] - b[1]), abs(a[2] - b[2])) + abs(a[0] - b[0])


def step_cell(position: Cell, move: int) -> Cell:
    """The cell a direction move from ``position`` leads to (``position`` itself for others)."""
    if 0 <= move < 8:
        dy, dx = DIRECTIONS[move]
        return position[0], position[1] + dy, position[2] + dx
    return position

