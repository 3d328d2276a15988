"""The navigation scenario format: a JSON file that describes one dynamic-map task.

See ``docs/navigation.md`` for the reference. In short::

    {"format": "mindcrawl-nav-scenario", "version": 1, "name": "door_reopens_01",
     "kind": "door_reopens", "floors": [["#####", "#S+G#", "#####"]],
     "sensing_radius": 3, "budget": 200,
     "events": [{"t": 30, "floor": 0, "cell": [1, 2], "tile": "/"},
                {"t": 40, "goal": [0, 1, 3]}]}

An optional ``agents`` list adds team-mates that move at the same time as the agent at
``S`` (see :mod:`search.concurrent`): ``[{"start": [f, r, c]}, {"start": [...], "goal": [...]}]``;
one without a ``goal`` hunts the shared goal ``G``.

Every problem raises :class:`ScenarioError` with one line naming the file and the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from levels.common.errors import UserError
from levels.common.files import MAX_TEXT_BYTES, parse_json, read_user_text
from levels.tiles import TILE_CHARS, Tile
from search.moves import BLOCKING, Cell

FORMAT_NAME = "mindcrawl-nav-scenario"
FORMAT_VERSION = 1

#: Scenario kinds the benchmark groups results by.
KINDS = ("static", "door_closes", "door_reopens", "wall_appears", "moving_goal", "multi_floor", "maze64",
         "intermittent", "concurrent")
#: The most agents a scenario may hold (the one at ``S`` included).
MAX_AGENTS = 16

CHAR_TO_TILE: dict[str, int] = {char: int(tile) for tile, char in TILE_CHARS.items()}
_MARKERS = {"S": "start", "G": "goal"}
_STAIRS = (int(Tile.STAIRS_DOWN), int(Tile.STAIRS_UP))


class ScenarioError(UserError, ValueError):
    """A scenario file that is not valid; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Event:
    """Something that happens before the agent's move number ``t`` (0-based).

    Either a tile change (``cell`` and ``tile`` set) or a goal move (``goal`` set).
    """

    t: int
    cell: Cell | None = None
    tile: int | None = None
    goal: Cell | None = None


@dataclass(frozen=True)
class TeamMate:
    """Another agent of a concurrent scenario: where it starts, and its own goal (None: ``G``)."""

    start: Cell
    goal: Cell | None = None


@dataclass(frozen=True)
class Scenario:
    """One navigation task: the true map, where to go, what the agent senses, and events."""

    name: str
    kind: str
    tiles: np.ndarray  # (floors, height, width) uint8 tile codes
    start: Cell
    goal: Cell
    sensing_radius: int
    budget: int
    events: tuple[Event, ...]
    description: str = ""
    source: str = ""
    agents: tuple[TeamMate, ...] = ()  # team-mates moving at the same time (concurrent scenarios)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(floors, height, width)``."""
        return tuple(int(v) for v in self.tiles.shape)  # type: ignore[return-value]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data that :func:`parse_scenario` reads back to an equal scenario."""
        chars = np.array([TILE_CHARS[Tile(t)] for t in range(len(Tile))])
        floors = [[list(row) for row in chars[floor]] for floor in self.tiles]
        for marker, (f, y, x) in (("S", self.start), ("G", self.goal)):
            floors[f][y][x] = marker
        events: list[dict[str, Any]] = []
        for e in self.events:
            if e.goal is not None:
                events.append({"t": e.t, "goal": list(e.goal)})
            else:
                assert e.cell is not None and e.tile is not None
                events.append({"t": e.t, "floor": e.cell[0], "cell": [e.cell[1], e.cell[2]],
                               "tile": TILE_CHARS[Tile(e.tile)]})
        data = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "name": self.name, "kind": self.kind,
                "description": self.description, "sensing_radius": self.sensing_radius,
                "budget": self.budget, "floors": [["".join(r) for r in f] for f in floors], "events": events}
        if self.agents:
            data["agents"] = [{"start": list(a.start)} | ({"goal": list(a.goal)} if a.goal else {})
                              for a in self.agents]
        return data

    def to_json(self) -> str:
        """The scenario as a JSON document, one floor row per line."""
        return json.dumps(self.to_dict(), indent=1) + "\n"


def load_scenario(path: str | Path) -> Scenario:
    """Read and check one scenario file."""
    path = Path(path)

    def error(reason: str) -> ScenarioError:
        return ScenarioError(f"{path}: {reason}")

    data = parse_json(read_user_text(path, error, limit=MAX_TEXT_BYTES), error)
    return parse_scenario(data, source=str(path))


def load_scenarios(path: str | Path) -> list[Scenario]:
    """One scenario file, or every ``*.json`` in a directory (sorted by file name)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise ScenarioError(f"{path}: no *.json scenario files in this directory")
        return [load_scenario(f) for f in files]
    if not path.exists():
        raise ScenarioError(f"{path}: no such file or directory")
    return [load_scenario(path)]


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Check scenario data (parsed JSON) and build a :class:`Scenario`."""

    def fail(reason: str) -> ScenarioError:
        """An error attributed to this scenario's source."""
        return ScenarioError(f"{source}: {reason}")

    if not isinstance(data, dict):
        raise fail("expected a JSON object at the top level")
    if data.get("format") != FORMAT_NAME:
        raise fail(f'format: expected "{FORMAT_NAME}", got {data.get("format")!r}')
    if data.get("version") != FORMAT_VERSION:
        raise fail(f"version: {data.get('version')!r} is not supported (this Mindcrawl reads {FORMAT_VERSION})")
    known = {"format", "version", "name", "kind", "description", "floors", "sensing_radius", "budget", "events",
             "agents"}
    extra = sorted(set(data) - known)
    if extra:
        raise fail(f"{extra[0]}: unknown field (fields: {', '.join(sorted(known))})")
    name = _get(data, "name", str, fail)
    kind = _get(data, "kind", str, fail)
    if kind not in KINDS:
        raise fail(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise fail("description: expected a string")
    tiles, start, goal = _parse_floors(_get(data, "floors", list, fail), fail)
    radius = _get(data, "sensing_radius", int, fail)
    if radius < 0:
        raise fail(f"sensing_radius: {radius} is negative (0 means bump only)")
    budget = _get(data, "budget", int, fail)
    if budget < 1:
        raise fail(f"budget: {budget} must be at least 1 step")
    events = tuple(_parse_event(i, e, tiles, fail) for i, e in enumerate(_get(data, "events", list, fail)))
    agents = _parse_agents(data.get("agents", []), tiles, start, goal, fail)
    return Scenario(name, kind, tiles, start, goal, radius, budget,
                    tuple(sorted(events, key=lambda e: e.t)), description, source, agents)


def _parse_agents(value: Any, tiles: np.ndarray, start: Cell, goal: Cell, fail: Any) -> tuple[TeamMate, ...]:
    """The ``agents`` field: team-mates on distinct walkable cells, at most MAX_AGENTS in all."""
    if not isinstance(value, list):
        raise fail(f"agents: expected a list, got {type(value).__name__}")
    if len(value) + 1 > MAX_AGENTS:
        raise fail(f"agents: {len(value)} team-mates; at most {MAX_AGENTS - 1} (with the agent at 'S')")
    taken = {start: "the start 'S'"}
    mates = []
    for i, entry in enumerate(value):
        where = f"agents[{i}]"
        if not isinstance(entry, dict):
            raise fail(f"{where}: expected an object with start (and optionally goal)")
        extra = sorted(set(entry) - {"start", "goal"})
        if extra:
            raise fail(f"{where}: unknown field {extra[0]} (a team-mate has start and optionally goal)")
        if "start" not in entry:
            raise fail(f"{where}.start: missing")
        cell = _parse_cell(entry["start"], tiles, f"{where}.start", fail)
        if BLOCKING[tiles[cell]]:
            raise fail(f"{where}.start: {list(cell)} is not a walkable cell")
        if cell in taken:
            raise fail(f"{where}.start: {list(cell)} is already {taken[cell]}")
        taken[cell] = f"{where}.start"
        own = None
        if "goal" in entry:
            own = _parse_cell(entry["goal"], tiles, f"{where}.goal", fail)
            if BLOCKING[tiles[own]]:
                raise fail(f"{where}.goal: {list(own)} is not a walkable cell")
        mates.append(TeamMate(cell, own))
    return tuple(mates)


def _get(data: dict[str, Any], key: str, kind: type, fail: Any) -> Any:
    if key not in data:
        raise fail(f"{key}: missing")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise fail(f"{key}: expected {'an integer' if kind is int else 'a ' + kind.__name__}, "
                   f"got {type(value).__name__}")
    return value


def _parse_floors(floors: list[Any], fail: Any) -> tuple[np.ndarray, Cell, Cell]:
    if not floors:
        raise fail("floors: at least one floor is needed")
    shape: tuple[int, int] | None = None
    marks: dict[str, list[Cell]] = {"S": [], "G": []}
    grid: list[list[list[int]]] = []
    for f, rows in enumerate(floors):
        if not isinstance(rows, list) or not rows or not all(isinstance(r, str) for r in rows):
            raise fail(f"floors[{f}]: expected a non-empty list of strings (one per row)")
        if shape is None:
            shape = (len(rows), len(rows[0]))
            if shape[1] == 0:
                raise fail(f"floors[{f}]: rows are empty")
        if len(rows) != shape[0]:
            raise fail(f"floors[{f}]: {len(rows)} rows, but floor 0 has {shape[0]}")
        codes: list[list[int]] = []
        for y, row in enumerate(rows):
            if len(row) != shape[1]:
                raise fail(f"floors[{f}] row {y}: {len(row)} characters, expected {shape[1]}")
            line = []
            for x, ch in enumerate(row):
                if ch in _MARKERS:
                    marks[ch].append((f, y, x))
                    line.append(int(Tile.FLOOR))
                elif ch in CHAR_TO_TILE:
                    line.append(CHAR_TO_TILE[ch])
                else:
                    allowed = " ".join([*CHAR_TO_TILE, *_MARKERS])
                    raise fail(f"floors[{f}] row {y} column {x}: unknown character {ch!r} (allowed: {allowed})")
            codes.append(line)
        grid.append(codes)
    for ch, what in _MARKERS.items():
        if not marks[ch]:
            raise fail(f"floors: no {what} cell ('{ch}')")
        if len(marks[ch]) > 1:
            raise fail(f"floors: {len(marks[ch])} {what} cells ('{ch}'), expected one, at {marks[ch][:3]}")
    tiles = np.array(grid, dtype=np.uint8)
    _check_stairs(tiles, fail)
    return tiles, marks["S"][0], marks["G"][0]


def _check_stairs(tiles: np.ndarray, fail: Any) -> None:
    count = tiles.shape[0]
    for f, y, x in np.argwhere(tiles == Tile.STAIRS_DOWN).tolist():
        if f + 1 >= count or tiles[f + 1, y, x] != Tile.STAIRS_UP:
            raise fail(f"floors[{f}] row {y} column {x}: stairs down '>' need stairs up '<' "
                       f"at the same row and column on floor {f + 1}")
    for f, y, x in np.argwhere(tiles == Tile.STAIRS_UP).tolist():
        if f == 0 or tiles[f - 1, y, x] != Tile.STAIRS_DOWN:
            raise fail(f"floors[{f}] row {y} column {x}: stairs up '<' need stairs down '>' "
                       f"at the same row and column on floor {f - 1}")


def _parse_cell(value: Any, tiles: np.ndarray, where: str, fail: Any) -> Cell:
    if (not isinstance(value, list) or len(value) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise fail(f"{where}: expected [floor, row, column] integers, got {value!r}")
    f, y, x = value
    count, height, width = tiles.shape
    if not (0 <= f < count and 0 <= y < height and 0 <= x < width):
        raise fail(f"{where}: [{f}, {y}, {x}] is off the map ({count} floors of {height} rows x {width} columns)")
    return f, y, x


def _parse_event(i: int, event: Any, tiles: np.ndarray, fail: Any) -> Event:
    where = f"events[{i}]"
    if not isinstance(event, dict):
        raise fail(f"{where}: expected an object")
    t = event.get("t")
    if not isinstance(t, int) or isinstance(t, bool) or t < 0:
        raise fail(f"{where}.t: expected a non-negative integer step, got {t!r}")
    if "goal" in event:
        extra = sorted(set(event) - {"t", "goal"})
        if extra:
            raise fail(f"{where}: a goal event has only t and goal, not {extra[0]}")
        goal = _parse_cell(event["goal"], tiles, f"{where}.goal", fail)
        if BLOCKING[tiles[goal]]:
            raise fail(f"{where}.goal: {list(goal)} is not a walkable cell")
        return Event(t, goal=goal)
    extra = sorted(set(event) - {"t", "floor", "cell", "tile"})
    if extra:
        raise fail(f"{where}: unknown field {extra[0]} (a tile event has t, floor, cell, tile)")
    for key in ("floor", "cell", "tile"):
        if key not in event:
            raise fail(f"{where}.{key}: missing (an event changes a tile or moves the goal)")
    cell_value = event["cell"]
    if not isinstance(cell_value, list) or len(cell_value) != 2:
        raise fail(f"{where}.cell: expected [row, column], got {cell_value!r}")
    cell = _parse_cell([event["floor"], *cell_value], tiles, f"{where}.cell", fail)
    char = event["tile"]
    if not isinstance(char, str) or char not in CHAR_TO_TILE:
        raise fail(f"{where}.tile: {char!r} is not a tile character ({' '.join(CHAR_TO_TILE)})")
    tile = CHAR_TO_TILE[char]
    if tile in _STAIRS or tiles[cell] in _STAIRS:
        raise fail(f"{where}: events may not add or remove stairs (they come in linked pairs)")
    return Event(t, cell=cell, tile=tile)
