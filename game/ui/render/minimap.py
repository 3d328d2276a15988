"""The minimap: explored cells, the cells in view highlighted, the viewer and planned paths."""

from __future__ import annotations

import math

import numpy as np
import pygame

from game.ui.render.cells import VISIBLE, cell_states
from game.ui.render.firstperson import FOV_DEGREES
from game.ui.render.palette import BACKGROUND, PANEL_EDGE, PATH_COLOURS, VIEWER, state_tile_colours
from game.ui.render.sprites import sprite_colour
from game.ui.view_state import ViewState

FOV_TINT = np.array([40, 34, 0], np.int16)  # added to cells in view, a warm glow
CONE = (200, 190, 120)  # the edges of the first-person view


def minimap_pixels(view: ViewState) -> np.ndarray:
    """One RGB pixel per cell, ``(W, H, 3)`` uint8 indexed ``[x, y]``: dark if unexplored, dim if remembered."""
    states = cell_states(view)
    rgb = state_tile_colours()[states, np.asarray(view.tiles)].astype(np.int16)
    rgb[states == VISIBLE] += FOV_TINT
    return np.ascontiguousarray(np.clip(rgb, 0, 255).astype(np.uint8).transpose(1, 0, 2))


class Minimap:
    """Draws the whole floor scaled to fit a box, keeping square cells."""

    def scale(self, rect: pygame.Rect, view: ViewState) -> int:
        """Pixels per cell: the largest whole number that fits the floor in ``rect`` (at least 1)."""
        height, width = np.shape(view.tiles)
        return max(1, min(rect.width // max(1, width), rect.height // max(1, height)))

    def origin(self, rect: pygame.Rect, view: ViewState) -> tuple[int, int]:
        """Top-left pixel of the map inside ``rect`` (centred)."""
        height, width = np.shape(view.tiles)
        k = self.scale(rect, view)
        return rect.x + (rect.width - width * k) // 2, rect.y + (rect.height - height * k) // 2

    def to_screen(self, rect: pygame.Rect, view: ViewState, y: float, x: float) -> tuple[int, int]:
        """The pixel of world point ``(y, x)`` (cell centres at integers) on the minimap."""
        k = self.scale(rect, view)
        ox, oy = self.origin(rect, view)
        return ox + int((x + 0.5) * k), oy + int((y + 0.5) * k)

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, view: ViewState) -> None:
        """Draw the minimap of ``view`` into ``rect`` of ``surface``."""
        if rect.width < 4 or rect.height < 4:
            return
        surface.fill(BACKGROUND, rect)
        pygame.draw.rect(surface, PANEL_EDGE, rect, 1)
        height, width = np.shape(view.tiles)
        k = self.scale(rect, view)
        cells = pygame.surfarray.make_surface(minimap_pixels(view))
        surface.blit(pygame.transform.scale(cells, (width * k, height * k)), self.origin(rect, view))
        clip = surface.get_clip()
        surface.set_clip(rect)
        for i, path in enumerate(view.paths):
            points = [self.to_screen(rect, view, y, x) for y, x in path]
            if len(points) >= 2:
                pygame.draw.lines(surface, PATH_COLOURS[i % len(PATH_COLOURS)], False, points, 1)
        for sprite in view.sprites:
            if sprite.kind == "agent" and not sprite.is_player:
                x, y = self.to_screen(rect, view, sprite.y, sprite.x)
                pygame.draw.circle(surface, sprite_colour(sprite), (x, y), max(1, k // 2))
        self._draw_viewer(surface, rect, view, k)
        surface.set_clip(clip)

    def _draw_viewer(self, surface: pygame.Surface, rect: pygame.Rect, view: ViewState, k: int) -> None:
        """A dot at the camera and the edges of the first-person field of view."""
        cx, cy = self.to_screen(rect, view, view.camera_y, view.camera_x)
        reach = max(8, 4 * k)
        for edge in (-0.5, 0.5):
            angle = view.facing + edge * math.radians(FOV_DEGREES)
            end = (cx + math.cos(angle) * reach, cy + math.sin(angle) * reach)
            pygame.draw.line(surface, CONE, (cx, cy), end, 1)
        pygame.draw.circle(surface, VIEWER, (cx, cy), max(2, k // 2 + 1))
