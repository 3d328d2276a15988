"""Checks of the state invariants, for fuzz tests and the soak benchmark.

:func:`check_world` raises :class:`InvariantError` naming the first broken invariant:

- every living agent stands on a walkable tile, and the occupancy grid matches;
- HP lies in [0, max HP] (and is 0 exactly for dead agents);
- every item is on a non-wall cell, held by a living agent, or consumed; equipment and
  key counts agree with the items held;
- item slots are never created or destroyed within an episode, and consumed items
  (potions drunk, keys used) stay consumed.
"""

from __future__ import annotations

import hashlib

import numpy as np

from game.state import (
    ALIVE,
    EQ_MELEE,
    EQ_POTION,
    FLOOR,
    HP,
    I_CAT,
    I_F,
    I_HOLDER,
    I_LOC,
    I_X,
    I_Y,
    KEY,
    KEYS,
    LOC_CONSUMED,
    LOC_EMPTY,
    LOC_FLOOR,
    LOC_HELD,
    MAX_HP,
    PRESENT,
    W_TURN,
    World,
    X,
    Y,
)
from levels.tiles import WALKABLE, Tile


class InvariantError(AssertionError):
    """A broken state invariant."""


def check_world(world: World, previous_items: np.ndarray | None = None) -> np.ndarray:
    """Check every world; returns the item rows to pass as ``previous_items`` next step."""
    B, A = world.ag.shape[:2]
    ag = world.ag
    alive = ag[:, :, ALIVE] == 1
    b_idx, a_idx = np.nonzero(alive)
    tiles = world.tiles[b_idx, ag[b_idx, a_idx, FLOOR], ag[b_idx, a_idx, Y], ag[b_idx, a_idx, X]]
    if not WALKABLE[tiles].all():
        raise InvariantError("a living agent stands on a non-walkable tile")
    occ = world.occ[b_idx, ag[b_idx, a_idx, FLOOR], ag[b_idx, a_idx, Y], ag[b_idx, a_idx, X]]
    if not (occ == a_idx).all() or (world.occ >= 0).sum() != alive.sum():
        raise InvariantError("occupancy grid does not match agent positions")
    hp = ag[:, :, HP]
    if (hp < 0).any() or (hp > ag[:, :, MAX_HP]).any():
        raise InvariantError("HP outside [0, max HP]")
    if ((hp > 0) != alive).any() or (alive & (ag[:, :, PRESENT] == 0)).any():
        raise InvariantError("alive flag disagrees with HP or presence")
    it = world.it
    loc = it[:, :, I_LOC]
    used = it[:, :, I_CAT] >= 0
    if ((loc == LOC_EMPTY) == used).any():
        raise InvariantError("an item slot is used but nowhere, or empty but placed")
    fb, fi = np.nonzero(loc == LOC_FLOOR)
    if (world.tiles[fb, it[fb, fi, I_F], it[fb, fi, I_Y], it[fb, fi, I_X]] == Tile.WALL).any():
        raise InvariantError("an item lies inside a wall")
    hb, hi = np.nonzero(loc == LOC_HELD)
    holders = it[hb, hi, I_HOLDER]
    if (holders < 0).any() or not alive[hb, holders].all():
        raise InvariantError("an item is held by a dead or missing agent")
    keys = np.zeros((B, A), np.int64)
    is_key = it[hb, hi, I_CAT] == KEY
    np.add.at(keys, (hb[is_key], holders[is_key]), 1)
    if (keys != ag[:, :, KEYS]).any():
        raise InvariantError("key counts disagree with the keys held")
    for slot in range(EQ_MELEE, EQ_POTION + 1):
        eb, ea = np.nonzero(ag[:, :, slot] >= 0)
        items = ag[eb, ea, slot]
        if ((loc[eb, items] != LOC_HELD) | (it[eb, items, I_HOLDER] != ea)
                | (it[eb, items, I_CAT] != slot - EQ_MELEE)).any():
            raise InvariantError("equipment points to an item the agent does not hold")
    if previous_items is not None and previous_items.shape == it.shape:
        same_episode = world.wi[:, W_TURN] > 0
        prev_used = previous_items[:, :, I_CAT] >= 0
        if (same_episode[:, None] & (prev_used != used)).any():
            raise InvariantError("an item was created or destroyed")
        was_consumed = previous_items[:, :, I_LOC] == LOC_CONSUMED
        if (same_episode[:, None] & was_consumed & (loc != LOC_CONSUMED)).any():
            raise InvariantError("a consumed item came back")
    return it.copy()


def trajectory_digest(digest: hashlib._Hash, obs: dict[str, np.ndarray], reward: np.ndarray,
                      terminated: np.ndarray, truncated: np.ndarray) -> None:
    """Feed one step's outputs into ``digest`` (for same-seed-same-trajectory checks)."""
    for key in sorted(obs):
        digest.update(obs[key].tobytes())
    for array in (reward, terminated, truncated):
        digest.update(np.ascontiguousarray(array).tobytes())
