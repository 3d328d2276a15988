"""The top-down view: textured cells around the camera, sprites at their fractional positions.

The whole floor is painted once into a cached surface (cells repainted when their
tile or state changes); each frame blits the part around the camera, then draws agents as
faction-coloured tokens with health bars, items as icons, the viewer as an arrow and
the planned paths as lines.
"""

from __future__ import annotations

import math

import numpy as np
import pygame

from game.ui.render.cells import REMEMBERED, VISIBLE, cell_states
from game.ui.render.icons import IconCache, draw_hp_bar
from game.ui.render.palette import BACKGROUND, MAP_LIGHT, PATH_COLOURS, VIEWER, dim
from game.ui.render.sprites import sprite_colour
from game.ui.render.text import Label
from game.ui.render.textures import FLOOR_TEXTURE, TEX, WALL_TEXTURE, texture_atlas
from game.ui.view_state import ViewState
from levels.tiles import TILE_COUNT, Tile

CELL = 30  # pixels per cell
FLOOR_GAIN, WALL_GAIN = 1.25, 0.42  # floors brighter, walls darker than their textures: corridors read at a glance
DOOR_WOOD = np.array([150, 95, 45], np.float64)
DOOR_EDGE = np.array([60, 35, 15], np.float64)
KEYHOLE = np.array([255, 215, 0], np.float64)


def cell_images(cell: int) -> np.ndarray:
    """``(3, TILE_COUNT, cell, cell, 3)`` uint8 images of every tile in every cell state, ``[.., x, y, rgb]``.

    Floors show their floor texture, brightened; walls their wall-plane texture, darkened,
    with a light top-left bevel so blocks stand out. Doors are drawn as doors: an open one
    as a wooden frame around a floor threshold, a closed one as a plank slab with a dark
    outline, a locked one with a golden keyhole.
    """
    atlas = texture_atlas().astype(np.float64)
    pick = np.arange(cell) * TEX // cell
    images = np.zeros((3, TILE_COUNT, cell, cell, 3))
    for t in range(TILE_COUNT):
        solid = WALL_TEXTURE[t] >= 0
        tex = atlas[WALL_TEXTURE[t] if solid else FLOOR_TEXTURE[t]][np.ix_(pick, pick)]
        if t == Tile.WALL:
            bevel = max(1, cell // 10)
            tex = tex * WALL_GAIN
            tex[:bevel, :] *= 1.8
            tex[:, :bevel] *= 1.8
            tex[-bevel:, :] *= 0.5
            tex[:, -bevel:] *= 0.5
        elif t in (Tile.DOOR_CLOSED, Tile.DOOR_LOCKED):
            tex = np.broadcast_to(DOOR_WOOD, tex.shape).copy()
            tex[:, cell // 3::max(1, cell // 3)] *= 0.7  # plank seams
            edge = max(2, cell // 8)
            tex[:edge], tex[-edge:], tex[:, :edge], tex[:, -edge:] = DOOR_EDGE, DOOR_EDGE, DOOR_EDGE, DOOR_EDGE
            if t == Tile.DOOR_LOCKED:
                k = max(2, cell // 6)
                tex[cell // 2 - k:cell // 2 + k, cell // 2 - k:cell // 2 + k] = KEYHOLE
        elif t == Tile.DOOR_OPEN:
            tex = atlas[FLOOR_TEXTURE[Tile.FLOOR]][np.ix_(pick, pick)] * FLOOR_GAIN
            edge = max(3, cell // 6)
            tex[:edge], tex[-edge:], tex[:, :edge], tex[:, -edge:] = DOOR_WOOD, DOOR_WOOD, DOOR_WOOD, DOOR_WOOD
        else:
            tex = tex * FLOOR_GAIN
        for s in (REMEMBERED, VISIBLE):
            images[s, t] = tex * MAP_LIGHT[s]
    return np.clip(images, 0, 255).astype(np.uint8)


def paint_floor(tiles: np.ndarray, states: np.ndarray, images: np.ndarray) -> np.ndarray:
    """The whole floor as an ``(W * cell, H * cell, 3)`` uint8 array indexed ``[x, y]``."""
    height, width = tiles.shape
    cell = images.shape[2]
    cells = images[states, tiles]  # (H, W, cell_x, cell_y, 3)
    return np.ascontiguousarray(cells.transpose(1, 2, 0, 3, 4).reshape(width * cell, height * cell, 3))


class TopDownRenderer:
    """Draws the top-down view of a ViewState, centred on the camera."""

    def __init__(self, cell: int = CELL, icons: IconCache | None = None) -> None:
        self.cell = cell
        self.icons = icons or IconCache()
        self._images = cell_images(cell)
        self._floor: pygame.Surface | None = None
        self._tiles: np.ndarray | None = None  # what self._floor shows
        self._states: np.ndarray | None = None

    def _floor_surface(self, view: ViewState) -> pygame.Surface:
        """The painted floor, updated in place where tiles or cell states changed since the last frame."""
        tiles = np.asarray(view.tiles, dtype=np.uint8)
        states = cell_states(view)
        if self._floor is None or self._tiles is None or self._tiles.shape != tiles.shape:
            self._floor = pygame.surfarray.make_surface(paint_floor(tiles, states, self._images))
        else:
            changed = np.argwhere((tiles != self._tiles) | (states != self._states))
            if len(changed) > tiles.size // 4:
                pygame.surfarray.blit_array(self._floor, paint_floor(tiles, states, self._images))
            elif len(changed):
                pixels = pygame.surfarray.pixels3d(self._floor)
                c = self.cell
                for y, x in changed.tolist():
                    pixels[x * c:(x + 1) * c, y * c:(y + 1) * c] = self._images[states[y, x], tiles[y, x]]
                del pixels  # unlocks the surface
        self._tiles, self._states = tiles.copy(), states
        return self._floor

    def to_screen(self, rect: pygame.Rect, view: ViewState, y: float, x: float) -> tuple[int, int]:
        """The pixel of world point ``(y, x)`` (cell centres at integers) in this view."""
        return (rect.centerx + int(round((x - view.camera_x) * self.cell)),
                rect.centery + int(round((y - view.camera_y) * self.cell)))

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, view: ViewState) -> list[Label]:
        """Draw ``view`` into ``rect`` of ``surface``; returns where the sprites' labels go."""
        clip = surface.get_clip()
        surface.set_clip(rect)
        surface.fill(BACKGROUND, rect)
        origin = self.to_screen(rect, view, -0.5, -0.5)  # the map's top-left corner
        surface.blit(self._floor_surface(view), origin)
        self._draw_paths(surface, rect, view)
        labels = self._draw_sprites(surface, rect, view)
        self._draw_viewer(surface, rect, view)
        surface.set_clip(clip)
        return labels

    def _draw_paths(self, surface: pygame.Surface, rect: pygame.Rect, view: ViewState) -> None:
        for i, path in enumerate(view.paths):
            points = [self.to_screen(rect, view, y, x) for y, x in path]
            if len(points) >= 2:
                pygame.draw.lines(surface, PATH_COLOURS[i % len(PATH_COLOURS)], False, points, 2)

    def _draw_sprites(self, surface: pygame.Surface, rect: pygame.Rect, view: ViewState) -> list[Label]:
        labels = []
        items = [s for s in view.sprites if s.kind != "agent"]
        agents = [s for s in view.sprites if s.kind == "agent"]
        for sprite in items + agents:  # agents stand on top of items
            cx, cy = self.to_screen(rect, view, sprite.y, sprite.x)
            if sprite.kind == "agent":
                radius = max(3, int(self.cell * 0.36))
                colour = sprite_colour(sprite)
                pygame.draw.circle(surface, dim(colour, 0.4), (cx, cy), radius + 1)
                pygame.draw.circle(surface, colour, (cx, cy), radius)
                if sprite.is_player:
                    pygame.draw.circle(surface, (255, 255, 255), (cx, cy), radius + 2, 2)
                top = cy - radius - max(3, self.cell // 5)
                draw_hp_bar(surface, cx, top, max(8, int(self.cell * 0.8)), sprite.hp_frac)
            else:
                size = max(6, int(self.cell * 0.9))
                pygame.draw.circle(surface, (15, 15, 20), (cx, cy), size // 2)  # a dark disc behind the icon
                surface.blit(self.icons.icon(sprite, size), (cx - size // 2, cy - size // 2))
                top = cy - size // 2
            if sprite.label:
                labels.append(Label(sprite.label, cx, top))
        return labels

    def _draw_viewer(self, surface: pygame.Surface, rect: pygame.Rect, view: ViewState) -> None:
        """An arrow at the camera pointing where it faces."""
        cx, cy = self.to_screen(rect, view, view.camera_y, view.camera_x)
        r = self.cell * 0.45
        c, s = math.cos(view.facing), math.sin(view.facing)
        tip = (cx + c * r, cy + s * r)
        left = (cx - c * r * 0.6 + s * r * 0.6, cy - s * r * 0.6 - c * r * 0.6)
        right = (cx - c * r * 0.6 - s * r * 0.6, cy - s * r * 0.6 + c * r * 0.6)
        pygame.draw.polygon(surface, (30, 25, 10), [tip, left, right], 0)
        shrink = [(cx + (px - cx) * 0.75, cy + (py - cy) * 0.75) for px, py in (tip, left, right)]
        pygame.draw.polygon(surface, VIEWER, shrink, 0)
