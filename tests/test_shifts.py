"""Design shifts (levels/shifts.py and the shipped files in levels/shifts/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from levels.common.errors import ParamError
from levels.params import DEEPCRAWL_KINDS, load_preset
from levels.shifts import BASE, apply_shift, load_shift, shift_from_dict, shift_names


@pytest.fixture(scope="module")
def arena():
    return load_preset("arena")


def _write(tmp_path: Path, text: str, name: str = "my_shift.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_at_least_eight_shipped_shifts_each_change_the_arena(arena) -> None:
    names = shift_names()
    assert len(names) >= 8 and BASE not in names
    for name in names:
        shift = load_shift(name)
        assert shift.description, name
        shifted = apply_shift(arena, shift)
        assert shifted != arena, f"{name} changes nothing"
        assert apply_shift(arena, shift) == shifted  # deterministic


@pytest.mark.parametrize("preset", ["dungeon", "caves"])
def test_every_shipped_shift_applies_to_other_presets(preset: str) -> None:
    params = load_preset(preset)
    for name in shift_names():
        apply_shift(params, load_shift(name)).check("")


def test_no_shift_is_the_identity(arena) -> None:
    assert apply_shift(arena, None) is arena


def test_weapon_scaling_doubles_and_halves_weapons_only(arena) -> None:
    doubled = apply_shift(arena, load_shift("weapons_x2")).loot.all_kinds()
    halved = apply_shift(arena, load_shift("weapons_half")).loot.all_kinds()
    for name, kind in arena.loot.all_kinds().items():
        if kind.category in ("melee", "ranged"):
            assert doubled[name].damage_min == tuple(2 * v for v in kind.damage_min)
            assert doubled[name].damage_max == tuple(2 * v for v in kind.damage_max)
            # halves round half up: 1 -> 1, 3 -> 2, 4 -> 2
            assert halved[name].damage_max == tuple((v + 1) // 2 for v in kind.damage_max)
            assert doubled[name].range == kind.range
        else:
            assert doubled[name] == kind and halved[name] == kind


def test_a_kind_table_changes_only_the_fields_it_names(arena) -> None:
    kinds = apply_shift(arena, load_shift("weapons_reshuffled")).loot.all_kinds()
    sword = DEEPCRAWL_KINDS["sword"]
    assert kinds["sword"].damage_min == (3, 3) and kinds["sword"].damage_max == (6, 6)
    assert kinds["sword"].weight == sword.weight and kinds["sword"].category == "melee"
    assert list(kinds) == list(DEEPCRAWL_KINDS)  # kind order (and so kind ids) unchanged


def test_new_kinds_are_composed_of_known_attributes_and_appended(arena) -> None:
    crossbow = apply_shift(arena, load_shift("new_crossbow")).loot.all_kinds()
    assert list(crossbow)[:-1] == list(DEEPCRAWL_KINDS) and list(crossbow)[-1] == "crossbow"
    assert crossbow["crossbow"].category == "ranged"
    assert crossbow["crossbow"].damage_min == DEEPCRAWL_KINDS["long_sword"].damage_min
    elixir = apply_shift(arena, load_shift("new_elixir")).loot.all_kinds()["elixir"]
    assert elixir.category == "potion" and elixir.heal[0] > 0 and elixir.buff_atk[0] > 0 and elixir.buff_turns[0] > 0


def test_spawn_tables_change_one_faction(arena) -> None:
    shifted = apply_shift(arena, load_shift("opponents_brutes"))
    for before, after in zip(arena.spawns, shifted.spawns, strict=True):
        if before.faction == "monsters":
            assert (after.atk, after.defense, after.dex) == ((6, 6), (1, 1), (1, 1))
            assert after.hp == before.hp
        else:
            assert after == before


def test_loot_density_shifts(arena) -> None:
    dense = apply_shift(arena, load_shift("loot_dense")).loot.density
    sparse = apply_shift(arena, load_shift("loot_sparse")).loot.density
    assert sparse[1] < arena.loot.density[0] and dense[0] > arena.loot.density[1]


def test_a_shift_from_a_path(tmp_path: Path, arena) -> None:
    path = _write(tmp_path, '[params.rules]\nmax_turns = 50\n[scale.potion]\nheal = 3\n')
    shifted = apply_shift(arena, load_shift(path))
    assert shifted.rules.max_turns == 50
    assert shifted.loot.all_kinds()["health_potion"].heal == (15, 15)


@pytest.mark.parametrize(("text", "field"), [
    ("colour = 1\n", "colour"),
    ("description = 3\n", "description"),
    ("[scale.armour]\nheal = 2.0\n", "scale.armour"),
    ("[scale.melee]\nweight = 2.0\n", "scale.melee.weight"),
    ("[scale.melee]\ndamage_min = -1.0\n", "scale.melee.damage_min"),
    ("[scale.melee]\ndamage_min = 'big'\n", "scale.melee.damage_min"),
    ("[spawns.monsters]\nstrength = 3\n", "spawns.monsters.strength"),
    ("spawns = 3\n", "spawns"),
])
def test_structural_errors_name_the_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ParamError) as info:
        load_shift(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {field}") and "\n" not in message


@pytest.mark.parametrize(("text", "field"), [
    ("[params.loot.kinds.sword]\ndamag_min = 3\n", "params.loot.kinds.sword.damag_min"),
    ("[params.loot.kinds.sword]\ndamage_min = -2\n", "params.loot.kinds.sword.damage_min"),
    ("[params.loot]\ndensity = [0.3, 0.1]\n", "params.loot.density"),
    ("[spawns.dragons]\natk = 3\n", "spawns.dragons"),
    ("[spawns.monsters]\nhp = 0\n", "spawns.monsters.hp"),
    ("[scale.melee]\ndamage_max = 1000.0\n", "scale"),
])
def test_errors_found_when_applying_name_the_file_and_field(tmp_path: Path, arena, text: str, field: str) -> None:
    path = _write(tmp_path, text)
    shift = load_shift(path)
    with pytest.raises(ParamError) as info:
        apply_shift(arena, shift)
    message = str(info.value)
    assert message.startswith(f"{path}: {field}") and "\n" not in message


def test_unreadable_and_unknown_shifts(tmp_path: Path) -> None:
    with pytest.raises(ParamError, match="not valid TOML"):
        load_shift(_write(tmp_path, "[params\n"))
    with pytest.raises(ParamError, match="no shift or file named 'nonesuch'"):
        load_shift("nonesuch")
    with pytest.raises(ParamError, match="missing.toml"):
        load_shift(tmp_path / "missing.toml")


def test_shift_from_dict_keeps_its_input_intact() -> None:
    data = {"params": {"loot": {"density": [0.1, 0.2]}}, "spawns": {"monsters": {"atk": 4}}}
    shift = shift_from_dict(data, "x")
    shift.params["loot"]["density"][0] = 0.3
    assert data["params"]["loot"]["density"][0] == 0.1
