"""Features placed on carved floors: stairs, doors, hazard pools and keys."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from levels.params import DoorParams, HazardParams
from levels.reach import bfs_distances, label_floor, reachable
from levels.tiles import PASSABLE, Tile

_EIGHT = np.ones((3, 3), dtype=np.int32)


def pick_stairs(rng: np.random.Generator, floor: np.ndarray, arrivals: list[tuple[int, int]],
                count: int) -> list[tuple[int, int]]:
    """Choose ``count`` distinct floor cells for stairs down, far from where one arrives.

    Candidates are plain floor cells in the farther half of the floor (by walking
    distance from the arrival cells); if that half has too few, any plain floor cell.
    """
    plain = floor == Tile.FLOOR
    dist = bfs_distances(PASSABLE[floor], arrivals)
    far = plain & (dist >= np.median(dist[dist >= 0]))
    for arrival in arrivals:
        far[arrival] = False
    cells = np.argwhere(far)
    if len(cells) < count:
        cells = np.argwhere(plain)
    chosen = rng.choice(len(cells), size=min(count, len(cells)), replace=False)
    return [tuple(int(v) for v in cells[i]) for i in np.sort(chosen)]


def doorway_cells(floor: np.ndarray) -> np.ndarray:
    """Plain floor cells shaped like a doorway between two spaces.

    A doorway has solid walls (not lone pillars) on two opposite sides and open cells on
    the other two, and at least one of those open cells is in a room (7+ walkable cells
    around it) or a junction (3+ walkable 4-neighbours). Corridors wider than one cell
    have none.
    """
    walk = PASSABLE[floor]
    pad = np.pad(walk, 1)
    north, south = pad[:-2, 1:-1], pad[2:, 1:-1]
    west, east = pad[1:-1, :-2], pad[1:-1, 2:]
    around = ndimage.convolve(walk.astype(np.int32), _EIGHT, mode="constant") - walk
    degree = north.astype(np.int32) + south + west + east
    spacious = walk & ((around >= 7) | (degree >= 3))
    sp = np.pad(spacious, 1)
    sp_n, sp_s, sp_w, sp_e = sp[:-2, 1:-1], sp[2:, 1:-1], sp[1:-1, :-2], sp[1:-1, 2:]
    # A wall cell with no wall 4-neighbour is a pillar: the gap beside it is no doorway.
    wall = np.pad(~walk, 1, constant_values=True)
    wall_degree = (wall[:-2, 1:-1].astype(np.int32) + wall[2:, 1:-1] + wall[1:-1, :-2] + wall[1:-1, 2:])
    solid = np.pad(~walk & (wall_degree >= 1), 1, constant_values=True)
    so_n, so_s, so_w, so_e = solid[:-2, 1:-1], solid[2:, 1:-1], solid[1:-1, :-2], solid[1:-1, 2:]
    horizontal = so_n & so_s & west & east & (sp_w | sp_e)
    vertical = so_w & so_e & north & south & (sp_n | sp_s)
    return (floor == Tile.FLOOR) & (horizontal | vertical)


def place_doors(rng: np.random.Generator, floor: np.ndarray, doors: DoorParams,
                protected: list[tuple[int, int]]) -> None:
    """Put doors (open, closed or locked by weight) in a fraction of the doorways, in place.

    No two doors touch (8-neighbourhood) and no door sits on or beside (N, E, S, W) a
    protected cell (entry, stairs): on stairs, interact takes the stairs, so a door
    beside them could not be opened from there. A door drawn as locked that one could
    walk around on this floor becomes a closed door instead.
    """
    if doors.density <= 0:
        return
    candidates = doorway_cells(floor)
    height, width = floor.shape
    for y, x in protected:
        for dy, dx in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)):
            if 0 <= y + dy < height and 0 <= x + dx < width:
                candidates[y + dy, x + dx] = False
    cells = np.argwhere(candidates)
    if len(cells) == 0:
        return
    cells = cells[rng.permutation(len(cells))]
    wanted = int(round(doors.density * len(cells)))
    weights = np.array([doors.open, doors.closed, doors.locked], dtype=np.float64)
    kinds = np.array([Tile.DOOR_OPEN, Tile.DOOR_CLOSED, Tile.DOOR_LOCKED], dtype=np.uint8)
    states = kinds[rng.choice(3, size=len(cells), p=weights / weights.sum())]
    has_door = np.isin(floor, kinds)
    placed = 0
    for (y, x), state in zip(cells, states, strict=True):
        if placed >= wanted:
            break
        if has_door[y - 1:y + 2, x - 1:x + 2].any():  # doorways never touch the border
            continue
        if state == Tile.DOOR_LOCKED and not _is_cut(floor, y, x):
            state = Tile.DOOR_CLOSED  # a lock one can walk around locks nothing
        floor[y, x] = state
        has_door[y, x] = True
        placed += 1


def place_hazards(rng: np.random.Generator, floor: np.ndarray, hazards: HazardParams,
                  protected: list[tuple[int, int]]) -> None:
    """Grow water and lava pools on plain floor cells, in place.

    A lava pool that would cut any cell off from the rest (walking around lava) is
    not placed. Pools never cover protected cells or their neighbours.
    """
    free = floor == Tile.FLOOR
    for y, x in protected:
        free[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2] = False
    total = int(free.sum())
    for tile, fraction in ((Tile.WATER, hazards.water), (Tile.LAVA, hazards.lava)):
        target = int(round(fraction * total))
        covered, attempts = 0, 0
        while covered < target and attempts < 4 * target + 8:
            attempts += 1
            size = int(rng.integers(hazards.pool_size[0], hazards.pool_size[1] + 1))
            pool = _grow_pool(rng, free, min(size, target - covered))
            if not pool:
                break
            if tile == Tile.LAVA and not _stays_connected(floor, pool):
                continue
            for cell in pool:
                floor[cell] = tile
                free[cell] = False
            covered += len(pool)


def _is_cut(floor: np.ndarray, y: int, x: int) -> bool:
    """True when blocking ``(y, x)`` separates its open neighbours on this floor."""
    mask = PASSABLE[floor].copy()
    mask[y, x] = False
    labels, _count = label_floor(mask)
    sides = {int(labels[y + dy, x + dx]) for dy, dx in _STEPS if labels[y + dy, x + dx]}
    return len(sides) > 1


_STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def _grow_pool(rng: np.random.Generator, free: np.ndarray, size: int) -> list[tuple[int, int]]:
    """A random blob of up to ``size`` free cells, grown step by step from a random cell."""
    cells = np.argwhere(free)
    if len(cells) == 0 or size <= 0:
        return []
    start = tuple(int(v) for v in cells[rng.integers(len(cells))])
    pool, in_pool = [start], {start}
    height, width = free.shape
    for _ in range(8 * size):
        if len(pool) >= size:
            break
        y, x = pool[int(rng.integers(len(pool)))]
        dy, dx = _STEPS[int(rng.integers(4))]
        ny, nx = y + dy, x + dx
        if 0 <= ny < height and 0 <= nx < width and free[ny, nx] and (ny, nx) not in in_pool:
            in_pool.add((ny, nx))
            pool.append((ny, nx))
    return pool


def _stays_connected(floor: np.ndarray, pool: list[tuple[int, int]]) -> bool:
    """True when the floor's non-lava passable cells stay one component with ``pool`` as lava."""
    mask = PASSABLE[floor] & (floor != Tile.LAVA)
    for cell in pool:
        mask[cell] = False
    _labels, count = label_floor(mask)
    return count <= 1


def assign_locks_and_keys(rng: np.random.Generator, tiles: np.ndarray, entry: tuple[int, int, int],
                          occupied: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Give every locked door a lock id and place its key where it can be reached first.

    Doors are numbered by walking distance from the entry. The key of door ``i`` lies on
    a plain floor cell reachable from the entry, without crossing lava, while doors
    ``i, i+1, ...`` are still locked, so collecting keys in order opens every door.

    Returns the ``locks`` array and the keys as ``(floor, y, x, lock_id)``; marks key
    cells in ``occupied``.
    """
    locks = np.zeros(tiles.shape, dtype=np.int16)
    doors = np.argwhere(tiles == Tile.DOOR_LOCKED)
    if len(doors) == 0:
        return locks, []
    order = _by_distance_from_entry(tiles, entry, doors)
    keys = []
    # A hero walks around lava, so a key must be reachable without crossing it.
    passable = PASSABLE[tiles] & (tiles != Tile.DOOR_LOCKED) & (tiles != Tile.LAVA)
    plain = tiles == Tile.FLOOR
    for lock_id, index in enumerate(order, start=1):
        f, y, x = (int(v) for v in doors[index])
        region = reachable(tiles, entry, passable) & plain & ~occupied
        cells = np.argwhere(region)
        if len(cells) == 0:  # nowhere to put the key: the door stays closed but unlocked
            tiles[f, y, x] = Tile.DOOR_CLOSED
            passable[f, y, x] = True
            continue
        kf, ky, kx = (int(v) for v in cells[rng.integers(len(cells))])
        occupied[kf, ky, kx] = True
        locks[f, y, x] = lock_id
        keys.append((kf, ky, kx, lock_id))
        passable[f, y, x] = True
    return locks, keys


def _by_distance_from_entry(tiles: np.ndarray, entry: tuple[int, int, int], doors: np.ndarray) -> list[int]:
    """Indices of ``doors`` ordered by floor, then walking distance from where one arrives."""
    keys = []
    arrivals: dict[int, list[tuple[int, int]]] = {0: [entry[1:]]}
    for f, y, x in np.argwhere(tiles == Tile.STAIRS_UP):
        arrivals.setdefault(int(f), []).append((int(y), int(x)))
    distances = {f: bfs_distances(PASSABLE[tiles[f]], cells) for f, cells in arrivals.items()}
    for i, (f, y, x) in enumerate(doors):
        d = distances[int(f)][y, x] if int(f) in distances else 0
        keys.append((int(f), int(d), int(y), int(x), i))
    return [k[-1] for k in sorted(keys)]
