"""Observation building for one world: field of view, memory, patch, tokens, self, mask.

See :mod:`game.spec` for the meaning of every field. The field of view is computed
here (once per agent per tick) and also updates the agent's tile memory; the number of
tiles seen for the first time feeds the ``explore`` objective.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from game.cells import key_slot, reach_of
from game.fov import compute_fov
from game.rules import compute_mask
from game.spec import (
    ENTITY_COLUMN,
    FEATURE_CLIP,
    HP_SCALE,
    KEY_SCALE,
    MAX_ENTITIES,
    OCC_ALLY,
    OCC_ENEMY,
    OCC_ITEM,
    OCC_SELF,
    OFF_MAP,
    PATCH,
    PATCH_RADIUS,
    POS_SCALE,
    SELF_COLUMN,
    STAT_SCALE,
    TURN_SCALE,
)
from game.state import (
    ALIVE,
    ARTIFACT,
    ARTIFACTS,
    ATK,
    BUFF_ATK,
    BUFF_DEF,
    BUFF_TURNS,
    DEF,
    DEX,
    EQ_MELEE,
    EQ_POTION,
    EQ_RANGED,
    FACTION,
    FLOOR,
    FOV_CELL,
    FOV_N,
    FOV_VERSION,
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
    I_LOC,
    I_RANGE,
    I_X,
    I_Y,
    KEYS,
    KNOWN_ARTIFACT,
    KNOWN_EXIT,
    LOC_FLOOR,
    MAX_HP,
    MELEE,
    OBJ_EXPLORE,
    POTION,
    RANGED,
    RULE_MAX_TURNS,
    W_CELLS,
    W_LEVEL,
    W_TILES_VERSION,
    W_TURN,
    WAIT_LEFT,
    X,
    Y,
)
from levels.tiles import Tile

_GROUP_AGENT, _GROUP_OTHER = 0, 1
_KIND_AGENT, _KIND_ITEM, _KIND_CELL = 0, 1, 2
_DOOR_OPEN = np.uint8(Tile.DOOR_OPEN)
_DOOR_CLOSED = np.uint8(Tile.DOOR_CLOSED)
_DOOR_LOCKED = np.uint8(Tile.DOOR_LOCKED)
_STAIRS_DOWN = np.uint8(Tile.STAIRS_DOWN)
_STAIRS_UP = np.uint8(Tile.STAIRS_UP)
_EXIT = np.uint8(Tile.EXIT)
_CLIP = np.float32(FEATURE_CLIP)
_E_EXIT = ENTITY_COLUMN["is_exit"]
_E_ARTIFACT = ENTITY_COLUMN["is_artifact"]
_S_GOAL = SELF_COLUMN["goal_eliminate"]  # then escape, fetch, survive (G_* order)
_S_HAS_ARTIFACT = SELF_COLUMN["has_artifact"]
_S_TARGET = SELF_COLUMN["target_known"]  # then dz, dy, dx, dist


@njit(cache=True, error_model="numpy")
def _put(row: np.ndarray, j: int, value: float) -> None:
    row[j] = min(max(np.float32(value), -_CLIP), _CLIP)


@njit(cache=True, error_model="numpy", inline="always")
def _visible(vis: np.ndarray, dy: int, dx: int) -> bool:
    G = vis.shape[0] // 2
    if dy < -G or dy > G or dx < -G or dx > G:
        return False
    return vis[G + dy, G + dx] != 0


# The token and self helpers take one world's rows, never the state tuples: a call that
# is not inlined copies every array of a tuple argument onto the stack (~1 KB for World).


@njit(cache=True, error_model="numpy", inline="always")
def _agent_token(ag: np.ndarray, ally: bool, its: np.ndarray, row: np.ndarray) -> None:
    row[0] = 1.0
    if ally:
        row[8] = 1.0
    else:
        row[9] = 1.0
    _put(row, 10, ag[HP] / ag[MAX_HP])
    _put(row, 11, ag[MAX_HP] / HP_SCALE)
    _put(row, 12, (ag[ATK] + ag[BUFF_ATK]) / STAT_SCALE)
    _put(row, 13, (ag[DEF] + ag[BUFF_DEF]) / STAT_SCALE)
    _put(row, 14, ag[DEX] / STAT_SCALE)
    m = ag[EQ_MELEE]
    if m >= 0:
        _put(row, 15, its[m, I_DMIN] / STAT_SCALE)
        _put(row, 16, its[m, I_DMAX] / STAT_SCALE)
    r = ag[EQ_RANGED]
    if r >= 0:
        _put(row, 17, its[r, I_DMIN] / STAT_SCALE)
        _put(row, 18, its[r, I_DMAX] / STAT_SCALE)
        _put(row, 19, reach_of(its[r, I_RANGE], ag[DEX]) / STAT_SCALE)
    p = ag[EQ_POTION]
    if p >= 0:
        _potion_cols(its[p], row, 20)
    _put(row, 24, ag[BUFF_ATK] / STAT_SCALE)
    _put(row, 25, ag[BUFF_DEF] / STAT_SCALE)
    _put(row, 26, ag[BUFF_TURNS] / TURN_SCALE)


@njit(cache=True, error_model="numpy")
def _potion_cols(it: np.ndarray, row: np.ndarray, j: int) -> None:
    _put(row, j, it[I_HEAL] / HP_SCALE)
    _put(row, j + 1, it[I_BATK] / STAT_SCALE)
    _put(row, j + 2, it[I_BDEF] / STAT_SCALE)
    _put(row, j + 3, it[I_BTURNS] / TURN_SCALE)


@njit(cache=True, error_model="numpy", inline="always")
def _item_token(it: np.ndarray, my_dex: int, row: np.ndarray) -> None:
    c = it[I_CAT]
    if c == ARTIFACT:
        row[_E_ARTIFACT] = 1.0
        return
    row[1 + c] = 1.0
    if c == MELEE:
        _put(row, 15, it[I_DMIN] / STAT_SCALE)
        _put(row, 16, it[I_DMAX] / STAT_SCALE)
    elif c == RANGED:
        _put(row, 17, it[I_DMIN] / STAT_SCALE)
        _put(row, 18, it[I_DMAX] / STAT_SCALE)
        _put(row, 19, reach_of(it[I_RANGE], my_dex) / STAT_SCALE)
    elif c == POTION:
        _potion_cols(it, row, 20)


@njit(cache=True, error_model="numpy", inline="always")
def _cell_token(t: int, have_key: bool, row: np.ndarray) -> None:
    if t == _STAIRS_DOWN:
        row[6] = 1.0
    elif t == _STAIRS_UP:
        row[7] = 1.0
    elif t == _EXIT:
        row[_E_EXIT] = 1.0
    else:
        row[5] = 1.0
        if t == _DOOR_OPEN:
            row[27] = 1.0
        elif t == _DOOR_LOCKED:
            row[28] = 1.0
            if have_key:
                row[29] = 1.0


@njit(cache=True, error_model="numpy", inline="always")
def _self_features(ag: np.ndarray, its: np.ndarray, floors: int, height: int, width: int,
                   time: float, under: int, v: np.ndarray) -> None:
    v[:] = 0.0
    _put(v, 0, ag[HP] / ag[MAX_HP])
    _put(v, 1, ag[HP] / HP_SCALE)
    _put(v, 2, ag[MAX_HP] / HP_SCALE)
    _put(v, 3, ag[ATK] / STAT_SCALE)
    _put(v, 4, ag[DEF] / STAT_SCALE)
    _put(v, 5, ag[DEX] / STAT_SCALE)
    _put(v, 6, ag[BUFF_ATK] / STAT_SCALE)
    _put(v, 7, ag[BUFF_DEF] / STAT_SCALE)
    _put(v, 8, ag[BUFF_TURNS] / TURN_SCALE)
    m = ag[EQ_MELEE]
    if m >= 0:
        v[9] = 1.0
        _put(v, 10, its[m, I_DMIN] / STAT_SCALE)
        _put(v, 11, its[m, I_DMAX] / STAT_SCALE)
    r = ag[EQ_RANGED]
    if r >= 0:
        v[12] = 1.0
        _put(v, 13, its[r, I_DMIN] / STAT_SCALE)
        _put(v, 14, its[r, I_DMAX] / STAT_SCALE)
        _put(v, 15, reach_of(its[r, I_RANGE], ag[DEX]) / STAT_SCALE)
    p = ag[EQ_POTION]
    if p >= 0:
        v[16] = 1.0
        _potion_cols(its[p], v, 17)
    _put(v, 21, ag[KEYS] / KEY_SCALE)
    _put(v, 22, ag[WAIT_LEFT] / KEY_SCALE)
    _put(v, 23, ag[FLOOR] / max(floors - 1, 1))
    _put(v, 24, ag[Y] / height)
    _put(v, 25, ag[X] / width)
    _put(v, 26, time)
    if under == _STAIRS_DOWN:
        v[27] = 1.0
    elif under == _STAIRS_UP:
        v[27] = -1.0


@njit(cache=True, error_model="numpy", inline="always")
def _goal_features(ag: np.ndarray, goal: int, height: int, width: int, v: np.ndarray) -> None:
    """The goal one-hot, the artifact flag and the remembered goal target (after _self_features)."""
    v[_S_GOAL + goal] = 1.0
    if ag[ARTIFACTS] > 0:
        v[_S_HAS_ARTIFACT] = 1.0
    target = -1
    if goal == G_ESCAPE or (goal == G_FETCH and ag[ARTIFACTS] > 0):
        target = ag[KNOWN_EXIT]
    elif goal == G_FETCH:
        target = ag[KNOWN_ARTIFACT]
    if target < 0:
        return
    plane = height * width
    tf = target // plane
    ty = target % plane // width
    tx = target % width
    v[_S_TARGET] = 1.0
    _put(v, _S_TARGET + 1, tf - ag[FLOOR])
    _put(v, _S_TARGET + 2, (ty - ag[Y]) / POS_SCALE)
    _put(v, _S_TARGET + 3, (tx - ag[X]) / POS_SCALE)
    _put(v, _S_TARGET + 4, max(abs(ty - ag[Y]), abs(tx - ag[X])) / POS_SCALE)


@njit(cache=True, error_model="numpy", inline="always")
def _remember_exit(ag: np.ndarray, f: int, y: int, x: int, ey: int, ex: int, height: int, width: int) -> None:
    """Keep the exit at (f, ey, ex), seen now, if it is nearer than the one remembered."""
    known = ag[KNOWN_EXIT]
    plane = height * width
    if known >= 0 and known // plane == f:
        ky = known % plane // width
        kx = known % width
        if max(abs(ky - y), abs(kx - x)) <= max(abs(ey - y), abs(ex - x)):
            return
    ag[KNOWN_EXIT] = f * plane + ey * width + ex


@njit(cache=True, error_model="numpy")
def _held_kinds(ag: np.ndarray, kinds: np.ndarray, held: np.ndarray) -> None:
    """Kind ids of the equipped melee and ranged weapons and the carried potion (0: none)."""
    m, r, p = ag[EQ_MELEE], ag[EQ_RANGED], ag[EQ_POTION]
    held[0] = kinds[m] if m >= 0 else 0
    held[1] = kinds[r] if r >= 0 else 0
    held[2] = kinds[p] if p >= 0 else 0


@njit(cache=True, error_model="numpy")
def _off_map(cell: np.ndarray) -> None:
    cell[0] = OFF_MAP
    cell[1] = 0
    cell[2] = 0
    cell[3] = 0


@njit(cache=True, error_model="numpy", inline="always")
def _tile_channels(patch: np.ndarray, mem: np.ndarray, vis: np.ndarray, y: int, x: int) -> None:
    """Channels 0-2 of the patch (known, visible, explored); channel 3 cleared."""
    height, width = mem.shape
    R = PATCH_RADIUS
    G = vis.shape[0] // 2  # >= R (see BatchedSim.fov_grid)
    x0 = max(0, R - x)  # patch columns on the floor: x0..x1-1
    x1 = min(PATCH, width - x + R)
    for py in range(PATCH):
        prow = patch[py]
        yy = y + py - R
        if yy < 0 or yy >= height:
            for px in range(PATCH):
                _off_map(prow[px])
            continue
        for px in range(x0):
            _off_map(prow[px])
        for px in range(x1, PATCH):
            _off_map(prow[px])
        mrow = mem[yy]
        vrow = vis[G + py - R]
        for px in range(x0, x1):
            cell = prow[px]
            known = mrow[x + px - R]
            cell[0] = known
            cell[1] = 1 if vrow[G + px - R] != 0 else 0
            cell[2] = 1 if known else 0
            cell[3] = 0


@njit(cache=True, error_model="numpy", inline="always")
def observe_world(W, C, out, S, b: int, reward_explore: bool, item_kind: np.ndarray) -> None:
    """Build every agent's observation and mask in world ``b`` (after a tick or a reset).

    ``item_kind`` (``Pool.kind``) feeds the optional ``entity_kind`` and ``held_kind``
    outputs, written only when ``out.entity_kind`` has a row per world.
    """
    A = W.ag.shape[1]
    n_items = W.it.shape[1]
    ags = W.ag[b]
    its = W.it[b]
    cand_key = S.cand_key
    cand_kind = S.cand_kind
    cand_id = S.cand_id
    floors, height, width = W.tiles.shape[1], W.tiles.shape[2], W.tiles.shape[3]
    R = PATCH_RADIUS
    with_kind = out.entity_kind.shape[0] != 0
    level = W.wi[b, W_LEVEL]
    time = W.wi[b, W_TURN] / C.rules[RULE_MAX_TURNS]
    cells = W.cells[b]
    for a in range(A):
        compute_mask(W, b, a)
        patch = out.patch[b, a]
        tokens = out.entities[b, a]
        tmask = out.entity_mask[b, a]
        tokens[:, :] = 0.0
        tmask[:] = 0
        if with_kind:
            out.entity_kind[b, a, :] = 0
            out.held_kind[b, a, :] = 0
        ag = ags[a]
        if ag[ALIVE] == 0:
            patch[:, :, :] = 0
            out.self_vec[b, a, :] = 0.0
            continue
        f = ag[FLOOR]
        y = ag[Y]
        x = ag[X]
        me = ag[FACTION]
        tiles = W.tiles[b, f]
        mem = W.memory[b, a, f]
        vis = W.fov[b, a]
        cell = (f * height + y) * width + x
        if ag[FOV_CELL] == cell and ag[FOV_VERSION] == W.wi[b, W_TILES_VERSION]:
            new = 0  # same place, same tiles: same view, nothing new to remember
        else:
            ag[FOV_N], new = compute_fov(tiles, mem, y, x, C.sight[me], C.fov_parent,
                                         C.fov_row_end, vis)
            ag[FOV_CELL] = cell
            ag[FOV_VERSION] = W.wi[b, W_TILES_VERSION]
        if reward_explore and new:
            out.reward[b, a] += C.weights[me, OBJ_EXPLORE] * new
        _tile_channels(patch, mem, vis, y, x)
        # Candidates: visible agents, items, doors and stairs.
        nc = 0
        for o in range(A):
            if o == a or ags[o, ALIVE] == 0 or ags[o, FLOOR] != f:
                continue
            dy = ags[o, Y] - y
            dx = ags[o, X] - x
            if not _visible(vis, dy, dx):
                continue
            cand_key[nc] = (_GROUP_AGENT << 40) + dy * dy + dx * dx
            cand_kind[nc] = _KIND_AGENT
            cand_id[nc] = o
            nc += 1
            if -R <= dy <= R and -R <= dx <= R:
                patch[dy + R, dx + R, 3] = OCC_ALLY if ags[o, FACTION] == me else OCC_ENEMY
        artifact_seen = False
        for i in range(n_items):
            if its[i, I_LOC] != LOC_FLOOR or its[i, I_F] != f:
                continue
            dy = its[i, I_Y] - y
            dx = its[i, I_X] - x
            if not _visible(vis, dy, dx):
                continue
            if its[i, I_CAT] == ARTIFACT:
                ag[KNOWN_ARTIFACT] = (f * height + its[i, I_Y]) * width + its[i, I_X]
                artifact_seen = True
            cand_key[nc] = (_GROUP_OTHER << 40) + dy * dy + dx * dx
            cand_kind[nc] = _KIND_ITEM
            cand_id[nc] = i
            nc += 1
            if -R <= dy <= R and -R <= dx <= R and patch[dy + R, dx + R, 3] == 0:
                patch[dy + R, dx + R, 3] = OCC_ITEM
        known = ag[KNOWN_ARTIFACT]
        if not artifact_seen and known >= 0 and known // (height * width) == f and _visible(
                vis, known % (height * width) // width - y, known % width - x):
            ag[KNOWN_ARTIFACT] = -1  # it is no longer where I saw it
        for s in range(W.wi[b, W_CELLS]):
            if cells[s, 0] != f:
                continue
            dy = cells[s, 1] - y
            dx = cells[s, 2] - x
            if not _visible(vis, dy, dx):
                continue
            if tiles[cells[s, 1], cells[s, 2]] == _EXIT:
                _remember_exit(ag, f, y, x, cells[s, 1], cells[s, 2], height, width)
            if dy == 0 and dx == 0:
                continue
            cand_key[nc] = (_GROUP_OTHER << 40) + dy * dy + dx * dx
            cand_kind[nc] = _KIND_CELL
            cand_id[nc] = s
            nc += 1
        patch[R, R, 3] = OCC_SELF
        # The K best candidates by (group, distance), ties by candidate order.
        for k in range(min(MAX_ENTITIES, nc)):
            best = k
            for j in range(k + 1, nc):
                if cand_key[j] < cand_key[best]:
                    best = j
            if best != k:
                cand_key[k], cand_key[best] = cand_key[best], cand_key[k]
                cand_kind[k], cand_kind[best] = cand_kind[best], cand_kind[k]
                cand_id[k], cand_id[best] = cand_id[best], cand_id[k]
            row = tokens[k]
            kind = cand_kind[k]
            c = cand_id[k]
            if kind == _KIND_AGENT:
                _agent_token(ags[c], ags[c, FACTION] == me, its, row)
                ty = ags[c, Y]
                tx = ags[c, X]
            elif kind == _KIND_ITEM:
                _item_token(its[c], ag[DEX], row)
                if with_kind:
                    out.entity_kind[b, a, k] = item_kind[level, c]
                ty = its[c, I_Y]
                tx = its[c, I_X]
            else:
                ty = cells[c, 1]
                tx = cells[c, 2]
                t = tiles[ty, tx]
                have_key = t == _DOOR_LOCKED and key_slot(its, a, ag[KEYS], W.locks[b, f, ty, tx]) >= 0
                _cell_token(t, have_key, row)
            _put(row, 31, (ty - y) / POS_SCALE)
            _put(row, 32, (tx - x) / POS_SCALE)
            _put(row, 33, max(abs(ty - y), abs(tx - x)) / POS_SCALE)
            tmask[k] = 1
        _self_features(ag, its, floors, height, width, time, tiles[y, x], out.self_vec[b, a])
        _goal_features(ag, W.goal[b, me], height, width, out.self_vec[b, a])
        if with_kind:
            _held_kinds(ag, item_kind[level], out.held_kind[b, a])
