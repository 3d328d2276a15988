"""Build the shipped scenario suite (``search/scenarios/*.json``) from level presets and by hand.

Run ``.venv/bin/python -m search.make_scenarios`` to rewrite the suite; the output is
deterministic. Generated maps come from :func:`levels.generate`; start and goal are
far apart; events are placed on the oracle's route so that they matter.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import networkx as nx
import numpy as np

import levels
from levels.common.files import atomic_write_text
from levels.params import load_preset, params_from_dict, params_to_dict
from levels.tiles import Tile
from search.astar import grid_graph, true_distance
from search.moves import Cell
from search.scenario import Event, Scenario, TeamMate

OUT = Path(__file__).parent / "scenarios"
_DOORS = (Tile.DOOR_CLOSED, Tile.DOOR_LOCKED, Tile.DOOR_OPEN)


def _open_doors(tiles: np.ndarray) -> np.ndarray:
    """Every door open: a door that stays shut is just a wall (static maps stay static)."""
    out = tiles.copy()
    out[np.isin(out, [Tile.DOOR_CLOSED, Tile.DOOR_LOCKED])] = Tile.DOOR_OPEN
    return out


def _floor(level: levels.Level, f: int) -> np.ndarray:
    """One floor of a level, its stairs turned to floor, as a one-floor map."""
    tiles = level.tiles[f:f + 1].copy()
    tiles[np.isin(tiles, [Tile.STAIRS_DOWN, Tile.STAIRS_UP])] = Tile.FLOOR
    tiles[tiles == Tile.LAVA] = Tile.WALL
    return tiles


def _far_pair(tiles: np.ndarray, rng: np.random.Generator, goal_floor: int | None = None) -> tuple[Cell, Cell, int]:
    """A start and a goal far apart in the largest connected region (goal on ``goal_floor`` if given)."""
    graph = grid_graph(tiles)
    region = max(nx.connected_components(graph), key=len)
    cells = sorted(c for c in region if tiles[c] in (Tile.FLOOR, Tile.WATER))
    start = cells[int(rng.integers(len(cells)))]
    if goal_floor is not None:
        on_floor = [c for c in cells if c[0] == 0]
        start = on_floor[int(rng.integers(len(on_floor)))]
    dist = nx.single_source_shortest_path_length(graph, start)
    candidates = [c for c in cells if goal_floor is None or c[0] == goal_floor]
    best = max(dist[c] for c in candidates)
    far = [c for c in candidates if dist[c] >= 0.75 * best]
    goal = far[int(rng.integers(len(far)))]
    return start, goal, dist[goal]


def _budget(distance: int, radius: int) -> int:
    """Generous: exploring by bumps alone (radius 0) takes many more steps."""
    return max(300, (20 if radius == 0 else 10) * distance)


def _scenario(name: str, kind: str, tiles: np.ndarray, start: Cell, goal: Cell, radius: int,
              events: list[Event], description: str, distance: int) -> Scenario:
    return Scenario(name, kind, tiles, start, goal, radius, _budget(distance, radius), tuple(events), description)


def _maze_params(size: int) -> levels.LevelParams:
    data = params_to_dict(load_preset("labyrinth"))
    data["floors"] = dict(data["floors"], count=1, width=size, height=size)
    return params_from_dict(data)


def _route_cells(tiles: np.ndarray, start: Cell, goal: Cell, want: tuple[int, ...], min_detour: int,
                 ) -> list[tuple[Cell, int, int]]:
    """Cells of tile ``want`` on a shortest route whose blocking keeps the goal reachable.

    Returns ``(cell, steps from start to it, detour length)`` for each, largest detour first.
    """
    graph = grid_graph(tiles)
    path = nx.shortest_path(graph, start, goal)
    base = len(path) - 1
    out = []
    for i, cell in enumerate(path[1:-1], start=1):
        if tiles[cell] not in want:
            continue
        blocked = tiles.copy()
        blocked[cell] = Tile.WALL
        d = true_distance(grid_graph(blocked), start, goal)
        if d is not None and d - base >= min_detour:
            out.append((cell, i, d - base))
    return sorted(out, key=lambda item: -item[2])


def static_suite(rng: np.random.Generator) -> list[Scenario]:
    """Unknown static maps from every preset's floors (doors open)."""
    out = []
    specs = [("dungeon", 0, 0), ("dungeon", 1, 2), ("dungeon", 2, 4), ("caves", 0, 3), ("caves", 1, 5),
             ("labyrinth", 0, 1), ("labyrinth", 1, 3), ("arena", 0, 2), ("dungeon", 3, 6), ("caves", 4, 0)]
    for i, (preset, seed, radius) in enumerate(specs):
        level = levels.generate(preset, seed)
        tiles = _open_doors(_floor(level, 0))
        start, goal, d = _far_pair(tiles, rng)
        out.append(_scenario(f"static_{i:02d}_{preset}", "static", tiles, start, goal, radius, [],
                             f"{preset} seed {seed} floor 0, doors open, sensing {radius}", d))
    return out


def door_suite(rng: np.random.Generator) -> list[Scenario]:
    """Doors on the route that close mid-way, and doors shut at the start that reopen."""
    closes, reopens = [], []
    seed = 0
    while (len(closes) < 6 or len(reopens) < 7) and seed < 400:
        preset = ("dungeon", "labyrinth")[seed % 2]
        level = levels.generate(preset, 100 + seed)
        seed += 1
        tiles = _open_doors(_floor(level, 0))
        start, goal, d = _far_pair(tiles, rng)
        doors = _route_cells(tiles, start, goal, (Tile.DOOR_OPEN,), 6)
        if not doors:
            continue
        radius = int(rng.choice([0, 2, 3, 5]))
        cell, at, detour = doors[0]
        # A door met early on the route, so every navigator finds it shut at about the same time.
        early = [d for d in doors if d[1] <= 20 and d[2] >= 40]
        if len(reopens) < 7 and early:
            cell, at, detour = min(early, key=lambda d: d[1])
            shut = tiles.copy()
            shut[cell] = Tile.DOOR_CLOSED
            delay = int(rng.choice([8, 15, 25, 40]))
            event = Event(at + delay, cell=cell, tile=int(Tile.DOOR_OPEN))
            reopens.append(_scenario(f"door_reopens_{len(reopens):02d}_{preset}", "door_reopens", shut, start,
                                     goal, radius, [event], f"{preset} seed {100 + seed - 1}: the door {at} steps "
                                     f"along the route (detour +{detour}) is shut and opens at t={event.t}",
                                     d + detour))
        elif len(closes) < 6:
            event = Event(max(1, at - 3), cell=cell, tile=int(Tile.DOOR_CLOSED))
            closes.append(_scenario(f"door_closes_{len(closes):02d}_{preset}", "door_closes", tiles, start, goal,
                                    radius, [event], f"{preset} seed {100 + seed - 1}: the door on the route "
                                    f"closes at t={event.t} for good (detour +{detour})", d + detour))
    return closes + reopens


def wall_suite(rng: np.random.Generator) -> list[Scenario]:
    """A wall appears on the route (a corridor caves in) just before the agent gets there."""
    out = []
    seed = 0
    while len(out) < 5 and seed < 100:
        preset = ("caves", "dungeon", "labyrinth")[seed % 3]
        level = levels.generate(preset, 300 + seed)
        seed += 1
        tiles = _open_doors(_floor(level, 0))
        start, goal, d = _far_pair(tiles, rng)
        cells = _route_cells(tiles, start, goal, (Tile.FLOOR,), 4)
        if not cells:
            continue
        cell, at, detour = cells[len(cells) // 2]
        radius = int(rng.choice([1, 3, 4]))
        event = Event(max(1, at - 2), cell=cell, tile=int(Tile.WALL))
        out.append(_scenario(f"wall_appears_{len(out):02d}_{preset}", "wall_appears", tiles, start, goal, radius,
                             [event], f"{preset} seed {300 + seed - 1}: a wall appears on the route at "
                             f"t={event.t} (detour +{detour})", d + detour))
    return out


def moving_goal_suite(rng: np.random.Generator, count: int = 10, first_seed: int = 500) -> list[Scenario]:
    """Goals that walk away (one cell every few ticks) or jump to another room."""
    out = []
    for i in range(count):
        preset = ("dungeon", "caves", "labyrinth")[i % 3]
        level = levels.generate(preset, first_seed + i)
        tiles = _open_doors(_floor(level, 0))
        start, goal, d = _far_pair(tiles, rng)
        graph = grid_graph(tiles)
        radius = int(rng.choice([2, 3, 5]))
        events: list[Event] = []
        if i % 2 == 0:  # walks along a route to a far cell, one cell every `every` ticks
            every = int(rng.choice([2, 3]))
            _, dest, _ = _far_pair(tiles, rng)
            route = nx.shortest_path(graph, goal, dest)[1:]
            events = [Event(every * (k + 1), goal=c) for k, c in enumerate(route)]
            how = f"walks to {dest} one cell every {every} ticks"
        else:  # jumps twice, back towards where the agent has been
            area = sorted(c for c in nx.node_connected_component(graph, start) if tiles[c] == Tile.FLOOR)
            first = area[int(rng.integers(len(area)))]
            second = area[int(rng.integers(len(area)))]
            events = [Event(d // 2, goal=first), Event(d, goal=second)]
            how = f"jumps to {first} at t={d // 2} and to {second} at t={d}"
        out.append(_scenario(f"moving_goal_{i:02d}_{preset}", "moving_goal", tiles, start, goal, radius, events,
                             f"{preset} seed {first_seed + i}: the goal {how}", d + len(events) * 3))
    return out


def multi_floor_suite(rng: np.random.Generator) -> list[Scenario]:
    """Routes down the stairs of whole multi-floor levels to a goal on the deepest floor."""
    out = []
    for i, (preset, seed) in enumerate([("dungeon", 700), ("dungeon", 701), ("caves", 702), ("dungeon", 703),
                                        ("caves", 704), ("labyrinth", 705)]):
        level = levels.generate(preset, seed)
        tiles = _open_doors(level.tiles)
        tiles[tiles == Tile.LAVA] = Tile.WALL
        start, goal, d = _far_pair(tiles, rng, goal_floor=tiles.shape[0] - 1)
        radius = int(rng.choice([2, 4, 6]))
        out.append(_scenario(f"multi_floor_{i:02d}_{preset}", "multi_floor", tiles, start, goal, radius, [],
                             f"{preset} seed {seed}: {tiles.shape[0]} floors, goal on the last", d))
    return out


def maze_suite(rng: np.random.Generator) -> list[Scenario]:
    """64x64 braided mazes (the planning-time check runs on these)."""
    out = []
    params = _maze_params(64)
    for i in range(6):
        level = levels.generate(params, 900 + i)
        tiles = _open_doors(level.tiles)
        start, goal, d = _far_pair(tiles, rng)
        radius = int(rng.choice([0, 1, 2, 3]))
        out.append(_scenario(f"maze64_{i:02d}", "maze64", tiles, start, goal, radius, [],
                             f"64x64 labyrinth seed {900 + i}, doors open, sensing {radius}", d))
    return out


HAND = [
    ("hand_reopen_shortcut", "door_reopens", 2, [(20, 0, (2, 9), "/")], [
        "#####################",
        "#........#..........#",
        "#.S......+.........G#",
        "#........#..........#",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####............#####",
        "#####################"]),
    ("hand_reopen_blind", "door_reopens", 0, [(16, 0, (2, 9), "/")], [
        "#####################",
        "#........#..........#",
        "#.S......+.........G#",
        "#........#..........#",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####............#####",
        "#####################"]),
    ("hand_reopen_late", "door_reopens", 3, [(70, 0, (2, 9), "/")], [
        "#####################",
        "#........#..........#",
        "#.S......+.........G#",
        "#........#..........#",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####.##########.#####",
        "####............#####",
        "#####################"]),
    ("hand_door_closes", "door_closes", 3, [(5, 0, (2, 10), "+")], [
        "#####################",
        "#........#..........#",
        "#.S......./........G#",
        "#........#..........#",
        "####.##########.#####",
        "####............#####",
        "#####################"]),
    ("hand_wall_appears", "wall_appears", 2, [(6, 0, (3, 9), "#")], [
        "###################",
        "#S.......#........#",
        "#.######.#.######.#",
        "#........#.......G#",
        "#.######...######.#",
        "#.................#",
        "###################"]),
    ("hand_moving_goal", "moving_goal", 3, [(10, (0, 1, 16)), (25, (0, 6, 2))], [
        "###################",
        "#.......#.........#",
        "#.......#.........#",
        "#S.......G........#",
        "#.......#.........#",
        "#.......#.........#",
        "#.......#.........#",
        "###################"]),
    ("hand_two_floors", "multi_floor", 2, [], [
        "###########",
        "#S.....#..#",
        "#..###.#.>#",
        "#....#....#",
        "###########"], [
        "###########",
        "#.........#",
        "#.#######<#",
        "#G........#",
        "###########"]),
    ("hand_unsolvable", "static", 2, [], [
        "############",
        "#S....#....#",
        "#.....#.G..#",
        "#.....#....#",
        "############"]),
]


def hand_suite() -> list[Scenario]:
    """Small hand-made maps that isolate one behaviour each."""
    from search.scenario import parse_scenario

    out = []
    for name, kind, radius, raw_events, *floors in HAND:
        events = []
        for e in raw_events:
            if len(e) == 2:
                events.append({"t": e[0], "goal": list(e[1])})
            else:
                t, f, (y, x), ch = e
                events.append({"t": t, "floor": f, "cell": [y, x], "tile": ch})
        data = {"format": "mindcrawl-nav-scenario", "version": 1, "name": name, "kind": kind,
                "description": f"hand-made: {name.removeprefix('hand_').replace('_', ' ')}",
                "sensing_radius": radius, "budget": 300, "floors": floors, "events": events}
        out.append(parse_scenario(data, name))
    return out


def intermittent_suite(rng: np.random.Generator, count: int = 6) -> list[Scenario]:
    """A door on the route that opens and shuts on a cycle for the whole run (an unreliable passage).

    The door met early on the route starts shut; it stays shut ``closed`` ticks, then open
    ``opened`` ticks, and so on. The detour around it is at least 20 steps, so waiting at the
    door can pay, depending on how often it is open.
    """
    out: list[Scenario] = []
    cycles = [(12, 4), (6, 6), (20, 5), (8, 3), (4, 8), (15, 10)]
    seed = 0
    while len(out) < count and seed < 400:
        preset = ("dungeon", "labyrinth")[seed % 2]
        level = levels.generate(preset, 700 + seed)
        seed += 1
        tiles = _open_doors(_floor(level, 0))
        start, goal, d = _far_pair(tiles, rng)
        doors = [c for c in _route_cells(tiles, start, goal, (Tile.DOOR_OPEN,), 20) if c[1] <= 25]
        if not doors:
            continue
        cell, at, detour = min(doors, key=lambda c: c[1])
        closed, opened = cycles[len(out) % len(cycles)]
        radius = int(rng.choice([0, 2, 3, 5]))
        shut = tiles.copy()
        shut[cell] = Tile.DOOR_CLOSED
        budget = _budget(d + detour, radius)
        events, t = [], closed
        while t < budget:
            events.append(Event(t, cell=cell, tile=int(Tile.DOOR_OPEN)))
            events.append(Event(t + opened, cell=cell, tile=int(Tile.DOOR_CLOSED)))
            t += opened + closed
        out.append(Scenario(f"intermittent_{len(out):02d}_{preset}", "intermittent", shut, start, goal, radius,
                            budget, tuple(events), f"{preset} seed {700 + seed - 1}: the door {at} steps along "
                            f"the route (detour +{detour}) is shut {closed} ticks, open {opened}, repeatedly"))
    return out


def concurrent_suite(rng: np.random.Generator, count: int = 6, first_seed: int = 900) -> list[Scenario]:
    """Teams moving at the same time: hunters of a walking goal, and agents crossing in corridors.

    Even ``i``: a team of 2-4 hunters starts around the map and hunts a goal that walks one
    cell every 2-3 ticks. Odd ``i``: 3-4 agents with goals of their own, each start and goal
    far apart, so their routes cross and share corridors.
    """
    out = []
    for i in range(count):
        preset = ("dungeon", "caves", "labyrinth")[i % 3]
        level = levels.generate(preset, first_seed + i)
        tiles = _open_doors(_floor(level, 0))
        graph = grid_graph(tiles)
        radius = int(rng.choice([2, 3, 5]))
        start, goal, d = _far_pair(tiles, rng)
        region = sorted(c for c in nx.node_connected_component(graph, start) if tiles[c] == Tile.FLOOR)
        taken = {start, goal}
        mates: list[TeamMate] = []
        events: list[Event] = []
        if i % 2 == 0:
            every = int(rng.choice([2, 3]))
            _, dest, _ = _far_pair(tiles, rng)
            route = nx.shortest_path(graph, goal, dest)[1:]
            events = [Event(every * (k + 1), goal=c) for k, c in enumerate(route)]
            for _ in range(int(rng.integers(1, 4))):
                cell = region[int(rng.integers(len(region)))]
                if cell not in taken and cell not in route:
                    taken.add(cell)
                    mates.append(TeamMate(cell))
            how = f"{len(mates) + 1} hunters; the goal walks to {dest} one cell every {every} ticks"
        else:
            for _ in range(int(rng.integers(2, 4))):
                a, b, _ = _far_pair(tiles, rng)
                if a not in taken and b not in taken and a != b:
                    taken |= {a, b}
                    mates.append(TeamMate(a, b))
            how = f"{len(mates) + 1} agents with their own far goals"
        out.append(Scenario(f"concurrent_{i:02d}_{preset}", "concurrent", tiles, start, goal, radius,
                            _budget(d, radius), tuple(events), f"{preset} seed {first_seed + i}: {how}",
                            agents=tuple(mates)))
    out += _concurrent_hand()
    return out


def _concurrent_hand() -> list[Scenario]:
    """Two agents that must pass each other in a one-cell corridor with a side loop."""
    rows = ["###########",
            "#S.......A#",
            "####.#.####",
            "####...####",
            "###########"]
    start, other = (0, 1, 1), (0, 1, 9)
    tiles = np.array([[[int(Tile.WALL) if ch == "#" else int(Tile.FLOOR) for ch in row] for row in rows]],
                     np.uint8)
    return [Scenario("concurrent_hand_crossing", "concurrent", tiles, start, other, 1, 300, (),
                     "two agents swap ends of a corridor; a loop below lets one step aside",
                     agents=(TeamMate(other, start),))]


def build() -> list[Scenario]:
    """The whole suite, deterministically."""
    rng = np.random.default_rng(5)
    return (static_suite(rng) + door_suite(rng) + wall_suite(rng) + moving_goal_suite(rng)
            + multi_floor_suite(rng) + maze_suite(rng) + hand_suite()
            + intermittent_suite(np.random.default_rng(11)) + concurrent_suite(np.random.default_rng(13)))


def main() -> None:
    """Write the suite to ``search/scenarios`` (or ``--out``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(OUT), help="directory to (re)write; its *.json files are replaced")
    parser.add_argument("--moving-goals", type=int, default=0, metavar="N",
                        help="write only N moving-goal scenarios (a held-out set, with --first-seed)")
    parser.add_argument("--first-seed", type=int, default=2000, help="first level seed of --moving-goals")
    parser.add_argument("--intermittent", action="store_true",
                        help="write only the intermittent-door scenarios (added to the suite later than the rest)")
    parser.add_argument("--concurrent", action="store_true",
                        help="write only the concurrent (several agents at once) scenarios (added later still)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not (args.intermittent or args.concurrent):
        for old in out.glob("*.json"):
            old.unlink()
    if args.intermittent:
        suite = intermittent_suite(np.random.default_rng(11))
    elif args.concurrent:
        suite = concurrent_suite(np.random.default_rng(13))
    elif args.moving_goals:
        suite = moving_goal_suite(np.random.default_rng(args.first_seed), args.moving_goals, args.first_seed)
    else:
        suite = build()
    for scenario in suite:
        atomic_write_text(out / f"{scenario.name}.json", scenario.to_json())
    print(f"wrote {len(suite)} scenarios to {out}")


if __name__ == "__main__":
    main()
