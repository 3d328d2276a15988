"""Procedural loot tables for sampled games: new item kinds composed of the known attributes.

A sampled kind is a category (melee, ranged, potion) with a range for each attribute
drawn inside the knobs' bounds, so one game's swords may be weak and another's strong,
and a potion may poison (negative ``heal``), buff, curse (negative buffs) or mix them.
Names say what the attributes make of the kind (``rusty_sword_1``, ``poison_draught_2``)
so a designer reading the file sees it; the policy sees only the attributes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from levels.knobs import GameKnobs
from levels.params import LOOT_CATEGORIES


def range_value(a: int, b: int) -> int | list[int]:
    """An inclusive range as a file writes it: ``a`` alone when ``a == b``, else ``[a, b]``."""
    return a if a == b else [a, b]


def _pair(rng: np.random.Generator, low: int, high: int, spread: int) -> list[int]:
    """An inclusive ``[a, b]`` inside ``[low, high]``, at most ``spread`` wide."""
    a = int(rng.integers(low, high + 1))
    b = min(high, a + int(rng.integers(0, spread + 1)))
    return [a, b]


def _weapon(rng: np.random.Generator, knobs: GameKnobs, ranged: bool) -> dict[str, Any]:
    low, high = knobs.weapon_damage
    dmin = _pair(rng, low, high, 2)
    dmax = _pair(rng, dmin[0], high, 3)
    dmax = [max(dmax[0], dmin[1]), max(dmax[1], dmin[1])]
    table: dict[str, Any] = {"damage_min": dmin, "damage_max": dmax}
    if ranged:
        table["range"] = _pair(rng, *knobs.bow_range, 1)
    return table


def _potion(rng: np.random.Generator, knobs: GameKnobs) -> dict[str, Any]:
    table: dict[str, Any] = {}
    has_heal, has_buff = [(True, False), (False, True), (True, True)][int(rng.integers(3))]
    if has_heal:
        table["heal"] = _pair(rng, *knobs.heal, 3)
    if has_buff:
        table["buff_atk"] = _pair(rng, *knobs.buff, 1)
        table["buff_def"] = _pair(rng, *knobs.buff, 1)
        table["buff_turns"] = _pair(rng, *knobs.buff_turns, 2)
    return table


def _weapon_name(table: dict[str, Any], knobs: GameKnobs, noun: str) -> str:
    mean = (sum(table["damage_min"]) + sum(table["damage_max"])) / 4
    low, high = knobs.weapon_damage
    third = (high - low) / 3
    adjective = "rusty" if mean < low + third else "heavy" if mean > high - third else "plain"
    return f"{adjective}_{noun}"


def _potion_name(table: dict[str, Any]) -> str:
    heal = sum(table.get("heal", [0, 0])) / 2
    buff = sum(table.get("buff_atk", [0, 0])) + sum(table.get("buff_def", [0, 0]))
    if heal < 0 or (heal == 0 and buff < 0):
        return "poison_draught" if buff <= 0 else "bitter_tonic"
    if buff < 0:
        return "cursed_draught"
    return "healing_draught" if buff == 0 else "battle_tonic"


def sample_kinds(rng: np.random.Generator, knobs: GameKnobs, count: int) -> dict[str, dict[str, Any]]:
    """``count`` new kinds as ``[loot.kinds.NAME]`` tables (category, weight, attributes)."""
    kinds: dict[str, dict[str, Any]] = {}
    for i in range(count):
        category = LOOT_CATEGORIES[int(rng.integers(len(LOOT_CATEGORIES)))]
        if category == "potion":
            table = _potion(rng, knobs)
            name = _potion_name(table)
        else:
            table = _weapon(rng, knobs, ranged=category == "ranged")
            name = _weapon_name(table, knobs, "bow" if category == "ranged" else "blade")
        weight = round(float(rng.uniform(0.1, 1.0)), 2)
        ranges = {k: range_value(*v) for k, v in table.items()}
        kinds[f"{name}_{i + 1}"] = {"category": category, "weight": weight, **ranges}
    return kinds
