"""Training configs: the shipped ones load, bad keys are refused, curriculum and loot transforms."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w

from levels.params import load_preset
from training.config import CONFIG_DIR, ConfigError, config_from_dict, config_to_dict, load_config
from training.curriculum import phase_index, phase_params, randomise_loot


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_configs_load_and_their_phases_build(path: Path) -> None:
    cfg = load_config(path)
    base = load_preset(cfg.params) if "/" not in cfg.params else None
    if base is not None:
        for i in range(len(cfg.curriculum) + 1):
            phase_params(cfg, base, i)


def test_config_round_trips_through_toml(tmp_path: Path) -> None:
    cfg = load_config()
    path = tmp_path / "c.toml"
    path.write_text(tomli_w.dumps(config_to_dict(cfg)))
    assert load_config(path) == cfg


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ppo": {"learning_rte": 1e-3}}, "ppo.learning_rte: unknown key"),
        ({"ppo": {"num_worlds": "many"}}, "ppo.num_worlds: expected an integer"),
        ({"total_steps": 0}, "total_steps: must be positive"),
        ({"opponents": {"scripted_fraction": 2.0}}, "scripted_fraction"),
        ({"curriculum": [{"until": 10}, {"until": 5}]}, "increasing"),
        ({"loot": {"enabled": "yes"}}, "expected true or false"),
        ({"ppo": 3}, "expected a table"),
    ],
)
def test_bad_configs_are_refused_with_the_key(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict(data, "my.toml")


def test_missing_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("ppo = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_curriculum_phases_change_the_level_parameters() -> None:
    cfg = config_from_dict({"curriculum": [
        {"until": 100, "spawns": {"monsters": {"hp": [1, 2]}},
         "params": {"factions": {"hero": {"objective": {"damage_dealt": 0.5}}}}},
        {"until": 200, "spawns": {"monsters": {"hp": [3, 4]}}},
    ]})
    base = load_preset("arena")
    assert [phase_index(cfg, s) for s in (0, 99, 100, 199, 200, 10**9)] == [0, 0, 1, 1, 2, 2]
    first = phase_params(cfg, base, 0)
    assert [g.hp for g in first.spawns if g.faction == "monsters"] == [(1, 2)]
    assert first.factions["hero"].objective.damage_dealt == 0.5
    assert [g.hp for g in phase_params(cfg, base, 1).spawns if g.faction == "monsters"] == [(3, 4)]
    assert phase_params(cfg, base, 2) == base


def test_a_phase_naming_an_unknown_faction_is_refused() -> None:
    cfg = config_from_dict({"curriculum": [{"until": 10, "spawns": {"dragons": {"hp": [1, 1]}}}]})
    with pytest.raises(Exception, match="dragons"):
        phase_params(cfg, load_preset("arena"), 0)


def test_loot_randomisation_widens_only_the_attributes_a_kind_has() -> None:
    cfg = config_from_dict({"loot": {"enabled": True, "spread": 2}})
    base = load_preset("arena")
    wide = randomise_loot(base, cfg.loot)
    sword, wide_sword = base.loot.all_kinds()["sword"], wide.loot.all_kinds()["sword"]
    assert wide_sword.damage_min == (0, 3) and wide_sword.damage_max == (2, 6)
    assert wide_sword.heal == sword.heal == (0, 0) and wide_sword.category == "melee"
    potion = wide.loot.all_kinds()["buff_potion"]
    assert potion.buff_turns[0] >= 1 and potion.buff_atk == (0, 4)
    assert set(wide.loot.all_kinds()) == set(base.loot.all_kinds())
    assert randomise_loot(base, config_from_dict({}).loot) is base


def test_per_attribute_spreads_override_the_spread_and_may_make_poison() -> None:
    cfg = config_from_dict({"loot": {"enabled": True, "spread": 1, "spreads": {"heal": 8, "range": 0}}})
    wide = randomise_loot(load_preset("arena"), cfg.loot).loot.all_kinds()
    assert wide["health_potion"].heal == (-3, 13)  # base 5: some potions poison
    assert wide["sword"].damage_min == (0, 2)  # the general spread still applies
    assert wide["bow"].range == (2, 2)  # spread 0 leaves the attribute alone
    assert wide["buff_potion"].heal == (0, 0)  # attributes a kind does not have stay 0


@pytest.mark.parametrize(("spreads", "message"), [
    ({"hael": 3}, "loot.spreads.hael: not a randomised attribute"),
    ({"heal": -1}, "loot.spreads.heal: expected a non-negative integer"),
    ({"heal": 1.5}, "loot.spreads.heal: expected a non-negative integer"),
])
def test_bad_loot_spreads_are_refused_by_name(spreads: dict, message: str) -> None:
    with pytest.raises(Exception, match=message):
        config_from_dict({"loot": {"enabled": True, "spreads": spreads}})
