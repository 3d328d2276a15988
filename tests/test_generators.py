"""Floor generators (levels.generators.*) and the connectivity pass (levels.connect)."""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage

from levels import schema
from levels.connect import FOUR_CONNECTED, carve_corridors, connect_regions
from levels.generators import get_generator, maze
from levels.generators.caves import smooth
from levels.params import GENERATORS, GenerationParams

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DEFAULT = GenerationParams()


def components(walkable: np.ndarray) -> int:
    """Number of 4-connected regions of walkable cells."""
    return int(ndimage.label(walkable, structure=FOUR_CONNECTED)[1])


def border(grid: np.ndarray) -> np.ndarray:
    """The outer ring of cells of ``grid``."""
    return np.concatenate([grid[0], grid[-1], grid[1:-1, 0], grid[1:-1, -1]])


def make_params(**tables: dict) -> GenerationParams:
    """Validated generation parameters: defaults overlaid with the given tables."""
    return schema.from_dict(GenerationParams, tables)


@st.composite
def floors(draw: st.DrawFn, max_side: int = 64) -> tuple[int, int, GenerationParams]:
    """A floor size and generation parameters that the schema accepts for it."""
    height = draw(st.integers(8, max_side))
    width = draw(st.integers(8, max_side))
    inner = min(height, width) - 2
    max_size = draw(st.integers(2, inner))
    low = draw(st.integers(0, 64))
    params = make_params(
        rooms={"count": [low, draw(st.integers(low, 64))], "max_size": max_size,
               "min_size": draw(st.integers(2, max_size)), "pillars": draw(st.floats(0.0, 1.0))},
        corridors={"width": draw(st.integers(1, min(4, (min(height, width) - 3) // 2))),
                   "extra_loops": draw(st.floats(0.0, 1.0))},
        caves={"fill": draw(st.floats(0.2, 0.75)), "iterations": draw(st.integers(0, 12))},
        drunkard={"coverage": draw(st.floats(0.05, 0.9)), "walkers": draw(st.integers(1, 64))},
    )
    return height, width, params


def carve(name: str, seed: int, height: int, width: int, gen: GenerationParams = DEFAULT) -> np.ndarray:
    """Run generator ``name`` with a fresh rng seeded with ``seed``."""
    return get_generator(name)(np.random.default_rng(seed), height, width, gen)


# ----------------------------------------------------------------------------- every generator


@pytest.mark.parametrize("name", GENERATORS)
@PROPERTY
@given(floor=floors(), seed=st.integers(0, 2**32 - 1))
def test_carve_contract(name: str, floor: tuple[int, int, GenerationParams], seed: int) -> None:
    height, width, gen = floor
    walkable = carve(name, seed, height, width, gen)
    assert walkable.shape == (height, width)
    assert walkable.dtype == np.bool_
    assert not border(walkable).any()
    assert walkable.any()
    assert np.array_equal(walkable, carve(name, seed, height, width, gen))
    joined = connect_regions(walkable, np.random.default_rng(seed), gen.corridors.width)
    assert components(joined) == 1
    assert not border(joined).any()
    assert joined[walkable].all()


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize(("height", "width"), [(8, 8), (8, 256), (256, 8), (256, 256), (9, 131)])
@pytest.mark.parametrize("extreme", ["small", "large"])
def test_carve_extreme_sizes_and_settings(name: str, height: int, width: int, extreme: str) -> None:
    inner = min(height, width) - 2
    if extreme == "small":
        params = make_params(rooms={"count": 0, "min_size": 2, "max_size": 2},
                             caves={"fill": 0.2, "iterations": 0},
                             drunkard={"coverage": 0.05, "walkers": 64})
    else:
        params = make_params(rooms={"count": 64, "min_size": inner, "max_size": inner, "pillars": 1.0},
                             corridors={"width": min(4, (min(height, width) - 3) // 2), "extra_loops": 1.0},
                             caves={"fill": 0.75, "iterations": 12},
                             drunkard={"coverage": 0.9, "walkers": 1})
    walkable = carve(name, 7, height, width, params)
    assert walkable.shape == (height, width)
    assert not border(walkable).any()
    assert walkable.any()


@pytest.mark.parametrize("name", GENERATORS)
def test_seeds_change_the_floor(name: str) -> None:
    gen = make_params(rooms={"pillars": 1.0}) if name == "arena" else DEFAULT
    floors_seen = {carve(name, seed, 32, 48, gen).tobytes() for seed in range(10)}
    assert len(floors_seen) >= (3 if name == "arena" else 9)


@pytest.mark.parametrize("name", GENERATORS)
def test_randomness_only_from_the_given_rng(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("global random state used")

    for function in ("random", "rand", "randint", "integers", "choice", "shuffle", "permutation",
                     "default_rng", "seed"):
        monkeypatch.setattr(np.random, function, forbidden, raising=False)
    for function in ("random", "randint", "randrange", "choice", "shuffle", "seed"):
        monkeypatch.setattr(random, function, forbidden)
    gen = make_params(rooms={"pillars": 0.5}, caves={"fill": 0.75, "iterations": 12})
    rng = np.random.Generator(np.random.PCG64(5))
    walkable = get_generator(name)(rng, 40, 40, gen)
    connect_regions(walkable, rng)


@pytest.mark.parametrize("name", ["bsp", "drunkard", "maze", "arena"])
@PROPERTY
@given(floor=floors(), seed=st.integers(0, 2**32 - 1))
def test_generators_other_than_caves_are_connected(name: str, floor: tuple[int, int, GenerationParams],
                                                   seed: int) -> None:
    height, width, gen = floor
    if name == "maze":
        gen = dataclasses.replace(gen, rooms=dataclasses.replace(gen.rooms, count=(0, 0)))
    assert components(carve(name, seed, height, width, gen)) == 1


# ----------------------------------------------------------------------------- arena


def test_arena_without_pillars_is_the_whole_interior() -> None:
    walkable = carve("arena", 3, 12, 12, make_params(rooms={"pillars": 0.0}))
    expected = np.zeros((12, 12), dtype=bool)
    expected[1:11, 1:11] = True
    assert np.array_equal(walkable, expected)


@given(seed=st.integers(0, 2**32 - 1), height=st.integers(8, 30), width=st.integers(8, 30))
@PROPERTY
def test_arena_pillars_are_apart_and_off_the_wall(seed: int, height: int, width: int) -> None:
    walkable = carve("arena", seed, height, width, make_params(rooms={"pillars": 1.0}))
    pillars = np.argwhere(~walkable[1:-1, 1:-1]) + 1
    assert 1 <= len(pillars) <= 4
    assert walkable[[1, -2], 1:-1].all() and walkable[1:-1, [1, -2]].all()
    gaps = np.abs(pillars[:, None, :] - pillars[None, :, :]).max(axis=2)
    assert (gaps[~np.eye(len(pillars), dtype=bool)] >= 2).all()
    assert components(walkable) == 1


# ----------------------------------------------------------------------------- bsp


def has_block(walkable: np.ndarray, side: int) -> bool:
    """Whether some ``side x side`` square is entirely walkable."""
    return bool(ndimage.binary_erosion(walkable, np.ones((side, side)), border_value=0).any())


@PROPERTY
@given(floor=floors(), seed=st.integers(0, 2**32 - 1))
def test_bsp_makes_rooms(floor: tuple[int, int, GenerationParams], seed: int) -> None:
    height, width, gen = floor
    gen = dataclasses.replace(gen, rooms=dataclasses.replace(
        gen.rooms, min_size=max(3, gen.rooms.min_size), max_size=max(3, gen.rooms.max_size), pillars=0.0))
    assert has_block(carve("bsp", seed, height, width, gen), 3)


def test_bsp_count_zero_still_gives_a_room() -> None:
    walkable = carve("bsp", 1, 32, 32, make_params(rooms={"count": 0, "min_size": 5, "max_size": 5}))
    assert has_block(walkable, 5)


def test_bsp_room_count_follows_the_parameter() -> None:
    def rooms(count: int) -> int:
        gen = make_params(rooms={"count": count, "min_size": 3, "max_size": 4},
                          corridors={"extra_loops": 0.0})
        walkable = carve("bsp", 2, 64, 64, gen)
        return int(ndimage.label(ndimage.binary_erosion(walkable, np.ones((3, 3))))[1])

    assert rooms(1) == 1
    assert 9 <= rooms(12) <= 12  # a corridor may run along the wall between two rooms


def test_bsp_pillars_wall_cells_inside_rooms_but_keep_them_connected() -> None:
    gen = make_params(rooms={"count": 6, "min_size": 7, "max_size": 7, "pillars": 1.0},
                      corridors={"extra_loops": 0.0})
    plain = carve("bsp", 4, 48, 48, dataclasses.replace(gen, rooms=dataclasses.replace(gen.rooms, pillars=0.0)))
    pillared = carve("bsp", 4, 48, 48, gen)
    assert (pillared <= plain).all()
    pillars = plain & ~pillared
    assert pillars.sum() >= 9
    assert components(pillars) == pillars.sum()  # single cells, none touching another
    assert components(pillared) == 1


# ----------------------------------------------------------------------------- caves


def naive_smooth(wall: np.ndarray) -> np.ndarray:
    """The 4-5 rule written cell by cell, out of bounds counting as wall."""
    height, width = wall.shape
    out = np.ones_like(wall)
    for y in range(1, height - 1):
        for x in range(1, width - 1):
            out[y, x] = wall[y - 1:y + 2, x - 1:x + 2].sum() >= 5
    return out


@given(seed=st.integers(0, 2**32 - 1), fill=st.floats(0.2, 0.75))
@settings(max_examples=30, deadline=None)
def test_cave_smoothing_is_the_four_five_rule(seed: int, fill: float) -> None:
    wall = np.random.default_rng(seed).random((13, 17)) < fill
    assert np.array_equal(smooth(wall), naive_smooth(wall))


def test_caves_without_iterations_follow_the_fill() -> None:
    walkable = carve("caves", 0, 130, 130, make_params(caves={"fill": 0.3, "iterations": 0}))
    assert walkable[1:-1, 1:-1].mean() == pytest.approx(0.7, abs=0.02)


def test_caves_fall_back_when_the_automaton_leaves_nothing() -> None:
    walkable = carve("caves", 0, 40, 40, make_params(caves={"fill": 0.75, "iterations": 12}))
    assert walkable.sum() >= 0.2 * 38 * 38


# ----------------------------------------------------------------------------- drunkard


@given(seed=st.integers(0, 2**32 - 1), coverage=st.floats(0.05, 0.9), walkers=st.integers(1, 64),
       side=st.integers(8, 40))
@PROPERTY
def test_drunkard_digs_the_coverage(seed: int, coverage: float, walkers: int, side: int) -> None:
    gen = make_params(drunkard={"coverage": coverage, "walkers": walkers})
    walkable = carve("drunkard", seed, side, side + 3, gen)
    interior = (side - 2) * (side + 1)
    assert walkable.sum() == max(1, math.ceil(coverage * interior))


# ----------------------------------------------------------------------------- maze


@given(seed=st.integers(0, 2**32 - 1), height=st.integers(8, 60), width=st.integers(8, 60),
       passage=st.integers(1, 4))
@PROPERTY
def test_maze_without_loops_or_rooms_is_perfect(seed: int, height: int, width: int, passage: int) -> None:
    passage = min(passage, (min(height, width) - 3) // 2)
    gen = make_params(rooms={"count": 0}, corridors={"width": passage, "extra_loops": 0.0})
    walkable = carve("maze", seed, height, width, gen)
    cells = ((height - 1) // (passage + 1)) * ((width - 1) // (passage + 1))
    # A spanning tree: every lattice cell is a passage square, joined by cells - 1 openings.
    assert walkable.sum() == cells * passage * passage + (cells - 1) * passage
    assert components(walkable) == 1


@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 20), cols=st.integers(1, 20))
@PROPERTY
def test_full_braiding_leaves_no_dead_ends(seed: int, rows: int, cols: int) -> None:
    rng = np.random.default_rng(seed)
    east, south = maze.backtrack(rng, rows, cols)
    assert int(east.sum() + south.sum()) == rows * cols - 1
    assert not east[:, -1].any() and not south[-1, :].any()
    maze.braid(rng, east, south, 1.0)
    if min(rows, cols) >= 2:  # in a single row or column, the two ends have nowhere to open
        assert not (maze.degrees(east, south) == 1).any()


def test_maze_rooms_open_up_blocks() -> None:
    gen = make_params(rooms={"count": 3, "min_size": 5, "max_size": 5})
    assert has_block(carve("maze", 0, 41, 41, gen), 5)
    assert not has_block(carve("maze", 0, 41, 41, make_params(rooms={"count": 0})), 2)


# ----------------------------------------------------------------------------- connect_regions


@st.composite
def scattered(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    """A random walkable mask (border False) and a corridor width that fits it."""
    height, width = draw(st.integers(3, 70)), draw(st.integers(3, 70))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    walkable = rng.random((height, width)) < draw(st.floats(0.0, 0.6))
    walkable[[0, -1], :] = False
    walkable[:, [0, -1]] = False
    return walkable, draw(st.integers(1, 4))


@given(case=scattered(), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=100, deadline=None)
def test_connect_regions_joins_everything(case: tuple[np.ndarray, int], seed: int) -> None:
    walkable, corridor = case
    before = walkable.copy()
    joined = connect_regions(walkable, np.random.default_rng(seed), corridor)
    assert np.array_equal(walkable, before)  # the input is not modified
    assert joined.dtype == np.bool_ and joined.shape == walkable.shape
    assert joined[walkable].all()
    assert not border(joined).any()
    assert components(joined) == (1 if walkable.any() else 0)
    assert np.array_equal(joined, connect_regions(walkable, np.random.default_rng(seed), corridor))


def test_connect_regions_leaves_connected_floors_alone() -> None:
    empty = np.zeros((10, 10), dtype=bool)
    assert not connect_regions(empty, np.random.default_rng(0)).any()
    arena = carve("arena", 0, 12, 12)
    assert np.array_equal(connect_regions(arena, np.random.default_rng(0)), arena)


def test_connect_regions_carves_a_short_corridor_of_the_given_width() -> None:
    walkable = np.zeros((20, 30), dtype=bool)
    walkable[5:10, 2:6] = True
    walkable[5:10, 14:18] = True  # the same rows: one straight corridor of 8 cells
    joined = connect_regions(walkable, np.random.default_rng(0), corridor_width=2)
    added = joined & ~walkable
    assert added.sum() == 16
    assert (added[:, 6:14].sum(axis=0) == 2).all()


def test_corridors_stay_inside_the_border() -> None:
    walkable = np.zeros((9, 9), dtype=bool)
    carve_corridors(walkable, np.array([[1, 1]]), np.array([[7, 7]]), 4, np.array([True]))
    assert not border(walkable).any()
    assert walkable[1, 1] and walkable[7, 7]
    assert components(walkable) == 1
