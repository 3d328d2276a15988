"""Top-down pictures of one world, built with numpy only (no pygame).

``rgb_frame`` draws every floor side by side (a one-cell gap between floors); agents
are filled squares in their faction's colour, items small squares in their category's
colour. ``ansi_frame`` is the same picture as text.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from game.state import (
    ALIVE,
    FACTION,
    FLOOR,
    HP,
    I_CAT,
    I_F,
    I_LOC,
    I_X,
    I_Y,
    LOC_FLOOR,
    MAX_HP,
    World,
    X,
    Y,
)
from levels.common.errors import UserError
from levels.tiles import TILE_CHARS, Tile

CELL = 8  # pixels per cell

_TILE_RGB = np.zeros((len(Tile), 3), np.uint8)
_TILE_RGB[Tile.WALL] = (40, 40, 48)
_TILE_RGB[Tile.FLOOR] = (150, 140, 120)
_TILE_RGB[Tile.DOOR_OPEN] = (170, 120, 60)
_TILE_RGB[Tile.DOOR_CLOSED] = (120, 70, 30)
_TILE_RGB[Tile.DOOR_LOCKED] = (90, 40, 20)
_TILE_RGB[Tile.STAIRS_DOWN] = (230, 230, 230)
_TILE_RGB[Tile.STAIRS_UP] = (190, 190, 255)
_TILE_RGB[Tile.WATER] = (60, 110, 200)
_TILE_RGB[Tile.LAVA] = (220, 80, 20)
_TILE_RGB[Tile.EXIT] = (60, 200, 90)

_FACTION_RGB = np.array([(40, 200, 60), (200, 30, 30), (200, 60, 200), (230, 200, 40),
                         (40, 200, 200), (255, 255, 255)], np.uint8)
_ITEM_RGB = np.array([(230, 230, 230), (120, 220, 255), (255, 80, 200), (255, 215, 0), (255, 160, 0)],
                     np.uint8)
_ITEM_CHARS = (")", "}", "!", "-", "*")
_TILE_CHAR = np.array([TILE_CHARS[Tile(t)] for t in range(len(Tile))])


def rgb_frame(world: World, b: int = 0) -> np.ndarray:
    """An ``(H*CELL, (F*(W+1)-1)*CELL, 3)`` uint8 image of world ``b``."""
    tiles = world.tiles[b]
    F, H, W = tiles.shape
    grid = np.zeros((H, F * (W + 1) - 1, 3), np.uint8)
    for f in range(F):
        grid[:, f * (W + 1):f * (W + 1) + W] = _TILE_RGB[tiles[f]]
    image = np.repeat(np.repeat(grid, CELL, axis=0), CELL, axis=1)
    q = CELL // 4
    for row in world.it[b]:
        if row[I_LOC] == LOC_FLOOR:
            y0, x0 = row[I_Y] * CELL, (row[I_F] * (W + 1) + row[I_X]) * CELL
            image[y0 + q:y0 + CELL - q, x0 + q:x0 + CELL - q] = _ITEM_RGB[row[I_CAT]]
    for ag in world.ag[b]:
        if ag[ALIVE]:
            y0, x0 = ag[Y] * CELL, (ag[FLOOR] * (W + 1) + ag[X]) * CELL
            image[y0 + 1:y0 + CELL - 1, x0 + 1:x0 + CELL - 1] = \
                _FACTION_RGB[ag[FACTION] % len(_FACTION_RGB)]
    return image


def ansi_frame(world: World, names: tuple[str, ...], b: int = 0) -> str:
    """World ``b`` as text: floors side by side, then one status line per living agent.

    Agents are drawn as the first letter of their faction (upper case for faction 0),
    items as ``)`` melee, ``}`` ranged, ``!`` potion, ``-`` key.
    """
    tiles = world.tiles[b]
    F, H, W = tiles.shape
    rows = [[" "] * (F * (W + 1) - 1) for _ in range(H)]
    for f in range(F):
        chars = _TILE_CHAR[tiles[f]]
        for y in range(H):
            rows[y][f * (W + 1):f * (W + 1) + W] = chars[y]
    for row in world.it[b]:
        if row[I_LOC] == LOC_FLOOR:
            rows[row[I_Y]][row[I_F] * (W + 1) + row[I_X]] = _ITEM_CHARS[row[I_CAT]]
    status = []
    for a, ag in enumerate(world.ag[b]):
        if ag[ALIVE]:
            letter = names[a][0]
            rows[ag[Y]][ag[FLOOR] * (W + 1) + ag[X]] = letter.upper() if ag[FACTION] == 0 else letter
            status.append(f"{names[a]}: hp {ag[HP]}/{ag[MAX_HP]} at {ag[FLOOR]},{ag[Y]},{ag[X]}")
    turn = int(world.wi[b, 0])
    return "\n".join(["".join(r) for r in rows] + [f"turn {turn}"] + status)


RENDER_MODES = ("human", "rgb_array", "ansi")
RENDER_FPS = 8


class EnvRenderer:
    """The render modes the environment views share, for world 0 of a simulator.

    ``rgb_array`` returns a top-down image, ``ansi`` a text frame, ``human`` shows the
    image in a pygame window (:mod:`game.envs.window`, imported only then).
    """

    def __init__(self, mode: str | None) -> None:
        if mode is not None and mode not in RENDER_MODES:
            raise UserError(f"render_mode must be one of {', '.join(RENDER_MODES)} or None, got {mode!r}")
        self.mode = mode
        self._viewer: Any = None

    def render(self, world: World, names: tuple[str, ...]) -> np.ndarray | str | None:
        """Draw world 0 as the mode asks (None, with a warning, when there is no mode)."""
        if self.mode is None:
            gym.logger.warn("render() called without a render_mode")
            return None
        if self.mode == "ansi":
            return ansi_frame(world, names)
        frame = rgb_frame(world)
        if self.mode == "rgb_array":
            return frame
        if self._viewer is None:
            from game.envs.window import Viewer

            self._viewer = Viewer(fps=RENDER_FPS)
        self._viewer.show(frame)
        return None

    def close(self) -> None:
        """Release the viewer window, if any."""
        if self._viewer is not None:
            self._viewer.close()
            self._viewer = None
