"""The game distribution (levels/distribution.py): determinism, validity, knobs, procedural loot."""

from __future__ import annotations

import dataclasses
import random
import re
import tomllib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from levels.common.errors import ParamError
from levels.distribution import TRAIN_SEED_BASE, sample_game, sample_game_document, training_seed
from levels.generate import generate
from levels.knobs import GameKnobs, knobs_from_dict
from levels.limits import MAX_SEED
from levels.params import GOALS, load_preset, params_to_toml, preset_names
from levels.reach import reachable
from levels.tiles import PASSABLE
from levels.toml_text import dumps

#: Small floors keep the property tests fast.
SMALL = GameKnobs(width=(12, 24), height=(12, 20), floors=(1, 2))
HELDOUT_SEEDS = range(20)


def _within(pair: tuple[float, float], bounds: tuple[float, float]) -> bool:
    return bounds[0] <= pair[0] <= pair[1] <= bounds[1]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, MAX_SEED))
def test_every_sampled_game_is_valid_generates_and_stays_inside_its_knobs(seed: int) -> None:
    params = sample_game(seed, SMALL)
    level = generate(params, seed % 1000)
    entry = level.entry
    assert PASSABLE[level.tiles[entry]]
    assert not (PASSABLE[level.tiles] & ~reachable(level.tiles, entry)).any()
    assert SMALL.width[0] <= params.floors.width <= SMALL.width[1]
    assert SMALL.height[0] <= params.floors.height <= SMALL.height[1]
    assert SMALL.floors[0] <= params.floors.count <= SMALL.floors[1]
    gen = params.generation
    assert SMALL.door_density[0] <= gen.doors.density <= SMALL.door_density[1]
    assert gen.hazards.water <= SMALL.water[1] and gen.hazards.lava <= SMALL.lava[1]
    assert set(params.goal_weights("hero")) <= set(SMALL.hero_goals)
    assert set(params.goal_weights("monsters")) <= set(SMALL.monster_goals)
    monsters = [g for g in params.spawns if g.faction == "monsters"]
    assert SMALL.monster_groups[0] <= len(monsters) <= SMALL.monster_groups[1]
    assert monsters[0].count[0] >= 1  # always someone to play against
    for group in monsters:
        assert _within(group.hp, SMALL.monster_hp) and _within(group.atk, SMALL.monster_atk)
        assert _within(group.defense, SMALL.monster_def) and _within(group.dex, SMALL.monster_dex)
        assert _within(group.count, SMALL.monsters_per_floor)
    for name, kind in params.loot.kinds.items():
        if kind.category == "potion":
            assert _within(kind.heal, SMALL.heal), name
            assert _within(kind.buff_atk, SMALL.buff) and _within(kind.buff_def, SMALL.buff), name
        else:
            assert _within(kind.damage_min, SMALL.weapon_damage), name
            assert _within(kind.damage_max, SMALL.weapon_damage), name
            assert kind.damage_max[0] >= kind.damage_min[1], name
    cells = (params.floors.count + 1) * (params.floors.width + params.floors.height)
    assert SMALL.turns_per_cell[0] * cells - 1 <= params.rules.max_turns <= SMALL.turns_per_cell[1] * cells + 1


def test_same_seed_gives_the_same_parameters_bit_for_bit_and_reads_no_global_state() -> None:
    np_state, py_state = np.random.get_state(), random.getstate()
    first = [params_to_toml(sample_game(s)) for s in range(12)]
    np.random.seed(123)
    random.seed(123)
    again = [params_to_toml(sample_game(s)) for s in range(12)]
    assert first == again
    assert len(set(first)) == len(first)  # every seed its own game
    np.random.set_state(np_state)
    random.setstate(py_state)
    state = np.random.get_state()
    sample_game(5)
    assert all(np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
               for a, b in zip(state, np.random.get_state(), strict=True))


def test_default_knobs_generate_and_cover_the_presets_ranges() -> None:
    knobs = GameKnobs()
    for name in preset_names():
        preset = load_preset(name)
        assert knobs.width[0] <= preset.floors.width <= knobs.width[1], name
        assert knobs.height[0] <= preset.floors.height <= knobs.height[1], name
        assert knobs.floors[0] <= preset.floors.count <= knobs.floors[1], name
        assert set(preset.goal_weights("hero")) <= set(knobs.hero_goals), name
        assert set(preset.goal_weights("monsters")) <= set(knobs.monster_goals), name
        assert name in knobs.presets
    descriptions = [sample_game(s).description for s in range(60)]
    assert any("preset" in d for d in descriptions) and any("mix" in d for d in descriptions)
    assert any("(generator " in d for d in descriptions)
    for seed in range(4):
        generate(sample_game(seed), 0)


def test_one_knob_changes_only_its_own_axis() -> None:
    base = sample_game_document(7)
    tougher = sample_game_document(7, dataclasses.replace(GameKnobs(), monster_hp=(100, 200)))
    assert base["generation"] == tougher["generation"] and base["floors"] == tougher["floors"]
    assert base["loot"] == tougher["loot"] and base["factions"] == tougher["factions"]
    hp = [g["hp"] for g in tougher["spawns"][1:]]
    assert all((h if isinstance(h, int) else h[0]) >= 100 for h in hp)
    assert hp != [g["hp"] for g in base["spawns"][1:]]


def test_procedural_loot_decides_fights_poison_weak_and_strong_weapons() -> None:
    kinds = [k for s in range(150) for k in sample_game(s).loot.kinds.values()]
    potions = [k for k in kinds if k.category == "potion"]
    weapons = [k for k in kinds if k.category != "potion"]
    assert any(k.heal[1] < 0 for k in potions)  # harmful potions
    assert any(k.heal[0] > 0 for k in potions)
    assert any(k.buff_atk[1] < 0 for k in potions) and any(k.buff_turns[0] > 0 for k in potions)
    means = [(k.damage_min[0] + k.damage_max[1]) / 2 for k in weapons]
    assert min(means) <= 3 and max(means) >= 9  # weak and strong weapons
    assert any(k.category == "ranged" and k.range[0] >= 1 for k in weapons)
    tables = [sample_game(s).loot for s in range(150)]
    assert any(not t.inherit_default_kinds for t in tables) and any(t.inherit_default_kinds for t in tables)


def test_goal_mixes_and_widened_monster_goals() -> None:
    hero = [frozenset(sample_game(s).goal_weights("hero")) for s in range(80)]
    assert set().union(*hero) == set(GOALS)
    assert any(len(g) == 2 for g in hero)
    wide = dataclasses.replace(SMALL, monster_goals=("eliminate", "survive"), goals_per_faction=(2, 2))
    for seed in range(5):
        assert set(sample_game(seed, wide).goal_weights("monsters")) == {"eliminate", "survive"}


def test_training_seeds_are_disjoint_from_the_held_out_seeds() -> None:
    assert training_seed(0) == TRAIN_SEED_BASE > max(HELDOUT_SEEDS)
    with pytest.raises(ValueError):
        training_seed(-1)
    with pytest.raises(ValueError):
        sample_game(MAX_SEED + 1)


@pytest.mark.parametrize(("table", "fragment"), [
    ({"width": [30, 20]}, "knobs.width: expected [low, high] with low <= high"),
    ({"width": [4, 20]}, "knobs.width: 4 is outside"),
    ({"heal": [-5000, 0]}, "knobs.heal: -5000 is outside"),
    ({"generators": ["bsp", "castle"]}, "knobs.generators: 'castle' is not one of"),
    ({"hero_goals": []}, "knobs.hero_goals: name at least one"),
    ({"colour": 1}, "knobs.colour: unknown key"),
    ({"width": "wide"}, "knobs.width: expected [low, high]"),
    ({"preset_chance": True}, "knobs.preset_chance: expected a number"),
    ({"floors": [1.5, 2]}, "knobs.floors[0]: expected an integer"),
])
def test_bad_knobs_are_refused_naming_the_knob(table: dict[str, object], fragment: str) -> None:
    with pytest.raises(ParamError, match="^" + fragment.replace("[", r"\[").replace("]", r"\]")):
        knobs_from_dict(table)


def test_knobs_from_a_table_bound_the_games() -> None:
    knobs = knobs_from_dict({"width": [20, 20], "floors": [3, 3], "generators": ["caves"], "preset_chance": 0.0})
    for seed in range(5):
        params = sample_game(seed, knobs)
        assert (params.floors.width, params.floors.count) == (20, 3)
        assert params.generation.generator == {"caves": 1.0}


def test_compact_toml_reads_back_as_the_document() -> None:
    doc = sample_game_document(3)
    text = dumps(doc, "a header\nsecond line")
    assert text.startswith("# a header\n# second line\n")
    assert tomllib.loads(text) == doc
    assert re.search(r"^pool_size = \[\d+, \d+\]$", text, re.MULTILINE)  # arrays on one line
    with pytest.raises(ValueError):
        dumps({"x": float("nan")})


def test_sample_game_checks_knobs_built_in_code() -> None:
    with pytest.raises(ParamError, match=r"^knobs\.monster_hp: 0 is outside"):
        sample_game(1, GameKnobs(monster_hp=(0, 5)))
    with pytest.raises(ParamError, match=r"^knobs\.presets: 'castle' is not one of"):
        sample_game(1, GameKnobs(presets=("castle",)))
