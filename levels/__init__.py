"""Procedurally generated multi-floor levels, tuned by designers from TOML parameter files.

The package knows nothing of the game: it turns :class:`LevelParams` and a seed into a
:class:`Level` (tiles, doors, stairs, loot and spawns) with guarantees the rest of
Mindcrawl relies on — determinism and full reachability from the entry.
"""

from levels.common.kernel_cache import refresh_kernel_cache

# Before any kernel runs: drop numba's cache if a kernel source changed (see the module).
refresh_kernel_cache()

from levels.common.errors import LevelFileError, ParamError, UserError  # noqa: E402
from levels.distribution import sample_game  # noqa: E402
from levels.generate import generate  # noqa: E402
from levels.knobs import GameKnobs  # noqa: E402
from levels.level import AgentSpawn, ItemStats, Level, PlacedItem  # noqa: E402
from levels.params import LevelParams, load_params, load_preset, preset_names, save_params  # noqa: E402
from levels.tiles import Tile  # noqa: E402

__all__ = [
    "AgentSpawn",
    "GameKnobs",
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
    "sample_game",
    "save_params",
]
