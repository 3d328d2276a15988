"""Navigation inside the batched simulation: the Hebbian navigator for every agent, every tick.

After each step (and reset) :func:`nav_range` runs over a range of worlds, in numba, with no
per-agent Python. For every living agent it

0. takes as its first target the hook cell ``target`` if set, else what its faction's goal
   needs (``World.goal``: the exit it knows for ``escape``; the artifact, then the exit,
   for ``fetch``);
1. learns from its last action (``search.grid_learn.learn_move``): a move that reached its
   cell strengthens that cell's reliability, a legal move that did not (an ally stepped in,
   a door was shut) weakens it. Reliability lives in a *team memory*, one row per faction;
2. updates its **place-percept memory**: the cell where it last saw each enemy and
   each floor item. A remembered place that it sees empty is dropped, except stairs: an
   agent last seen on stairs is looked for at their other end;
3. plans over its own known map (``World.memory``, fed by the field of view) one forward
   wavefront to the best of its candidate targets (``search.grid_nav.nearest_target``):
   the hook cell ``target`` (top priority), enemies seen now, enemies' last known places
   (older ones count less), wanted floor items (a better weapon, a potion when it carries
   none, keys), the unexplored (any unseen cell), and stairs. An agent with nothing left
   to explore patrols to a far known cell it draws from a hash of (world, agent, turn / 64);
4. when an enemy is seen, a flee move: the neighbour farthest from the enemies by route.

It writes, per agent, ``out[b, a]`` (:data:`NAV_COLUMNS`): the game action that starts
the route (a move, or interact to open a door, unlock it with a held key or take stairs;
0 when none), what the route leads to (:data:`KIND_NAMES`), its cost, the flee action
and the target cell. The scripted NPC (``npc.scripted``) follows it; policies may read it.

``mode[faction]``: 0 Hebbian (learning, place-percept memory, unknown cells cost more),
1 plain shortest paths with the free-space assumption (D* Lite's model: no learning, no
memory of where enemies were; the comparator of ``bench/nav_hunt.py``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from game.actions import MOVE_FIRST
from game.nav_moves import DIRS, STAIRS_DOWN, STAIRS_UP, flee_action, in_view, mark_key_doors, move_action, next_cell
from game.state import (
    ALIVE,
    ARTIFACTS,
    EQ_MELEE,
    EQ_POTION,
    EQ_RANGED,
    FACTION,
    FLOOR,
    G_ESCAPE,
    G_FETCH,
    HP,
    I_CAT,
    I_DMAX,
    I_DMIN,
    I_F,
    I_LOC,
    I_X,
    I_Y,
    KEY,
    KEYS,
    KNOWN_ARTIFACT,
    KNOWN_EXIT,
    LOC_FLOOR,
    MAX_HP,
    MELEE,
    POTION,
    PRESENT,
    RANGED,
    W_CELLS,
    W_EPISODE,
    W_TURN,
    X,
    Y,
)
from search.grid_learn import learn_move
from search.grid_nav import (
    F_GAME,
    MOVE_STAIRS,
    NO_MOVE,
    NavParams,
    distance_field,
    enter_cost,
    nearest_target,
    new_scratch,
    route_moves,
)

#: Columns of the per-agent navigation output.
NAV_COLUMNS = ("action", "kind", "cost", "flee", "target")
NAV_ACTION, NAV_KIND, NAV_COST, NAV_FLEE, NAV_TARGET = range(len(NAV_COLUMNS))
#: What a route leads to (``NAV_KIND``).
KIND_NAMES = ("none", "target", "enemy", "enemy_memory", "item", "explore", "stairs", "patrol")
(K_NONE, K_TARGET, K_ENEMY, K_MEMORY, K_ITEM, K_EXPLORE, K_STAIRS, K_PATROL) = range(len(KIND_NAMES))

#: Navigator modes per faction.
MODE_HEBBIAN, MODE_SHORTEST = 0, 1

# Offsets added to route costs per kind of target (lower: preferred).
V_TARGET = -30.0
V_ENEMY = 0.0
V_MEMORY = -2.0  # + age / 8, at most 12 more: a fresh trace beats exploring
V_ITEM = -3.0
V_EXPLORE = 3.0
V_STAIRS = 30.0
V_PATROL = 40.0
SEARCH_LIMIT = 400.0
COMMIT = 2.0  # bonus of last turn's target
RETRACE = 1.5  # extra cost of stepping back onto the cell just left
ALLY_NEXT = 1e6  # extra cost of a cell an ally next to the agent stands on (no step there now)
REVISIT = 150  # turns before a floor visited is worth going back to
FLEE_RADIUS = 16.0
FOLLOW_MAX = 24  # a planned route is followed for at most this many moves before a new search
FLEE_HP = 0.5  # the flee move is worked out only below this share of max HP
TRACK_TURNS = 24  # an enemy out of view is tracked from hiding place to hiding place this long



class NavState(NamedTuple):
    """Navigation arrays of B worlds (owned by ``BatchedSim`` when ``nav`` is on)."""

    conf: np.ndarray  # float32 [B, factions, N]: team memory of cell reliability
    fails: np.ndarray  # uint8 [B, factions, N]
    cut: np.ndarray  # int32 [B, factions, N]
    seen_agent: np.ndarray  # int32 [B, A, A]: flat cell where a last saw enemy o (-1: none; allies: -1)
    seen_turn: np.ndarray  # int32 [B, A, A]
    seen_item: np.ndarray  # int32 [B, A, I]: flat cell where a last saw item i on the floor
    last_pos: np.ndarray  # int32 [B, A]: flat cell before the last action
    visited: np.ndarray  # int32 [B, A, F]: last turn each floor was visited (-1: never)
    path: np.ndarray  # int8 [B, A, FOLLOW_MAX]: the moves of the route planned last
    path_len: np.ndarray  # int32 [B, A]: moves of it that may be followed
    path_pos: np.ndarray  # int32 [B, A]: the next one
    expect: np.ndarray  # int32 [B, A]: the cell the planned move leads to
    plan_tgt: np.ndarray  # int32 [B, A]: the goal or hook cell when it was planned
    episode: np.ndarray  # int64 [B]: the episode the arrays belong to
    target: np.ndarray  # int32 [B, A]: hook: a flat cell to go to first (-1: none)
    mode: np.ndarray  # int32 [factions]: MODE_HEBBIAN or MODE_SHORTEST
    out: np.ndarray  # int32 [B, A, len(NAV_COLUMNS)]
    plan: np.ndarray  # uint8 [A]: 0 for the agent slots nobody reads the output of (no planning)


def new_nav_state(B: int, A: int, items: int, factions: int, floors: int, cells: int) -> NavState:
    """Empty navigation state (every world starts a new episode at its next call)."""
    return NavState(
        conf=np.ones((B, factions, cells), np.float32), fails=np.zeros((B, factions, cells), np.uint8),
        cut=np.zeros((B, factions, cells), np.int32), seen_agent=-np.ones((B, A, A), np.int32),
        seen_turn=np.zeros((B, A, A), np.int32), seen_item=-np.ones((B, A, items), np.int32),
        last_pos=-np.ones((B, A), np.int32), visited=-np.ones((B, A, floors), np.int32),
        path=np.zeros((B, A, FOLLOW_MAX), np.int8), path_len=np.zeros((B, A), np.int32),
        path_pos=np.zeros((B, A), np.int32), expect=-np.ones((B, A), np.int32),
        plan_tgt=-np.ones((B, A), np.int32), episode=-np.ones(B, np.int64),
        target=-np.ones((B, A), np.int32), mode=np.zeros(factions, np.int32),
        out=np.zeros((B, A, len(NAV_COLUMNS)), np.int32), plan=np.ones(A, np.uint8))


def grow_nav_items(nav: NavState, items: int) -> NavState:
    """``nav`` with room for ``items`` item slots (the level pool grew)."""
    have = nav.seen_item.shape[2]
    if items <= have:
        return nav
    seen = -np.ones(nav.seen_item.shape[:2] + (items,), np.int32)
    seen[:, :, :have] = nav.seen_item
    return nav._replace(seen_item=seen)


def nav_params() -> tuple[np.ndarray, np.ndarray]:
    """Parameter vectors of the two modes (game costs: a closed door costs its interact turn)."""
    heb = NavParams(water=2.0).vector()
    short = NavParams(water=1.0, beta=0.0, unknown=1.0).vector()
    return heb, short


@njit(cache=True, inline="always")
def _hash(a: int, b: int, c: int) -> int:
    h = (a * 0x9E3779B1 + b * 0x85EBCA77 + c * 0xC2B2AE3D) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    h ^= h >> 12
    return h


@njit(cache=True)
def _wanted(it, ag, a: int, i: int) -> bool:
    """Whether agent ``a`` would pick up item ``i`` (better weapon, a potion when none, keys)."""
    c = it[i, I_CAT]
    if c == KEY:
        return True
    if c == POTION:
        return ag[a, EQ_POTION] < 0
    slot = ag[a, EQ_MELEE] if c == MELEE else ag[a, EQ_RANGED] if c == RANGED else -2
    if slot == -2:
        return False
    if slot < 0:
        return True
    return it[i, I_DMIN] + it[i, I_DMAX] > it[slot, I_DMIN] + it[slot, I_DMAX]


@njit(cache=True)
def _forget_world(nav_conf, nav_fails, nav_cut, seen_agent, seen_item, last_pos) -> None:
    nav_conf[:] = 1.0
    nav_fails[:] = 0
    nav_cut[:] = 0
    seen_agent[:] = -1
    seen_item[:] = -1
    last_pos[:] = -1


# nogil: it runs on the simulator's worker threads (BatchedSim.over_worlds), which must not
# queue on the GIL; error_model numpy: no zero-division checks in the integer arithmetic of cells
@njit(cache=True, nogil=True, error_model="numpy")
def nav_range(tiles, locks, cells, occ, ag, it, wi, goal, memory, fov, actions, conf, fails, cut, seen_agent, seen_turn,
              seen_item, last_pos, visited, path, path_len, path_pos, expect, plan_tgt, episode, target, mode,
              out, plan, P_heb, P_short, lo: int, hi: int) -> None:
    """Navigate every living agent of worlds ``lo..hi`` (see the module docstring)."""
    _B, A = ag.shape[0], ag.shape[1]
    F, H, Wd = tiles.shape[1], tiles.shape[2], tiles.shape[3]
    plane = H * Wd
    N = F * plane
    S = new_scratch(N)
    value = np.full(N, np.inf)
    touched = np.empty(N, np.int64)
    sources = np.empty(A, np.int64)
    floor_value = np.full(F, np.inf)
    extra = np.zeros(N, np.float32)
    kind_of = np.zeros(N, np.int8)
    keyed = np.empty(cells.shape[1], np.int64)
    live = np.empty(it.shape[1], np.int64)
    no_floor = np.full(F, np.inf)
    items = it.shape[1]
    for b in range(lo, hi):
        itb, agb = it[b], ag[b]
        n_live = 0  # the item slots in use (most of a pool's slots are empty in most worlds)
        for i in range(items):
            if itb[i, I_CAT] >= 0:
                live[n_live] = i
                n_live += 1
        turn = wi[b, W_TURN]
        if episode[b] != wi[b, W_EPISODE] or turn == 0:  # a new episode (or a reseeded one)
            if episode[b] != wi[b, W_EPISODE]:
                target[b] = -1  # the hook is the caller's, for one episode
            episode[b] = wi[b, W_EPISODE]
            _forget_world(conf[b], fails[b], cut[b], seen_agent[b], seen_item[b], last_pos[b])
            visited[b] = -1
            path_len[b] = 0
        for a in range(A):
            o_ = out[b, a]
            prev_target = o_[NAV_TARGET]
            prev_kind = o_[NAV_KIND]
            prev_cost = o_[NAV_COST]
            o_[:] = 0
            o_[NAV_TARGET] = -1
            me = ag[b, a]
            if me[PRESENT] == 0 or me[ALIVE] == 0 or plan[a] == 0:
                continue
            fac = me[FACTION]
            md = mode[fac]
            P = P_heb if md == MODE_HEBBIAN else P_short
            f, y, x = me[FLOOR], me[Y], me[X]
            here = f * plane + y * Wd + x
            known = memory[b, a].reshape(-1)
            fc, ff, fk = conf[b, fac], fails[b, fac], cut[b, fac]
            # 1. learn from the last action
            act = actions[b, a]
            prev = last_pos[b, a]
            if md == MODE_HEBBIAN and prev >= 0 and MOVE_FIRST <= act < MOVE_FIRST + 8:
                d = act - MOVE_FIRST
                pr = prev % plane
                py, px = pr // Wd + DIRS[d, 0], pr % Wd + DIRS[d, 1]
                if 0 <= py < H and 0 <= px < Wd:
                    aimed = prev - pr + py * Wd + px
                    if here == aimed:
                        learn_move(fc, ff, aimed, True, P)
                    elif here == prev:
                        o = occ[b, prev // plane, py, px]
                        if o < 0 or ag[b, o, FACTION] == fac:  # not a melee hit
                            learn_move(fc, ff, aimed, False, P)
            last_pos[b, a] = here
            back = prev if 0 <= prev < N and prev != here else -1
            vis = fov[b, a]
            # 2. place-percept memory (fresh: something seen that may change the plan)
            n_src = 0
            fresh = False
            for o in range(A):
                # enemies only: no plan reads where allies were, and an ally stepping out of
                # view would otherwise make every agent of a group search again
                if o == a or agb[o, PRESENT] == 0 or agb[o, FACTION] == fac:
                    continue
                if agb[o, ALIVE] and agb[o, FLOOR] == f and in_view(vis, y, x, agb[o, Y], agb[o, X]):
                    seen_agent[b, a, o] = f * plane + agb[o, Y] * Wd + agb[o, X]
                    if seen_turn[b, a, o] < turn - 1:
                        fresh = True  # an enemy comes into view
                    seen_turn[b, a, o] = turn
                    continue
                c = seen_agent[b, a, o]
                if c < 0:
                    continue
                if agb[o, ALIVE] == 0:
                    seen_agent[b, a, o] = -1
                    continue
                if c // plane == f:
                    cr = c % plane
                    if in_view(vis, y, x, cr // Wd, cr % Wd):
                        t = tiles[b, f, cr // Wd, cr % Wd]
                        # gone from where it was: if that was stairs, it took them
                        if t == STAIRS_DOWN and f + 1 < F:
                            seen_agent[b, a, o] = c + plane
                        elif t == STAIRS_UP and f > 0:
                            seen_agent[b, a, o] = c - plane
                        elif md == MODE_HEBBIAN and turn - seen_turn[b, a, o] <= TRACK_TURNS:
                            # it stepped out of view from there: look for it next where it can hide
                            seen_agent[b, a, o] = _hidden_neighbour(known, vis, y, x, c, plane, Wd)
                        else:
                            seen_agent[b, a, o] = -1
                        fresh = True
            # (cells indexed in place, not through a row view: a view per item and agent costs)
            for q in range(n_live):
                i = live[q]
                on_floor = itb[i, I_LOC] == LOC_FLOOR
                if on_floor and itb[i, I_F] == f and in_view(vis, y, x, itb[i, I_Y], itb[i, I_X]):
                    c = f * plane + itb[i, I_Y] * Wd + itb[i, I_X]
                    if seen_item[b, a, i] != c:
                        # only an item it would pick up can change the plan
                        fresh = fresh or _wanted(itb, agb, a, i)
                        seen_item[b, a, i] = c
                    continue
                c = seen_item[b, a, i]
                if c >= 0 and (not on_floor or (c // plane == f and in_view(
                        vis, y, x, (c % plane) // Wd, c % Wd))):
                    seen_item[b, a, i] = -1
                    fresh = fresh or c == prev_target  # gone: the plan changes if it led there
            tgt = target[b, a]
            if tgt < 0:
                tgt = _goal_cell(goal[b, fac], me)
            # Follow the route planned on an earlier turn while it holds: the agent made the
            # planned move, nothing new was seen, and the next step is still open (a search
            # at least every FOLLOW_MAX turns)
            k = path_pos[b, a]
            still = _still_target(prev_kind, prev_target, seen_agent[b, a], seen_turn[b, a], seen_item[b, a], agb,
                                  fac, turn, md == MODE_HEBBIAN)
            if not fresh and k < path_len[b, a] and here == expect[b, a] and tgt == plan_tgt[b, a] and still > 0:
                mv = path[b, a, k]
                v = next_cell(known, plane, Wd, F, here, mv)
                # (a step into a cell still unseen is not followed blindly: a new search decides)
                if v >= 0 and known[v] != 0 and (mv == MOVE_STAIRS or occ[b, f, (v % plane) // Wd, v % Wd] < 0) \
                        and enter_cost(known, fc, fk, extra, v, turn, P, F_GAME) >= 0.0:
                    path_pos[b, a] = k + 1
                    expect[b, a] = v
                    o_[NAV_KIND] = K_MEMORY if prev_kind == K_ENEMY and still == 2 else prev_kind
                    o_[NAV_COST] = max(prev_cost - 1, 0)
                    o_[NAV_TARGET] = prev_target
                    o_[NAV_ACTION] = move_action(tiles[b], f, y, x, mv)
                    visited[b, a, f] = turn
                    continue
            path_len[b, a] = 0
            # 3. targets (value: offset added to the route cost; kind_of: what the cell is)
            nt = 0
            if 0 <= tgt < N:
                value[tgt] = V_TARGET
                kind_of[tgt] = K_TARGET
                touched[nt] = tgt
                nt += 1
            for o in range(A):
                c = seen_agent[b, a, o]
                if c < 0 or ag[b, o, FACTION] == fac:
                    continue
                age = turn - seen_turn[b, a, o]
                if age == 0:
                    v = V_ENEMY
                    kd = K_ENEMY
                    if c // plane == f:
                        sources[n_src] = c
                        n_src += 1
                elif md == MODE_HEBBIAN:
                    v = V_MEMORY + min(age / 8.0, 12.0)
                    kd = K_MEMORY
                else:
                    continue  # no memory of where enemies were
                if v < value[c]:
                    if value[c] == np.inf:
                        touched[nt] = c
                        nt += 1
                    value[c] = v
                    kind_of[c] = kd
            for q in range(n_live):
                i = live[q]
                c = seen_item[b, a, i]
                if (c >= 0 and (md == MODE_HEBBIAN or c // plane == f) and value[c] > V_ITEM
                        and _wanted(itb, agb, a, i)):
                    if value[c] == np.inf:
                        touched[nt] = c
                        nt += 1
                    value[c] = V_ITEM
                    kind_of[c] = K_ITEM
            # commitment: the target chosen last turn keeps a small bonus (no dithering)
            if 0 <= prev_target < N and (known[prev_target] == 0 or value[prev_target] < np.inf):
                if value[prev_target] == np.inf:
                    touched[nt] = prev_target
                    nt += 1
                    value[prev_target] = V_EXPLORE
                    kind_of[prev_target] = K_EXPLORE
                value[prev_target] -= COMMIT
            # stairs: a floor not visited for a while is worth going to
            for g_ in range(F):
                floor_value[g_] = V_STAIRS if turn - visited[b, a, g_] > REVISIT or visited[b, a, g_] < 0 \
                    else np.inf
            visited[b, a, f] = turn
            flags = F_GAME
            # locked doors whose key the agent holds are passages (marked by extra < 0)
            n_keys = mark_key_doors(tiles[b], locks[b], cells[b], wi[b, W_CELLS], itb, a, me[KEYS], plane, Wd,
                                    extra, keyed)
            # An ally in the way: wait for it to move on, unless it is waiting itself or
            # coming this way (then plan around it).
            blocked = -1
            wait = False
            if back >= 0:
                extra[back] = RETRACE  # an equally good way on beats going back

            for attempt in range(2):
                move, best, total = nearest_target(known, fc, fk, extra, plane, Wd, here, value, turn, P,
                                                   flags, SEARCH_LIMIT, S, V_EXPLORE, floor_value, touched[:nt])
                kind = K_NONE
                if best < 0:
                    # nothing to do: patrol to a far known cell drawn from a slow hash
                    h = _hash(b + 1, a + 1, turn // 64 + 1)
                    for k in range(64):
                        c = (h + k * 7919) % N
                        kc = known[c]
                        if kc != 0 and kc - 1 != 0 and kc - 1 != 8 and c // plane == f:
                            if value[c] == np.inf:
                                touched[nt] = c
                                nt += 1
                            value[c] = V_PATROL
                            kind_of[c] = K_PATROL
                            move, best, total = nearest_target(known, fc, fk, extra, plane, Wd, here, value,
                                                               turn, P, flags, 4.0 * SEARCH_LIMIT, S, np.inf,
                                                               no_floor, touched[:nt])
                            break
                if best >= 0:
                    if value[best] < np.inf:
                        kind = kind_of[best]
                    elif known[best] == 0:
                        kind = K_EXPLORE
                    else:
                        kind = K_STAIRS
                if attempt == 1 or not 0 <= move < 8:
                    break
                ny, nx = y + DIRS[move, 0], x + DIRS[move, 1]
                o = occ[b, f, ny, nx]
                if o < 0 or ag[b, o, FACTION] != fac:
                    break
                theirs = out[b, o, NAV_ACTION]
                oncoming = (MOVE_FIRST <= theirs < MOVE_FIRST + 8
                            and ny + DIRS[theirs - MOVE_FIRST, 0] == y
                            and nx + DIRS[theirs - MOVE_FIRST, 1] == x)
                if not oncoming and theirs != 0:
                    wait = True
                    break
                blocked = f * plane + ny * Wd + nx
                extra[blocked] = ALLY_NEXT
            if blocked >= 0:
                extra[blocked] = 0.0
            if back >= 0:
                extra[back] = 0.0
            for k in range(n_keys):
                extra[keyed[k]] = 0.0
            for k in range(nt):
                value[touched[k]] = np.inf
            o_[NAV_KIND] = kind
            o_[NAV_COST] = int(min(total, 1e6)) if best >= 0 else -1
            o_[NAV_TARGET] = best
            o_[NAV_ACTION] = 0 if wait else move_action(tiles[b], f, y, x, move)
            plan_tgt[b, a] = tgt
            if not wait and best >= 0 and move != NO_MOVE:
                n_moves = route_moves(S, plane, Wd, here, best, path[b, a])
                path_len[b, a] = min(n_moves, FOLLOW_MAX)
                path_pos[b, a] = 1
                expect[b, a] = next_cell(known, plane, Wd, F, here, move)
            # 4. flee: the neighbour farthest from the enemies seen now
            if n_src > 0 and me[HP] < FLEE_HP * me[MAX_HP]:
                distance_field(known, fc, fk, extra, plane, Wd, sources[:n_src], turn, P, F_GAME, FLEE_RADIUS, S)
                o_[NAV_FLEE] = flee_action(known, fc, fk, extra, plane, Wd, here, occ[b, f], turn, P, S)


@njit(cache=True, inline="always")
def _still_target(kind: int, cell: int, seen_agent, seen_turn, seen_item, ag_b, fac: int, turn: int,
                  memory: bool) -> int:
    """Whether last turn's target is still one: 0 no, 1 yes, 2 yes but the enemy is out of view now.

    An enemy or item must still be remembered at that cell; without ``memory`` (D* Lite's
    model) an enemy must be in view there now.
    """
    if kind == K_NONE:
        return 0
    if kind not in (K_ENEMY, K_MEMORY, K_ITEM):
        return 1
    if kind == K_ITEM:
        for i in range(seen_item.shape[0]):
            if seen_item[i] == cell:
                return 1
        return 0
    remembered = False
    for o in range(seen_agent.shape[0]):
        if seen_agent[o] == cell and ag_b[o, FACTION] != fac:
            if seen_turn[o] == turn:
                return 1
            remembered = True
    return 2 if remembered and memory else 0


@njit(cache=True)
def _hidden_neighbour(known, vis, y: int, x: int, c: int, plane: int, Wd: int) -> int:
    """Where an enemy last seen at ``c`` (now in view, empty) most likely went: -1 if nowhere.

    The neighbour of ``c`` out of the agent's view that the agent does not know to be a wall,
    farthest from the agent (it stepped away; ties: direction order). The place-percept
    memory moves there, so a hunter looks round the corner instead of giving up.
    """
    H = plane // Wd
    cr = c % plane
    cy, cx = cr // Wd, cr % Wd
    best, far = -1, -1
    for d in range(8):
        ny, nx = cy + DIRS[d, 0], cx + DIRS[d, 1]
        if ny < 0 or ny >= H or nx < 0 or nx >= Wd or in_view(vis, y, x, ny, nx):
            continue
        v = c - cr + ny * Wd + nx
        code = known[v]
        if code != 0 and code - 1 in (0, 3, 4, 8):  # wall, closed or locked door, lava
            continue
        dist = max(abs(ny - y), abs(nx - x))
        if dist > far:
            best, far = v, dist
    return best


@njit(cache=True, inline="always")
def _goal_cell(goal: int, me) -> int:
    """The cell the faction's goal sends the agent to, as far as it knows (-1: none yet).

    Escape: the nearest exit it has seen. Fetch: the artifact where it last saw it lying,
    then (carrying it) an exit.
    """
    if goal == G_ESCAPE or (goal == G_FETCH and me[ARTIFACTS] > 0):
        return me[KNOWN_EXIT]
    if goal == G_FETCH:
        return me[KNOWN_ARTIFACT]
    return -1


__all__ = ["KIND_NAMES", "MODE_HEBBIAN", "MODE_SHORTEST", "NAV_COLUMNS", "NavState", "grow_nav_items",
           "nav_params", "nav_range", "new_nav_state"]


class Navigation:
    """The navigation state of one :class:`game.batch.BatchedSim` and its per-tick update.

    ``update(actions)`` runs :func:`nav_range` over all worlds (on the simulator's worker
    threads) after a reset (``actions`` zeros); a step navigates each chunk of worlds right
    after stepping it (``BatchedSim._run`` with :meth:`kernel_args`). ``out`` is the
    observation key ``nav`` (int32 ``[B, A, len(NAV_COLUMNS)]``). ``target`` is the hook a
    caller (or a goal) sets to send an agent to a flat cell (``f * H * W + y * W + x``).
    """

    def __init__(self, sim) -> None:  # noqa: ANN001 - BatchedSim (no import cycle)
        self.sim = sim
        F, H, W = sim.shape
        self.state = new_nav_state(sim.num_worlds, sim.num_agents, sim.world.it.shape[1],
                                   len(sim.layout.factions), F, F * H * W)
        self._P_heb, self._P_short = nav_params()

    @property
    def out(self) -> np.ndarray:
        """The per-agent navigation output, int32 ``[B, A, len(NAV_COLUMNS)]``."""
        return self.state.out

    @property
    def target(self) -> np.ndarray:
        """The "navigate to this cell first" hook, int32 ``[B, A]`` flat cells (-1: none)."""
        return self.state.target

    def set_planning(self, slots: np.ndarray | list[int], on: bool) -> None:
        """Plan (or not) for these agent slots in every world.

        A slot nobody reads the output of (a learner whose observation has no ``nav``)
        need not be planned for: its ``out`` rows stay zero (no route) and it learns nothing.
        """
        self.state.plan[np.asarray(slots, np.int64)] = 1 if on else 0

    def set_mode(self, faction: int, mode: int) -> None:
        """Drive ``faction``'s agents with :data:`MODE_HEBBIAN` or :data:`MODE_SHORTEST`."""
        self.state.mode[faction] = mode

    def kernel_args(self, actions: np.ndarray) -> tuple:
        """The arguments of :func:`nav_range` before its world range (room made for new items)."""
        sim = self.sim
        self.state = grow_nav_items(self.state, sim.world.it.shape[1])
        w, s = sim.world, self.state
        return (w.tiles, w.locks, w.cells, w.occ, w.ag, w.it, w.wi, w.goal, w.memory, w.fov, actions,
                s.conf, s.fails, s.cut, s.seen_agent, s.seen_turn, s.seen_item, s.last_pos, s.visited,
                s.path, s.path_len, s.path_pos, s.expect, s.plan_tgt, s.episode, s.target, s.mode, s.out,
                s.plan, self._P_heb, self._P_short)

    def update(self, actions: np.ndarray) -> None:
        """Learn from ``actions`` and plan every agent's next route (all worlds).

        (``BatchedSim.step`` runs :func:`nav_range` chunk by chunk with the step instead.)
        """
        self.sim.over_worlds(nav_range, *self.kernel_args(actions))
