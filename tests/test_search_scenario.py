"""The navigation scenario format: round trips, the shipped suite, and every format error."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from levels.common.errors import UserError
from search.cli import main as cli_main
from search.scenario import KINDS, ScenarioError, load_scenario, load_scenarios, parse_scenario

SUITE = Path(__file__).resolve().parent.parent / "search" / "scenarios"

GOOD = {
    "format": "mindcrawl-nav-scenario", "version": 1, "name": "tiny", "kind": "door_reopens",
    "sensing_radius": 2, "budget": 50,
    "floors": [["#######", "#S.+.G#", "#..#..#", "#>.#..#", "#######"],
               ["#######", "#.....#", "#.....#", "#<....#", "#######"]],
    "events": [{"t": 5, "floor": 0, "cell": [1, 3], "tile": "/"}, {"t": 9, "goal": [1, 1, 5]}],
}


def test_good_scenario_parses_and_round_trips() -> None:
    s = parse_scenario(GOOD, "tiny.json")
    assert s.start == (0, 1, 1) and s.goal == (0, 1, 5) and s.shape == (2, 5, 7)
    assert [e.t for e in s.events] == [5, 9]
    again = parse_scenario(json.loads(s.to_json()), "again.json")
    assert (again.tiles == s.tiles).all() and again.events == s.events and again.goal == s.goal


def test_shipped_suite_is_valid_and_covers_every_kind() -> None:
    suite = load_scenarios(SUITE)
    assert len(suite) >= 40
    assert {s.kind for s in suite} == set(KINDS)
    assert any(s.shape[1:] == (64, 64) for s in suite)
    assert any(s.shape[0] > 1 for s in suite)


def _mutate(path: str, value: object) -> dict:
    data = copy.deepcopy(GOOD)
    keys = path.split(".")
    target = data
    for k in keys[:-1]:
        target = target[int(k)] if isinstance(target, list) else target[k]
    last = keys[-1]
    if value is KeyError:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return data


CASES = [
    ("format", "other", "format: expected"),
    ("version", 2, "version: 2 is not supported"),
    ("extra", 1, "extra: unknown field"),
    ("name", KeyError, "name: missing"),
    ("kind", "teleport", "kind: 'teleport' is not one of"),
    ("description", 3, "description: expected a string"),
    ("floors", [], "floors: at least one floor"),
    ("floors", "###", "floors: expected a list"),
    ("floors.0", [], "floors[0]: expected a non-empty list"),
    ("floors.0.1", "#S.+.G", "floors[0] row 1: 6 characters, expected 7"),
    ("floors.1", ["#######"], "floors[1]: 1 rows, but floor 0 has 5"),
    ("floors.0.2", "#..#x.#", "unknown character 'x'"),
    ("floors.0.1", "#..+.G#", "no start cell ('S')"),
    ("floors.0.1", "#S.+..#", "no goal cell ('G')"),
    ("floors.0.2", "#S.#..#", "2 start cells ('S')"),
    ("floors.0.2", "#G.#..#", "2 goal cells ('G')"),
    ("floors.1.3", "#.....#", "stairs down '>' need stairs up '<'"),
    ("floors.0.3", "#..#..#", "stairs up '<' need stairs down '>'"),
    ("sensing_radius", -1, "sensing_radius: -1 is negative"),
    ("sensing_radius", 1.5, "sensing_radius: expected an integer"),
    ("sensing_radius", True, "sensing_radius: expected an integer"),
    ("budget", 0, "budget: 0 must be at least 1"),
    ("events", {}, "events: expected a list"),
    ("events.0", 7, "events[0]: expected an object"),
    ("events.0.t", -1, "events[0].t: expected a non-negative integer"),
    ("events.0.cell", [9, 3], "events[0].cell: [0, 9, 3] is off the map"),
    ("events.0.cell", [1], "events[0].cell: expected [row, column]"),
    ("events.0.floor", 2, "events[0].cell: [2, 1, 3] is off the map"),
    ("events.0.tile", "x", "events[0].tile: 'x' is not a tile character"),
    ("events.0.tile", KeyError, "events[0].tile: missing"),
    ("events.0.tile", ">", "events may not add or remove stairs"),
    ("events.0.colour", "red", "events[0]: unknown field colour"),
    ("events.1.goal", [0, 0, 0], "events[1].goal: [0, 0, 0] is not a walkable cell"),
    ("events.1.goal", [0, 1, 99], "events[1].goal: [0, 1, 99] is off the map"),
    ("events.1.goal", [0, 1], "events[1].goal: expected [floor, row, column]"),
    ("events.1.tile", "#", "a goal event has only t and goal"),
]


@pytest.mark.parametrize(("path", "value", "message"), CASES, ids=[c[2][:40] for c in CASES])
def test_every_format_error_is_one_clear_line(path: str, value: object, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(_mutate(path, value), "bad.json")
    text = str(info.value)
    assert text.startswith("bad.json: ") and message in text and "\n" not in text
    assert isinstance(info.value, UserError)


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(ScenarioError, match="expected a JSON object"):
        parse_scenario([1, 2], "list.json")


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{ nope", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken\.json: not valid JSON"):
        load_scenario(broken)
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenarios(tmp_path / "missing.json")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ScenarioError, match="no \\*.json scenario files"):
        load_scenarios(empty)


def test_cli_exits_2_on_a_bad_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_mutate("floors.0.2", "#..#x.#")), encoding="utf-8")
    assert cli_main(["--scenarios", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and "unknown character" in err and len(err.strip().splitlines()) == 1
