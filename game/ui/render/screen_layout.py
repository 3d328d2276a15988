"""Where each part of the frame goes: the view on the left, the side panel on the right."""

from __future__ import annotations

from dataclasses import dataclass

import pygame

MARGIN = 8
STATS_H = 250  # what hud.draw_stats needs: title, floor, HP bar, stats, 4 inventory rows (2 of them wrap)
BADGE_H = 26  # each badge below them (the buff, status lines such as the goal or an NPC update)


@dataclass(frozen=True)
class Layout:
    """Rectangles of one frame size.

    Attributes:
        view: the world view (first-person, top-down or isometric).
        panel: the side panel behind the HUD.
        stats: the HUD's title, HP bar, stats, inventory, buff, floor and turn.
        minimap: the minimap's box.
        log: the message log.
    """

    view: pygame.Rect
    panel: pygame.Rect
    stats: pygame.Rect
    minimap: pygame.Rect
    log: pygame.Rect


def layout_for(size: tuple[int, int], badges: int = 1) -> Layout:
    """The layout of a ``(width, height)`` frame (a quarter of the width, 200-320 px, for the panel).

    ``badges`` HUD badges (buff, status lines) get room under the stats; the minimap
    and the log share what is left.
    """
    width, height = size
    panel_w = max(200, min(320, width // 4))
    view = pygame.Rect(0, 0, max(1, width - panel_w), height)
    panel = pygame.Rect(view.right, 0, panel_w, height)
    inner = panel.inflate(-2 * MARGIN, -2 * MARGIN)
    stats = pygame.Rect(inner.x, inner.y, inner.width,
                        min(STATS_H + BADGE_H * max(0, badges), inner.height * 3 // 5))
    mini_h = min(inner.width * 2 // 3, max(0, inner.bottom - stats.bottom - MARGIN) // 2)
    minimap = pygame.Rect(inner.x, stats.bottom + MARGIN, inner.width, mini_h)
    log = pygame.Rect(inner.x, minimap.bottom + MARGIN, inner.width, max(0, inner.bottom - minimap.bottom - MARGIN))
    return Layout(view, panel, stats, minimap, log)
