"""Flat colours of tiles for the map views, taken from the textures so all views agree."""

from __future__ import annotations

from functools import cache

import numpy as np

from game.ui.render.cells import REMEMBERED, UNEXPLORED, VISIBLE
from game.ui.render.textures import FLOOR_TEXTURE, WALL_TEXTURE, texture_atlas
from levels.tiles import TILE_COUNT

BACKGROUND = (0, 0, 0)  # behind the map views, the same as unexplored cells
PANEL = (28, 26, 32)
PANEL_EDGE = (70, 64, 80)
VIEWER = (255, 240, 120)  # the viewer's marker on the map views
PATH_COLOURS = ((90, 200, 255), (255, 160, 60), (180, 120, 255), (120, 255, 160))

#: Brightness of each cell state on the map views (remembered cells are dimmed).
MAP_LIGHT = np.zeros(3, np.float64)
MAP_LIGHT[UNEXPLORED], MAP_LIGHT[REMEMBERED], MAP_LIGHT[VISIBLE] = 0.0, 0.45, 1.0


@cache
def tile_colours() -> np.ndarray:
    """``(TILE_COUNT, 3)`` uint8: each tile's mean texture colour (walls a little lighter)."""
    atlas = texture_atlas().astype(np.float64)
    rgb = np.zeros((TILE_COUNT, 3))
    for t in range(TILE_COUNT):
        if WALL_TEXTURE[t] >= 0:
            rgb[t] = atlas[WALL_TEXTURE[t]].mean(axis=(0, 1)) * 0.8
        else:
            rgb[t] = atlas[FLOOR_TEXTURE[t]].mean(axis=(0, 1))
    return np.clip(rgb, 0, 255).astype(np.uint8)


@cache
def state_tile_colours() -> np.ndarray:
    """``(3, TILE_COUNT, 3)`` uint8: :func:`tile_colours` lit for each cell state."""
    lit = tile_colours()[None].astype(np.float64) * MAP_LIGHT[:, None, None]
    return lit.astype(np.uint8)


def dim(colour: tuple[int, int, int], light: float) -> tuple[int, int, int]:
    """``colour`` scaled by ``light`` and clamped to 0..255."""
    return tuple(max(0, min(255, int(c * light))) for c in colour)  # type: ignore[return-value]
