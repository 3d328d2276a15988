"""search.game_bridge: patch sightings, explore/flee/go-to moves and their fitting to the game's rules."""

from __future__ import annotations

import numpy as np

from levels.tiles import Tile
from search.game_bridge import OPEN_DOOR, AgentNavigator, PatchCodes, patch_sightings, step_cell
from search.grid import Belief, GridIndex, successors
from search.hebbian import HebbianNavigator, HebbianParams
from search.moves import DIRECTIONS, STAIRS, WAIT, move_target
from search.navigator import Observation

CODES = PatchCodes(radius=3, off_map=10)
GAME = HebbianParams(unknown_stairs=False)


def patch_of(tiles: np.ndarray, pos: tuple[int, int, int], radius: int = 3, sight: int = 3) -> np.ndarray:
    """A game-style patch: channel 0 = tile + 1 (10 off the floor), channel 1 = visible (a disc, no walls)."""
    f, y, x = pos
    size = 2 * radius + 1
    patch = np.zeros((size, size, 4), np.uint8)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            yy, xx = y + dy, x + dx
            if not (0 <= yy < tiles.shape[1] and 0 <= xx < tiles.shape[2]):
                patch[dy + radius, dx + radius, 0] = 10
            elif dy * dy + dx * dx <= sight * sight + sight:
                patch[dy + radius, dx + radius, 0] = tiles[f, yy, xx] + 1
                patch[dy + radius, dx + radius, 1] = 1
    return patch


def grid_tiles(rows: list[str], *more: list[str]) -> np.ndarray:
    chars = {"#": Tile.WALL, ".": Tile.FLOOR, "+": Tile.DOOR_CLOSED, "/": Tile.DOOR_OPEN, ">": Tile.STAIRS_DOWN,
             "<": Tile.STAIRS_UP, "^": Tile.LAVA}
    return np.array([[[chars[c] for c in row] for row in floor] for floor in (rows, *more)], np.uint8)


def walk(nav: AgentNavigator, tiles: np.ndarray, pos: tuple, choose, ticks: int) -> tuple:
    """Drive an agent on ``tiles``: observe, choose a move, execute it; returns the final cell."""
    for t in range(ticks):
        nav.observe(pos, patch_of(tiles, pos), t)
        move = choose(nav)
        target, _ = move_target(tiles, pos, move)
        pos = target if target is not None else pos
    return pos


def test_patch_sightings_report_cells_in_absolute_coordinates_and_closed_doors_open() -> None:
    tiles = grid_tiles(["#######", "#..+..#", "#######"])
    cells, seen = patch_sightings(patch_of(tiles, (0, 1, 1)), (0, 1, 1), CODES, tiles.shape)
    table = dict(zip(cells, seen, strict=True))
    assert table[(0, 1, 1)] == Tile.FLOOR
    assert table[(0, 0, 0)] == Tile.WALL
    assert table[(0, 1, 3)] == Tile.DOOR_OPEN  # a closed door the agent can open is passable for planning
    assert all(0 <= y < 3 and 0 <= x < 7 for _, y, x in cells)


def test_go_to_reaches_a_reachable_cell_round_an_obstacle() -> None:
    tiles = grid_tiles(["#########", "#.......#", "#.#####.#", "#.......#", "#########"])
    nav = AgentNavigator(tiles.shape, GAME, codes=CODES)
    end = walk(nav, tiles, (0, 3, 1), lambda n: n.go_to((0, 3, 7)), 8)
    assert end == (0, 3, 7)


def test_explore_sees_every_reachable_cell_and_stops() -> None:
    tiles = grid_tiles(["###########", "#....#....#", "#.##.#.##.#", "#.........#", "###########"])
    nav = AgentNavigator(tiles.shape, GAME, codes=CODES)
    walk(nav, tiles, (0, 1, 1), lambda n: n.explore(), 40)
    assert not nav.has_frontier()
    assert nav.explore() == WAIT
    inner = nav._tile[0, 1:-1, 1:-1]
    assert (inner[tiles[0] == Tile.FLOOR] != 255).all()


def test_explore_takes_stairs_when_the_floor_is_seen() -> None:
    tiles = grid_tiles(["#####", "#..>#", "#####"], ["#####", "#..<#", "#####"])
    nav = AgentNavigator(tiles.shape, GAME, codes=CODES)
    pos = (0, 1, 1)
    for t in range(6):
        nav.observe(pos, patch_of(tiles, pos), t)
        move = nav.explore()
        if pos == (0, 1, 3):
            assert move == STAIRS
        target, _ = move_target(tiles, pos, move)
        pos = target or pos
    assert pos[0] == 1


def test_flee_moves_away_from_the_threat() -> None:
    tiles = grid_tiles(["#############", "#...........#", "#...........#", "#...........#", "#############"])
    nav = AgentNavigator(tiles.shape, GAME, codes=CODES)
    threat = (0, 2, 5)
    pos = (0, 2, 6)
    for t in range(5):
        nav.observe(pos, patch_of(tiles, pos), t)
        target, _ = move_target(tiles, pos, nav.flee([threat]))
        pos = target or pos
    assert max(abs(pos[1] - threat[1]), abs(pos[2] - threat[2])) >= 4


def test_legal_move_opens_doors_and_replaces_forbidden_moves_by_the_best_allowed_one() -> None:
    tiles = grid_tiles(["#######", "#.....#", "#.....#", "#.....#", "#######"])
    nav = AgentNavigator(tiles.shape, GAME, codes=CODES)
    pos = (0, 2, 1)
    nav.observe(pos, patch_of(tiles, pos), 0)
    move = nav.go_to((0, 2, 5))
    allowed = np.ones(9, bool)
    no_door = np.zeros(8, bool)
    assert nav.legal_move(move, allowed, no_door) == move
    door = np.zeros(8, bool)
    door[move if move < 8 else 0] = True
    assert nav.legal_move(move, allowed, door) == OPEN_DOOR
    # forbid the suggested move: the replacement still brings the agent nearer the goal
    allowed[move] = False
    other = nav.legal_move(move, allowed, no_door)
    assert other not in (move, WAIT) and allowed[other]
    assert abs(step_cell(pos, other)[2] - 5) < abs(pos[2] - 5)
    # nothing allowed that makes progress: wait
    assert nav.legal_move(move, np.zeros(9, bool), no_door) == WAIT


def test_a_substituted_move_is_not_learnt_as_a_failure() -> None:
    tiles = grid_tiles(["#######", "#.....#", "#.....#", "#######"])
    nav = AgentNavigator(tiles.shape, GAME, codes=CODES)
    pos = (0, 1, 1)
    nav.observe(pos, patch_of(tiles, pos), 0)
    move = nav.go_to((0, 1, 5))
    nav.nav.expect(pos, WAIT)  # the caller waited instead (e.g. opened a door)
    nav.observe(pos, patch_of(tiles, pos), 1)
    assert not nav.nav.graph.cut, "standing still after a substituted wait cuts nothing"
    dy, dx = DIRECTIONS[move]
    assert (0, 1 + dy, 1 + dx) != pos


def test_unknown_stairs_off_keeps_unknown_cells_on_their_floor() -> None:
    grid = GridIndex(2, 3, 3)
    optimistic, game = Belief(grid), Belief(grid, unknown_stairs=False)
    u = grid.node((0, 1, 1))
    assert STAIRS in [m for _, m in successors(grid, optimistic, u)]
    assert STAIRS not in [m for _, m in successors(grid, game, u)]


def test_explore_step_matches_the_nearest_frontier() -> None:
    tiles = grid_tiles(["#########", "#.......#", "#########"])
    nav = HebbianNavigator(tiles.shape, GAME)
    cells = [(0, y, x) for y in range(3) for x in range(4)]
    nav.observe(Observation((0, 1, 1), cells, [int(tiles[c]) for c in cells], 0))
    assert nav.explore_step((0, 1, 1)) == 2  # east, towards the unseen cell (0, 1, 4)
