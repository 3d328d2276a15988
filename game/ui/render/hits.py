"""Hit feedback drawn over the world view: a red edge flash and an arrow towards the attacker, with
the damage taken; and the box of the large automap (M).

In first person the arrow is relative to the facing (up = ahead); on the map views
up is north, and the isometric view turns it as its grid is turned.
"""

from __future__ import annotations

import math

import pygame

from game.ui.render.text import TextCache
from game.ui.view_state import ViewMode, ViewState

MARK = (255, 60, 50)
NUMBER = (255, 235, 120)
EDGE = 10  # pixels of the red frame when just hit


def big_map_rect(view_rect: pygame.Rect) -> pygame.Rect:
    """The large automap's box: most of the world view."""
    return view_rect.inflate(-view_rect.width // 10, -view_rect.height // 10)


def screen_angle(angle: float, facing: float, mode: ViewMode) -> float:
    """Screen angle (radians, 0 = right, pi/2 = down) of world direction ``angle`` in ``mode``."""
    if mode is ViewMode.FIRST_PERSON:
        return angle - facing - math.pi / 2  # ahead is up
    if mode is ViewMode.ISOMETRIC:
        dy, dx = math.sin(angle), math.cos(angle)
        return math.atan2((dx + dy) / 2, dx - dy)
    return angle


def draw_hit_marks(surface: pygame.Surface, rect: pygame.Rect, view: ViewState, mode: ViewMode,
                   text: TextCache | None) -> None:
    """The viewer's hit markers of ``view.effects``: edge flash, arrow to the attacker, damage number."""
    mine = [e for e in view.effects if e.on_viewer]
    if not mine:
        return
    newest = min(mine, key=lambda e: e.age)
    if newest.age < 0.25:
        pygame.draw.rect(surface, MARK, rect, EDGE)
    cx, cy = rect.center
    radius = min(rect.width, rect.height) * 0.36
    for effect in mine:
        fade = max(0.0, 1.0 - effect.age)
        colour = tuple(int(c * (0.35 + 0.65 * fade)) for c in MARK)
        if effect.angle is not None:
            a = screen_angle(effect.angle, view.facing, mode)
            tip = (cx + math.cos(a) * (radius + 26), cy + math.sin(a) * (radius + 26))
            left = (cx + math.cos(a - 0.22) * radius, cy + math.sin(a - 0.22) * radius)
            right = (cx + math.cos(a + 0.22) * radius, cy + math.sin(a + 0.22) * radius)
            pygame.draw.polygon(surface, colour, (tip, left, right))
        if text:
            lift = int(30 * effect.age)
            text.draw(surface, effect.text, (cx, int(cy + radius * 0.55) - lift), 34, NUMBER, anchor="center")
