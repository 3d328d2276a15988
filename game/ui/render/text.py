"""Text drawing with pygame's default font, caching rendered lines between frames."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import pygame

CACHE_SIZE = 512  # rendered lines kept (a frame draws about 30)


@dataclass(frozen=True)
class Label:
    """Where to write a sprite's label: surface pixel coordinates of its top centre."""

    text: str
    x: int
    y: int


class TextCache:
    """Renders lines of text once and reuses the surfaces while they stay in use."""

    def __init__(self) -> None:
        self._fonts: dict[int, pygame.font.Font] = {}
        self._lines: OrderedDict[tuple[str, int, tuple[int, int, int]], pygame.Surface] = OrderedDict()
        self._wrapped: OrderedDict[tuple[str, int, int], list[str]] = OrderedDict()

    def font(self, size: int) -> pygame.font.Font:
        """pygame's default font at ``size`` (initialising pygame.font if needed)."""
        found = self._fonts.get(size)
        if found is None:
            if not pygame.font.get_init():
                pygame.font.init()
            found = self._fonts[size] = pygame.font.Font(None, size)
        return found

    def render(self, text: str, size: int, colour: tuple[int, int, int]) -> pygame.Surface:
        """The rendered (antialiased) surface of one line."""
        key = (text, size, tuple(colour))
        found = self._lines.get(key)
        if found is None:
            found = self._lines[key] = self.font(size).render(text, True, colour)
            if len(self._lines) > CACHE_SIZE:
                self._lines.popitem(last=False)
        else:
            self._lines.move_to_end(key)
        return found

    def draw(self, surface: pygame.Surface, text: str, pos: tuple[int, int], size: int,
             colour: tuple[int, int, int], anchor: str = "topleft") -> pygame.Rect:
        """Draw one line with its ``anchor`` point (a pygame.Rect attribute name) at ``pos``."""
        line = self.render(text, size, colour)
        rect = line.get_rect(**{anchor: pos})
        surface.blit(line, rect)
        return rect

    def wrap(self, text: str, size: int, width: int) -> list[str]:
        """``text`` broken at spaces into lines at most ``width`` pixels wide (long words are cut).

        Results are cached: the HUD wraps the same log lines every frame.
        """
        key = (text, size, width)
        found = self._wrapped.get(key)
        if found is None:
            found = self._wrapped[key] = self._wrap(text, size, width)
            if len(self._wrapped) > CACHE_SIZE:
                self._wrapped.popitem(last=False)
        else:
            self._wrapped.move_to_end(key)
        return list(found)

    def _wrap(self, text: str, size: int, width: int) -> list[str]:
        font = self.font(size)
        lines: list[str] = []
        current = ""
        for word in text.split():
            candidate = f"{current} {word}" if current else word
            if font.size(candidate)[0] <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            while font.size(word)[0] > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and font.size(word[:cut])[0] > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        if current:
            lines.append(current)
        return lines
