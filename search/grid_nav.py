"""The compiled Hebbian navigator: numba kernels over flat arrays of a multi-floor grid.

One implementation serves the benchmark (:class:`search.compiled.CompiledHebbianNavigator`)
and the game (``game.navigate`` runs it for every agent inside the batched step).

**Cells** are flat indices ``n = f * H * W + y * W + x``. What an agent knows of a cell is a
*known code* (the game's memory encoding): 0 never seen, ``1 + tile`` last seen as that tile.

**Memory** (one row per owner: an agent, or a faction sharing a team memory), learned from use:

* ``conf`` float32: the reliability ``w`` in [0, 1] of entering the cell. A move into it that
  works: ``w <- w + eta (1 - w)``; one that fails with no visible cause (an ally in the way,
  a door someone shut): ``w <- w - eta w``. For a door, every sighting is experience too:
  seen open strengthens it, seen closed weakens it, so ``w`` estimates how often the door is
  open (an intermittent passage). Ordinary cells start at 1: a map that never fails costs
  exactly its length, as for D* Lite.
* ``fails`` uint8 and ``cut`` int32: a closed door seen again and again is cut (not planned
  through) until tick ``cut``, for ``backoff * 2^(k-1)`` ticks after its k-th closed sighting;
  then it is *re-admitted* as a known passage at cost ``1 + readmit + beta (1 - w)``, not
  forgotten into the unknown, so a reopened passage competes with unexplored cells on its
  real length. Seeing it open resets ``fails``.

**Costs.** Entering a cell costs ``1 + beta (1 - w)`` (floor, open doors, stairs, exits),
``water`` for water, ``unknown`` for a cell never seen (>= 1: unexplored cells are not
assumed cheaper than known ones), a closed door the agent can open (game rules) costs
``1 + door`` (the interact turn), and so does a locked one whose key it holds (the caller
marks those cells with ``extra < 0``); a closed door it cannot open costs, while not cut,
``1 + readmit + beta (1 - w) + wait (1 - w) / w`` (the expected wait at a door open a
fraction ``w`` of the time); walls and lava block.

**Moves** are the 8 directions of ``game.actions.DIRECTIONS`` (index 0..7) and
:data:`MOVE_STAIRS` (8). Two corner rules: the benchmark's (a diagonal needs both orthogonal
cells passable) and the game's (a diagonal may not enter or leave a door, nor squeeze
between two non-walkable cells).

**Planning.** :func:`route_to` spreads a wavefront (Dijkstra) backward from the goal cells
until it reaches the agent and takes the first move, in direction order, whose route is
shortest: the same tie rule as D* Lite's, so on maps where nothing fails it takes D* Lite's
steps. :func:`nearest_target` spreads forward from the agent to many candidate targets with
per-target offsets (a utility field: enemies, loot, frontier, stairs) and stops at the best.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from levels.tiles import Tile

DIRS = np.array([(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)], np.int64)
MOVE_STAIRS = 8
NO_MOVE = -1
INF = np.inf

# Parameter vector layout (float64), see NavParams.
(P_BETA, P_UNKNOWN, P_WATER, P_DOOR, P_READMIT, P_WAIT, P_ETA, P_ETA_DOOR, P_BACKOFF,
 P_MAX_COST) = range(10)
N_PARAMS = 10

# Flags (bit set).
F_GAME = 1  # game rules: open closed doors, the game's corner rule
F_UNKNOWN_STAIRS = 2  # an unseen cell may hold stairs (benchmark)
F_TIE_GOAL = 8  # equal routes: prefer the move whose cell is nearest the goal (ablation)

_WALL, _FLOOR, _OPEN, _CLOSED, _LOCKED = 0, 1, 2, 3, 4
_DOWN, _UP, _WATER, _LAVA = 5, 6, 7, 8
assert (Tile.WALL, Tile.DOOR_OPEN, Tile.DOOR_CLOSED, Tile.DOOR_LOCKED, Tile.STAIRS_DOWN,
        Tile.STAIRS_UP, Tile.WATER, Tile.LAVA) == (_WALL, _OPEN, _CLOSED, _LOCKED, _DOWN, _UP,
                                                   _WATER, _LAVA)


class NavParams(NamedTuple):
    """Planning and learning constants (see the module docstring)."""

    beta: float = 2.0
    unknown: float = 1.2
    water: float = 1.0
    door: float = 1.0
    readmit: float = 2.0
    wait: float = 2.0
    eta: float = 0.5
    eta_door: float = 0.3
    backoff: float = 12.0
    max_cost: float = 1e9

    def vector(self) -> np.ndarray:
        """The float64 vector the kernels read."""
        return np.array(self, np.float64)


class Scratch(NamedTuple):
    """Work arrays of one search (reused; one per thread).

    A search does not clear them: it takes a new number from ``counter`` and a cell's
    ``g`` counts only where ``valid`` holds that number (``done`` likewise), so starting a
    search costs nothing however large the map. ``edges``, ``floor_of`` and ``offsets``
    describe the map's shape (filled on the first search for a shape, see :func:`_geometry`),
    so the inner loops need no integer division to find a cell's row, column or floor.
    """

    g: np.ndarray  # float64 [N]
    first: np.ndarray  # int32 [N]
    done: np.ndarray  # int32 [N]: the search number that closed the cell
    heap_key: np.ndarray  # float64 [cap]
    heap_node: np.ndarray  # int32 [cap]
    valid: np.ndarray  # int32 [N]: the search number that set g
    counter: np.ndarray  # int64 [1]: the current search number
    parent: np.ndarray  # int32 [N]: the cell a forward search reached each cell from
    edges: np.ndarray  # uint8 [N]: bit d set when move d out of the cell stays on the map
    floor_of: np.ndarray  # int32 [N]: the cell's floor
    offsets: np.ndarray  # int64 [8]: flat-index step of each move direction
    geometry: np.ndarray  # int64 [2]: (plane, width) that edges, floor_of and offsets were filled for
    bound: np.ndarray  # float64 [N]: per listed target, its lower bound (nearest_target)


@njit(cache=True)
def new_scratch(cells: int) -> Scratch:
    """Scratch arrays for a grid of ``cells`` flat cells (callable from kernels too)."""
    cap = 9 * cells + 64
    return Scratch(np.empty(cells, np.float64), np.empty(cells, np.int32), np.zeros(cells, np.int32),
                   np.empty(cap, np.float64), np.empty(cap, np.int32), np.zeros(cells, np.int32),
                   np.zeros(1, np.int64), np.empty(cells, np.int32), np.zeros(cells, np.uint8),
                   np.zeros(cells, np.int32), np.zeros(8, np.int64), np.zeros(2, np.int64),
                   np.empty(cells, np.float64))


@njit(cache=True)
def _fill_geometry(S, plane: int, width: int) -> None:
    height = plane // width
    for n in range(S.edges.shape[0]):
        r = n % plane
        y = r // width
        x = r % width
        e = 0
        for d in range(8):
            ny = y + DIRS[d, 0]
            nx = x + DIRS[d, 1]
            if 0 <= ny < height and 0 <= nx < width:
                e |= 1 << d
        S.edges[n] = e
        S.floor_of[n] = n // plane
    for d in range(8):
        S.offsets[d] = DIRS[d, 0] * width + DIRS[d, 1]
    S.geometry[0] = plane
    S.geometry[1] = width


@njit(cache=True, inline="always")
def _geometry(S, plane: int, width: int) -> None:
    """Make ``S.edges``, ``S.floor_of`` and ``S.offsets`` describe a map of this shape (once per shape)."""
    if S.geometry[0] != plane or S.geometry[1] != width:
        _fill_geometry(S, plane, width)


@njit(cache=True, inline="always")
def _begin(S) -> int:
    """A new search number (all stamps are cleared when the counter would overflow)."""
    cur = S.counter[0] + 1
    if cur >= 2**31 - 1:
        S.valid[:] = 0
        S.done[:] = 0
        cur = 1
    S.counter[0] = cur
    return cur


@njit(cache=True)
def field_value(S, n: int) -> float:
    """The route cost the last search left at cell ``n`` (``inf`` where it did not reach)."""
    return S.g[n] if S.valid[n] == S.counter[0] else INF


# ----------------------------------------------------------------------------- heap


@njit(cache=True, inline="always")
def _push(keys, nodes, size, key, node):
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if keys[p] <= key:
            break
        keys[i] = keys[p]
        nodes[i] = nodes[p]
        i = p
    keys[i] = key
    nodes[i] = node
    return size + 1


@njit(cache=True, inline="always")
def _pop(keys, nodes, size):
    """Remove the root (the caller read it); returns the new size."""
    size -= 1
    if size == 0:
        return 0
    key = keys[size]
    node = nodes[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and keys[c + 1] < keys[c]:
            c += 1
        if keys[c] >= key:
            break
        keys[i] = keys[c]
        nodes[i] = nodes[c]
        i = c
    keys[i] = key
    nodes[i] = node
    return size


# ----------------------------------------------------------------------------- model


@njit(cache=True, inline="always")
def _walkable_code(code: int) -> bool:
    """Whether a known code may be stood on for the game's corner rule (unknown: yes)."""
    if code == 0:
        return True
    t = code - 1
    return t != _WALL and t != _CLOSED and t != _LOCKED


@njit(cache=True, inline="always")
def _blocking_code(code: int) -> bool:
    """Whether a known code blocks a benchmark diagonal (walls, closed doors, lava)."""
    if code == 0:
        return False
    t = code - 1
    return t in (_WALL, _CLOSED, _LOCKED, _LAVA)


@njit(cache=True, inline="always")
def _is_door_code(code: int) -> bool:
    t = code - 1
    return t in (_OPEN, _CLOSED, _LOCKED)


@njit(cache=True, inline="always")
def enter_cost(known, conf, cut, extra, n: int, tick: int, P, flags: int) -> float:
    """Cost of entering flat cell ``n`` (``-1``: blocked), plus ``extra[n]`` (e.g. an ally there).

    A negative ``extra`` lowers the cost (the benchmark's discount on a moving goal's
    trail), except under the game's rules, where it only marks a locked door whose key the
    agent holds (so no move costs less than the cheapest step, which
    :func:`nearest_target`'s early stop relies on).
    """
    e = extra[n]
    if e == 0.0:
        return _base_cost(known, conf, cut, n, tick, P, flags)
    if e < 0.0 and flags & F_GAME:  # under the game's rules a mark, not a cost: the agent holds this door's key
        if known[n] == _LOCKED + 1:
            return 1.0 + P[P_DOOR] + P[P_BETA] * (1.0 - conf[n])
        return _base_cost(known, conf, cut, n, tick, P, flags)
    c = _base_cost(known, conf, cut, n, tick, P, flags)
    return c if c < 0.0 else c + e


@njit(cache=True, inline="always")
def _base_cost(known, conf, cut, n: int, tick: int, P, flags: int) -> float:
    code = known[n]
    if code == 0:
        return P[P_UNKNOWN]
    t = code - 1
    if t in (_WALL, _LAVA):
        return -1.0
    w = conf[n]
    if t == _WATER:
        return P[P_WATER] + P[P_BETA] * (1.0 - w)
    if t in (_CLOSED, _LOCKED):
        if flags & F_GAME:
            if t == _CLOSED:
                return 1.0 + P[P_DOOR] + P[P_BETA] * (1.0 - w)
            return -1.0  # locked: open only with its key (extra[n] < 0, see enter_cost)
        if cut[n] > tick:
            return -1.0
        return 1.0 + P[P_READMIT] + P[P_BETA] * (1.0 - w) + P[P_WAIT] * (1.0 - w) / max(w, 0.05)
    return 1.0 + P[P_BETA] * (1.0 - w)


@njit(cache=True, inline="always")
def move_allowed(known, plane: int, width: int, u: int, d: int, flags: int) -> bool:
    """Whether the 8-direction move ``d`` out of ``u`` may be planned (the map edge included)."""
    r = u % plane
    ny = r // width + DIRS[d, 0]
    nx = r % width + DIRS[d, 1]
    if ny < 0 or ny >= plane // width or nx < 0 or nx >= width:
        return False
    return corner_ok(known, width, u, d, flags)


@njit(cache=True, inline="always")
def corner_ok(known, width: int, u: int, d: int, flags: int) -> bool:
    """The corner rule for move ``d`` out of ``u``, whose target the caller knows is on the map.

    Orthogonal moves always pass. The planners' inner loops call this one, not
    :func:`move_allowed`: they know the cell's row and column already, and the integer
    divisions that recover them were most of a search's time.
    """
    dy = DIRS[d, 0]
    dx = DIRS[d, 1]
    if dy == 0 or dx == 0:
        return True
    a = known[u + dx]
    b = known[u + dy * width]
    if flags & F_GAME:
        if _is_door_code(known[u]) or _is_door_code(known[u + dy * width + dx]):
            return False
        return _walkable_code(a) or _walkable_code(b)
    return not (_blocking_code(a) or _blocking_code(b))


@njit(cache=True, inline="always")
def _diagonals_open(known, width: int, u: int, e: int, flags: int) -> int:
    """Bits 1, 3, 5, 7 set for the diagonal moves out of ``u`` that the corner rule allows.

    The same rule as :func:`corner_ok`, worked out once per cell from its four orthogonal
    neighbours (``e``: its :attr:`Scratch.edges` bits) instead of once per move; under the
    game's rule the caller still checks that the diagonal does not enter a door.
    """
    if flags & F_GAME:
        if _is_door_code(known[u]):
            return 0
        n = e & 1 and _walkable_code(known[u - width])
        east = (e >> 2) & 1 and _walkable_code(known[u + 1])
        s = (e >> 4) & 1 and _walkable_code(known[u + width])
        w = (e >> 6) & 1 and _walkable_code(known[u - 1])
        return (2 if n or east else 0) | (8 if east or s else 0) | (32 if s or w else 0) | (128 if w or n else 0)
    n = e & 1 and not _blocking_code(known[u - width])
    east = (e >> 2) & 1 and not _blocking_code(known[u + 1])
    s = (e >> 4) & 1 and not _blocking_code(known[u + width])
    w = (e >> 6) & 1 and not _blocking_code(known[u - 1])
    return (2 if n and east else 0) | (8 if east and s else 0) | (32 if s and w else 0) | (128 if w and n else 0)


@njit(cache=True, inline="always")
def _stairs_link(known, plane: int, cells: int, u: int, up: bool, flags: int) -> int:
    """The cell a stairs move out of ``u`` leads to (down, or up if ``up``), or -1."""
    code = known[u]
    v = u - plane if up else u + plane
    if v < 0 or v >= cells:
        return -1
    want_here = _UP + 1 if up else _DOWN + 1
    want_there = _DOWN + 1 if up else _UP + 1
    other = known[v]
    if code == want_here and (other == want_there or other == 0):
        return v
    if flags & F_UNKNOWN_STAIRS and code == 0 and (other == 0 or other == want_there):
        return v
    return -1


# ----------------------------------------------------------------------------- planning


@njit(cache=True, nogil=True, error_model="numpy")
def route_to(known, conf, cut, extra, plane: int, width: int, start: int, goals, goal_values,
             tick: int, P, flags: int, S) -> tuple[int, float]:
    """First move of the best route from ``start`` to any of ``goals`` (backward wavefront).

    ``goal_values[i]`` is the value a route ending at ``goals[i]`` starts with (0 for a plain
    goal). Returns ``(move, cost)``: a direction 0..7, :data:`MOVE_STAIRS`, or
    :data:`NO_MOVE` with cost 0 when ``start`` is a goal and ``inf`` when no route is known.
    Among first moves of equally short routes the first in direction order wins (stairs last),
    as in D* Lite; with :data:`F_TIE_GOAL` the one whose cell is nearest the goal.
    """
    cells = known.shape[0]
    g, done, keys, nodes, valid = S.g, S.done, S.heap_key, S.heap_node, S.valid
    _geometry(S, plane, width)
    edges = S.edges
    offset = S.offsets
    cur = _begin(S)
    size = 0
    for i in range(goals.shape[0]):
        n = goals[i]
        if n == start:
            return NO_MOVE, 0.0
        if valid[n] != cur or goal_values[i] < g[n]:
            g[n] = goal_values[i]
            valid[n] = cur
            size = _push(keys, nodes, size, g[n], n)
    max_cost = P[P_MAX_COST]
    found = False
    while size > 0:
        k = keys[0]
        v = nodes[0]
        size = _pop(keys, nodes, size)
        if done[v] == cur or k > g[v]:
            continue
        done[v] = cur
        if v == start:
            found = True
            break
        if k > max_cost:
            break
        c = enter_cost(known, conf, cut, extra, v, tick, P, flags)
        if c < 0.0:
            continue
        gv = k + c
        # predecessors u: u --d--> v, i.e. u = v - DIRS[d] (on the map when move d + 4 out of v is)
        e = edges[v]
        for d in range(8):
            if not (e >> ((d + 4) & 7)) & 1:
                continue
            u = v - offset[d]
            if done[u] == cur or (valid[u] == cur and gv >= g[u]):
                continue
            if not corner_ok(known, width, u, d, flags):
                continue
            if u != start and enter_cost(known, conf, cut, extra, u, tick, P, flags) < 0.0:
                continue
            g[u] = gv
            valid[u] = cur
            size = _push(keys, nodes, size, gv, u)
        for up in (False, True):
            # u takes stairs to v: v is below u when u goes down
            u = v - plane if not up else v + plane
            if u < 0 or u >= cells or done[u] == cur or (valid[u] == cur and gv >= g[u]):
                continue
            if _stairs_link(known, plane, cells, u, up, flags) != v:
                continue
            g[u] = gv
            valid[u] = cur
            size = _push(keys, nodes, size, gv, u)
    if not found:
        return NO_MOVE, INF
    best = INF
    move = NO_MOVE
    best_h = 1 << 30
    goal = goals[0]
    for d in range(9):
        if d < 8:
            if not move_allowed(known, plane, width, start, d, flags):
                continue
            v = start + DIRS[d, 0] * width + DIRS[d, 1]
        else:
            v = _stairs_link(known, plane, cells, start, False, flags)
            if v < 0:
                v = _stairs_link(known, plane, cells, start, True, flags)
            if v < 0:
                continue
        if valid[v] != cur:
            continue
        c = enter_cost(known, conf, cut, extra, v, tick, P, flags)
        if c < 0.0:
            continue
        value = c + g[v]
        if value < best - 1e-9:
            best, move = value, d
            best_h = _cheb(plane, width, v, goal)
        elif flags & F_TIE_GOAL and value <= best + 1e-9:
            h = _cheb(plane, width, v, goal)
            if h < best_h:
                best, move, best_h = min(best, value), d, h
    return move, g[start]


@njit(cache=True, inline="always")
def _cheb(plane: int, width: int, a: int, b: int) -> int:
    ra = a % plane
    rb = b % plane
    return (max(abs(ra // width - rb // width), abs(ra % width - rb % width))
            + abs(a // plane - b // plane))


@njit(cache=True, nogil=True, error_model="numpy")
def nearest_target(known, conf, cut, extra, plane: int, width: int, start: int, target_value,
                   tick: int, P, flags: int, limit: float, S, unknown_value: float,
                   floor_value, targets) -> tuple[int, int, float]:
    """Forward wavefront from ``start`` to the cheapest target.

    ``target_value[n]`` (float64 [N], ``inf`` where ``n`` is no target) is added to the route
    cost of reaching ``n``; the target with the least total wins (ties: the first found).
    Every unseen cell is a target of value ``unknown_value`` (exploring), and every cell of
    another floor ``g`` one of value ``floor_value[g]`` (taking stairs there). ``targets``
    lists the cells where ``target_value`` is finite (the caller knows what it set).
    Unknown cells are entered at the ``unknown`` cost but never expanded (an unseen cell
    ends a route: it is where exploring stops), so they are never queued.

    A target counts as soon as a route to it is found (not when its cell is taken from the
    queue), and the search stops once nothing still open can beat the best: every route
    found from now on costs at least ``k + step`` (``k`` the wavefront's cost, ``step`` the
    cheapest move), and a listed target not reached yet at least its grid distance times
    ``step``. So the wavefront stops about one ring of cells short of the best target
    instead of running on past it; the result is the least total over routes up to
    ``limit``, as for a search that runs on. Returns ``(move, target, total)``: the first
    move of the winner's route (:data:`NO_MOVE` if it is ``start`` itself or none was
    found), its cell (-1: none) and its total.
    """
    cells = known.shape[0]
    g, first, done, keys, nodes, valid = S.g, S.first, S.done, S.heap_key, S.heap_node, S.valid
    _geometry(S, plane, width)
    edges, floor_of, bound = S.edges, S.floor_of, S.bound
    # (the early stop below needs every move to cost at least ``step``: under the game's
    # rules a negative ``extra`` is only a mark; elsewhere it must not be used here)
    cur = _begin(S)
    g[start] = 0.0
    valid[start] = cur
    first[start] = NO_MOVE
    size = _push(keys, nodes, 0, 0.0, start)
    here_floor = floor_of[start]
    least = unknown_value  # the least offset of the targets that are not listed
    other_floors = False
    for k in range(floor_value.shape[0]):
        if k != here_floor and floor_value[k] < INF:
            other_floors = True
            if floor_value[k] < least:
                least = floor_value[k]
    best = _offset(known, target_value, floor_value, floor_of, other_floors, here_floor, unknown_value, start)
    best_n = start if best < INF else -1
    step = min(1.0, P[P_WATER], P[P_UNKNOWN])  # no move costs less
    for i in range(targets.shape[0]):
        bound[i] = step * _cheb(plane, width, start, targets[i])
    offset = S.offsets
    while size > 0:
        k = keys[0]
        u = nodes[0]
        size = _pop(keys, nodes, size)
        if done[u] == cur or k > g[u]:
            continue
        if k > limit:
            break
        if k + step + least >= best and _listed_beaten(targets, target_value, done, cur, bound, k + step, best):
            break
        done[u] = cur
        code = known[u]
        fu = first[u]
        e = edges[u]
        # the game's rule allows no diagonal out of a door: then only moves 0, 2, 4, 6 are tried
        last = 4 if flags & F_GAME and _is_door_code(code) else 8
        diagonals = _diagonals_open(known, width, u, e, flags) if last == 8 else 0
        stairs = code == _DOWN + 1 or code == _UP + 1 or (flags & F_UNKNOWN_STAIRS and code == 0)
        for j in range(last + 1):
            d = j if last == 8 else 2 * j
            if j == last:
                if not stairs:
                    continue
                d = MOVE_STAIRS
                v = _stairs_link(known, plane, cells, u, False, flags)
                if v < 0:
                    v = _stairs_link(known, plane, cells, u, True, flags)
                if v < 0 or done[v] == cur:
                    continue
            else:
                if not (e >> d) & 1:
                    continue
                v = u + offset[d]
                if done[v] == cur:
                    continue
                if d & 1 and (not (diagonals >> d) & 1 or (flags & F_GAME and _is_door_code(known[v]))):
                    continue
            c = enter_cost(known, conf, cut, extra, v, tick, P, flags)
            if c < 0.0:
                continue
            gv = k + c
            if valid[v] != cur or gv < g[v]:
                g[v] = gv
                valid[v] = cur
                first[v] = d if u == start else fu
                S.parent[v] = u
                if gv <= limit:
                    tv = _offset(known, target_value, floor_value, floor_of, other_floors, here_floor,
                                 unknown_value, v)
                    if gv + tv < best:
                        best = gv + tv
                        best_n = v
                if known[v] != 0:  # an unseen cell ends its route: never expanded
                    size = _push(keys, nodes, size, gv, v)
    if best_n < 0:
        return NO_MOVE, -1, INF
    return (first[best_n] if best_n != start else NO_MOVE), best_n, best


@njit(cache=True, inline="always")
def _offset(known, target_value, floor_value, floor_of, other_floors: bool, here_floor: int,
            unknown_value: float, n: int) -> float:
    """What reaching cell ``n`` is worth to :func:`nearest_target` (``inf``: not a target)."""
    tv = target_value[n]
    if known[n] == 0 and unknown_value < tv:
        tv = unknown_value
    if other_floors:
        fl = floor_of[n]
        if fl != here_floor and floor_value[fl] < tv:
            tv = floor_value[fl]
    return tv


@njit(cache=True, inline="always")
def _listed_beaten(targets, target_value, done, cur: int, bound, k: float, best: float) -> bool:
    """Whether no listed target still open can end a route costing less than ``best``.

    ``bound[i]`` is target ``i``'s grid-distance lower bound from the start.
    """
    for i in range(targets.shape[0]):
        t = targets[i]
        if done[t] == cur:
            continue
        if max(k, bound[i]) + target_value[t] < best:
            return False
    return True


@njit(cache=True)
def route_moves(S, plane: int, width: int, start: int, end: int, moves) -> int:
    """The moves of the route the last :func:`nearest_target` found from ``start`` to ``end``.

    Writes up to ``len(moves)`` of them, first move first, into ``moves``; returns how many.
    """
    length = 0
    n = end
    while n != start and length < 100000:
        length += 1
        n = S.parent[n]
    keep = min(length, moves.shape[0])
    n = end
    for i in range(length - 1, -1, -1):
        u = S.parent[n]
        if i < keep:
            if u // plane != n // plane:
                moves[i] = MOVE_STAIRS
            else:
                dy = (n % plane) // width - (u % plane) // width
                dx = (n % plane) % width - (u % plane) % width
                for d in range(8):
                    if DIRS[d, 0] == dy and DIRS[d, 1] == dx:
                        moves[i] = d
        n = u
    return keep


@njit(cache=True, nogil=True, error_model="numpy")
def distance_field(known, conf, cut, extra, plane: int, width: int, sources, tick: int, P, flags: int,
                   limit: float, S) -> None:
    """Route costs from the ``sources`` cells over the known map into ``S.g`` (up to ``limit``).

    Used to flee: an agent steps to the neighbour farthest (in route cost) from its enemies.
    Read the result with :func:`field_value`.
    """
    cells = known.shape[0]
    g, done, keys, nodes, valid = S.g, S.done, S.heap_key, S.heap_node, S.valid
    cur = _begin(S)
    size = 0
    for i in range(sources.shape[0]):
        n = sources[i]
        if 0 <= n < cells and valid[n] != cur:
            g[n] = 0.0
            valid[n] = cur
            size = _push(keys, nodes, size, 0.0, n)
    _geometry(S, plane, width)
    edges = S.edges
    offset = S.offsets
    while size > 0:
        k = keys[0]
        u = nodes[0]
        size = _pop(keys, nodes, size)
        if done[u] == cur or k > g[u]:
            continue
        done[u] = cur
        if k > limit:
            break
        if known[u] == 0:
            continue
        e = edges[u]
        diagonals = _diagonals_open(known, width, u, e, flags)
        for d in range(8):
            if not (e >> d) & 1:
                continue
            v = u + offset[d]
            if done[v] == cur:
                continue
            if d & 1 and (not (diagonals >> d) & 1 or (flags & F_GAME and _is_door_code(known[v]))):
                continue
            c = enter_cost(known, conf, cut, extra, v, tick, P, flags)
            if c < 0.0:
                continue
            if valid[v] != cur or k + c < g[v]:
                g[v] = k + c
                valid[v] = cur
                size = _push(keys, nodes, size, k + c, v)


__all__ = ["DIRS", "F_GAME", "field_value", "F_TIE_GOAL", "F_UNKNOWN_STAIRS", "MOVE_STAIRS", "NO_MOVE",
           "NavParams", "Scratch", "corner_ok", "distance_field", "enter_cost", "move_allowed",
           "nearest_target", "new_scratch", "route_moves", "route_to"]
