"""Guarantees of each navigator: paths found, known walls respected, cut doors retried."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import numpy as np
import pytest

from levels.tiles import Tile
from search.astar import AStarNavigator, grid_graph, true_distance
from search.dstar_lite import DStarLiteNavigator
from search.grid import Belief, GridIndex, successors
from search.harmonic import HarmonicCode
from search.hebbian import CognitiveGraph, HebbianNavigator, HebbianParams
from search.incremental import IncrementalPlanner
from search.moves import DIRECTIONS, STAIRS, WAIT, move_target
from search.navigator import Navigator, Observation
from search.scenario import Scenario, parse_scenario
from search.world import World

NAVIGATORS = {"astar_oracle": AStarNavigator, "dstar_lite": DStarLiteNavigator, "hebbian": HebbianNavigator}


def random_map(seed: int, size: int = 14, walls: float = 0.3) -> tuple[np.ndarray, tuple, tuple]:
    """A random one-floor map with a start and a reachable goal far from it."""
    rng = np.random.default_rng(seed)
    tiles = np.where(rng.random((1, size, size)) < walls, Tile.WALL, Tile.FLOOR).astype(np.uint8)
    tiles[:, [0, -1], :] = Tile.WALL
    tiles[:, :, [0, -1]] = Tile.WALL
    graph = grid_graph(tiles)
    region = sorted(max(nx.connected_components(graph), key=len))
    start = region[0]
    dist = nx.single_source_shortest_path_length(graph, start)
    goal = max(region, key=lambda c: (dist[c], c))
    return tiles, start, goal


def scenario(tiles: np.ndarray, start: tuple, goal: tuple, radius: int, events: tuple = (), budget: int = 2000,
             ) -> Scenario:
    return Scenario("test", "static", tiles, start, goal, radius, budget, events)


def drive(s: Scenario, nav: Navigator, oracle: bool = False) -> tuple[World, list[tuple[int, tuple]]]:
    """Run a navigator through a scenario; returns the world and every bump (tick, cells felt)."""
    world = World(s, full_view=oracle)
    bumps = []
    while True:
        world.apply_events()
        if world.at_goal or world.t >= s.budget:
            return world, bumps
        nav.observe(world.observation())
        move = nav.next_step(world.pos, world.goal)
        before = world.pos
        if not world.execute(move) and move != WAIT:
            target, blockers = move_target(world.tiles, before, move)
            bumps.append((world.t - 1, tuple(blockers)))


def test_directions_match_the_game() -> None:
    actions = pytest.importorskip("game.actions")
    assert [tuple(d) for d in actions.DIRECTIONS.tolist()] == list(DIRECTIONS)


@pytest.mark.parametrize("name", list(NAVIGATORS))
@pytest.mark.parametrize("radius", [0, 2])
def test_finds_a_path_when_one_exists(name: str, radius: int) -> None:
    for seed in range(6):
        tiles, start, goal = random_map(seed)
        s = scenario(tiles, start, goal, radius)
        world, _ = drive(s, NAVIGATORS[name](s.shape), oracle=name == "astar_oracle")
        assert world.at_goal, (name, seed)
        if name == "astar_oracle":
            assert world.t == true_distance(grid_graph(tiles), start, goal)


@pytest.mark.parametrize("name", ["dstar_lite", "hebbian"])
def test_never_walks_into_a_known_wall_twice(name: str) -> None:
    for seed in range(6):
        tiles, start, goal = random_map(seed, walls=0.35)
        s = scenario(tiles, start, goal, 0)
        _, bumps = drive(s, NAVIGATORS[name](s.shape))
        felt = Counter(cell for _, cells in bumps for cell in cells)
        assert felt and max(felt.values()) == 1, (seed, felt.most_common(3))


def test_stairs_and_floors() -> None:
    s = parse_scenario({
        "format": "mindcrawl-nav-scenario", "version": 1, "name": "stairs", "kind": "multi_floor",
        "sensing_radius": 1, "budget": 200, "events": [],
        "floors": [["#########", "#S..#..>#", "#.#...#.#", "#########"],
                   ["#########", "#G.....<#", "#.#####.#", "#########"]]})
    for name, factory in NAVIGATORS.items():
        world, _ = drive(s, factory(s.shape), oracle=name == "astar_oracle")
        assert world.at_goal and world.pos[0] == 1, name


BLIND_DOOR = ["#########", "#S..+..G#", "#########"]


def _door_scenario(events: tuple = (), budget: int = 400) -> Scenario:
    return parse_scenario({
        "format": "mindcrawl-nav-scenario", "version": 1, "name": "door", "kind": "door_reopens",
        "sensing_radius": 0, "budget": budget, "floors": [BLIND_DOOR],
        "events": [{"t": t, "floor": 0, "cell": [1, 4], "tile": "/"} for t in events]})


def test_hebbian_retries_a_cut_door_with_growing_back_off() -> None:
    s = _door_scenario()  # the door never opens: the goal is out of reach
    params = HebbianParams(backoff=8)
    _, bumps = drive(s, HebbianNavigator(s.shape, params))
    times = [t for t, cells in bumps if (0, 1, 4) in cells]
    gaps = np.diff(times)
    assert len(times) >= 4
    assert all(b >= 2 * a - 1 for a, b in zip(gaps, gaps[1:], strict=False)), times  # back-off doubles
    assert gaps[0] >= params.backoff


def test_dstar_lite_never_retries_a_door_it_saw_closed() -> None:
    s = _door_scenario()
    _, bumps = drive(s, DStarLiteNavigator(s.shape))
    assert sum((0, 1, 4) in cells for _, cells in bumps) == 1


def test_hebbian_finds_a_door_that_reopens_out_of_sight() -> None:
    s = _door_scenario(events=(20,))
    world, _ = drive(s, HebbianNavigator(s.shape))
    assert world.at_goal
    world_d, _ = drive(s, DStarLiteNavigator(s.shape))
    assert not world_d.at_goal  # D* Lite believes the door is still shut


def test_next_step_waits_at_the_goal_and_explores_without_one() -> None:
    tiles, start, goal = random_map(3, size=10, walls=0.2)
    s = scenario(tiles, start, goal, 2)
    nav = HebbianNavigator(s.shape)
    world = World(s)
    nav.observe(world.observation())
    assert nav.next_step(start, start) == WAIT
    for _ in range(300):  # explore: every reachable cell gets seen
        nav.observe(world.observation())
        move = nav.next_step(world.pos, None)
        if move == WAIT:
            break
        world.execute(move)
    region = nx.node_connected_component(grid_graph(tiles), start)
    belief = nav.graph.belief
    assert all(belief.tile[nav.grid.node(c)] != 255 for c in region)


def test_shared_graph_helps_the_second_agent() -> None:
    tiles, start, goal = random_map(11, size=20, walls=0.3)
    s = scenario(tiles, start, goal, 2)
    team = CognitiveGraph(s.shape)
    first, _ = drive(s, HebbianNavigator(s.shape, graph=team))
    second, _ = drive(s, HebbianNavigator(s.shape, graph=team))
    assert first.at_goal and second.at_goal and second.t <= first.t
    assert second.t <= true_distance(grid_graph(tiles), start, goal) * 1.3


def test_incremental_planner_matches_dijkstra_after_changes() -> None:
    rng = np.random.default_rng(0)
    grid = GridIndex(1, 12, 12)
    belief = Belief(grid)
    cost = {}

    def succ(u: int):  # noqa: ANN202
        for v, move in successors(grid, belief, u):
            yield v, move, cost.setdefault((min(u, v), max(u, v)), float(rng.integers(1, 4)))

    planner = IncrementalPlanner(grid.size, succ, grid.chebyshev)
    start, goal = grid.node((0, 1, 1)), grid.node((0, 10, 10))
    planner.reset(goal, start)
    for _ in range(15):
        planner.compute()
        graph = nx.Graph()
        for u in range(grid.size):
            for v, _, c in succ(u):
                graph.add_edge(u, v, weight=c)
        try:
            expected = nx.shortest_path_length(graph, start, goal, weight="weight")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            expected = float("inf")
        assert planner.distance() == pytest.approx(expected)
        cell = (0, int(rng.integers(0, 12)), int(rng.integers(0, 12)))
        node = grid.node(cell)
        if node in (start, goal):
            continue
        changed = belief.record(node, int(Tile.WALL) if rng.random() < 0.7 else int(Tile.FLOOR))
        from search.grid import touching
        planner.changed({n for c in changed for n in touching(grid, c)})


def test_harmonic_heuristic_is_consistent_and_admissible() -> None:
    code = HarmonicCode()
    table = code.heuristic_table(20, 20)
    h = np.maximum(0.0, np.array(table))
    centre = 19
    for dy in range(-18, 19, 3):
        for dx in range(-18, 19, 3):
            here = h[centre + dy, centre + dx]
            assert here <= max(abs(dy), abs(dx)) + 1e-9  # never more than the open-grid distance
            for my, mx in DIRECTIONS:
                assert abs(here - h[centre + dy + my, centre + dx + mx]) <= 1 + 1e-9
    # the table is the code's own chord distance, not a stand-in for coordinates
    a, b = np.array([3.0, 5.0]), np.array([11.0, 2.0])
    chord = np.abs(code.encode(a) - code.encode(b))
    direct = np.max(np.sqrt((chord ** 2).sum(-1)) / code.lipschitz)
    assert direct == pytest.approx(table[centre + 8][centre - 3])
    assert code.similarity(a, a) == pytest.approx(np.ones(len(code.periods)))


def test_observation_of_stairs_marks_both_ends() -> None:
    grid = GridIndex(2, 3, 3)
    belief = Belief(grid)
    n = grid.node((0, 1, 1))
    assert set(belief.record(n, int(Tile.STAIRS_DOWN))) == {n, grid.node((1, 1, 1))}
    assert any(m == STAIRS for _, m in successors(grid, belief, n))
    nav = DStarLiteNavigator((2, 3, 3))
    nav.observe(Observation((0, 1, 1), [(0, 1, 1)], [int(Tile.STAIRS_DOWN)]))
    assert nav.next_step((0, 1, 1), (1, 1, 1)) == STAIRS


def test_random_dynamic_scenarios_run_cleanly() -> None:
    """Random maps with doors, stairs, tile events and goal moves: no navigator crashes, and
    the Hebbian navigator arrives wherever the oracle does."""
    from search.bench import NAVIGATORS as BENCH
    from search.bench import TrueMaps, run
    from search.scenario import Event

    rng = np.random.default_rng(1)
    maps = TrueMaps()
    for k in range(40):
        floors, height, width = int(rng.integers(1, 3)), int(rng.integers(5, 12)), int(rng.integers(5, 12))
        tiles = np.where(rng.random((floors, height, width)) < 0.25, Tile.WALL, Tile.FLOOR).astype(np.uint8)
        doors = rng.random(tiles.shape) < 0.08
        tiles[doors] = Tile.DOOR_CLOSED
        if floors > 1:
            y, x = int(rng.integers(height)), int(rng.integers(width))
            tiles[0, y, x], tiles[1, y, x] = Tile.STAIRS_DOWN, Tile.STAIRS_UP
        free = [tuple(c) for c in np.argwhere(tiles == Tile.FLOOR).tolist()]
        if len(free) < 3:
            continue
        door_cells = [tuple(c) for c in np.argwhere(doors).tolist()]
        events = []
        for _ in range(int(rng.integers(0, 6))):
            if door_cells:
                cell = door_cells[int(rng.integers(len(door_cells)))]
                tile = int(rng.choice([Tile.DOOR_OPEN, Tile.DOOR_CLOSED, Tile.WALL]))
                events.append(Event(int(rng.integers(0, 60)), cell=cell, tile=tile))
            if rng.random() < 0.3:
                events.append(Event(int(rng.integers(0, 60)), goal=free[int(rng.integers(len(free)))]))
        s = Scenario(f"fuzz{k}", "static", tiles, free[0], free[-1], int(rng.integers(0, 4)), 300,
                     tuple(sorted(events, key=lambda e: e.t)))
        results = {name: run(s, name, BENCH[name], maps) for name in ("astar_oracle", "dstar_lite", "hebbian")}
        if results["astar_oracle"].success:
            assert results["hebbian"].success, k


def test_hebbian_learns_from_a_goal_that_walks() -> None:
    graph = CognitiveGraph((1, 6, 6))
    nav = HebbianNavigator((1, 6, 6), graph=graph)
    nav.observe(Observation((0, 1, 1), [(0, 1, 1)], [int(Tile.FLOOR)]))
    nav.next_step((0, 1, 1), (0, 4, 3))
    nav.next_step((0, 1, 1), (0, 4, 4))  # one step: both cells passable, the move confident
    a, b = graph.grid.node((0, 4, 3)), graph.grid.node((0, 4, 4))
    assert graph.belief.tile[a] == Tile.FLOOR and graph.belief.tile[b] == Tile.FLOOR
    assert graph.confidence(a, b) > graph.params.w_seen
    nav.next_step((0, 1, 1), (0, 1, 4))  # a jump: nothing learned about the way
    assert graph.belief.tile[graph.grid.node((0, 1, 4))] == 255


def test_equal_routes_go_to_the_side_of_the_goal() -> None:
    # In an open room every first move E, NE or SE starts a shortest route to a goal due east;
    # D* Lite takes the first in direction order (NE), the Hebbian navigator the one nearest the goal.
    tiles = np.full((1, 7, 12), Tile.FLOOR, np.uint8)
    tiles[:, [0, -1], :] = Tile.WALL
    tiles[:, :, [0, -1]] = Tile.WALL
    s = scenario(tiles, (0, 3, 1), (0, 3, 10), 10)
    world = World(s)
    obs = world.observation()
    plain = HebbianNavigator(s.shape, HebbianParams(goal_ties=False))
    plain.observe(obs)
    tied = HebbianNavigator(s.shape)
    tied.observe(obs)
    assert DIRECTIONS[plain.next_step(s.start, s.goal)] == (-1, 1)
    assert DIRECTIONS[tied.next_step(s.start, s.goal)] == (0, 1)
    world, _ = drive(s, HebbianNavigator(s.shape))
    assert world.t == 9 and world.at_goal



def test_a_goal_that_moves_is_chased_by_route_length() -> None:
    # Towards a fixed goal untried moves carry the confidence premium beta (1 - w), so the
    # route costs more than its 9 moves; once the goal has moved, routes cost their length
    # (unless moving_goal_by_length is off).
    tiles = np.full((1, 7, 12), Tile.FLOOR, np.uint8)
    tiles[:, [0, -1], :] = Tile.WALL
    tiles[:, :, [0, -1]] = Tile.WALL
    s = scenario(tiles, (0, 3, 1), (0, 3, 10), 2)
    values = {}
    for by_length in (True, False):
        nav = HebbianNavigator(s.shape, HebbianParams(moving_goal_by_length=by_length))
        nav.observe(World(s).observation())
        nav.next_step(s.start, (0, 3, 10))
        fixed = nav.planner.distance()
        nav.next_step(s.start, (0, 4, 10))
        values[by_length] = (fixed, nav.planner.distance())
    assert values[True][0] > 9 + 1 and values[False][0] > 9 + 1
    assert values[True][1] == 9
    assert values[False][1] > 9 + 1
