"""The Hebbian part of the compiled navigator: cell reliabilities learned from moves and sightings.

A move that reached its cell strengthens the cell's confidence, one that failed
unexplained weakens it (:func:`learn_move`); a door seen open or closed learns how often
it is open and, when closed, is cut for a back-off that doubles with each repeat
(:func:`sense_cell`). The planners of :mod:`search.grid_nav` read these arrays.
"""

from __future__ import annotations

from numba import njit

from levels.tiles import Tile
from search.grid_nav import P_BACKOFF, P_ETA, P_ETA_DOOR

#: Tile codes (the known map stores tile + 1).
OPEN, CLOSED, LOCKED = int(Tile.DOOR_OPEN), int(Tile.DOOR_CLOSED), int(Tile.DOOR_LOCKED)
DOWN, UP = int(Tile.STAIRS_DOWN), int(Tile.STAIRS_UP)


@njit(cache=True)
def learn_move(conf, fails, n: int, success: bool, P) -> None:
    """Hebbian update of cell ``n`` after a move into it worked (or failed unexplained)."""
    w = conf[n]
    if success:
        conf[n] = w + P[P_ETA] * (1.0 - w)
    else:
        conf[n] = w - P[P_ETA] * w


@njit(cache=True)
def sense_cell(known, conf, fails, cut, n: int, code: int, tick: int, P) -> bool:
    """Record that cell ``n`` is seen now with known code ``code``; True if the code changed.

    Doors learn how often they are open; a closed sighting cuts the door for a back-off that
    doubles with each repeat (see the module docstring).
    """
    t = code - 1
    if t == OPEN:
        conf[n] += P[P_ETA_DOOR] * (1.0 - conf[n])
        fails[n] = 0
        cut[n] = 0
    elif (t in (CLOSED, LOCKED)) and (known[n] != code or cut[n] <= tick):
        conf[n] -= P[P_ETA_DOOR] * conf[n]
        if fails[n] < 250:
            fails[n] += 1
        cut[n] = tick + int(P[P_BACKOFF] * 2.0 ** min(fails[n] - 1, 10))
    changed = known[n] != code
    known[n] = code
    return changed


@njit(cache=True)
def sense_many(known, conf, fails, cut, nodes, codes, tick: int, P, plane: int, door_prior: float,
               learn: bool) -> None:
    """:func:`sense_cell` for every ``(nodes[i], codes[i])`` seen at ``tick``; with ``learn``
    a closed door seen for the first time gets ``door_prior`` reliability. Stairs come in
    linked pairs, so one end seen tells where the other is."""
    cells = known.shape[0]
    for i in range(nodes.shape[0]):
        n = nodes[i]
        code = codes[i]
        if learn:
            door_open_prior(known, conf, n, code, door_prior)
        sense_cell(known, conf, fails, cut, n, code, tick, P)
        if code == DOWN + 1 and n + plane < cells and known[n + plane] == 0:
            known[n + plane] = UP + 1
        elif code == UP + 1 and n >= plane and known[n - plane] == 0:
            known[n - plane] = DOWN + 1


@njit(cache=True)
def door_open_prior(known, conf, n: int, code: int, prior: float) -> None:
    """The first sighting of a closed door gives it ``prior`` reliability (never seen open)."""
    if known[n] == 0 and (code - 1 == CLOSED or code - 1 == LOCKED):
        conf[n] = prior
