"""Navigator actions inside the batched simulation: go to entity token k, explore, flee, goal.

``BatchedSim(..., nav_actions=True)`` (it needs the built-in navigator, ``nav=True``) widens
the action space after the primitive actions (:data:`game.actions.CORE_ACTIONS`):

=========================  ==========================================================
index                      action
=========================  ==========================================================
0 .. 18                    the game's primitive actions, unchanged (``ACTIONS_VERSION`` 1)
19 .. 19 + K - 1           go to entity token k (K = :data:`game.spec.MAX_ENTITIES`, the
                           ``entities`` rows of the observation)
19 + K                     explore: the nearest cell never seen (on any floor, by known stairs)
19 + K + 1                 flee: the neighbour farthest, by route, from the enemies in view
19 + K + 2                 goal: the faction's goal cell (the known exit or artifact, see
                           ``game.navigate._goal_cell``), else the nearest known stairs
=========================  ==========================================================

Before the rules run, :func:`translate_range` turns every navigator action into ONE
primitive action (a move, ``interact`` to open a door or take stairs, or ``wait``) with
numba kernels over the whole batch, planning over the agent's own known map
(``World.memory``) and its faction's reliability memory (``game.navigate.NavState``) with
the :mod:`search.grid_nav` kernels; the rules and their masks never see a navigator index.
A translated action is always legal: a planned move the game refuses now (an ally in the
way, the arrival cell of stairs taken) becomes the legal neighbour with the best route
value, else ``wait``. A navigator action whose mask is 0 is passed on unchanged, so the
rules treat it as any illegal action (the ``illegal_action`` reward, then a wait).

After every step and reset, :func:`mask_range` writes the new indices of ``World.mask``:
go to k for a present token whose cell (not the agent's own) is reachable over the known
map, explore while a reachable cell is unexplored, flee while an enemy is in view, goal
when the agent knows its faction's goal cell or any stairs. Only the agents of the
factions given (default: all) get them; the others' new indices stay 0.

Nothing here draws from the simulation's RNG or keeps state between calls: the same seed
and the same actions give bit-identical episodes, and a loaded save translates the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from game.actions import ACTION_NAMES, CORE_ACTIONS, MOVE_FIRST, WAIT
from game.nav_moves import DIRS, STAIRS_DOWN, STAIRS_UP, flee_action, in_view, mark_key_doors, move_action
from game.navigate import MODE_HEBBIAN, _goal_cell, nav_params
from game.spec import ENTITY_COLUMN, MAX_ENTITIES, POS_SCALE
from game.state import ALIVE, FACTION, FLOOR, KEYS, PRESENT, W_CELLS, W_DONE, W_TURN, WAIT_LEFT, X, Y
from search.grid_nav import (
    F_GAME,
    NO_MOVE,
    distance_field,
    enter_cost,
    field_value,
    nearest_target,
    new_scratch,
    route_to,
)

if TYPE_CHECKING:
    from game.batch import BatchedSim

#: The first "go to entity token k" index (k = 0 .. MAX_ENTITIES - 1).
GOTO_FIRST = CORE_ACTIONS
#: Explore, flee and goal follow the go-to indices.
EXPLORE = GOTO_FIRST + MAX_ENTITIES
FLEE = EXPLORE + 1
GOAL = FLEE + 1
#: Size of the action space with navigator actions.
NAV_ACTIONS = GOAL + 1
#: Names of the navigator action indices, from :data:`GOTO_FIRST` on.
NAV_ACTION_NAMES: tuple[str, ...] = tuple(f"goto_{k}" for k in range(MAX_ENTITIES)) + ("explore", "flee", "goal")

#: Route cost beyond which a token counts as unreachable (masks).
GOTO_LIMIT = 40.0
#: Route cost at which explore and goal searches give up.
SEARCH_LIMIT = 400.0
#: Route distance from the enemies that flee looks at (beyond it every cell is "far").
FLEE_RADIUS = 16.0
#: Extra cost of a neighbour an ally stands on (go-to and goal plan round it when they can).
ALLY_BLOCK = 1e6
#: Goal without a goal cell: offset of a floor already visited against one never visited.
VISITED_FLOOR = 20.0

_DY, _DX = ENTITY_COLUMN["dy"], ENTITY_COLUMN["dx"]


def action_names() -> tuple[str, ...]:
    """Names of every index of the navigator action space (primitives first)."""
    return ACTION_NAMES + NAV_ACTION_NAMES


class NavActions:
    """The navigator actions of one :class:`game.batch.BatchedSim` (see the module docstring).

    Args:
        sim: the simulator (its navigator, ``sim.navigation``, must be on and its action
            space at least :data:`NAV_ACTIONS` wide).
        factions: names of the factions whose agents get navigator actions (None: all).
    """

    def __init__(self, sim: BatchedSim, factions: Sequence[str] | None = None) -> None:
        if sim.navigation is None:
            raise ValueError("navigator actions need the built-in navigator (nav=True)")
        if sim.num_actions < NAV_ACTIONS:
            raise ValueError(f"navigator actions need num_actions >= {NAV_ACTIONS}, got {sim.num_actions}")
        names = tuple(sim.layout.factions)
        self.sim = sim
        self.enabled = np.zeros(len(names), np.uint8)
        for name in names if factions is None else factions:
            if name not in names:
                raise ValueError(f"nav_actions: faction {name!r} is not in the level's factions {names}")
            self.enabled[names.index(name)] = 1
        #: The factions with navigator actions, by name.
        self.factions = tuple(n for i, n in enumerate(names) if self.enabled[i])
        #: The primitive actions of the last :meth:`translate` (int32 ``[B, A]``).
        self.primitive = np.zeros((sim.num_worlds, sim.num_agents), np.int32)
        self._P_heb, self._P_short = nav_params()  # the in-game navigator's costs, per faction mode

    def _args(self) -> tuple:
        sim = self.sim
        w, s = sim.world, sim.navigation.state
        return (w.tiles, w.locks, w.cells, w.occ, w.ag, w.it, w.wi, w.goal, w.memory, w.fov, w.mask,
                sim.out.entities, sim.out.entity_mask, s.conf, s.cut, s.visited, s.mode, self._P_heb,
                self._P_short, self.enabled)

    def translate(self, actions: np.ndarray) -> np.ndarray:
        """Primitive actions ``[B, A]`` for ``actions`` in the extended space (primitives pass through).

        Reads the state the last observation was built from; returns :attr:`primitive`.
        """
        self.sim.over_worlds(translate_range, *self._args(), np.ascontiguousarray(actions, np.int32), self.primitive)
        return self.primitive

    def update_masks(self) -> None:
        """Write the navigator indices of ``World.mask`` from the current state (all worlds)."""
        self.sim.over_worlds(mask_range, *self._args())


# ----------------------------------------------------------------------------- kernels


@njit(cache=True, inline="always")
def _token_cell(row, f: int, y: int, x: int, H: int, Wd: int) -> int:
    """The flat cell of an entity token (its offsets are on the agent's floor), -1 off the map."""
    ty = y + int(np.floor(row[_DY] * POS_SCALE + 0.5))
    tx = x + int(np.floor(row[_DX] * POS_SCALE + 0.5))
    if ty < 0 or ty >= H or tx < 0 or tx >= Wd:
        return -1
    return (f * H + ty) * Wd + tx


@njit(cache=True)
def _mark_allies(ag_b, occ_bf, fac: int, f: int, y: int, x: int, goal: int, plane: int, Wd: int,
                 extra, marked, n: int) -> int:
    """Make the neighbours allies stand on (but ``goal``) cost :data:`ALLY_BLOCK` more; the new count."""
    H = occ_bf.shape[0]
    for d in range(8):
        ny, nx = y + DIRS[d, 0], x + DIRS[d, 1]
        if ny < 0 or ny >= H or nx < 0 or nx >= Wd:
            continue
        o = occ_bf[ny, nx]
        c = f * plane + ny * Wd + nx
        if o >= 0 and ag_b[o, FACTION] == fac and c != goal and extra[c] == 0.0:
            extra[c] = ALLY_BLOCK
            marked[n] = c
            n += 1
    return n


@njit(cache=True, inline="always")
def _unmark(extra, marked, n: int) -> None:
    for k in range(n):
        extra[marked[k]] = 0.0


@njit(cache=True)
def _knows_stairs(tiles_b, cells_b, n_cells: int, known, plane: int, Wd: int) -> bool:
    for s in range(n_cells):
        cf, cy, cx = cells_b[s, 0], cells_b[s, 1], cells_b[s, 2]
        t = tiles_b[cf, cy, cx]
        if t in (STAIRS_DOWN, STAIRS_UP) and known[cf * plane + cy * Wd + cx] != 0:
            return True
    return False


@njit(cache=True)
def _enemy_cells(ag_b, fov_a, a: int, fac: int, f: int, y: int, x: int, plane: int, Wd: int, sources) -> int:
    """Write the cells of the living enemies agent ``a`` sees now into ``sources``; how many."""
    n = 0
    for o in range(ag_b.shape[0]):
        other = ag_b[o]
        if o == a or other[PRESENT] == 0 or other[ALIVE] == 0 or other[FACTION] == fac or other[FLOOR] != f:
            continue
        if in_view(fov_a, y, x, other[Y], other[X]):
            sources[n] = f * plane + other[Y] * Wd + other[X]
            n += 1
    return n


@njit(cache=True)
def _best_legal_step(known, fc, fk, extra, plane: int, Wd: int, here: int, mask_a, turn: int, P, S) -> int:
    """After :func:`route_to`: the legal step whose route (by the search's field) is best and
    shorter than staying; ``WAIT`` if none."""
    stay = field_value(S, here)
    best = np.inf
    choice = WAIT
    r = here % plane
    y, x = r // Wd, r % Wd
    H = plane // Wd
    for d in range(8):
        if mask_a[MOVE_FIRST + d] == 0:
            continue
        ny, nx = y + DIRS[d, 0], x + DIRS[d, 1]
        if ny < 0 or ny >= H or nx < 0 or nx >= Wd:
            continue
        v = here - r + ny * Wd + nx
        g = field_value(S, v)
        c = enter_cost(known, fc, fk, extra, v, turn, P, F_GAME)
        if g == np.inf or c < 0.0 or g >= stay:
            continue
        if c + g < best:
            best = c + g
            choice = MOVE_FIRST + d
    return choice


@njit(cache=True, nogil=True)
def translate_range(tiles, locks, cells, occ, ag, it, wi, goal, memory, fov, mask, entities, entity_mask,
                    conf, cut, visited, mode, P_heb, P_short, enabled, actions, primitive, lo: int,
                    hi: int) -> None:
    """Turn the navigator actions of worlds ``lo..hi`` into primitive ones (see the module docstring)."""
    A = ag.shape[1]
    F, H, Wd = tiles.shape[1], tiles.shape[2], tiles.shape[3]
    plane = H * Wd
    N = F * plane
    S = new_scratch(N)
    extra = np.zeros(N, np.float32)
    marked = np.empty(cells.shape[1] + 8, np.int64)
    goals = np.empty(1, np.int64)
    zero = np.zeros(1, np.float64)
    no_value = np.full(N, np.inf)
    no_targets = np.empty(0, np.int64)
    floor_value = np.full(F, np.inf)
    no_floor = np.full(F, np.inf)
    sources = np.empty(A, np.int64)
    for b in range(lo, hi):
        done = wi[b, W_DONE] != 0  # the world resets this step: its actions are ignored
        turn = wi[b, W_TURN]
        for a in range(A):
            act = actions[b, a]
            primitive[b, a] = WAIT if done and GOTO_FIRST <= act < NAV_ACTIONS else act
            if done or act < GOTO_FIRST or act >= NAV_ACTIONS or mask[b, a, act] == 0:
                continue
            me = ag[b, a]
            fac = me[FACTION]
            P = P_heb if mode[fac] == MODE_HEBBIAN else P_short
            f, y, x = me[FLOOR], me[Y], me[X]
            here = f * plane + y * Wd + x
            known = memory[b, a].reshape(-1)
            fc, fk = conf[b, fac], cut[b, fac]
            m = mask[b, a]
            n_marked = mark_key_doors(tiles[b], locks[b], cells[b], wi[b, W_CELLS], it[b], a, me[KEYS], plane, Wd,
                                  extra, marked)
            result = WAIT
            routed = False  # the search left a backward field from a goal in S
            if act < EXPLORE or act == GOAL:
                tgt = -1
                if act < EXPLORE:
                    tgt = _token_cell(entities[b, a, act - GOTO_FIRST], f, y, x, H, Wd)
                else:
                    tgt = _goal_cell(goal[b, fac], me)
                n_marked = _mark_allies(ag[b], occ[b, f], fac, f, y, x, tgt, plane, Wd, extra, marked, n_marked)
                if tgt >= 0:
                    goals[0] = tgt
                    move, _ = route_to(known, fc, fk, extra, plane, Wd, here, goals, zero, turn, P, F_GAME, S)
                    routed = True
                else:
                    # no goal cell known: the nearest known stairs, to a floor never visited first
                    for g in range(F):
                        floor_value[g] = np.inf if g == f else (0.0 if visited[b, a, g] < 0 else VISITED_FLOOR)
                    move, _, _ = nearest_target(known, fc, fk, extra, plane, Wd, here, no_value, turn, P, F_GAME,
                                                SEARCH_LIMIT, S, np.inf, floor_value, no_targets)
                if move != NO_MOVE:
                    result = move_action(tiles[b], f, y, x, move)
            elif act == EXPLORE:
                move, _, _ = nearest_target(known, fc, fk, extra, plane, Wd, here, no_value, turn, P, F_GAME,
                                            SEARCH_LIMIT, S, 0.0, no_floor, no_targets)
                if move != NO_MOVE:
                    result = move_action(tiles[b], f, y, x, move)
            else:
                n_src = _enemy_cells(ag[b], fov[b, a], a, fac, f, y, x, plane, Wd, sources)
                if n_src > 0:
                    distance_field(known, fc, fk, extra, plane, Wd, sources[:n_src], turn, P, F_GAME, FLEE_RADIUS,
                                   S)
                    result = flee_action(known, fc, fk, extra, plane, Wd, here, occ[b, f], turn, P, S)
            if m[result] == 0:
                result = WAIT
                if routed:
                    result = _best_legal_step(known, fc, fk, extra, plane, Wd, here, m, turn, P, S)
            _unmark(extra, marked, n_marked)
            primitive[b, a] = result


@njit(cache=True, nogil=True)
def mask_range(tiles, locks, cells, occ, ag, it, wi, goal, memory, fov, mask, entities, entity_mask,
               conf, cut, visited, mode, P_heb, P_short, enabled, lo: int, hi: int) -> None:
    """Write the navigator indices of ``mask`` for worlds ``lo..hi`` (see the module docstring)."""
    A = ag.shape[1]
    F, H, Wd = tiles.shape[1], tiles.shape[2], tiles.shape[3]
    plane = H * Wd
    N = F * plane
    K = entity_mask.shape[2]
    S = new_scratch(N)
    extra = np.zeros(N, np.float32)
    marked = np.empty(cells.shape[1] + 8, np.int64)
    start = np.empty(1, np.int64)
    sources = np.empty(A, np.int64)
    no_value = np.full(N, np.inf)
    no_targets = np.empty(0, np.int64)
    no_floor = np.full(F, np.inf)
    for b in range(lo, hi):
        turn = wi[b, W_TURN]
        for a in range(A):
            m = mask[b, a]
            m[GOTO_FIRST:NAV_ACTIONS] = 0
            me = ag[b, a]
            if me[PRESENT] == 0 or me[ALIVE] == 0 or me[WAIT_LEFT] > 0:
                continue
            fac = me[FACTION]
            if enabled[fac] == 0:
                continue
            P = P_heb if mode[fac] == MODE_HEBBIAN else P_short
            f, y, x = me[FLOOR], me[Y], me[X]
            here = f * plane + y * Wd + x
            known = memory[b, a].reshape(-1)
            fc, fk = conf[b, fac], cut[b, fac]
            n_marked = mark_key_doors(tiles[b], locks[b], cells[b], wi[b, W_CELLS], it[b], a, me[KEYS], plane, Wd,
                                  extra, marked)
            # go to k: one wavefront from the agent tells which token cells a route reaches
            start[0] = here
            distance_field(known, fc, fk, extra, plane, Wd, start, turn, P, F_GAME, GOTO_LIMIT, S)
            for k in range(K):
                if entity_mask[b, a, k] == 0:
                    continue
                c = _token_cell(entities[b, a, k], f, y, x, H, Wd)
                if c >= 0 and c != here and field_value(S, c) < np.inf:
                    m[GOTO_FIRST + k] = 1
            _, best, _ = nearest_target(known, fc, fk, extra, plane, Wd, here, no_value, turn, P, F_GAME,
                                        SEARCH_LIMIT, S, 0.0, no_floor, no_targets)
            if best >= 0 and best != here:
                m[EXPLORE] = 1
            if _enemy_cells(ag[b], fov[b, a], a, fac, f, y, x, plane, Wd, sources) > 0:
                m[FLEE] = 1
            if _goal_cell(goal[b, fac], me) >= 0 or _knows_stairs(tiles[b], cells[b], wi[b, W_CELLS], known, plane,
                                                                  Wd):
                m[GOAL] = 1
            _unmark(extra, marked, n_marked)


__all__ = ["EXPLORE", "FLEE", "GOAL", "GOTO_FIRST", "NAV_ACTIONS", "NAV_ACTION_NAMES", "NavActions",
           "action_names", "mask_range", "translate_range"]
