"""A scripted NPC that acts from the same observations a learned policy gets.

Priorities, per agent and turn (first that applies):

1. Forced to wait (only "wait" legal): wait.
2. HP below ``drink_below`` of max and carrying a healing potion: drink. Carrying a pure
   buff potion with an enemy adjacent and no active buff: drink.
3. A shot is legal (the mask only allows shots at an enemy in line and reach): shoot.
4. An enemy adjacent: melee it.
5. Losing (HP below ``flee_below``, no healing potion, a visible enemy within reach that
   has more HP left): the navigator's flee move (``obs["nav"]``, :mod:`game.navigate`).
6. Otherwise, when the observation carries ``nav`` (the simulator's navigator runs for
   every agent): the navigator's action, the first step of the best route over the
   agent's whole known map to, by preference, a goal cell set by the caller, a wanted item,
   an enemy seen now or where it was last seen, the unexplored, stairs to a floor not
   visited lately, or a far known cell to patrol; closed doors on the way are opened,
   locked ones with a held key, stairs are taken.
7. Without ``nav`` (an observation from elsewhere), or if the navigator has no legal move:
   walk one step of a breadth-first shortest path over the tiles it knows
   (the egocentric patch; unknown tiles are not entered) towards, in order: a visible
   item better than what it carries when no enemy is nearer; the nearest visible enemy;
   the nearest frontier (a known walkable tile next to an unknown one); visible stairs
   down (taking them when standing on them). Targets beyond the patch are approached
   through the reachable patch cell nearest to them. Closed doors on the path are
   opened with interact.

Acting from observations (not the state) keeps it behind the same interface as a
learned policy (``actions = policy(obs)``) and makes it blind exactly where a learned
NPC is blind. The kernel runs over any number of agents at once (numba, one pass).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

from game.actions import DIRECTIONS, INTERACT, MOVE_FIRST, SHOOT_FIRST, USE_POTION, WAIT
from game.navigate import NAV_ACTION, NAV_COLUMNS, NAV_FLEE, NAV_KIND
from game.rng import next_u64
from game.spec import ENTITY_COLUMN, PATCH, PATCH_RADIUS, POS_SCALE, SELF_COLUMN
from levels.tiles import WALKABLE, Tile

if TYPE_CHECKING:
    from npc.policy import ActResult

_E, _S = ENTITY_COLUMN, SELF_COLUMN
E_MELEE, E_RANGED, E_POTION = _E["is_melee"], _E["is_ranged"], _E["is_potion"]
E_ENEMY, E_STAIRS_DOWN, E_HP = _E["enemy"], _E["is_stairs_down"], _E["hp_frac"]
E_MELEE_MIN, E_RANGED_MIN, E_HEAL = _E["melee_min"], _E["ranged_min"], _E["heal"]
E_PTURNS, E_DY, E_DX = _E["potion_turns"], _E["dy"], _E["dx"]
S_HP, S_BUFF_TURNS, S_HAS_MELEE, S_MELEE_MIN = (_S["hp_frac"], _S["buff_turns"], _S["has_melee"],
                                                _S["melee_min"])
S_HAS_RANGED, S_RANGED_MIN, S_HAS_POTION, S_HEAL = (_S["has_ranged"], _S["ranged_min"],
                                                    _S["has_potion"], _S["heal"])
S_PTURNS, S_ON_STAIRS = _S["potion_turns"], _S["on_stairs"]

# Patch codes (1 + Tile) the path search may cross; closed doors cost an interact.
_PASS = np.zeros(16, np.uint8)
for _t in range(len(Tile)):
    if WALKABLE[_t] and _t != Tile.LAVA:
        _PASS[_t + 1] = 1
_CLOSED = Tile.DOOR_CLOSED + 1
_PASS[_CLOSED] = 1
_OCC_ALLY, _OCC_ENEMY = 2, 3
_NAV_ACTION, _NAV_FLEE, _NAV_KIND = NAV_ACTION, NAV_FLEE, NAV_KIND


@njit(cache=True)
def _bfs(patch: np.ndarray, dist: np.ndarray, parent: np.ndarray, queue: np.ndarray) -> None:
    """Shortest paths (8-connected) from the patch centre over passable known tiles."""
    R = PATCH_RADIUS
    dist[:, :] = -1
    dist[R, R] = 0
    queue[0] = R * PATCH + R
    head, tail = 0, 1
    while head < tail:
        cur = queue[head]
        head += 1
        cy, cx = cur // PATCH, cur % PATCH
        for d in range(8):
            ny = cy + DIRECTIONS[d, 0]
            nx = cx + DIRECTIONS[d, 1]
            if ny < 0 or ny >= PATCH or nx < 0 or nx >= PATCH or dist[ny, nx] >= 0:
                continue
            code = patch[ny, nx, 0]
            if _PASS[code] == 0 or patch[ny, nx, 3] == _OCC_ALLY:
                continue
            if d % 2 == 1 and (_PASS[patch[ny, cx, 0]] == 0 and _PASS[patch[cy, nx, 0]] == 0):
                continue
            dist[ny, nx] = dist[cy, cx] + 1
            parent[ny, nx] = cur
            if patch[ny, nx, 3] != _OCC_ENEMY and code != _CLOSED:
                queue[tail] = ny * PATCH + nx
                tail += 1


@njit(cache=True)
def _step_towards(patch, mask, dist, parent, ty: int, tx: int) -> int:
    """The action that starts the shortest known path to patch-relative target (ty, tx)."""
    R = PATCH_RADIUS
    gy, gx, best_d, best_len = -1, -1, 1 << 30, 1 << 30
    for y in range(PATCH):
        for x in range(PATCH):
            if dist[y, x] <= 0:
                continue
            d = max(abs(y - R - ty), abs(x - R - tx))
            if d < best_d or (d == best_d and dist[y, x] < best_len):
                gy, gx, best_d, best_len = y, x, d, dist[y, x]
    if gy >= 0:
        while dist[gy, gx] > 1:
            p = parent[gy, gx]
            gy, gx = p // PATCH, p % PATCH
        for d in range(8):
            if DIRECTIONS[d, 0] == gy - R and DIRECTIONS[d, 1] == gx - R:
                if mask[MOVE_FIRST + d]:
                    return MOVE_FIRST + d
                if patch[gy, gx, 0] == _CLOSED and mask[INTERACT]:
                    return INTERACT
    # No known path: the legal move that gets closest.
    best, best_d = 0, max(abs(ty), abs(tx))
    for d in range(8):
        if mask[MOVE_FIRST + d]:
            nd = max(abs(ty - DIRECTIONS[d, 0]), abs(tx - DIRECTIONS[d, 1]))
            if nd < best_d:
                best, best_d = MOVE_FIRST + d, nd
    return best


@njit(cache=True)
def _scripted_row(n: int, patch: np.ndarray, entities: np.ndarray, entity_mask: np.ndarray,
                  self_vec: np.ndarray, action_mask: np.ndarray, drink_below: float, nav: np.ndarray,
                  has_nav: bool, flee_below: float, dist: np.ndarray, parent: np.ndarray,
                  queue: np.ndarray) -> int:
    """The scripted action of observation row ``n`` (``dist``/``parent``/``queue``: scratch)."""
    R = PATCH_RADIUS
    m = action_mask[n]
    s = self_vec[n]
    legal = 0
    for k in range(1, m.shape[0]):
        legal += m[k]
    if legal == 0:
        return 0
    # Nearest enemy, best loot, nearest stairs down.
    enemy, ey, ex, edist = -1, 0, 0, 1 << 30
    ehp = 0.0
    loot, ly, lx, ldist = -1, 0, 0, 1 << 30
    stairs, sy, sx = -1, 0, 0
    for k in range(entities.shape[1]):
        if entity_mask[n, k] == 0:
            continue
        e = entities[n, k]
        ty = int(round(e[E_DY] * POS_SCALE))
        tx = int(round(e[E_DX] * POS_SCALE))
        d = max(abs(ty), abs(tx))
        if e[E_ENEMY] > 0 and d < edist:
            enemy, ey, ex, edist = k, ty, tx, d
            ehp = e[E_HP]
        better = False
        if e[E_MELEE] > 0:
            better = s[S_HAS_MELEE] == 0 or (e[E_MELEE_MIN] + e[E_MELEE_MIN + 1]
                                             > s[S_MELEE_MIN] + s[S_MELEE_MIN + 1])
        elif e[E_RANGED] > 0:
            better = s[S_HAS_RANGED] == 0 or (e[E_RANGED_MIN] + e[E_RANGED_MIN + 1]
                                              > s[S_RANGED_MIN] + s[S_RANGED_MIN + 1])
        elif e[E_POTION] > 0:
            better = s[S_HAS_POTION] == 0 and (e[E_HEAL] > 0 or e[E_PTURNS] > 0)
        if better and d < ldist:
            loot, ly, lx, ldist = k, ty, tx, d
        if e[E_STAIRS_DOWN] > 0 and stairs < 0:
            stairs, sy, sx = k, ty, tx
    if m[USE_POTION]:
        if s[S_HP] < drink_below and s[S_HEAL] > 0:
            return USE_POTION
        if s[S_HEAL] <= 0 and s[S_PTURNS] > 0 and s[S_BUFF_TURNS] == 0 and edist == 1:
            return USE_POTION
    shot = -1
    for d in range(8):
        if m[SHOOT_FIRST + d]:
            shot = SHOOT_FIRST + d
            break
    if shot >= 0:
        return shot
    if edist == 1:
        melee = 0
        for d in range(8):
            if DIRECTIONS[d, 0] == ey and DIRECTIONS[d, 1] == ex and m[MOVE_FIRST + d]:
                melee = MOVE_FIRST + d
        if melee != 0:
            return melee
    if has_nav:
        flee = nav[n, _NAV_FLEE]
        if (s[S_HP] < flee_below and s[S_HEAL] <= 0 and enemy >= 0 and edist <= 4
                and ehp > s[S_HP] and flee > 0 and m[flee]):
            return flee
        go = nav[n, _NAV_ACTION]
        if go >= 0 and go < m.shape[0] and m[go] and nav[n, _NAV_KIND] != 0:
            return go  # 0: wait for the ally in the way
    _bfs(patch[n], dist, parent, queue)
    if loot >= 0 and ldist < edist:
        return _step_towards(patch[n], m, dist, parent, ly, lx)
    if enemy >= 0:
        return _step_towards(patch[n], m, dist, parent, ey, ex)
    # Explore: nearest known passable cell next to an unknown one.
    fy, fx, fbest = 0, 0, 1 << 30
    for y in range(PATCH):
        for x in range(PATCH):
            if dist[y, x] <= 0 or patch[n, y, x, 3] != 0:
                continue
            frontier = False
            for d in range(8):
                ny = y + DIRECTIONS[d, 0]
                nx = x + DIRECTIONS[d, 1]
                if 0 <= ny < PATCH and 0 <= nx < PATCH and patch[n, ny, nx, 0] == 0:
                    frontier = True
            if frontier and dist[y, x] < fbest:
                fy, fx, fbest = y - R, x - R, dist[y, x]
    if fbest < (1 << 30):
        return _step_towards(patch[n], m, dist, parent, fy, fx)
    if s[S_ON_STAIRS] > 0 and m[INTERACT]:
        return INTERACT
    if stairs >= 0:
        return _step_towards(patch[n], m, dist, parent, sy, sx)
    return 0


@njit(cache=True)
def scripted_actions(patch: np.ndarray, entities: np.ndarray, entity_mask: np.ndarray,
                     self_vec: np.ndarray, action_mask: np.ndarray, drink_below: float,
                     out: np.ndarray, nav: np.ndarray, flee_below: float) -> None:
    """Fill ``out[n]`` with the scripted action of each of N observations.

    ``nav`` is the observations' ``nav`` rows ``[N, len(game.navigate.NAV_COLUMNS)]``, or
    an array with no rows when they carry none (then the patch search decides every move).
    """
    has_nav = nav.shape[0] == out.shape[0]
    dist = np.empty((PATCH, PATCH), np.int32)
    parent = np.empty((PATCH, PATCH), np.int32)
    queue = np.empty(PATCH * PATCH, np.int32)
    for n in range(out.shape[0]):
        out[n] = _scripted_row(n, patch, entities, entity_mask, self_vec, action_mask, drink_below, nav,
                               has_nav, flee_below, dist, parent, queue)


@njit(cache=True)
def scripted_actions_rows(patch: np.ndarray, entities: np.ndarray, entity_mask: np.ndarray,
                          self_vec: np.ndarray, action_mask: np.ndarray, drink_below: float,
                          rows: np.ndarray, out: np.ndarray, nav: np.ndarray, flee_below: float) -> None:
    """Fill ``out[j]`` with the scripted action of observation row ``rows[j]`` only.

    As :func:`scripted_actions` over the same N rows (``nav`` has N rows or none), but
    rows not listed are not computed: a vector env asks only for its opponents' rows.
    """
    has_nav = nav.shape[0] == action_mask.shape[0]
    dist = np.empty((PATCH, PATCH), np.int32)
    parent = np.empty((PATCH, PATCH), np.int32)
    queue = np.empty(PATCH * PATCH, np.int32)
    for j in range(rows.shape[0]):
        out[j] = _scripted_row(rows[j], patch, entities, entity_mask, self_vec, action_mask, drink_below, nav,
                               has_nav, flee_below, dist, parent, queue)


def _flat_rows(obs: Mapping[str, np.ndarray], n: int, lead: int) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The kernel's inputs: ``obs`` arrays as ``[n, ...]`` rows (views when already contiguous)
    in :func:`scripted_actions`' order, and the ``nav`` rows (none when ``obs`` has no ``nav``)."""

    def flat(key: str) -> np.ndarray:
        value = obs[key]
        return np.ascontiguousarray(value.reshape((n,) + value.shape[lead:]))

    nav = flat("nav") if "nav" in obs else np.zeros((0, len(NAV_COLUMNS)), np.int32)
    arrays = (flat("patch"), flat("entities"), flat("entity_mask"), flat("self"), flat("action_mask"))
    return arrays, np.ascontiguousarray(nav, dtype=np.int32)


class ScriptedNPC:
    """The scripted NPC: rule-based actions from the same observations a learned policy gets.

    Called on a numpy observation dict with any leading dimensions (e.g. the batched
    ``[B, A, ...]`` arrays of :class:`game.batch.BatchedSim`), it returns int64 actions of
    the leading shape. :meth:`act` is the :class:`npc.policy.Policy` interface (what
    training, evaluation and the game's controllers call).
    """

    def __init__(self, drink_below: float = 0.5, flee_below: float = 0.3) -> None:
        self.drink_below = drink_below
        self.flee_below = flee_below

    def __call__(self, obs: Mapping[str, np.ndarray]) -> np.ndarray:
        """Scripted actions for every observation in ``obs``."""
        lead = obs["self"].shape[:-1]
        arrays, nav = _flat_rows(obs, int(np.prod(lead)), len(lead))
        out = np.zeros(int(np.prod(lead)), np.int64)
        scripted_actions(*arrays, float(self.drink_below), out, nav, float(self.flee_below))
        return out.reshape(lead)

    def for_agents(self, obs: Mapping[str, np.ndarray], agents: np.ndarray) -> np.ndarray:
        """Scripted actions ``[B, len(agents)]`` of agent slots ``agents`` only, from batched
        ``[B, A, ...]`` observations: the same as ``self(obs)[:, agents]``, without the rest."""
        B, A = obs["self"].shape[:2]
        arrays, nav = _flat_rows(obs, B * A, 2)
        rows = (np.arange(B, dtype=np.int64)[:, None] * A + np.asarray(agents, np.int64)).reshape(-1)
        out = np.zeros(rows.shape[0], np.int64)
        scripted_actions_rows(*arrays, float(self.drink_below), rows, out, nav, float(self.flee_below))
        return out.reshape(B, -1)

    def act(self, obs: Mapping[str, Any], deterministic: bool = False, generator: Any = None) -> ActResult:
        """The scripted actions of ``obs`` (leading dimension ``N``) as a :class:`~npc.policy.ActResult`.

        An illegal choice is replaced by WAIT (or the first legal action), so the
        interface's guarantee holds; log-probabilities and values are 0 (the choice is
        deterministic; ``deterministic`` and ``generator`` are ignored).
        """
        import torch

        from npc.policy import ActResult

        del deterministic, generator
        arrays = {k: v.numpy() if isinstance(v, torch.Tensor) else np.asarray(v) for k, v in obs.items()}
        actions = np.asarray(self(arrays), dtype=np.int64).reshape(-1)
        mask = arrays["action_mask"].astype(bool)
        in_range = (actions >= 0) & (actions < mask.shape[1])
        legal = in_range & mask[np.arange(len(actions)), np.where(in_range, actions, 0)]
        # The fallback is WAIT when legal, else the first legal action (WAIT if none is).
        fallback = np.where(mask[:, WAIT], WAIT, mask.argmax(axis=1))
        actions = np.where(legal, actions, fallback)
        zeros = torch.zeros(len(actions))
        return ActResult(torch.from_numpy(actions), zeros, zeros.clone())


@njit(cache=True)
def _sample_legal(mask: np.ndarray, state: np.ndarray, out: np.ndarray) -> None:
    """Uniform legal action per row of ``mask`` [N, actions]; ``state`` is a uint64 RNG."""
    for n in range(mask.shape[0]):
        count = 0
        for k in range(mask.shape[1]):
            count += mask[n, k]
        pick = np.int64(next_u64(state, 0) % np.uint64(max(count, 1)))
        out[n] = 0
        for k in range(mask.shape[1]):
            if mask[n, k]:
                if pick == 0:
                    out[n] = k
                    break
                pick -= 1


def random_legal_actions(action_mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random legal action for every mask row (any leading dimensions).

    Seeded from ``rng`` (one draw per call), so a seeded generator replays exactly.
    """
    lead = action_mask.shape[:-1]
    flat = np.ascontiguousarray(action_mask.reshape(-1, action_mask.shape[-1]))
    state = rng.integers(0, 2**63, size=1, dtype=np.int64).astype(np.uint64)
    out = np.empty(flat.shape[0], np.int64)
    _sample_legal(flat, state, out)
    return out.reshape(lead)


__all__ = ["ScriptedNPC", "random_legal_actions", "scripted_actions", "scripted_actions_rows"]
