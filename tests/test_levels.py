"""Generated levels: determinism, reachability with keys, stairs, placement, JSON round trip."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import levels
from levels.common.errors import LevelFileError, ParamError
from levels.level import Level
from levels.params import FloorsParams, params_from_dict, params_to_dict, preset_names
from levels.reach import reachable
from levels.tiles import PASSABLE, WALKABLE, Tile
from tests.level_strategies import level_documents

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def solvable_region(level: Level) -> np.ndarray:
    """Cells a hero can reach from the entry, collecting keys and opening locked doors.

    Lava is avoided (walked around), closed doors count as openable, and a locked door
    opens only once the key with its lock id has been reached.
    """
    tiles = level.tiles
    keys = {(p.floor, p.y, p.x): p.item.key_id for p in level.items if p.item.category == "key"}
    open_locks: set[int] = set()
    while True:
        passable = PASSABLE[tiles] & (tiles != Tile.LAVA)
        locked = tiles == Tile.DOOR_LOCKED
        passable &= ~locked | np.isin(level.locks, list(open_locks))
        region = reachable(tiles, level.entry, passable)
        found = {lock for cell, lock in keys.items() if region[cell]}
        if found <= open_locks:
            return region
        open_locks |= found


def check_guarantees(level: Level) -> None:
    """Assert every structural guarantee the level generator promises."""
    tiles = level.tiles
    params = level.params
    assert tiles.shape == (params.floors.count, params.floors.height, params.floors.width)
    assert tiles.dtype == np.uint8 and tiles.max() < len(Tile)
    # Outer walls.
    assert (tiles[:, 0, :] == Tile.WALL).all() and (tiles[:, -1, :] == Tile.WALL).all()
    assert (tiles[:, :, 0] == Tile.WALL).all() and (tiles[:, :, -1] == Tile.WALL).all()
    # Stairs link the same cell of adjacent floors; every floor but the last leads down.
    down = tiles == Tile.STAIRS_DOWN
    up = tiles == Tile.STAIRS_UP
    assert not down[-1].any() and not up[0].any()
    assert np.array_equal(down[:-1], up[1:])
    assert all(down[f].any() for f in range(tiles.shape[0] - 1))
    # Everything is reachable from the entry: lava is walked around, keys come first.
    region = solvable_region(level)
    passable = PASSABLE[tiles]
    assert region[level.entry]
    assert (region | ~passable | (tiles == Tile.LAVA)).all(), "a passable cell is unreachable"
    # Every locked door has a key, with the same lock id, placed somewhere reachable.
    lock_ids = level.locks[tiles == Tile.DOOR_LOCKED]
    assert (lock_ids >= 1).all() and len(set(lock_ids.tolist())) == len(lock_ids)
    assert (level.locks[tiles != Tile.DOOR_LOCKED] == 0).all()
    key_ids = sorted(p.item.key_id for p in level.items if p.item.category == "key")
    assert key_ids == sorted(lock_ids.tolist())
    # Items and agents stand on distinct walkable cells.
    item_cells = [(p.floor, p.y, p.x) for p in level.items]
    assert len(set(item_cells)) == len(item_cells)
    assert all(WALKABLE[tiles[c]] and tiles[c] != Tile.LAVA for c in item_cells)
    agent_cells = [(s.floor, s.y, s.x) for s in level.spawns]
    assert len(set(agent_cells)) == len(agent_cells)
    assert all(WALKABLE[tiles[c]] and region[c] for c in agent_cells)
    # No door beside stairs (interact on stairs takes them, so such a door could not be opened there).
    doors = np.isin(tiles, [Tile.DOOR_OPEN, Tile.DOOR_CLOSED, Tile.DOOR_LOCKED])
    for f, y, x in np.argwhere(down | up):
        assert not any(doors[f, y + dy, x + dx] for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1))), \
            f"a door beside the stairs at {(f, y, x)}"
    # Goals: drawn from the faction's weights; their exits and artifact lie in reach.
    for faction, goal in level.goals.items():
        assert params.factions[faction].goal.get(goal, 0) > 0
    exits = level.exits()
    artifacts = [(p.floor, p.y, p.x) for p in level.items if p.item.category == "artifact"]
    assert bool(exits) == params.needs_exits()
    assert len(artifacts) == int(params.needs_artifact())
    for cell in exits + artifacts:
        assert region[cell], f"goal target {cell} cannot be reached"
        assert cell[0] == params.floor_index(params.exits.floor if cell in exits else params.artifact.floor)
    assert len(exits) <= params.exits.count
    heroes = [s for s in level.spawns if s.faction == params.rules.hero_faction]
    if heroes:
        assert (heroes[0].floor, heroes[0].y, heroes[0].x) == level.entry
    for spawn in level.spawns:
        assert spawn.max_hp >= 1 and spawn.atk >= 0 and spawn.defense >= 0 and spawn.dex >= 0


@pytest.mark.parametrize("preset", preset_names())
def test_presets_keep_every_guarantee(preset: str) -> None:
    for seed in range(15):
        level = levels.generate(preset, seed)
        check_guarantees(level)
        assert level.generators[0] in {"bsp", "caves", "drunkard", "maze", "arena"}


def test_arena_is_deepcrawls_room() -> None:
    level = levels.generate("arena", 3)
    interior = level.tiles[0, 1:-1, 1:-1]
    assert interior.shape == (10, 10)
    assert ((interior == Tile.FLOOR) | (interior == Tile.WALL)).all()
    assert (interior == Tile.WALL).sum() <= 4  # pillars only
    assert sorted(s.faction for s in level.spawns) == ["hero", "monsters"]


def test_dungeon_has_doors_locks_and_loot() -> None:
    found_locked = False
    for seed in range(10):
        level = levels.generate("dungeon", seed)
        assert level.floor_count == 3
        assert np.isin(level.tiles, [Tile.DOOR_OPEN, Tile.DOOR_CLOSED, Tile.DOOR_LOCKED]).any()
        found_locked |= bool((level.tiles == Tile.DOOR_LOCKED).any())
        categories = {p.item.category for p in level.items}
        assert {"melee", "ranged", "potion"} & categories
    assert found_locked


def test_same_seed_same_level_and_no_global_random_state() -> None:
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    a = levels.generate("dungeon", 42)
    np.random.seed(999)
    b = levels.generate("dungeon", 42)
    assert a == b
    np.random.seed(123)
    levels.generate("dungeon", 42)
    assert np.array_equal(np.random.get_state()[1], before)
    assert levels.generate("dungeon", 43) != a


def test_loot_follows_kind_weights() -> None:
    params = params_from_dict({"floors": {"width": 64, "height": 64}, "generation": {"generator": "arena"},
                               "loot": {"density": 0.3}})
    counts: dict[str, int] = {}
    for seed in range(5):
        for placed in levels.generate(params, seed).items:
            counts[placed.item.kind] = counts.get(placed.item.kind, 0) + 1
    total = sum(counts.values())
    # Health potions weigh 0.8 of 3.7, bastard swords 0.1 of 3.7.
    assert abs(counts["health_potion"] / total - 0.8 / 3.7) < 0.04
    assert abs(counts.get("bastard_sword", 0) / total - 0.1 / 3.7) < 0.02


def test_attributes_are_drawn_from_ranges() -> None:
    params = params_from_dict({"generation": {"generator": "arena"}, "loot": {
        "density": 0.4, "inherit_default_kinds": False,
        "kinds": {"odd_bow": {"category": "ranged", "damage_min": [1, 3], "damage_max": [2, 9], "range": [2, 5]}}}})
    values = set()
    for seed in range(5):
        for placed in levels.generate(params, seed).items:
            item = placed.item
            assert 1 <= item.damage_min <= 3 and item.damage_min <= item.damage_max <= 9
            assert 2 <= item.range <= 5
            values.add((item.damage_min, item.range))
    assert len(values) > 5


def test_depth_scaling_makes_deeper_monsters_stronger() -> None:
    params = params_from_dict({"floors": {"count": 3, "width": 40, "height": 30}, "spawns": [
        {"faction": "monsters", "count": 4, "hp": 10, "atk": 4, "depth_scaling": 0.5}]})
    level = levels.generate(params, 0)
    by_floor = {s.floor: s for s in level.spawns}
    assert (by_floor[0].max_hp, by_floor[1].max_hp, by_floor[2].max_hp) == (10, 15, 20)
    assert by_floor[2].atk == 8


@PROPERTY
@given(level_documents(), st.integers(0, 2**32))
def test_random_parameters_keep_every_guarantee(document: dict, seed: int) -> None:
    params = params_from_dict(document)
    level = levels.generate(params, seed)
    check_guarantees(level)
    assert levels.generate(params, seed) == level
    assert Level.from_json(level.to_json()) == level


def test_json_round_trip_and_atomic_save(tmp_path) -> None:
    level = levels.generate("dungeon", 5)
    path = tmp_path / "level.json"
    level.save(path)
    assert Level.load(path) == level
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda d: d.update(format="other"), "not a Mindcrawl level"),
        (lambda d: d.update(version=99), "version 99"),
        (lambda d: d["floors"][0].__setitem__(0, "?" * len(d["floors"][0][0])), "unknown tile character"),
        (lambda d: d.update(entry=[0, 999, 1]), "off the map"),
        (lambda d: d["params"]["floors"].update(width=3), "params.floors.width"),
        (lambda d: d.pop("items"), "missing field 'items'"),
        (lambda d: d["items"].append({"floor": 0, "y": 1, "x": 1, "kind": "x", "category": "wand"}), "category"),
    ],
)
def test_bad_level_files_are_refused(tmp_path, mutate, words: str) -> None:
    data = levels.generate("dungeon", 1).to_dict()
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(LevelFileError, match=words) as info:
        Level.load(path)
    assert "bad.json" in str(info.value)


def test_truncated_level_file_is_refused(tmp_path) -> None:
    path = tmp_path / "cut.json"
    path.write_text(levels.generate("arena", 1).to_json()[:200])
    with pytest.raises(LevelFileError, match="not valid JSON"):
        Level.load(path)


def test_bad_seed_is_a_param_error() -> None:
    with pytest.raises(ParamError, match="seed"):
        levels.generate("arena", -1)


def test_generation_handles_extreme_sizes() -> None:
    base = levels.load_preset("dungeon")
    for count, width, height in [(1, 8, 8), (2, 8, 40), (1, 128, 16)]:
        # Spawn groups keep the floors that exist at this count (the preset's deeper groups go).
        spawns = [dataclasses.replace(g, floors=[f for f in g.floors if f < count])
                  for g in base.spawns if not g.floors or any(f < count for f in g.floors)]
        params = dataclasses.replace(base, floors=FloorsParams(count=count, width=width, height=height),
                                     spawns=spawns,
                                     generation=dataclasses.replace(
                                         base.generation,
                                         rooms=dataclasses.replace(base.generation.rooms, min_size=2, max_size=6)))
        for seed in range(3):
            check_guarantees(levels.generate(params_from_dict(params_to_dict(params)), seed))


def test_locked_doors_cannot_be_walked_around() -> None:
    from levels.reach import label_floor

    seen = 0
    for seed in range(20):
        level = levels.generate("dungeon", seed)
        for f, y, x in np.argwhere(level.tiles == Tile.DOOR_LOCKED):
            mask = PASSABLE[level.tiles[f]].copy()
            mask[y, x] = False
            labels, _ = label_floor(mask)
            sides = {labels[y + dy, x + dx] for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1))} - {0}
            assert len(sides) == 2, f"seed {seed}: locked door at {(f, y, x)} can be walked around"
            seen += 1
    assert seen > 0


def test_no_doors_between_pillars() -> None:
    params = params_from_dict({"floors": {"width": 20, "height": 20}, "generation": {
        "generator": "arena", "rooms": {"pillars": 1.0}, "doors": {"density": 1.0}}})
    with_pillars = 0
    for seed in range(20):
        level = levels.generate(params, seed)
        with_pillars += bool((level.tiles[0, 1:-1, 1:-1] == Tile.WALL).any())
        assert not np.isin(level.tiles, [Tile.DOOR_OPEN, Tile.DOOR_CLOSED, Tile.DOOR_LOCKED]).any()
    assert with_pillars >= 15
