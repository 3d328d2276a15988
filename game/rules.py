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
   :func:`game.outcome.finish_check` and docs/simulation.md, "Goals").
"""

from __future__ import annotations

import numpy as np
from numba import njit

from game.actions import CORE_ACTIONS, DIRECTIONS, INTERACT, MOVE_FIRST, SHOOT_FIRST, USE_POTION, WAIT
from game.cells import (
    DIR_OF,
    DOOR_CLOSED,
    DOOR_LOCKED,
    DOOR_OPEN,
    EXIT,
    LAVA,
    LOW32,
    ORTHO,
    STAIRS_DOWN,
    STAIRS_UP,
    WALK,
    WATER,
    held_key,
    item_on_cell,
    item_value,
    key_slot,
    reach_of,
    step_allowed,
    trace_shot,
)
from game.outcome import finish_check
from game.rng import next_u64, randint
from game.state import (
    ALIVE,
    ARTIFACT,
    ARTIFACTS,
    ATK,
    BUFF_ATK,
    BUFF_DEF,
    BUFF_TURNS,
    CAUSE_ESCAPED,
    CAUSE_FETCHED,
    DEF,
    DEX,
    EQ,
    EQ_MELEE,
    EQ_POTION,
    EQ_RANGED,
    FACTION,
    FLOOR,
    G_ESCAPE,
    G_FETCH,
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
    OBJ_PICKUP,
    OBJ_PICKUP_ARTIFACT,
    OBJ_REACH_EXIT,
    OBJ_STAIRS,
    OBJ_STEP,
    OBJ_TAKEN,
    RULE_LAVA_DAMAGE,
    RULE_WATER_TURNS,
    W_GOAL_CAUSE,
    W_GOAL_MET,
    W_TILES_VERSION,
    W_TURN,
    WAIT_LEFT,
    X,
    Y,
)

#: What interact would do (the first value :func:`interact_target` returns).
INTERACT_NOTHING = 0
INTERACT_STAIRS = 1
INTERACT_DOOR = 2


@njit(cache=True, error_model="numpy", inline="always")
def interact_target(W, b: int, a: int) -> tuple[int, int, int]:
    """What interact would do now: ``(kind, y, x)``.

    kind :data:`INTERACT_NOTHING`, :data:`INTERACT_STAIRS` (take the stairs under the
    agent) or :data:`INTERACT_DOOR` (toggle or unlock the door at (y, x)). Standing on
    stairs, interact only takes them (blocked while the arrival cell is occupied).
    Otherwise it opens the first door among the N, E, S, W neighbours that it can open
    (a closed door, or a locked one whose key the agent carries: the key is used up);
    only when there is none does it close the first open door with no agent or item on
    it. Opening first means that a door beside another one can always be
    opened, however the two stand.
    """
    me = W.ag[b, a]
    f = me[FLOOR]
    y = me[Y]
    x = me[X]
    tiles = W.tiles[b, f]
    t = tiles[y, x]
    floors = W.tiles.shape[1]
    if t in (STAIRS_DOWN, STAIRS_UP):
        g = f + 1 if t == STAIRS_DOWN else f - 1
        want = STAIRS_UP if t == STAIRS_DOWN else STAIRS_DOWN
        if 0 <= g < floors and W.tiles[b, g, y, x] == want and W.occ[b, g, y, x] < 0:
            return INTERACT_STAIRS, y, x
        return INTERACT_NOTHING, 0, 0
    height, width = tiles.shape
    for k in range(4):
        ny = y + ORTHO[k, 0]
        nx = x + ORTHO[k, 1]
        if ny < 0 or ny >= height or nx < 0 or nx >= width:
            continue
        n = tiles[ny, nx]
        if n == DOOR_CLOSED:
            return INTERACT_DOOR, ny, nx
        if n == DOOR_LOCKED and key_slot(W.it[b], a, me[KEYS], W.locks[b, f, ny, nx]) >= 0:
            return INTERACT_DOOR, ny, nx
    for k in range(4):
        ny = y + ORTHO[k, 0]
        nx = x + ORTHO[k, 1]
        if ny < 0 or ny >= height or nx < 0 or nx >= width:
            continue
        if tiles[ny, nx] == DOOR_OPEN and W.occ[b, f, ny, nx] < 0 and not item_on_cell(W.it[b], f, ny, nx):
            return INTERACT_DOOR, ny, nx
    return INTERACT_NOTHING, 0, 0


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
        dy = DIRECTIONS[d, 0]
        dx = DIRECTIONS[d, 1]
        if not step_allowed(tiles, y, x, dy, dx):
            continue
        o = occ[y + dy, x + dx]
        if o >= 0:
            if W.ag[b, o, FACTION] != fac:
                m[MOVE_FIRST + d] = 1
        elif WALK[tiles[y + dy, x + dx]]:
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
                aim |= 1 << DIR_OF[np.sign(dy) + 1, np.sign(dx) + 1]
        for d in range(8):
            if aim >> d & 1:
                o, dist = trace_shot(tiles, occ, y, x, d, reach)
                if o >= 0 and dist >= 2 and W.ag[b, o, FACTION] != fac:
                    m[SHOOT_FIRST + d] = 1
    if me[EQ_POTION] >= 0:
        m[USE_POTION] = 1
    kind, _, _ = interact_target(W, b, a)
    if kind != INTERACT_NOTHING:
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
    if t == WATER:
        me[WAIT_LEFT] = C.rules[RULE_WATER_TURNS]
    pick_up(W, C, out, b, a)
    if t == EXIT:
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
    dy = DIRECTIONS[d, 0]
    dx = DIRECTIONS[d, 1]
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
    if WALK[tiles[y + dy, x + dx]]:
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
    if kind == INTERACT_STAIRS:
        down = W.tiles[b, f, ny, nx] == STAIRS_DOWN
        place(W, C, out, b, a, f + 1 if down else f - 1, ny, nx)
        if down:
            out.reward[b, a] += C.weights[me[FACTION], OBJ_STAIRS]
    elif kind == INTERACT_DOOR:
        t = W.tiles[b, f, ny, nx]
        W.wi[b, W_TILES_VERSION] += 1  # cached fields of view are stale
        if t == DOOR_CLOSED:
            W.tiles[b, f, ny, nx] = DOOR_OPEN
        elif t == DOOR_OPEN:
            W.tiles[b, f, ny, nx] = DOOR_CLOSED
        else:
            key = held_key(W, b, a, W.locks[b, f, ny, nx])
            W.it[b, key, I_LOC] = LOC_CONSUMED
            W.it[b, key, I_HOLDER] = -1
            me[KEYS] -= 1
            W.locks[b, f, ny, nx] = 0
            W.tiles[b, f, ny, nx] = DOOR_OPEN


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
        draw = np.int64(next_u64(W.rng, b) & LOW32)
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
        if lava > 0 and W.tiles[b, me[FLOOR], me[Y], me[X]] == LAVA:
            hurt(W, C, out, b, -1, a, lava)
        if me[ALIVE] and me[BUFF_TURNS] > 0 and drank[a] == 0:
            me[BUFF_TURNS] -= 1
            if me[BUFF_TURNS] == 0:
                me[BUFF_ATK] = 0
                me[BUFF_DEF] = 0
    W.wi[b, W_TURN] += 1
    finish_check(W, C, out, S, b)
