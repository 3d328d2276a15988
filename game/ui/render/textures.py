"""Wall, door, floor and ceiling textures, generated in code with numpy.

Every texture is ``TEX x TEX`` RGB, stored as one uint8 array ``[texture, u, v, 3]``
(``u`` across, ``v`` down), the layout the raycaster samples. Generation uses a fixed
seed, so the textures (and every frame drawn with them) are the same on every run.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from levels.tiles import TILE_COUNT, Tile

TEX = 64  # texels per side

# Texture ids (indices into the array :func:`texture_atlas` returns).
WALL_STONE = 0
WALL_MOSSY = 1
DOOR = 2
DOOR_LOCKED = 3
DOOR_FRAME = 4
FLOOR = 5
CEILING = 6
WATER = 7
LAVA = 8
STAIRS_DOWN = 9
STAIRS_UP = 10
CEILING_HOLE = 11
THRESHOLD = 12
EXIT = 13
TEXTURE_COUNT = 14

#: Floor texture of each tile code (walls and closed doors never show a floor).
FLOOR_TEXTURE = np.full(TILE_COUNT, FLOOR, np.int32)
FLOOR_TEXTURE[Tile.WATER] = WATER
FLOOR_TEXTURE[Tile.LAVA] = LAVA
FLOOR_TEXTURE[Tile.STAIRS_DOWN] = STAIRS_DOWN
FLOOR_TEXTURE[Tile.STAIRS_UP] = STAIRS_UP
FLOOR_TEXTURE[Tile.DOOR_OPEN] = THRESHOLD
FLOOR_TEXTURE[Tile.EXIT] = EXIT

#: Ceiling texture of each tile code: a lit opening above stairs leading up.
CEILING_TEXTURE = np.full(TILE_COUNT, CEILING, np.int32)
CEILING_TEXTURE[Tile.STAIRS_UP] = CEILING_HOLE
CEILING_TEXTURE[Tile.EXIT] = CEILING_HOLE

#: Wall-plane texture of each opaque tile code (-1: not drawn in the wall plane).
WALL_TEXTURE = np.full(TILE_COUNT, -1, np.int32)
WALL_TEXTURE[Tile.WALL] = WALL_STONE
WALL_TEXTURE[Tile.DOOR_CLOSED] = DOOR
WALL_TEXTURE[Tile.DOOR_LOCKED] = DOOR_LOCKED


def _grid() -> tuple[np.ndarray, np.ndarray]:
    """Texel coordinates ``(u, v)``, each ``(TEX, TEX)`` int, indexed ``[u, v]``."""
    return np.meshgrid(np.arange(TEX), np.arange(TEX), indexing="ij")


def _noise(rng: np.random.Generator, amount: float, cell: int = 1) -> np.ndarray:
    """Smooth-ish value noise in ``[-amount, amount]``, blocky at ``cell`` texels."""
    coarse = rng.uniform(-amount, amount, (TEX // cell, TEX // cell))
    return np.repeat(np.repeat(coarse, cell, axis=0), cell, axis=1)


def _colour(base: tuple[int, int, int], light: np.ndarray) -> np.ndarray:
    """``base`` scaled by the per-texel ``light`` factor, as uint8 ``(TEX, TEX, 3)``."""
    rgb = np.asarray(base, np.float64)[None, None, :] * light[:, :, None]
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _bricks(rng: np.random.Generator, base: tuple[int, int, int], moss: float) -> np.ndarray:
    """Staggered stone bricks with mortar lines, per-brick tone and optional moss."""
    u, v = _grid()
    row = v // 16
    shifted = (u + (row % 2) * 16) % TEX
    brick = row * 4 + shifted // 32
    mortar = (v % 16 < 2) | (shifted % 32 < 2)
    tone = rng.uniform(0.75, 1.15, 16)[brick % 16]
    light = tone + _noise(rng, 0.08) + _noise(rng, 0.06, 4)
    light = np.where(mortar, 0.35, light)
    rgb = _colour(base, light).astype(np.float64)
    if moss > 0:
        patch = (_noise(rng, 1.0, 8) + _noise(rng, 0.5, 4)) > 1.1 - moss
        rgb[patch] = rgb[patch] * 0.5 + np.array([40, 90, 30]) * light[patch, None]
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _planks(rng: np.random.Generator, base: tuple[int, int, int]) -> np.ndarray:
    """Vertical wooden planks with grain and a dark frame."""
    u, v = _grid()
    plank = u // 11
    light = rng.uniform(0.8, 1.1, 8)[plank] + 0.08 * np.sin(v * 0.9 + plank * 2.0) + _noise(rng, 0.05)
    light = np.where(u % 11 == 0, 0.45, light)
    border = (u < 4) | (u >= TEX - 4) | (v < 4)
    light = np.where(border, 0.55, light)
    return _colour(base, light)


def _door(rng: np.random.Generator, locked: bool) -> np.ndarray:
    """A plank door with iron bands; the locked one is banded heavier and has a gold lock."""
    rgb = _planks(rng, (135, 85, 45) if not locked else (110, 60, 40))
    u, v = _grid()
    bands = (14, 46) if not locked else (10, 24, 38, 52)
    iron = np.zeros((TEX, TEX), bool)
    for band in bands:
        iron |= (v >= band) & (v < band + 4) & (u >= 4) & (u < TEX - 4)
    rgb[iron] = (70, 70, 78) if not locked else (95, 95, 105)
    handle = (u - 50) ** 2 + (v - 32) ** 2 <= 6
    rgb[handle] = (40, 40, 40)
    if locked:
        plate = (np.abs(u - 48) <= 5) & (np.abs(v - 33) <= 7)
        rgb[plate] = (220, 180, 40)
        hole = (np.abs(u - 48) <= 1) & (v >= 31) & (v <= 36)
        rgb[hole] = (20, 15, 10)
    return rgb


def _flagstones(rng: np.random.Generator, base: tuple[int, int, int], size: int) -> np.ndarray:
    """Square flagstones of ``size`` texels with grout and per-stone tone."""
    u, v = _grid()
    stone = (v // size) * (TEX // size) + u // size
    tone = rng.uniform(0.8, 1.1, (TEX // size) ** 2)[stone]
    light = tone + _noise(rng, 0.06) + _noise(rng, 0.05, 4)
    grout = (u % size < 1) | (v % size < 1)
    return _colour(base, np.where(grout, 0.45, light))


def _liquid(rng: np.random.Generator, base: tuple[int, int, int], crest: tuple[int, int, int],
            glow: bool) -> np.ndarray:
    """Water (wave crests) or lava (bright cracks): a base tone with a wavy highlight pattern."""
    u, v = _grid()
    wave = np.sin(u * 2 * np.pi / 32 + 3 * np.sin(v * 2 * np.pi / 64)) * np.sin(v * 2 * np.pi / 16)
    light = 0.9 + 0.12 * wave + _noise(rng, 0.05, 2)
    rgb = _colour(base, light).astype(np.float64)
    lines = wave > (0.75 if not glow else 0.6)
    rgb[lines] = crest
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _steps(floor: np.ndarray, down: bool) -> np.ndarray:
    """Square stairs inside a coloured rim, in bold bands that survive grazing angles.

    Going down, the steps darken towards the centre (a pit); going up they lighten.
    """
    u, v = _grid()
    ring = np.maximum(np.abs(u - TEX / 2 + 0.5), np.abs(v - TEX / 2 + 0.5))  # 0 centre .. 32 border
    step = np.clip(ring // 7, 0, 4).astype(int)  # 0 at the centre, 4 next to the rim
    light = (0.12 + 0.2 * step) if down else (1.5 - 0.15 * step)
    light = np.where((ring % 7) < 2, light * 0.55, light)  # the riser of each step
    rgb = floor.astype(np.float64) * light[:, :, None]
    rim = ring >= 28
    rgb[rim] = (200, 160, 80) if down else (170, 200, 235)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _exit(floor: np.ndarray) -> np.ndarray:
    """The exit: a glowing green portal ring on the flagstones, lit from the opening above."""
    u, v = _grid()
    r = np.hypot(u - TEX / 2 + 0.5, v - TEX / 2 + 0.5)
    rgb = floor.astype(np.float64) * 1.2
    rgb[r < 28] = (40, 150, 70)
    rgb[r < 22] = (120, 235, 140)
    rgb[r < 14] = (210, 255, 215)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _hole(ceiling: np.ndarray) -> np.ndarray:
    """The ceiling with a bright square opening (light falling down the stairs)."""
    u, v = _grid()
    d = np.maximum(np.abs(u - TEX / 2 + 0.5), np.abs(v - TEX / 2 + 0.5))
    rgb = ceiling.copy()
    rgb[d < 26] = (150, 150, 170)
    rgb[d < 22] = (215, 215, 235)
    return rgb


def _threshold(floor: np.ndarray) -> np.ndarray:
    """The floor under an open door: flagstones crossed by a wooden sill."""
    u, v = _grid()
    rgb = floor.copy()
    sill = (np.abs(u - TEX / 2) < 8) & (np.abs(v - TEX / 2) < 8)
    rgb[sill] = (110, 72, 40)
    return rgb


@cache
def texture_atlas() -> np.ndarray:
    """All textures as a read-only uint8 array ``[TEXTURE_COUNT, TEX, TEX, 3]`` indexed ``[id, u, v]``."""
    rng = np.random.default_rng(6)
    atlas = np.zeros((TEXTURE_COUNT, TEX, TEX, 3), np.uint8)
    atlas[WALL_STONE] = _bricks(rng, (128, 122, 112), moss=0.0)
    atlas[WALL_MOSSY] = _bricks(rng, (122, 120, 110), moss=0.35)
    atlas[DOOR] = _door(rng, locked=False)
    atlas[DOOR_LOCKED] = _door(rng, locked=True)
    atlas[DOOR_FRAME] = _planks(rng, (90, 58, 32))
    atlas[FLOOR] = _flagstones(rng, (108, 100, 88), 16)
    atlas[CEILING] = _flagstones(rng, (62, 60, 64), 32)
    atlas[WATER] = _liquid(rng, (40, 80, 170), (120, 170, 240), glow=False)
    atlas[LAVA] = _liquid(rng, (190, 60, 10), (255, 200, 60), glow=True)
    atlas[STAIRS_DOWN] = _steps(atlas[FLOOR], down=True)
    atlas[STAIRS_UP] = _steps(atlas[FLOOR], down=False)
    atlas[CEILING_HOLE] = _hole(atlas[CEILING])
    atlas[THRESHOLD] = _threshold(atlas[FLOOR])
    atlas[EXIT] = _exit(atlas[FLOOR])
    atlas.flags.writeable = False
    return atlas

