"""Level parameters: loading, validation errors that name the field, TOML round trips."""

from __future__ import annotations

import copy
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from levels import schema
from levels.common.errors import ParamError
from levels.params import (
    LevelParams,
    load_params,
    load_preset,
    params_from_dict,
    params_to_toml,
    preset_names,
    save_params,
)
from tests.level_strategies import level_documents


def test_presets_exist_and_load() -> None:
    assert {"arena", "dungeon", "caves", "labyrinth"} <= set(preset_names())
    arena = load_preset("arena")
    assert (arena.floors.count, arena.floors.width, arena.floors.height) == (1, 12, 12)
    assert [s.faction for s in arena.spawns] == ["hero", "monsters"]
    assert load_preset("dungeon").floors.count == 3


def test_default_loot_is_deepcrawls() -> None:
    kinds = LevelParams().loot.all_kinds()
    assert kinds["sword"].damage_min == (1, 1) and kinds["sword"].damage_max == (4, 4)
    assert kinds["sword"].weight == 0.5
    assert kinds["darkmoon_bow"].damage_min == (4, 4) and kinds["darkmoon_bow"].weight == 0.1
    assert kinds["health_potion"].heal == (5, 5) and kinds["health_potion"].weight == 0.8
    assert kinds["buff_potion_plus"].buff_atk == (3, 3) and kinds["buff_potion_plus"].buff_turns == (3, 3)
    assert len(kinds) == 9


def test_designer_adds_a_kind_without_code() -> None:
    params = params_from_dict({"loot": {"kinds": {"sling": {"category": "ranged", "weight": 2,
                                                            "damage_min": [1, 2], "damage_max": 4, "range": 3}}}})
    kinds = params.loot.all_kinds()
    assert kinds["sling"].range == (3, 3) and kinds["sling"].damage_min == (1, 2)
    assert "sword" in kinds  # defaults are kept unless inherit_default_kinds = false
    only = params_from_dict({"loot": {"inherit_default_kinds": False,
                                      "kinds": {"club": {"category": "melee", "damage_max": 3}}}})
    assert list(only.loot.all_kinds()) == ["club"]


def test_overrides_change_only_named_floors() -> None:
    params = params_from_dict({"floors": {"count": 3, "width": 30, "height": 30},
                               "overrides": [{"floors": [2], "generator": "caves", "rooms": {"max_size": 5}}]})
    assert params.floor_generation(0).generator == {"bsp": 1.0}
    assert params.floor_generation(2).generator == {"caves": 1.0}
    assert params.floor_generation(2).rooms.max_size == 5
    assert params.floor_generation(2).rooms.min_size == params.generation.rooms.min_size


@pytest.mark.parametrize(
    ("document", "path", "words"),
    [
        ({"floors": {"width": 3}}, "floors.width", "below the minimum 8"),
        ({"floors": {"width": "wide"}}, "floors.width", "expected an integer"),
        ({"floors": {"widht": 20}}, "floors.widht", "unknown key"),
        ({"colour": 1}, "colour", "unknown key"),
        ({"floors": {"width": 16, "height": 16}, "generation": {"rooms": {"max_size": 20}}},
         "generation.rooms.max_size", "exceeds the floor's inner size 14"),
        ({"floors": {"count": 2, "width": 16, "height": 16},
          "overrides": [{"floors": [1], "rooms": {"max_size": 20}}]},
         "overrides[0].rooms.max_size", "exceeds"),
        ({"overrides": [{"floors": [5], "generator": "maze"}]}, "overrides[0].floors[0]", "does not exist"),
        ({"overrides": [{"floors": [0], "flavour": 1}]}, "overrides[0].flavour", "unknown key"),
        ({"generation": {"generator": "wfc"}}, "generation.generator.wfc", "not one of"),
        ({"generation": {"generator": {"bsp": 0}}}, "generation.generator", "all be zero"),
        ({"generation": {"rooms": {"min_size": 8, "max_size": 5}}}, "generation.rooms.min_size", "exceeds"),
        ({"generation": {"rooms": {"count": [5, 2]}}}, "generation.rooms.count", "above high"),
        ({"spawns": [{"faction": "elves"}]}, "spawns[0].faction", "not a key of [factions]"),
        ({"spawns": [{"items": ["excalibur"]}]}, "spawns[0].items[0]", "not a loot kind"),
        ({"loot": {"kinds": {"x": {"category": "scroll"}}}}, "loot.kinds.x.category", "not one of"),
        ({"loot": {"kinds": {"x": {"category": "key"}}}}, "loot.kinds.x.category", "not one of"),
        ({"rules": {"max_turns": True}}, "rules.max_turns", "expected an integer"),
        ({"generation": {"hazards": {"water": float("nan")}}}, "generation.hazards.water", "finite"),
    ],
)
def test_invalid_parameters_name_the_field(document: dict, path: str, words: str) -> None:
    with pytest.raises(ParamError) as info:
        params_from_dict(document)
    assert info.value.path == path
    assert words in str(info.value)
    assert str(info.value).startswith(f"{path}: ")


def test_file_errors_name_the_file(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[floors]\nwidth = 2\n")
    with pytest.raises(ParamError, match=r"bad\.toml: floors\.width: 2 is below the minimum 8"):
        load_params(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[floors\n")
    with pytest.raises(ParamError, match="broken.toml: not valid TOML"):
        load_params(broken)
    with pytest.raises(ParamError, match="file not found"):
        load_params(tmp_path / "missing.toml")
    with pytest.raises(ParamError, match="no preset or file named 'nope'"):
        load_params("nope")


def test_save_and_load_round_trip(tmp_path) -> None:
    for name in preset_names():
        params = load_preset(name)
        path = tmp_path / f"{name}.toml"
        save_params(params, path)
        assert load_params(path) == params
    assert not list(tmp_path.glob("*.tmp"))


def test_schema_reference_covers_every_field() -> None:
    rows = schema.describe(LevelParams)
    paths = {r.path for r in rows}
    for leaf, _value in schema.walk_values(LevelParams()):
        generic = leaf.replace("spawns[0]", "spawns[]").replace("spawns[1]", "spawns[]")
        generic = generic.replace("factions.hero", "factions.<name>").replace("factions.monsters", "factions.<name>")
        assert generic in paths, leaf
    assert "loot.kinds.<name>.damage_min" in paths
    assert all(r.doc for r in rows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(level_documents())
def test_random_valid_documents_load_and_round_trip(document: dict) -> None:
    params = params_from_dict(document)
    assert params_from_dict(tomllib.loads(params_to_toml(params))) == params


def _numeric_leaves(table: dict, prefix: str = "") -> list[str]:
    out = []
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out += _numeric_leaves(value, path)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out.append(path)
    return out


def _set(table: dict, path: str, value: object) -> None:
    *parents, leaf = path.split(".")
    for key in parents:
        table = table[key]
    table[leaf] = value


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(level_documents(), st.integers(0, 10_000), st.sampled_from(["type", "range", "unknown"]))
def test_random_invalid_documents_give_field_errors(document: dict, pick: int, mutation: str) -> None:
    doc = copy.deepcopy(document)
    doc.pop("overrides", None)
    leaves = [p for p in _numeric_leaves(doc) if not p.startswith("name")]
    target = leaves[pick % len(leaves)]
    if mutation == "type":
        _set(doc, target, "not a number")
    elif mutation == "range":
        _set(doc, target, -1e9)  # every numeric field has a lower bound (weights: >= 0)
    else:
        parent = target.rsplit(".", 1)[0] if "." in target else ""
        target = f"{parent}.no_such_field" if parent else "no_such_field"
        _set(doc, target, 1)
    with pytest.raises(ParamError) as info:
        params_from_dict(doc)
    # The error names the mutated field (or, for cross-field checks, a field in its table).
    assert info.value.path.split(".")[0] == target.split(".")[0]
    assert str(info.value).startswith(info.value.path)
