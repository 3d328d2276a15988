"""The side panel: title, floor and turn, HP bar, stats, inventory, buff and the message log.

Shapes (panel, bars, item swatches) and text are drawn separately: with ``text=None``
only the shapes are drawn, so tests can compare frames pixel by pixel without fonts.
"""

from __future__ import annotations

import pygame

from game.ui.render.palette import PANEL, PANEL_EDGE, dim
from game.ui.render.sprites import ITEM_COLOUR
from game.ui.render.text import TextCache
from game.ui.view_state import Hud

TITLE_SIZE, TEXT_SIZE, SMALL_SIZE = 24, 20, 18
LINE = 20  # pixels between text lines
HP_BAR_H = 16
TEXT = (225, 220, 210)
MUTED = (150, 145, 140)
TITLE = (255, 215, 120)
BUFF = (120, 200, 255)
BADGE = (255, 190, 90)
HP_FULL, HP_EMPTY = (50, 190, 60), (110, 25, 30)
WRAP_LINES = 2  # lines the ranged weapon and potion entries may wrap to (room is kept for them)
WRAPPED = ("ranged", "potion")


def draw_panel(surface: pygame.Surface, rect: pygame.Rect) -> None:
    """The panel's background and its left edge."""
    surface.fill(PANEL, rect)
    pygame.draw.line(surface, PANEL_EDGE, rect.topleft, rect.bottomleft, 2)


def draw_stats(surface: pygame.Surface, rect: pygame.Rect, hud: Hud, text: TextCache | None) -> None:
    """Title, floor/turn, HP bar, ATK/DEF/DEX, inventory lines with swatches and the active buff."""
    x, y = rect.x, rect.y
    if text:
        text.draw(surface, hud.title or "Mindcrawl", (x, y), TITLE_SIZE, TITLE)
        text.draw(surface, f"Floor {hud.floor + 1}/{hud.floors}", (x, y + LINE + 4), TEXT_SIZE, TEXT)
        text.draw(surface, f"Turn {hud.turn}", (rect.right, y + LINE + 4), TEXT_SIZE, TEXT, anchor="topright")
    y += 2 * LINE + 10
    bar = pygame.Rect(x, y, rect.width, HP_BAR_H)
    pygame.draw.rect(surface, HP_EMPTY, bar)
    frac = hud.hp / hud.max_hp if hud.max_hp > 0 else 0.0
    filled = int(round(bar.width * min(max(frac, 0.0), 1.0)))
    if filled:
        pygame.draw.rect(surface, HP_FULL, (bar.x, bar.y, filled, bar.height))
    pygame.draw.rect(surface, PANEL_EDGE, bar, 1)
    if text:
        text.draw(surface, f"HP {hud.hp}/{hud.max_hp}", bar.center, SMALL_SIZE, (255, 255, 255), anchor="center")
        x1 = x
        for label, value, bonus in (("ATK", hud.atk, hud.atk_bonus), ("DEF", hud.defense, hud.def_bonus),
                                    ("DEX", hud.dex, 0)):
            shown = f"{label} {value}" + (f" ({bonus:+d})" if bonus else "")
            x1 = text.draw(surface, shown, (x1, bar.bottom + 8), TEXT_SIZE, BUFF if bonus else TEXT).right + 14
    y = bar.bottom + 8 + LINE + 6
    rows = (("melee", "Melee", hud.melee), ("ranged", "Ranged", hud.ranged), ("potion", "Potion", hud.potion),
            ("key", "Keys", str(hud.keys) if hud.keys else ""))
    for kind, name, value in rows:
        swatch = pygame.Rect(x, y + 3, 10, 10)
        pygame.draw.rect(surface, ITEM_COLOUR[kind] if value else dim(ITEM_COLOUR[kind], 0.3), swatch)
        parts = [f"{name}: -"]
        if text:
            parts = text.wrap(f"{name}: {value}", SMALL_SIZE, rect.width - 16) if value else parts
            for k, part in enumerate(parts[:WRAP_LINES if kind in WRAPPED else 1]):  # wrapped, not cut
                text.draw(surface, part, (x + 16, y + k * (LINE - 2)), SMALL_SIZE, TEXT if value else MUTED)
        y += LINE + ((LINE - 2) * (WRAP_LINES - 1) if kind in WRAPPED else 0)  # a fixed layout
    if hud.buff:
        box = pygame.Rect(x, y + 4, rect.width, LINE + 2)
        pygame.draw.rect(surface, dim(BUFF, 0.35), box)
        pygame.draw.rect(surface, BUFF, box, 1)
        if text:
            text.draw(surface, _fit(text, f"Buff {hud.buff}", SMALL_SIZE, box.width - 8), (box.x + 4, box.y + 4),
                      SMALL_SIZE, (235, 245, 255))
        y = box.bottom
    for line in hud.status:
        box = pygame.Rect(x, y + 4, rect.width, LINE + 2)
        pygame.draw.rect(surface, dim(BADGE, 0.3), box)
        pygame.draw.rect(surface, BADGE, box, 1)
        if text:
            text.draw(surface, _fit(text, line, SMALL_SIZE, box.width - 8), (box.x + 4, box.y + 4), SMALL_SIZE,
                      (255, 245, 225))
        y = box.bottom


def draw_log(surface: pygame.Surface, rect: pygame.Rect, messages: tuple[str, ...], text: TextCache | None,
             scrollback: str = "") -> None:
    """The newest messages that fit in ``rect``, wrapped, newest at the bottom and brightest.

    ``scrollback`` (the log is scrolled back) replaces the heading and is highlighted.
    """
    pygame.draw.line(surface, PANEL_EDGE, rect.topleft, rect.topright, 1)
    if not text or rect.height < 2 * LINE:
        return
    heading = scrollback or "Messages (PgUp: older)"
    text.draw(surface, _fit(text, heading, SMALL_SIZE, rect.width), (rect.x, rect.y + 4), SMALL_SIZE,
              BADGE if scrollback else MUTED)
    room = (rect.height - LINE - 6) // LINE
    lines: list[tuple[str, int]] = []
    for age, message in enumerate(reversed(messages)):
        wrapped = text.wrap(message, SMALL_SIZE, rect.width)
        if len(lines) + len(wrapped) > room:
            break  # only whole messages: a cut one would start mid-sentence
        lines[:0] = [(part, age) for part in wrapped]
    y = rect.y + LINE + 6
    for part, age in lines:
        text.draw(surface, part, (rect.x, y), SMALL_SIZE, dim(TEXT, max(0.45, 1.0 - 0.15 * age)))
        y += LINE


def _fit(text: TextCache, line: str, size: int, width: int) -> str:
    """``line`` cut with an ellipsis to fit ``width`` pixels."""
    font = text.font(size)
    if font.size(line)[0] <= width:
        return line
    while line and font.size(line + "...")[0] > width:
        line = line[:-1]
    return line + "..."
