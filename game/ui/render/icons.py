"""Sprite images as pygame surfaces at a given pixel size, for the map views."""

from __future__ import annotations

import numpy as np
import pygame

from game.ui.render.sprites import SpriteAtlas
from game.ui.view_state import Sprite


class IconCache:
    """Scaled RGBA surfaces of sprite images, painted once per ``(kind, colour, size)``."""

    def __init__(self, atlas: SpriteAtlas | None = None) -> None:
        self.atlas = atlas or SpriteAtlas()
        self._surfaces: dict[tuple[int, int], pygame.Surface] = {}

    def icon(self, sprite: Sprite, size: int) -> pygame.Surface:
        """``sprite``'s image as a ``size x size`` surface with per-pixel alpha."""
        index = self.atlas.index(sprite)
        key = (index, size)
        found = self._surfaces.get(key)
        if found is None:
            rgba = self.atlas.images[index]
            base = pygame.Surface(rgba.shape[:2], pygame.SRCALPHA)
            pygame.surfarray.blit_array(base, np.ascontiguousarray(rgba[:, :, :3]))
            pygame.surfarray.pixels_alpha(base)[:] = rgba[:, :, 3]
            found = self._surfaces[key] = pygame.transform.scale(base, (size, size))
        return found


def draw_hp_bar(surface: pygame.Surface, centre_x: int, top: int, width: int, hp_frac: float) -> None:
    """A small health bar centred at ``centre_x``: green for the HP left, red for the rest."""
    height = max(2, width // 8)
    left = centre_x - width // 2
    green = int(round(width * min(max(hp_frac, 0.0), 1.0)))
    pygame.draw.rect(surface, (200, 30, 40), (left, top, width, height))
    if green:
        pygame.draw.rect(surface, (40, 210, 40), (left, top, green, height))
