"""The rules of one tick, as numba functions over one world ``b`` of the batch.

Resolution order (see docs/simulation.md for the full rule book):

1. Every living agent pays the ``step`` weight. Initiative: living agents act in order
   of DEX (descending), ties broken by a fresh per-tick draw from the world's RNG.
2. Each agent's action is checked against the mask it was shown (computed at the end
   of the previous tick). An illegal action (or one out of range) costs the
   ``illegal_action`` weight and becomes a wait. An agent killed earlier in the tick
   does not act.
3. A legal action resolves against the state the earlier agents left: a move/melee in
   direction d attacks an enemy standing there now, moves if the cell is free and
   walkable now, and otherwise waits (no penalty). A shot hits the first agent in line
   now if it is an enemy at distance >= 2 within reach; otherwise nothing happens.
   Interact re-picks its target now (stairs, else the first door N, E, S, W it can
   change) and waits if there is none.
4. End of tick: lava hurts agents standing on it, buffs count down (not the buff drunk
   this tick), the turn counter advances, and the episode ends when a faction's goal
   is met, when at most one faction is left (or none), or at the turn limit (see
   :func:`finish_check` and docs/simulation.md, "Goals").
"""

from __future__ import annotations

import numpy as np
from numba import njit

from game.actions import CORE_ACTIONS, DIRECTIONS, INTERACT, MOVE_FIRST, SHOOT_FIRST, USE_POTION, WAIT
from game.rng import next_u64, randint
from game.state import (
    ALIVE,
    ARTIFACT,
    ARTIFACTS,
    ATK,
    BUFF_ATK,
    BUFF_DEF,
    BUFF_TURNS,
    CAUSE_ALL_DEAD,
    CAUSE_ELIMINATED,
    CAUSE_ESCAPED,
    CAUSE_FETCHED,
    CAUSE_LAST_STANDING,
    CAUSE_OUT_OF_TIME,
    CAUSE_SURVIVED,
    DEF,
    DEX,
    EQ,
    EQ_MELEE,
    EQ_POTION,
    EQ_RANGED,
    FACTION,
    FLOOR,
    G_ELIMINATE,
    G_ESCAPE,
    G_FETCH,
    G_SURVIVE,
    HP,
    I_BATK,
    I_BDEF,
    I_BTURNS,
    I_CAT,
    I_DMAX,
    I_DMIN,
    I_F,
    I_HEAL,
    I_HOLDER,
    I_KEY,
    I_LOC,
    I_RANGE,
    I_X,
    I_Y,
    KEY,
    KEYS,
    LOC_CONSUMED,
    LOC_FLOOR,
    LOC_HELD,
    MAX_HP,
    OBJ_DEALT,
    OBJ_DEATH,
    OBJ_DRINK,
    OBJ_ILLEGAL,
    OBJ_KILL,
    OBJ_KILL_HP,
    OBJ_LOSE,
    OBJ_PICKUP,
    OBJ_PICKUP_ARTIFACT,
    OBJ_REACH_EXIT,
    OBJ_STAIRS,
    OBJ_STEP,
    OBJ_SURVIVE,
    OBJ_TAKEN,
    OBJ_WIN,
    OUT_CAUSE,
    OUT_WINNER,
    POTION,
    RULE_LAVA_DAMAGE,
    RULE_MAX_TURNS,
    RULE_WATER_TURNS,
    W_DONE,
    W_FACTION_BITS,
    W_FACTIONS,
    W_GOAL_CAUSE,
    W_GOAL_MET,
    W_TILES_VERSION,
    W_TURN,
    WAIT_LEFT,
    X,
    Y,
)
from levels.tiles import OPAQUE, WALKABLE, Tile

_WALK = WALKABLE.astype(np.uint8)
_OPAQ = OPAQUE.astype(np.uint8)
_DIRS = DIRECTIONS
# _DIR_OF[sign(dy) + 1, sign(dx) + 1]: the direction index of a unit step (-1: none).
_DIR_OF = -np.ones((3, 3), dtype=np.int32)
for _d, (_dy, _dx) in enumerate(DIRECTIONS):
    _DIR_OF[_dy + 1, _dx + 1] = _d
_DOOR_OPEN = np.uint8(Tile.DOOR_OPEN)
_DOOR_CLOSED = np.uint8(Tile.DOOR_CLOSED)
_DOOR_LOCKED = np.uint8(Tile.DOOR_LOCKED)
_STAIRS_DOWN = np.uint8(Tile.STAIRS_DOWN)
_STAIRS_UP = np.uint8(Tile.STAIRS_UP)
_WATER = np.uint8(Tile.WATER)
_LAVA = np.uint8(Tile.LAVA)
_EXIT = np.uint8(Tile.EXIT)
# Interact scans the four orthogonal neighbours in this order: N, E, S, W.
_ORTHO = np.array([(-1, 0), (0, 1), (1, 0), (0, -1)], dtype=np.int32)
_LOW32 = np.uint64(0xFFFFFFFF)


@njit(cache=True, error_model="numpy")
def is_door(t: np.uint8) -> bool:
    """True for an open, closed or locked door tile."""
    return t in (_DOOR_OPEN, _DOOR_CLOSED, _DOOR_LOCKED)


@njit(cache=True, error_model="numpy")
def step_allowed(floor_tiles: np.ndarray, y: int, x: int, dy: int, dx: int) -> bool:
    """Whether a step (move or melee) from (y, x) by (dy, dx) is geometrically allowed.

    Diagonal steps may not enter or leave a door cell, nor squeeze between two
    non-walkable orthogonal neighbours (cutting past a single wall corner is fine).
    """
    height, width = floor_tiles.shape
    ny = y + dy
    nx = x + dx
    if ny < 0 or ny >= height or nx < 0 or nx >= width:
        return False
    if dy != 0 and dx != 0:
        if is_door(floor_tiles[y, x]) or is_door(floor_tiles[ny, nx]):
            return False
        if _WALK[floor_tiles[ny, x]] == 0 and _WALK[floor_tiles[y, nx]] == 0:
            return False
    return True


@njit(cache=True, error_model="numpy")
def trace_shot(tiles: np.ndarray, occ: np.ndarray, y: int, x: int, d: int,
               reach: int) -> tuple[int, int]:
    """The first agent in line from ``(y, x)`` in direction ``d`` within ``reach``.

    ``tiles`` and ``occ`` are the shooter's floor. Returns ``(slot, distance)`` or
    ``(-1, 0)``. The line stops at opaque tiles and, on a diagonal, where both
    orthogonal neighbours are opaque.
    """
    height, width = tiles.shape
    dy = _DIRS[d, 0]
    dx = _DIRS[d, 1]
    for k in range(1, reach + 1):
        ny = y + dy
        nx = x + dx
        if ny < 0 or ny >= height or nx < 0 or nx >= width or _OPAQ[tiles[ny, nx]]:
            return -1, 0
        if dy != 0 and dx != 0 and _OPAQ[tiles[ny, x]] and _OPAQ[tiles[y, nx]]:
            return -1, 0
        o = occ[ny, nx]
        if o >= 0:
            return o, k
        y = ny
        x = nx
    return -1, 0


@njit(cache=True, error_model="numpy")
def reach_of(range_: int, dex: int) -> int:
    """Ranged reach: max(2, range + DEX - 2)."""
    return max(2, range_ + dex - 2)


@njit(cache=True, error_model="numpy")
def item_value(it: np.ndarray) -> int:
    """Pick-up order of an item row (see :func:`game.pool.item_value`)."""
    c = it[I_CAT]
    if c == KEY:
        return 0
    if c == POTION:
        return it[I_HEAL] + (it[I_BATK] + it[I_BDEF]) * it[I_BTURNS]
    return (it[I_DMIN] + it[I_DMAX]) * 1024 + it[I_RANGE]


@njit(cache=True, error_model="numpy")
def item_on_cell(its: np.ndarray, f: int, y: int, x: int) -> bool:
    """Whether any item of one world's ``its`` lies on the cell."""
    for i in range(its.shape[0]):
        if its[i, I_LOC] == LOC_FLOOR and its[i, I_F] == f and its[i, I_Y] == y \
                and its[i, I_X] == x:
            return True
    return False


@njit(cache=True, error_model="numpy")
def key_slot(its: np.ndarray, a: int, keys: int, lock: int) -> int:
    """Item slot (in one world's ``its``) of a key for ``lock`` that agent ``a`` carries
    (``keys``: its key count), or -1."""
    if keys == 0:
        return -1
    for i in range(its.shape[0]):
        if its[i, I_LOC] == LOC_HELD and its[i, I_HOLDER] == a and its[i, I_CAT] == KEY \
                and its[i, I_KEY] == lock:
            return i
    return -1


@njit(cache=True, error_model="numpy")
def held_key(W, b: int, a: int, lock: int) -> int:
    """Item slot of a key for ``lock`` that agent ``a`` carries, or -1."""
    return key_slot(W.it[b], a, W.ag[b, a, KEYS], lock)


@njit(cache=True, error_model="numpy", inline="always")
def interact_target(W, b: int, a: int) -> tuple[int, int, int]:
    """What interact would do now: ``(kind, y, x)``.

    kind 0: nothing; 1: take the stairs under the agent; 2: toggle/unlock the door at
    (y, x). Standing on stairs, interact only takes them (blocked while the arrival cell
    is occupied). Otherwise it opens the first door among the N, E, S, W neighbours that
    it can open (a closed door, or a locked one whose key the agent carries: the key is
    used up); only when there is none does it close the first open door with no agent
    or item on it. Opening first means that a door beside another one can always be
    opened, however the two stand.
    """
    me = W.ag[b, a]
    f = me[FLOOR]
    y = me[Y]
    x = me[X]
    tiles = W.tiles[b, f]
    t = tiles[y, x]
    floors = W.tiles.shape[1]
    if t in (_STAIRS_DOWN, _STAIRS_UP):
        g = f + 1 if t == _STAIRS_DOWN else f - 1
        want = _STAIRS_UP if t == _STAIRS_DOWN else _STAIRS_DOWN
        if 0 <= g < floors and W.tiles[b, g, y, x] == want and W.occ[b, g, y, x] < 0:
            return 1, y, x
        return 0, 0, 0
    height, width = tiles.shape
    for k in range(4):
        ny = y + _ORTHO[k, 0]
        nx = x + _ORTHO[k, 1]
        if ny < 0 or ny >= height or nx < 0 or nx >= width:
            continue
        n = tiles[ny, nx]
        if n == _DOOR_CLOSED:
            return 2, ny, nx
        if n == _DOOR_LOCKED and key_slot(W.it[b], a, me[KEYS], W.locks[b, f, ny, nx]) >= 0:
            return 2, ny, nx
    for k in range(4):
        ny = y + _ORTHO[k, 0]
        nx = x + _ORTHO[k, 1]
        if ny < 0 or ny >= height or nx < 0 or nx >= width:
            continue
        if tiles[ny, nx] == _DOOR_OPEN and W.occ[b, f, ny, nx] < 0 and not item_on_cell(W.it[b], f, ny, nx):
            return 2, ny, nx
    return 0, 0, 0


@njit(cache=True, error_model="numpy", inline="always")
def compute_mask(W, b: int, a: int) -> None:
    """Write agent ``a``'s legal-action mask (dead or forced-waiting agents: only wait)."""
    m = W.mask[b, a]
    m[:] = 0
    m[WAIT] = 1
    me = W.ag[b, a]
    if me[ALIVE] == 0 or me[WAIT_LEFT] > 0:
        return
    f = me[FLOOR]
    y = me[Y]
    x = me[X]
    tiles = W.tiles[b, f]
    occ = W.occ[b, f]
    fac = me[FACTION]
    for d in range(8):
        dy = _DIRS[d, 0]
        dx = _DIRS[d, 1]
        if not step_allowed(tiles, y, x, dy, dx):
            continue
        o = occ[y + dy, x + dx]
        if o >= 0:
            if W.ag[b, o, FACTION] != fac:
                m[MOVE_FIRST + d] = 1
        elif _WALK[tiles[y + dy, x + dx]]:
            m[MOVE_FIRST + d] = 1
    weapon = me[EQ_RANGED]
    if weapon >= 0:
        reach = reach_of(W.it[b, weapon, I_RANGE], me[DEX])
        # Trace only the directions with an enemy in line at distance 2..reach: a shot
        # elsewhere cannot hit one, and there are far fewer agents than rays to trace.
        aim = 0
        for o in range(W.ag.shape[1]):
            other = W.ag[b, o]
            if other[ALIVE] == 0 or other[FLOOR] != f or other[FACTION] == fac:
                continue
            dy = other[Y] - y
            dx = other[X] - x
            dist = max(abs(dy), abs(dx))
            if 2 <= dist <= reach and (dy == 0 or dx == 0 or abs(dy) == abs(dx)):
                aim |= 1 << _DIR_OF[np.sign(dy) + 1, np.sign(dx) + 1]
        for d in range(8):
            if aim >> d & 1:
                o, dist = trace_shot(tiles, occ, y, x, d, reach)
                if o >= 0 and dist >= 2 and W.ag[b, o, FACTION] != fac:
                    m[SHOOT_FIRST + d] = 1
    if me[EQ_POTION] >= 0:
        m[USE_POTION] = 1
    kind, _, _ = interact_target(W, b, a)
    if kind != 0:
        m[INTERACT] = 1


@njit(cache=True, error_model="numpy")
def drop_all(W, b: int, a: int) -> None:
    """Drop everything agent ``a`` carries on its cell."""
    me = W.ag[b, a]
    its = W.it[b]
    for i in range(its.shape[0]):
        if its[i, I_LOC] == LOC_HELD and its[i, I_HOLDER] == a:
            r = its[i]
            r[I_LOC] = LOC_FLOOR
            r[I_HOLDER] = -1
            r[I_F] = me[FLOOR]
            r[I_Y] = me[Y]
            r[I_X] = me[X]
    me[EQ_MELEE] = -1
    me[EQ_RANGED] = -1
    me[EQ_POTION] = -1
    me[KEYS] = 0
    me[ARTIFACTS] = 0


@njit(cache=True, error_model="numpy")
def kill(W, C, out, b: int, victim: int, killer: int) -> None:
    """Agent ``victim`` dies (``killer`` -1 for lava or poison): rewards, drops, flags."""
    v = W.ag[b, victim]
    v[ALIVE] = 0
    v[HP] = 0
    W.occ[b, v[FLOOR], v[Y], v[X]] = -1
    drop_all(W, b, victim)
    v[BUFF_ATK] = 0
    v[BUFF_DEF] = 0
    v[BUFF_TURNS] = 0
    v[WAIT_LEFT] = 0
    out.terminated[b, victim] = 1
    out.reward[b, victim] += C.weights[v[FACTION], OBJ_DEATH]
    if killer >= 0:
        k = W.ag[b, killer]
        w = C.weights[k[FACTION]]
        out.reward[b, killer] += w[OBJ_KILL] + w[OBJ_KILL_HP] * k[HP] / k[MAX_HP]


@njit(cache=True, error_model="numpy")
def hurt(W, C, out, b: int, attacker: int, target: int, damage: int) -> None:
    """Apply ``damage`` from ``attacker`` to ``target``; DEF (with buff) reduces attacks.

    ``attacker`` -1 (lava) bypasses DEF.
    """
    t = W.ag[b, target]
    taken = damage
    if attacker >= 0:
        taken = max(damage - (t[DEF] + t[BUFF_DEF]), 0)
        out.reward[b, attacker] += C.weights[W.ag[b, attacker, FACTION], OBJ_DEALT] * taken
    out.reward[b, target] += C.weights[t[FACTION], OBJ_TAKEN] * taken
    t[HP] -= taken
    if t[HP] <= 0:
        kill(W, C, out, b, target, attacker)


@njit(cache=True, error_model="numpy", inline="always")
def pick_up(W, C, out, b: int, a: int) -> None:
    """Agent ``a`` picks up what lies on its cell (better items replace worse ones).

    Keys are always taken; the artifact only by agents whose faction's goal is fetch.
    """
    me = W.ag[b, a]
    f = me[FLOOR]
    y = me[Y]
    x = me[X]
    its = W.it[b]
    taken = 0
    for i in range(its.shape[0]):
        if its[i, I_LOC] != LOC_FLOOR or its[i, I_F] != f or its[i, I_Y] != y \
                or its[i, I_X] != x:
            continue
        r = its[i]
        c = r[I_CAT]
        if c == KEY:
            r[I_LOC] = LOC_HELD
            r[I_HOLDER] = a
            me[KEYS] += 1
            taken += 1
            continue
        if c == ARTIFACT:
            if W.goal[b, me[FACTION]] == G_FETCH:
                r[I_LOC] = LOC_HELD
                r[I_HOLDER] = a
                me[ARTIFACTS] += 1
                out.reward[b, a] += C.weights[me[FACTION], OBJ_PICKUP_ARTIFACT]
            continue
        old = me[EQ + c]
        if old >= 0 and item_value(r) <= item_value(its[old]):
            continue
        r[I_LOC] = LOC_HELD
        r[I_HOLDER] = a
        me[EQ + c] = i
        taken += 1
        if old >= 0:
            o = its[old]
            o[I_LOC] = LOC_FLOOR
            o[I_HOLDER] = -1
            o[I_F] = f
            o[I_Y] = y
            o[I_X] = x
    if taken:
        out.reward[b, a] += C.weights[me[FACTION], OBJ_PICKUP] * taken


@njit(cache=True, error_model="numpy", inline="always")
def place(W, C, out, b: int, a: int, f: int, y: int, x: int) -> None:
    """Move agent ``a`` to a free cell, then water, pick-up and exit effects."""
    me = W.ag[b, a]
    W.occ[b, me[FLOOR], me[Y], me[X]] = -1
    me[FLOOR] = f
    me[Y] = y
    me[X] = x
    W.occ[b, f, y, x] = a
    t = W.tiles[b, f, y, x]
    if t == _WATER:
        me[WAIT_LEFT] = C.rules[RULE_WATER_TURNS]
    pick_up(W, C, out, b, a)
    if t == _EXIT:
        reach_exit(W, C, out, b, a)


@njit(cache=True, error_model="numpy")
def reach_exit(W, C, out, b: int, a: int) -> None:
    """Agent ``a`` stands on an exit: its faction's escape (or, carrying the artifact,
    fetch) goal is met, unless another faction met its goal earlier this tick."""
    fac = W.ag[b, a, FACTION]
    goal = W.goal[b, fac]
    if goal == G_ESCAPE:
        cause = CAUSE_ESCAPED
    elif goal == G_FETCH and W.ag[b, a, ARTIFACTS] > 0:
        cause = CAUSE_FETCHED
    else:
        return
    if W.wi[b, W_GOAL_MET] == 0:
        W.wi[b, W_GOAL_MET] = fac + 1
        W.wi[b, W_GOAL_CAUSE] = cause
        out.reward[b, a] += C.weights[fac, OBJ_REACH_EXIT]


@njit(cache=True, error_model="numpy", inline="always")
def act_step(W, C, out, b: int, a: int, d: int) -> None:
    """Move or melee in direction ``d``, against the current state."""
    me = W.ag[b, a]
    f = me[FLOOR]
    y = me[Y]
    x = me[X]
    dy = _DIRS[d, 0]
    dx = _DIRS[d, 1]
    tiles = W.tiles[b, f]
    if not step_allowed(tiles, y, x, dy, dx):
        return
    o = W.occ[b, f, y + dy, x + dx]
    if o >= 0:
        if W.ag[b, o, FACTION] != me[FACTION]:
            weapon = me[EQ_MELEE]
            if weapon >= 0:
                roll = randint(W.rng, b, W.it[b, weapon, I_DMIN], W.it[b, weapon, I_DMAX])
            else:
                roll = randint(W.rng, b, 0, 1)
            hurt(W, C, out, b, a, o, roll + me[ATK] + me[BUFF_ATK])
        return
    if _WALK[tiles[y + dy, x + dx]]:
        place(W, C, out, b, a, f, y + dy, x + dx)


@njit(cache=True, error_model="numpy")
def act_shoot(W, C, out, b: int, a: int, d: int) -> None:
    """Ranged attack in direction ``d``, against the current state."""
    me = W.ag[b, a]
    weapon = me[EQ_RANGED]
    if weapon < 0:
        return
    o, dist = trace_shot(W.tiles[b, me[FLOOR]], W.occ[b, me[FLOOR]], me[Y], me[X], d,
                         reach_of(W.it[b, weapon, I_RANGE], me[DEX]))
    if o < 0 or dist < 2 or W.ag[b, o, FACTION] == me[FACTION]:
        return
    roll = randint(W.rng, b, W.it[b, weapon, I_DMIN], W.it[b, weapon, I_DMAX])
    hurt(W, C, out, b, a, o, roll + me[DEX])


@njit(cache=True, error_model="numpy")
def act_drink(W, C, out, b: int, a: int) -> bool:
    """Drink the carried potion; returns True if it started a buff."""
    me = W.ag[b, a]
    p = me[EQ_POTION]
    if p < 0:
        return False
    r = W.it[b, p]
    me[EQ_POTION] = -1
    r[I_LOC] = LOC_CONSUMED
    r[I_HOLDER] = -1
    out.reward[b, a] += C.weights[me[FACTION], OBJ_DRINK]
    buffed = False
    if r[I_BTURNS] > 0:
        me[BUFF_ATK] = r[I_BATK]
        me[BUFF_DEF] = r[I_BDEF]
        me[BUFF_TURNS] = r[I_BTURNS]
        buffed = True
    heal = r[I_HEAL]
    if heal != 0:
        me[HP] = min(me[HP] + heal, me[MAX_HP])
        if heal < 0:
            out.reward[b, a] += C.weights[me[FACTION], OBJ_TAKEN] * (-heal)
        if me[HP] <= 0:
            kill(W, C, out, b, a, -1)
    return buffed


@njit(cache=True, error_model="numpy")
def act_interact(W, C, out, b: int, a: int) -> None:
    """Take the stairs or change a door (see :func:`interact_target`)."""
    kind, ny, nx = interact_target(W, b, a)
    me = W.ag[b, a]
    f = me[FLOOR]
    if kind == 1:
        down = W.tiles[b, f, ny, nx] == _STAIRS_DOWN
        place(W, C, out, b, a, f + 1 if down else f - 1, ny, nx)
        if down:
            out.reward[b, a] += C.weights[me[FACTION], OBJ_STAIRS]
    elif kind == 2:
        t = W.tiles[b, f, ny, nx]
        W.wi[b, W_TILES_VERSION] += 1  # cached fields of view are stale
        if t == _DOOR_CLOSED:
            W.tiles[b, f, ny, nx] = _DOOR_OPEN
        elif t == _DOOR_OPEN:
            W.tiles[b, f, ny, nx] = _DOOR_CLOSED
        else:
            key = held_key(W, b, a, W.locks[b, f, ny, nx])
            W.it[b, key, I_LOC] = LOC_CONSUMED
            W.it[b, key, I_HOLDER] = -1
            me[KEYS] -= 1
            W.locks[b, f, ny, nx] = 0
            W.tiles[b, f, ny, nx] = _DOOR_OPEN


@njit(cache=True, error_model="numpy", inline="always")
def initiative(W, b: int, order: np.ndarray, keys: np.ndarray) -> int:
    """Fill ``order`` with living slots by DEX descending, ties by a seeded draw.

    One draw is taken per slot (living or not), so the RNG advances the same way
    whatever the outcome. Returns the number of living agents.
    """
    A = W.ag.shape[1]
    ag = W.ag[b]
    n = 0
    for a in range(A):
        draw = np.int64(next_u64(W.rng, b) & _LOW32)
        if ag[a, ALIVE] == 0:
            continue
        keys[a] = draw
        j = n
        while j > 0:
            p = order[j - 1]
            if ag[p, DEX] > ag[a, DEX] or (ag[p, DEX] == ag[a, DEX] and keys[p] <= draw):
                break
            order[j] = p
            j -= 1
        order[j] = a
        n += 1
    return n


@njit(cache=True, error_model="numpy", inline="always")
def tick(W, C, out, S, b: int, actions: np.ndarray) -> None:
    """Play one tick of world ``b`` with ``actions[b, a]`` (see the module docstring)."""
    A = W.ag.shape[1]
    ag = W.ag[b]
    num_actions = W.mask.shape[2]
    order = S.order
    drank = S.drank
    drank[:] = 0
    n = initiative(W, b, order, S.keys)
    for a in range(A):
        if ag[a, ALIVE]:
            out.reward[b, a] += C.weights[ag[a, FACTION], OBJ_STEP]
    for k in range(n):
        a = order[k]
        me = ag[a]
        if me[ALIVE] == 0:
            continue
        act = actions[b, a]
        if act < 0 or act >= num_actions or W.mask[b, a, act] == 0:
            out.reward[b, a] += C.weights[me[FACTION], OBJ_ILLEGAL]
            act = WAIT
        if me[WAIT_LEFT] > 0:
            me[WAIT_LEFT] -= 1
            continue
        if act >= CORE_ACTIONS or act == WAIT:
            continue
        if act < SHOOT_FIRST:
            act_step(W, C, out, b, a, act - MOVE_FIRST)
        elif act < USE_POTION:
            act_shoot(W, C, out, b, a, act - SHOOT_FIRST)
        elif act == USE_POTION:
            if act_drink(W, C, out, b, a):
                drank[a] = 1
        else:
            act_interact(W, C, out, b, a)
    lava = C.rules[RULE_LAVA_DAMAGE]
    for a in range(A):
        me = ag[a]
        if me[ALIVE] == 0:
            continue
        if lava > 0 and W.tiles[b, me[FLOOR], me[Y], me[X]] == _LAVA:
            hurt(W, C, out, b, -1, a, lava)
        if me[ALIVE] and me[BUFF_TURNS] > 0 and drank[a] == 0:
            me[BUFF_TURNS] -= 1
            if me[BUFF_TURNS] == 0:
                me[BUFF_ATK] = 0
                me[BUFF_DEF] = 0
    W.wi[b, W_TURN] += 1
    finish_check(W, C, out, S, b)


@njit(cache=True, error_model="numpy", inline="always")
def finish_check(W, C, out, S, b: int) -> None:
    """End the episode when a faction wins, nobody can, or the turn limit is reached.

    In order: a faction whose agent reached an exit this tick meeting its escape or
    fetch goal wins; else a living faction whose eliminate targets (those that had
    agents at the start; at least one) are all dead wins; else, when the level started
    with two or more factions and only one has living agents, it wins (last standing);
    with no living agent at all the episode is a draw. At the turn limit a draw, unless
    exactly one living faction plays survive (it wins). A level that started with one
    faction and no goal it can meet ends when it is wiped out or at the turn limit.
    Winning gives the ``win`` weight to the winners' living agents and ``lose`` to the
    other living agents; every living agent gets ``survive``.
    """
    A = W.ag.shape[1]
    ag = W.ag[b]
    factions = C.sight.shape[0]
    counts = S.counts
    counts[:] = 0
    for a in range(A):
        if ag[a, ALIVE]:
            counts[ag[a, FACTION]] += 1
    left = 0
    last = -1
    for f in range(factions):
        if counts[f] > 0:
            left += 1
            last = f
    started = W.wi[b, W_FACTION_BITS]
    winner = -1
    cause = 0
    if W.wi[b, W_GOAL_MET] > 0:
        winner = W.wi[b, W_GOAL_MET] - 1
        cause = W.wi[b, W_GOAL_CAUSE]
    else:
        for f in range(factions):
            if counts[f] == 0 or W.goal[b, f] != G_ELIMINATE:
                continue
            targets = 0
            standing = 0
            for g in range(factions):
                if C.targets[f, g] and started >> g & 1:
                    targets += 1
                    standing += counts[g]
            if targets > 0 and standing == 0:
                winner = f
                cause = CAUSE_ELIMINATED
                break
    if winner < 0:
        if left == 0:
            cause = CAUSE_ALL_DEAD
        elif W.wi[b, W_FACTIONS] >= 2 and left == 1:
            winner = last
            cause = CAUSE_LAST_STANDING
        elif W.wi[b, W_TURN] >= C.rules[RULE_MAX_TURNS]:
            cause = CAUSE_OUT_OF_TIME
            for f in range(factions):
                if counts[f] > 0 and W.goal[b, f] == G_SURVIVE:
                    if winner < 0:
                        winner = f
                        cause = CAUSE_SURVIVED
                    else:  # two factions survive: nobody's goal alone is met
                        winner = -1
                        cause = CAUSE_OUT_OF_TIME
                        break
    if cause == 0:
        return
    W.wi[b, W_DONE] = 1
    out.wout[b, OUT_WINNER] = winner
    out.wout[b, OUT_CAUSE] = cause
    truncate = cause == CAUSE_OUT_OF_TIME
    for a in range(A):
        if ag[a, ALIVE]:
            w = C.weights[ag[a, FACTION]]
            out.reward[b, a] += w[OBJ_SURVIVE]
            if winner >= 0:
                out.reward[b, a] += w[OBJ_WIN] if ag[a, FACTION] == winner else w[OBJ_LOSE]
            if truncate:
                out.truncated[b, a] = 1
            else:
                out.terminated[b, a] = 1
