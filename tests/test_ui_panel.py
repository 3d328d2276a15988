"""The designer panel's model: widgets from the schema, edits, validation and saving."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from pathlib import Path  # noqa: E402

from game.ui.controls import Command  # noqa: E402
from game.ui.panel import Panel, panel_fields, parse_value, read_value, stepped, write_value  # noqa: E402
from levels.params import load_params, load_preset  # noqa: E402


def test_fields_come_from_the_schema() -> None:
    params = load_preset("dungeon")
    fields = {f.name: f for f in panel_fields(params)}
    assert fields["floors.width"].kind == "int" and fields["floors.width"].high == 256
    assert fields["generation.rooms.count[0]"].label == "count (low)"
    assert fields["generation.generator.maze"].kind == "float"
    assert fields["spawns[1].hp[1]"].kind == "int"
    assert fields["spawns[0].floors"].kind == "int_list"
    assert fields["loot.kinds.long_sword.damage_max[0]"].kind == "int"
    assert fields["loot.kinds.bow.category"].choices == ("melee", "ranged", "potion")
    assert fields["loot.inherit_default_kinds"].kind == "bool"
    assert not any("objective" in name or name.startswith("overrides") for name in fields)
    assert "Rooms per floor" in fields["generation.rooms.count[0]"].doc


def test_ranges_widen_and_defaults_fill_in() -> None:
    params = load_preset("dungeon")
    fields = {f.name: f for f in panel_fields(params)}
    table = {"loot": {"kinds": {}}, "spawns": [{"hp": 20}]}
    full = {"loot": {"kinds": {"sword": {"damage_min": 1, "weight": 0.5}}}, "spawns": [{"hp": 20}]}
    assert read_value(table, full, ("spawns", 0, "hp", 1)) == 20
    write_value(table, full, ("spawns", 0, "hp", 1), 25)
    assert table["spawns"][0]["hp"] == [20, 25]
    write_value(table, full, ("loot", "kinds", "sword", "weight"), 2.0)
    assert table["loot"]["kinds"]["sword"] == {"damage_min": 1, "weight": 2.0}
    spec = fields["generation.doors.density"]
    assert stepped(spec, 1.0, 1) == 1.0 and stepped(spec, 0.5, -1) == 0.49
    assert stepped(fields["loot.kinds.bow.category"], "ranged", 1) == "potion"
    assert parse_value(fields["spawns[0].floors"], "0, 2") == [0, 2]


def test_edits_validate_inline_save_and_preview(tmp_path: Path) -> None:
    panel = Panel(load_preset("arena"), 3, tmp_path)
    assert panel.level is not None and not panel.stale
    names = [f.name for f in panel.fields]
    panel.index = names.index("generation.rooms.min_size")
    panel.set_value(panel.selected, 30)  # larger than max_size and the floor
    assert panel.error is not None
    assert panel.error_for(panel.selected) or any(panel.error_for(f) for f in panel.fields)
    panel.handle(Command.RESET_FIELD)
    assert panel.error is None
    panel.index = names.index("generation.generator.caves")
    panel.handle(Command.INCREASE)
    assert panel.value(panel.selected) == 0.1 and panel.stale
    panel.handle(Command.REGENERATE)
    assert not panel.stale and panel.level is not None
    result = panel.handle(Command.PLAY_LEVEL)
    assert result is not None and result.level is panel.level
    assert panel.save() == panel.save_to
    assert load_params(panel.save_to).generation.generator == {"arena": 1.0, "caves": 0.1}


def test_goals_are_edited_in_the_panel(tmp_path: Path) -> None:
    panel = Panel(load_preset("arena"), 3, tmp_path)
    names = [f.name for f in panel.fields]
    for name in ("factions.hero.goal.escape", "factions.monsters.goal.survive", "exits.floor", "artifact.name"):
        assert name in names
    assert panel.level is not None and not panel.level.exits()  # the duel: eliminate only
    panel.index = names.index("factions.hero.goal.eliminate")
    panel.set_value(panel.selected, 0.0)
    panel.index = names.index("factions.hero.goal.escape")
    panel.set_value(panel.selected, 1.0)
    assert panel.error is None
    panel.handle(Command.REGENERATE)
    assert panel.level.goal_of("hero") == "escape" and len(panel.level.exits()) == 1
