"""A box of wrapped text at the bottom of the world view (look descriptions, questions)."""

from __future__ import annotations

from collections.abc import Sequence

import pygame

from game.ui.render.palette import PANEL, PANEL_EDGE
from game.ui.render.screen_layout import layout_for

PAD = 10
TITLE_COLOUR = (255, 215, 120)
TEXT_COLOUR = (230, 228, 220)


def wrap(font: pygame.font.Font, text: str, width: int) -> list[str]:
    """``text`` broken at spaces into lines at most ``width`` pixels wide."""
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and font.size(candidate)[0] > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return lines + ([current] if current else [])


def draw_note_box(surface: pygame.Surface, font: pygame.font.Font, title: str, lines: Sequence[str],
                  text: bool = True) -> pygame.Rect:
    """Draw ``title`` and ``lines`` (wrapped) in a box along the bottom of the view; returns the box."""
    view = layout_for(surface.get_size()).view
    width = view.width - 2 * PAD
    line = font.get_linesize()
    wrapped = [part for row in lines for part in (wrap(font, row, width - 2 * PAD) or [""])]
    height = min(view.height - 2 * PAD, (len(wrapped) + 1) * line + 2 * PAD)
    box = pygame.Rect(view.x + PAD, view.bottom - PAD - height, width, height)
    shade = pygame.Surface(box.size, pygame.SRCALPHA)
    shade.fill((*PANEL, 235))
    surface.blit(shade, box.topleft)
    pygame.draw.rect(surface, PANEL_EDGE, box, 2)
    if text:
        y = box.y + PAD
        surface.blit(font.render(title, True, TITLE_COLOUR), (box.x + PAD, y))
        for part in wrapped:
            y += line
            surface.blit(font.render(part, True, TEXT_COLOUR), (box.x + PAD, y))
    return box
