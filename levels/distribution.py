"""A seeded distribution of games (after XLand): every axis of a level file drawn from knobs.

:func:`sample_game` turns a game seed into a complete, valid :class:`LevelParams`:
the floor generation (a preset's, or a random mix of the generators), the floor size
and count, doors and keys, water and lava, the monsters and their stats, the loot
table (DeepCrawl's kinds and/or procedural ones whose attributes decide fights) and
each faction's goal weights, with the turn limit scaled to the level's size. Each
axis is drawn from its own child of ``SeedSequence([GAME_STREAM, seed])``, so the
same seed and knobs give the same parameters bit for bit, and narrowing or widening
one knob leaves the other axes' draws as they were. No global random state is used.

Seeds below :data:`TRAIN_SEED_BASE` are reserved for evaluation (the held-out set in
docs/heldout-games/ uses seeds 0-19); training draws from :func:`training_seed`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from levels.knobs import GameKnobs
from levels.limits import MAX_SEED
from levels.params import LevelParams, load_preset, params_from_dict, params_to_dict
from levels.sampled_loot import range_value, sample_kinds

#: Mixed into every game's SeedSequence, so game seeds never collide with level seeds.
GAME_STREAM = 0x6A4D45
#: First seed of the training range; seeds below it are kept for evaluation.
TRAIN_SEED_BASE = 1_000_000
#: The axes, in the order of their child streams (append new axes at the end).
AXES = ("layout", "size", "doors", "hazards", "hero", "monsters", "loot", "goals", "rules")

MONSTER_NAMES = ("ghoul", "cave spider", "minotaur", "rat", "wraith", "goblin", "slime", "bandit")
ARTIFACT_NAMES = ("amulet", "idol", "chalice", "orb", "crown", "codex")


def training_seed(index: int) -> int:
    """The game seed of training slot ``index`` (disjoint from the evaluation seeds)."""
    if not 0 <= index <= MAX_SEED - TRAIN_SEED_BASE:
        raise ValueError(f"training slot {index} is outside [0, {MAX_SEED - TRAIN_SEED_BASE}]")
    return TRAIN_SEED_BASE + index


def _streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence([GAME_STREAM, seed]).spawn(len(AXES))
    return {axis: np.random.default_rng(child) for axis, child in zip(AXES, children, strict=True)}


def _int(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    return int(rng.integers(bounds[0], bounds[1] + 1))


def _float(rng: np.random.Generator, bounds: tuple[float, float], digits: int = 3) -> float:
    return round(float(rng.uniform(bounds[0], bounds[1])), digits)


def _int_range(rng: np.random.Generator, bounds: tuple[int, int]) -> int | list[int]:
    """An ordered range of two draws inside ``bounds``."""
    a, b = sorted((_int(rng, bounds), _int(rng, bounds)))
    return range_value(a, b)


def _weights_value(weights: dict[str, float]) -> str | dict[str, float]:
    """A weighted mix as a file writes it: one name alone, else the table of weights."""
    return next(iter(weights)) if len(weights) == 1 else weights


def _pick(rng: np.random.Generator, names: tuple[str, ...], k: int) -> list[str]:
    """``k`` distinct names in their order in ``names``."""
    chosen = rng.choice(len(names), size=min(k, len(names)), replace=False)
    return [names[i] for i in sorted(int(c) for c in chosen)]


# ----------------------------------------------------------------------------- axes


def _layout(rng: np.random.Generator, knobs: GameKnobs) -> tuple[str, dict[str, Any]]:
    """The floor generation: a preset's ``[generation]`` tables, or a generator mix."""
    if knobs.presets and rng.random() < knobs.preset_chance:
        preset = knobs.presets[int(rng.integers(len(knobs.presets)))]
        generation = params_to_dict(load_preset(preset))["generation"]
        kept = {k: generation[k] for k in ("generator", "stairs", "rooms", "corridors", "caves", "drunkard")}
        kept["generator"] = _weights_value(kept["generator"])
        return f"preset {preset}", kept
    names = _pick(rng, knobs.generators, _int(rng, (knobs.mix_size[0], min(knobs.mix_size[1],
                                                                       len(knobs.generators)))))
    mix = {name: round(float(rng.uniform(0.5, 3.0)), 2) for name in names}
    min_size = _int(rng, (3, 5))
    low_rooms = _int(rng, (2, 6))
    generation = {
        "generator": _weights_value(mix),
        "stairs": _int(rng, (1, 2)),
        "rooms": {"count": [low_rooms, low_rooms + _int(rng, (0, 4))], "min_size": min_size,
                  "max_size": min_size + _int(rng, (1, 6)), "pillars": _float(rng, (0.0, 0.8))},
        "corridors": {"width": 1, "extra_loops": _float(rng, (0.0, 0.3))},
        "caves": {"fill": _float(rng, (0.4, 0.5)), "iterations": _int(rng, (3, 5))},
        "drunkard": {"coverage": _float(rng, (0.3, 0.5)), "walkers": _int(rng, (2, 6))},
    }
    if len(mix) == 1:
        return f"generator {names[0]}", generation
    return "mix " + " / ".join(f"{n} {w:g}" for n, w in mix.items()), generation


def _fit_rooms(generation: dict[str, Any], width: int, height: int) -> None:
    """Shrink room sizes that do not fit the floor's inner size."""
    inner = min(width, height) - 2
    rooms = generation["rooms"]
    rooms["max_size"] = min(rooms["max_size"], inner)
    rooms["min_size"] = min(rooms["min_size"], rooms["max_size"])


def _doors(rng: np.random.Generator, knobs: GameKnobs) -> dict[str, Any]:
    locked = _float(rng, knobs.locked_share)
    open_share = _float(rng, (0.0, 1.0 - locked))
    return {"density": _float(rng, knobs.door_density), "open": open_share,
            "closed": round(max(0.0, 1.0 - locked - open_share), 3) or 0.001, "locked": locked}


def _hazards(rng: np.random.Generator, knobs: GameKnobs) -> dict[str, Any]:
    return {"water": _float(rng, knobs.water), "lava": _float(rng, knobs.lava),
            "pool_size": [_int(rng, (2, 5)), _int(rng, (6, 14))]}


def _monsters(rng: np.random.Generator, knobs: GameKnobs, floors: int, width: int,
              height: int) -> list[dict[str, Any]]:
    groups = []
    for i in range(_int(rng, knobs.monster_groups)):
        name = MONSTER_NAMES[int(rng.integers(len(MONSTER_NAMES)))]
        chosen = rng.choice(floors, size=_int(rng, (1, floors)), replace=False)
        group: dict[str, Any] = {
            "faction": "monsters", "name": name, "count": _int_range(rng, knobs.monsters_per_floor),
            "floors": sorted(int(f) for f in chosen), "hp": _int_range(rng, knobs.monster_hp),
            "atk": _int_range(rng, knobs.monster_atk), "defense": _int_range(rng, knobs.monster_def),
            "dex": _int_range(rng, knobs.monster_dex), "depth_scaling": _float(rng, knobs.depth_scaling),
            "min_entry_distance": _int(rng, (0, max(0, (width + height) // 6))),
        }
        if i == 0 and knobs.monsters_per_floor[1] >= 1:  # some opponent, or eliminate and survive are won at once
            low, high = (group["count"], group["count"]) if isinstance(group["count"], int) else group["count"]
            group["count"] = range_value(max(1, low), max(1, high))
        groups.append(group)
    return groups


def _loot(rng: np.random.Generator, knobs: GameKnobs) -> dict[str, Any]:
    inherit = bool(rng.random() < knobs.default_kinds_chance)
    new = _int(rng, knobs.new_kinds)
    if not inherit:
        new = max(new, 2)  # a table of its own needs some kinds
    low, high = sorted((_float(rng, knobs.loot_density), _float(rng, knobs.loot_density)))
    return {"density": [low, high], "inherit_default_kinds": inherit, "kinds": sample_kinds(rng, knobs, new)}


def _goal_weights(rng: np.random.Generator, knobs: GameKnobs,
                  allowed: tuple[str, ...]) -> str | dict[str, float]:
    k = _int(rng, (knobs.goals_per_faction[0], min(knobs.goals_per_faction[1], len(allowed))))
    weights = {g: round(float(rng.uniform(0.5, 3.0)), 2) for g in _pick(rng, allowed, k)}
    return _weights_value(weights)


def _goals(rng: np.random.Generator, knobs: GameKnobs, floors: int) -> dict[str, Any]:
    hero = _goal_weights(rng, knobs, knobs.hero_goals)
    monsters = _goal_weights(rng, knobs, knobs.monster_goals)
    exit_floor = -1 if rng.random() < 0.6 else _int(rng, (0, floors - 1))
    artifact_floor = -1 if rng.random() < 0.6 else _int(rng, (0, floors - 1))
    return {
        "factions": {"hero": {"goal": hero}, "monsters": {"goal": monsters}},
        "exits": {"count": _int(rng, knobs.exit_count), "floor": exit_floor, "spread": _float(rng, (0.1, 0.6))},
        "artifact": {"name": ARTIFACT_NAMES[int(rng.integers(len(ARTIFACT_NAMES)))], "floor": artifact_floor},
    }


# ----------------------------------------------------------------------------- games


def sample_game_document(seed: int, knobs: GameKnobs | None = None) -> dict[str, Any]:
    """The game of ``seed`` as a level-parameter document (plain TOML data; the knobs are checked)."""
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"game seed {seed} is outside [0, {MAX_SEED}]")
    knobs = knobs or GameKnobs()
    knobs.check()
    rng = _streams(seed)
    layout, generation = _layout(rng["layout"], knobs)
    size = rng["size"]
    width, height, floors = _int(size, knobs.width), _int(size, knobs.height), _int(size, knobs.floors)
    _fit_rooms(generation, width, height)
    generation["doors"] = _doors(rng["doors"], knobs)
    generation["hazards"] = _hazards(rng["hazards"], knobs)
    hero_rng = rng["hero"]
    hero = {"faction": "hero", "count": 1, "floors": [0], "hp": _int(hero_rng, knobs.hero_hp)}
    sights = {"hero": _int(hero_rng, knobs.sight), "monsters": _int(hero_rng, knobs.sight)}
    goals = _goals(rng["goals"], knobs, floors)
    for faction, table in goals["factions"].items():
        table["sight"] = sights[faction]
    if floors > 1:
        goals["factions"]["hero"]["objective"] = {"reach_stairs_down": 1.0}
    # One more floor's worth of walking than the floors: a fetch goes there and back.
    turns = _float(rng["rules"], knobs.turns_per_cell) * (floors + 1) * (width + height)
    return {
        "name": f"game-{seed}",
        "description": f"Sampled game {seed} ({layout}).",
        "floors": {"count": floors, "width": width, "height": height},
        "generation": generation,
        "rules": {"max_turns": int(np.clip(round(turns), 50, 1_000_000))},
        **goals,
        "spawns": [hero, *_monsters(rng["monsters"], knobs, floors, width, height)],
        "loot": _loot(rng["loot"], knobs),
    }


def sample_game(seed: int, knobs: GameKnobs | None = None) -> LevelParams:
    """The validated level parameters of game ``seed`` drawn within ``knobs`` (default knobs)."""
    return params_from_dict(sample_game_document(seed, knobs))
