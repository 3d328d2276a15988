"""Batch drivers: reset and step a range of worlds (threads take disjoint ranges).

``run_range`` in ``MODE_STEP`` implements the NEXT_STEP auto-reset mode (Gymnasium's vector default): a
world whose episode ended in the previous call is reset by this call (its actions are
ignored, rewards and flags are 0, ``reset_now[b]`` is 1) instead of ticking.
"""

from __future__ import annotations

import numpy as np
from numba import carray, njit, types
from numba.extending import intrinsic

from game.observe import observe_world
from game.rng import randint
from game.rules import tick
from game.state import (
    FACTION,
    FLOOR,
    OUT_CAUSE,
    OUT_FINISHED,
    OUT_LENGTH,
    OUT_RESET,
    OUT_WINNER,
    PRESENT,
    W_CELLS,
    W_DONE,
    W_EPISODE,
    W_FACTION_BITS,
    W_FACTIONS,
    W_GOAL_CAUSE,
    W_GOAL_MET,
    W_LEVEL,
    W_NEXT_LEVEL,
    W_TILES_VERSION,
    W_TURN,
    Config,
    Outputs,
    Pool,
    Scratch,
    World,
    X,
    Y,
)
from levels.tiles import Tile

_SPECIAL = np.zeros(len(Tile), np.uint8)
for _t in (Tile.DOOR_OPEN, Tile.DOOR_CLOSED, Tile.DOOR_LOCKED, Tile.STAIRS_DOWN, Tile.STAIRS_UP, Tile.EXIT):
    _SPECIAL[_t] = 1


@njit(cache=True, error_model="numpy")
def reset_world(W, P, b: int) -> None:
    """Start a new episode in world ``b`` on pool level ``next_level``."""
    wi = W.wi[b]
    k = wi[W_NEXT_LEVEL]
    wi[W_LEVEL] = k
    wi[W_NEXT_LEVEL] = randint(W.rng, b, 0, P.tiles.shape[0] - 1)
    wi[W_TURN] = 0
    wi[W_DONE] = 0
    wi[W_EPISODE] += 1
    wi[W_FACTIONS] = P.factions[k]
    wi[W_TILES_VERSION] = 0
    wi[W_GOAL_MET] = 0
    wi[W_GOAL_CAUSE] = 0
    W.goal[b] = P.goal[k]
    W.tiles[b] = P.tiles[k]
    W.locks[b] = P.locks[k]
    W.occ[b] = -1
    W.memory[b] = 0
    W.ag[b] = P.ag[k]
    W.it[b] = P.it[k]
    W.ep_return[b] = 0.0
    bits = 0
    for a in range(W.ag.shape[1]):
        ag = W.ag[b, a]
        if ag[PRESENT]:
            W.occ[b, ag[FLOOR], ag[Y], ag[X]] = a
            bits |= 1 << ag[FACTION]
    wi[W_FACTION_BITS] = bits
    _list_cells(W, b)


@njit(cache=True, error_model="numpy")
def _list_cells(W, b: int) -> None:
    """Record the door, stairs and exit cells of world ``b`` (they never stop being what they are)."""
    n = 0
    floors, height, width = W.tiles.shape[1], W.tiles.shape[2], W.tiles.shape[3]
    for f in range(floors):
        for y in range(height):
            for x in range(width):
                t = W.tiles[b, f, y, x]
                if _SPECIAL[t] and n < W.cells.shape[1]:
                    W.cells[b, n, 0] = f
                    W.cells[b, n, 1] = y
                    W.cells[b, n, 2] = x
                    n += 1
    W.wi[b, W_CELLS] = n


@njit(cache=True, error_model="numpy", inline="always")
def _clear_step(out, b: int) -> None:
    out.reward[b, :] = 0.0
    out.terminated[b, :] = 0
    out.truncated[b, :] = 0
    out.wout[b, OUT_FINISHED] = 0
    out.wout[b, OUT_RESET] = 0
    out.wout[b, OUT_WINNER] = -1
    out.wout[b, OUT_CAUSE] = 0


@njit(cache=True, error_model="numpy")
def make_scratch(W, C) -> Scratch:
    """Work arrays for one thread."""
    A = W.ag.shape[1]
    n_cand = A + W.it.shape[1] + W.cells.shape[1]
    return Scratch(np.empty(A, np.int32), np.empty(A, np.int64), np.zeros(A, np.uint8),
                   np.empty(n_cand, np.int64),
                   np.empty(n_cand, np.int32), np.empty(n_cand, np.int32),
                   np.empty(C.sight.shape[0], np.int32))


@njit(cache=True, error_model="numpy")
def _observe_quietly(W, P, C, out, S, b: int) -> None:
    """Observations of world ``b`` without the explore reward (after a reset or a load).

    ``observe_world`` is inlined into the step for speed; these rarer paths share this
    one out-of-line copy so that numba compiles it twice, not three times.
    """
    observe_world(W, C, out, S, b, False, P.kind)


@njit(cache=True, error_model="numpy")
def _reset_one(W, P, C, out, S, b: int) -> None:
    _clear_step(out, b)
    reset_world(W, P, b)
    out.wout[b, OUT_RESET] = 1
    _observe_quietly(W, P, C, out, S, b)


@njit(cache=True, error_model="numpy", inline="always")
def _step_one(W, P, C, out, S, b: int, actions: np.ndarray) -> None:
    if W.wi[b, W_DONE]:
        _reset_one(W, P, C, out, S, b)
        return
    _clear_step(out, b)
    tick(W, C, out, S, b, actions)
    observe_world(W, C, out, S, b, True, P.kind)
    for a in range(W.ag.shape[1]):
        W.ep_return[b, a] += out.reward[b, a]
    if W.wi[b, W_DONE]:
        out.wout[b, OUT_FINISHED] = 1
        out.wout[b, OUT_LENGTH] = W.wi[b, W_TURN]
        out.final_return[b, :] = W.ep_return[b, :]


MODE_STEP, MODE_RESET, MODE_OBSERVE = 0, 1, 2


@intrinsic
def _data_pointer(typingctx, arr):
    """The data pointer of an array (typed like its elements)."""
    def codegen(context, builder, signature, args):
        return context.make_array(signature.args[0])(context, builder, args[0]).data
    return types.CPointer(arr.dtype)(arr), codegen


@njit(cache=True, error_model="numpy")
def _borrow(a: np.ndarray) -> np.ndarray:
    """A view of ``a`` without a reference count (same type, no memory owner).

    Every array view and every call numba makes increments and decrements the owner's
    reference count atomically (NRT_incref/NRT_decref, about a third of a step's time
    when the kernels pass the state tuples around). A view without an owner skips the
    atomics. Safe here because the caller keeps ``a`` alive for the whole kernel call and
    nothing borrowed outlives it.
    """
    return carray(_data_pointer(a), a.shape)


@njit(cache=True, error_model="numpy")
def _keep_alive(S) -> int:
    return S.order.shape[0]


@njit(cache=True, error_model="numpy")
def _borrow_all(W, P, C, out, S):
    W = World(_borrow(W.rng), _borrow(W.wi), _borrow(W.tiles), _borrow(W.locks), _borrow(W.occ),
              _borrow(W.ag), _borrow(W.memory), _borrow(W.mask), _borrow(W.ep_return),
              _borrow(W.it), _borrow(W.cells), _borrow(W.fov), _borrow(W.goal))
    P = Pool(_borrow(P.tiles), _borrow(P.locks), _borrow(P.ag), _borrow(P.it), _borrow(P.factions),
             _borrow(P.kind), _borrow(P.goal))
    C = Config(_borrow(C.sight), _borrow(C.weights), _borrow(C.rules), _borrow(C.fov_parent),
               _borrow(C.fov_row_end), _borrow(C.targets))
    out = Outputs(_borrow(out.patch), _borrow(out.entities), _borrow(out.entity_mask),
                  _borrow(out.self_vec), _borrow(out.reward), _borrow(out.terminated),
                  _borrow(out.truncated), _borrow(out.final_return), _borrow(out.wout),
                  _borrow(out.entity_kind), _borrow(out.held_kind))
    S = Scratch(_borrow(S.order), _borrow(S.keys), _borrow(S.drank), _borrow(S.cand_key),
                _borrow(S.cand_kind), _borrow(S.cand_id), _borrow(S.counts))
    return W, P, C, out, S


@njit(cache=True, nogil=True, error_model="numpy")
def run_range(W, P, C, out, actions: np.ndarray, which: np.ndarray, mode: int, start: int,
              stop: int) -> None:
    """The one kernel entry point, over worlds ``start..stop-1``.

    ``MODE_STEP``: step (or auto-reset) every world with ``actions``. ``MODE_RESET``:
    reset the worlds where ``which[b]`` is set. ``MODE_OBSERVE``: rebuild observations
    from the state (after a load). A single entry point keeps numba's compile time
    down (each entry point links and optimises the whole call tree again). Releases
    the GIL, so threads can run disjoint ranges of one batch at the same time.
    """
    scratch = make_scratch(W, C)
    # Borrowed views (no reference counting) of everything the loop touches; the
    # arguments and ``scratch`` keep the memory alive until this call returns.
    W, P, C, out, S = _borrow_all(W, P, C, out, scratch)
    actions = _borrow(actions)
    for b in range(start, stop):
        if mode == MODE_STEP:
            _step_one(W, P, C, out, S, b, actions)
        elif mode == MODE_RESET:
            if which[b]:
                _reset_one(W, P, C, out, S, b)
        else:
            _observe_quietly(W, P, C, out, S, b)
    _keep_alive(scratch)  # numba frees a variable after its last use: not before here


@njit(cache=True, error_model="numpy")
def draw_levels(rng: np.ndarray, wi: np.ndarray, pool_size: int) -> None:
    """Draw each world's first level index from its own RNG."""
    for b in range(rng.shape[0]):
        wi[b, W_NEXT_LEVEL] = randint(rng, b, 0, pool_size - 1)
