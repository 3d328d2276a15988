"""The help overlay (F1): the key bindings the app passes, over a dimmed frame."""

from __future__ import annotations

from collections.abc import Sequence

import pygame

from game.ui.render.palette import PANEL, PANEL_EDGE
from game.ui.render.text import TextCache

HEAD_SIZE, ROW_SIZE, FOOT_SIZE = 30, 22, 18
ROW = 22  # pixels per text line
GAP = 4  # extra pixels between bindings
PAD = 24  # inner margin of the box
HEAD_H, FOOT_H = 56, 30
KEY_COLOUR = (255, 215, 120)
ACTION_COLOUR = (225, 220, 210)
FOOT_COLOUR = (150, 145, 140)


def _rows(bindings: Sequence[tuple[str, str]], text: TextCache, width: int) -> tuple[int, list[tuple[str, list[str]]]]:
    """The key column's width and each binding's action wrapped to fit a box ``width`` wide."""
    font = text.font(ROW_SIZE)
    key_w = max((font.size(key)[0] for key, _ in bindings), default=0)
    action_w = max(40, width - 2 * PAD - key_w - PAD)
    return key_w, [(key, text.wrap(action, ROW_SIZE, action_w) or [""]) for key, action in bindings]


def help_box(size: tuple[int, int], bindings: Sequence[tuple[str, str]], text: TextCache) -> pygame.Rect:
    """The overlay's box for ``bindings``, as wide as they need (up to the frame) and centred."""
    font = text.font(ROW_SIZE)
    need = max((font.size(key)[0] + PAD + font.size(action)[0] for key, action in bindings), default=200)
    width = max(1, min(size[0] - 40, need + 2 * PAD))
    _, rows = _rows(bindings, text, width)
    lines = sum(len(wrapped) for _, wrapped in rows)
    height = max(1, min(size[1] - 40, HEAD_H + lines * ROW + len(rows) * GAP + FOOT_H))
    box = pygame.Rect(0, 0, width, height)
    box.center = (size[0] // 2, size[1] // 2)
    return box


def draw_help(surface: pygame.Surface, bindings: Sequence[tuple[str, str]], text: TextCache,
              draw_text: bool = True, title: str = "Controls") -> None:
    """Dim the frame and list ``(key, action)`` pairs in two columns, long actions wrapped.

    With ``draw_text`` False only the dimming and the box are drawn (the same box).
    """
    shade = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
    shade.fill((0, 0, 0, 160))
    surface.blit(shade, (0, 0))
    box = help_box(surface.get_size(), bindings, text)
    pygame.draw.rect(surface, PANEL, box)
    pygame.draw.rect(surface, PANEL_EDGE, box, 2)
    if not draw_text:
        return
    text.draw(surface, title, (box.centerx, box.y + 14), HEAD_SIZE, KEY_COLOUR, anchor="midtop")
    key_w, rows = _rows(bindings, text, box.width)
    clip = surface.get_clip()
    surface.set_clip(pygame.Rect(box.x, box.y + HEAD_H, box.width, box.height - HEAD_H - FOOT_H))
    y = box.y + HEAD_H
    for key, wrapped in rows:
        text.draw(surface, key, (box.x + PAD, y), ROW_SIZE, KEY_COLOUR)
        for line in wrapped:
            text.draw(surface, line, (box.x + 2 * PAD + key_w, y), ROW_SIZE, ACTION_COLOUR)
            y += ROW
        y += GAP
    surface.set_clip(clip)
    text.draw(surface, "F1 closes this help", (box.centerx, box.bottom - 8), FOOT_SIZE, FOOT_COLOUR,
              anchor="midbottom")
