"""Procedurally generated multi-floor levels, tuned by designers from TOML parameter files.

The package knows nothing of the game: it turns :class:`LevelParams` and a seed into a
:class:`Level` (tiles, doors, stairs, loot and spawns) with guarantees the rest of
Mindcrawl relies on — determinism and full reachability from the entry.
"""

from levels.common.errors import LevelFileError, ParamError, UserError
from levels.generate import generate
from levels.level import AgentSpawn, ItemStats, Level, PlacedItem
from levels.params import LevelParams, load_params, load_preset, preset_names, save_params
from levels.tiles import Tile

__all__ = [
    "AgentSpawn",
    "ItemStats",
    "Level",
    "LevelFileError",
    "LevelParams",
    "ParamError",
    "PlacedItem",
    "Tile",
    "UserError",
    "generate",
    "load_params",
    "load_preset",
    "preset_names",
    "save_params",
]
