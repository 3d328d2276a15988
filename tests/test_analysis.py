"""Expressive-range metrics on hand-built levels with known answers, and the analysis run."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest

import levels
from levels.analysis import (
    METRICS,
    analyze,
    level_metrics,
    plot_expressive_range,
    save_json,
)
from levels.common.errors import UserError
from levels.level import ItemStats, Level, PlacedItem
from levels.params import FloorsParams, LevelParams
from levels.tiles import TILE_CHARS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TILE_OF = {char: int(tile) for tile, char in TILE_CHARS.items()}


def make_level(floors: list[list[str]], entry: tuple[int, int, int],
               items: tuple[PlacedItem, ...] = ()) -> Level:
    """A level from rows of tile characters (``#`` wall, ``.`` floor, ``>`` stairs down...)."""
    tiles = np.array([[[_TILE_OF[c] for c in row] for row in rows] for rows in floors], dtype=np.uint8)
    count, height, width = tiles.shape
    params = dataclasses.replace(LevelParams(), floors=FloorsParams(count=count, width=width,
                                                                     height=height))
    return Level(params=params, seed=0, tiles=tiles, locks=np.zeros(tiles.shape, dtype=np.int16),
                 items=items, spawns=(), entry=entry, generators=("hand",) * count)


def room(inner: int, pillars: tuple[tuple[int, int], ...] = ()) -> list[str]:
    """A square room of ``inner`` x ``inner`` floor cells inside a wall ring, with pillars."""
    rows = [["#"] * (inner + 2)] + [["#"] + ["."] * inner + ["#"] for _ in range(inner)]
    rows.append(["#"] * (inner + 2))
    for y, x in pillars:
        rows[y][x] = "#"
    return ["".join(r) for r in rows]


CORRIDOR = ["#########", "#.......#", "#########"]


def test_straight_corridor_walked_end_to_end() -> None:
    m = level_metrics(make_level([CORRIDOR], entry=(0, 1, 1)))
    assert m["linearity"] == 1.0
    assert m["path_ratio"] == 1.0
    assert m["path_length"] == 6
    assert m["loops"] == 0
    assert m["dead_ends"] == 2
    assert m["rooms"] == 0
    assert m["walkable_density"] == pytest.approx(7 / 27)
    assert m["items_per_walkable"] == 0


def test_corridor_entered_in_the_middle_is_half_linear() -> None:
    m = level_metrics(make_level([CORRIDOR], entry=(0, 1, 4)))
    assert m["path_length"] == 3  # to the farthest end
    assert m["linearity"] == pytest.approx(4 / 7)
    assert m["path_ratio"] == pytest.approx(3 / 6)


def test_doors_of_every_state_are_passable() -> None:
    corridor = ["#########", "#..+L/..#", "#########"]
    m = level_metrics(make_level([corridor], entry=(0, 1, 1)))
    assert m["linearity"] == 1.0
    assert m["dead_ends"] == 2
    assert m["walkable_density"] == pytest.approx(7 / 27)


def test_items_per_walkable_counts_items() -> None:
    sword = ItemStats(kind="sword", category="melee", damage_min=1, damage_max=4)
    items = (PlacedItem(0, 1, 2, sword), PlacedItem(0, 1, 5, sword))
    m = level_metrics(make_level([CORRIDOR], entry=(0, 1, 1), items=items))
    assert m["items_per_walkable"] == pytest.approx(2 / 7)


def test_open_room() -> None:
    m = level_metrics(make_level([room(5)], entry=(0, 1, 1)))
    assert m["path_length"] == 8  # corner to opposite corner
    assert m["linearity"] == pytest.approx(9 / 25)
    assert m["path_ratio"] == 1.0
    assert m["loops"] == 0
    assert m["dead_ends"] == 0
    assert m["rooms"] == 1  # 3 x 3 room cells


def test_room_with_one_pillar_has_one_loop() -> None:
    m = level_metrics(make_level([room(9, pillars=((5, 5),))], entry=(0, 1, 1)))
    assert m["loops"] == 1
    assert m["rooms"] == 1  # the room cells form a ring around the pillar
    assert m["dead_ends"] == 0


@pytest.mark.parametrize(("pillars", "loops"), [
    (((3, 3), (7, 7)), 2),
    (((3, 3), (3, 4)), 1),   # one wall island of two cells
    (((3, 3), (4, 4)), 1),   # diagonal neighbours: one island (no way between them)
    (((1, 5),), 0),          # touching the outer wall: no way round it
])
def test_loops_count_enclosed_wall_islands(pillars: tuple[tuple[int, int], ...], loops: int) -> None:
    m = level_metrics(make_level([room(9, pillars=pillars)], entry=(0, 1, 1)))
    assert m["loops"] == loops


def test_cross_has_four_dead_ends() -> None:
    cross = ["#######", "###.###", "###.###", "#.....#", "###.###", "###.###", "#######"]
    m = level_metrics(make_level([cross], entry=(0, 3, 3)))
    assert m["dead_ends"] == 4
    assert m["loops"] == 0


def test_floors_linked_by_stairs_walked_end_to_end() -> None:
    top = ["#########", "#......>#", "#########"]
    bottom = ["#########", "#......<#", "#########"]
    m = level_metrics(make_level([top, bottom], entry=(0, 1, 1)))
    assert m["linearity"] == 1.0
    assert m["path_length"] == 12
    assert m["path_ratio"] == 1.0


def test_stairs_near_the_entry_lower_path_ratio_and_linearity() -> None:
    top = ["#########", "#.>.....#", "#########"]
    bottom = ["#########", "#.<.....#", "#########"]
    m = level_metrics(make_level([top, bottom], entry=(0, 1, 1)))
    # floor 0: 1 step of a 6-step floor; floor 1: from the stairs up 5 steps to the far end
    assert m["path_ratio"] == pytest.approx((1 / 6 + 5 / 6) / 2)
    assert m["path_length"] == 6
    assert m["linearity"] == pytest.approx((2 + 6) / 14)


def test_unreachable_pocket_does_not_break_metrics() -> None:
    rows = ["##########", "#....#..##", "##########"]
    m = level_metrics(make_level([rows], entry=(0, 1, 1)))
    assert m["path_length"] == 3
    assert m["linearity"] == pytest.approx(4 / 6)
    assert m["dead_ends"] == 4


def test_metrics_are_fast() -> None:
    level = levels.generate("dungeon", 0)  # three 48x32 floors
    level_metrics(level)  # warm-up (compiled BFS)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        level_metrics(level)
        times.append(time.perf_counter() - start)
    assert np.median(times) < 0.02


def test_analyze_measures_each_seed() -> None:
    result = analyze("arena", n=4, seed=5)
    assert result.seeds == (5, 6, 7, 8)
    assert list(result.metrics) == list(METRICS)
    for i, seed in enumerate(result.seeds):
        expected = level_metrics(levels.generate("arena", seed))
        assert {k: result.metrics[k][i] for k in METRICS} == pytest.approx(expected)
    m = result.metrics
    assert np.all((m["walkable_density"] > 0) & (m["walkable_density"] <= 1))
    assert np.all((m["linearity"] > 0) & (m["linearity"] <= 1))
    assert np.all((m["path_ratio"] >= 0) & (m["path_ratio"] <= 1))
    summary = result.summary()
    assert summary["loops"]["min"] <= summary["loops"]["median"] <= summary["loops"]["max"]


def test_analyze_rejects_zero_levels() -> None:
    with pytest.raises(UserError):
        analyze("arena", n=0)


def test_figure_and_json(tmp_path) -> None:
    result = analyze("arena", n=3, seed=0)
    png, out = tmp_path / "er.png", tmp_path / "stats.json"
    plot_expressive_range(result, png, x="loops", y="rooms")
    save_json(result, out)
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    data = json.loads(out.read_text())
    assert data["n"] == 3
    assert [row["seed"] for row in data["levels"]] == [0, 1, 2]
    assert set(data["summary"]) == set(METRICS)
    assert data["levels"][1]["loops"] == result.metrics["loops"][1]


def test_figure_rejects_unknown_metric(tmp_path) -> None:
    result = analyze("arena", n=2)
    with pytest.raises(UserError, match="nope"):
        plot_expressive_range(result, tmp_path / "er.png", x="nope")
    assert not (tmp_path / "er.png").exists()
