"""The first-person "3D-lite" view: raycast walls, floor, ceiling and billboard sprites.

The scene is rendered by the numba kernels of :mod:`game.ui.render.raycast` at a
lower internal resolution (``downscale``) into a numpy buffer, then scaled up into the
view rectangle with ``pygame.transform.scale``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pygame

from game.ui.render.cells import cell_states
from game.ui.render.raycast import cast_scene, draw_sprites
from game.ui.render.sprites import BILLBOARD_SIZE, DEFAULT_BILLBOARD_SIZE, SpriteAtlas
from game.ui.render.text import Label
from game.ui.render.textures import CEILING_TEXTURE, FLOOR_TEXTURE, WALL_TEXTURE, texture_atlas
from game.ui.view_state import Sprite, ViewState

FOV_DEGREES = 72.0  # horizontal field of view
FOG = 0.17  # light falls to 1/e after about six cells
MAX_DIST = 40.0  # cells a ray travels before it gives up in the dark


@dataclass(frozen=True)
class Camera:
    """A ViewState's eye in raycaster terms (grid coordinates, cell centres at +0.5)."""

    pos_x: float
    pos_y: float
    dir_x: float
    dir_y: float
    plane_x: float
    plane_y: float

    @classmethod
    def of(cls, view: ViewState, fov_degrees: float = FOV_DEGREES) -> Camera:
        """The camera of ``view`` with a horizontal field of view of ``fov_degrees``."""
        half = math.tan(math.radians(fov_degrees) / 2)
        c, s = math.cos(view.facing), math.sin(view.facing)
        # With y pointing south, the screen's right is the facing turned +90 degrees.
        return cls(view.camera_x + 0.5, view.camera_y + 0.5, c, s, -s * half, c * half)


class FirstPersonRenderer:
    """Draws the first-person view of a ViewState into a rectangle of a surface.

    Keeps its buffers and sprite images between frames; one instance per window.
    """

    def __init__(self, downscale: int = 2, fov_degrees: float = FOV_DEGREES) -> None:
        self.downscale = max(1, int(downscale))
        self.fov_degrees = fov_degrees
        self.atlas = SpriteAtlas()
        self._buf = np.zeros((1, 1, 3), np.uint8)
        self._depth = np.zeros((1, 1), np.float32)
        self._small: pygame.Surface | None = None

    def _buffers(self, rect: pygame.Rect) -> tuple[np.ndarray, np.ndarray, pygame.Surface]:
        size = (max(1, rect.width // self.downscale), max(1, rect.height // self.downscale))
        if self._small is None or self._small.get_size() != size:
            self._buf = np.zeros((*size, 3), np.uint8)
            self._depth = np.zeros(size, np.float32)
            self._small = pygame.Surface(size)
        return self._buf, self._depth, self._small

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, view: ViewState) -> list[Label]:
        """Draw ``view`` into ``rect`` of ``surface``; returns where the visible sprites' labels go."""
        buf, depth, small = self._buffers(rect)
        cam = Camera.of(view, self.fov_degrees)
        w = buf.shape[0]
        proj = 0.5 * w / math.tan(math.radians(self.fov_degrees) / 2)
        tiles = np.ascontiguousarray(view.tiles, dtype=np.uint8)
        cast_scene(tiles, cell_states(view), texture_atlas(), WALL_TEXTURE, FLOOR_TEXTURE, CEILING_TEXTURE,
                   cam.pos_x, cam.pos_y, cam.dir_x, cam.dir_y, cam.plane_x, cam.plane_y, proj, FOG, MAX_DIST,
                   buf, depth)
        sprites = _far_to_near(view.sprites, cam)
        screen = self._draw_sprites(sprites, cam, proj, buf, depth)
        pygame.surfarray.blit_array(small, buf)
        if small.get_size() == rect.size:
            surface.blit(small, rect)
        else:
            pygame.transform.scale(small, rect.size, surface.subsurface(rect))
        sx, sy = rect.width / w, rect.height / buf.shape[1]
        return [Label(s.label, rect.x + int(screen[i, 0] * sx), rect.y + int(screen[i, 1] * sy))
                for i, s in enumerate(sprites) if s.label and screen[i, 2] > 0]

    def _draw_sprites(self, sprites: list[Sprite], cam: Camera, proj: float, buf: np.ndarray,
                      depth: np.ndarray) -> np.ndarray:
        n = len(sprites)
        screen = np.zeros((n, 3), np.float64)
        if n == 0:
            return screen
        image = np.array([self.atlas.index(s) for s in sprites], np.int64)
        size = np.array([BILLBOARD_SIZE.get(s.kind, DEFAULT_BILLBOARD_SIZE) for s in sprites], np.float64)
        hp = np.array([s.hp_frac if s.kind == "agent" else -1.0 for s in sprites], np.float64)
        sx = np.array([s.x + 0.5 for s in sprites], np.float64)
        sy = np.array([s.y + 0.5 for s in sprites], np.float64)
        draw_sprites(self.atlas.images, sx, sy, image, size, hp, cam.pos_x, cam.pos_y, cam.dir_x, cam.dir_y,
                     cam.plane_x, cam.plane_y, proj, FOG, buf, depth, screen)
        return screen


def _far_to_near(sprites: tuple[Sprite, ...], cam: Camera) -> list[Sprite]:
    """Sprites sorted by depth along the view direction, farthest first (ties keep their order)."""
    def depth(s: Sprite) -> float:
        return (s.x + 0.5 - cam.pos_x) * cam.dir_x + (s.y + 0.5 - cam.pos_y) * cam.dir_y
    return sorted(sprites, key=depth, reverse=True)
