"""Renderers of a :class:`~game.ui.view_state.ViewState`: first-person, top-down and isometric views, HUD.

Typical use by the app::

    renderer = Renderer()
    renderer.draw(screen, view, ViewMode.FIRST_PERSON, help_keys=bindings if show_help else None)

:func:`draw_frame` does the same with a shared renderer. Pass ``text=False`` to leave
out every piece of text (HUD lines, labels, help), e.g. for pixel comparisons in tests.
Everything works on a plain ``pygame.Surface`` with no window (``SDL_VIDEODRIVER=dummy``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pygame

from game.ui.render.firstperson import FirstPersonRenderer
from game.ui.render.hits import big_map_rect, draw_hit_marks
from game.ui.render.hud import draw_log, draw_panel, draw_stats
from game.ui.render.icons import IconCache
from game.ui.render.isometric import IsometricRenderer
from game.ui.render.minimap import Minimap
from game.ui.render.overlay import draw_help
from game.ui.render.screen_layout import Layout, layout_for
from game.ui.render.text import Label, TextCache
from game.ui.render.topdown import TopDownRenderer
from game.ui.view_state import Sprite, ViewMode, ViewState
from levels.tiles import Tile

LABEL_SIZE = 18
LABEL_COLOUR = (255, 255, 200)


class Renderer:
    """Draws whole frames: the chosen view, the side panel with HUD and minimap, and the help overlay.

    Holds caches (buffers, textures, sprite images, rendered text) between frames; use
    one per window.

    Args:
        downscale: the first-person view renders at 1/downscale resolution, then scales up.
    """

    def __init__(self, downscale: int = 2) -> None:
        icons = IconCache()
        self.first_person = FirstPersonRenderer(downscale)
        self.top_down = TopDownRenderer(icons=icons)
        self.isometric = IsometricRenderer(icons=icons)
        self.minimap = Minimap()
        self.text = TextCache()

    def draw(self, surface: pygame.Surface, view: ViewState, mode: ViewMode | str, *, text: bool = True,
             help_keys: Sequence[tuple[str, str]] | None = None) -> Layout:
        """Draw one frame of ``view`` in ``mode`` over all of ``surface``; returns the layout used.

        Args:
            text: draw text (HUD lines, sprite labels, help); False draws shapes only.
            help_keys: ``(key, action)`` pairs: when given, the help overlay is drawn on top.
        """
        layout = layout_for(surface.get_size(), badges=bool(view.hud.buff) + len(view.hud.status))
        mode = ViewMode(mode)  # also accepts the mode's value, e.g. "top-down"
        views = {ViewMode.FIRST_PERSON: self.first_person, ViewMode.TOP_DOWN: self.top_down,
                 ViewMode.ISOMETRIC: self.isometric}
        labels = views[mode].draw(surface, layout.view, view)
        texts = self.text if text else None
        if texts:
            self._draw_labels(surface, layout.view, labels)
        draw_panel(surface, layout.panel)
        draw_stats(surface, layout.stats, view.hud, texts)
        self.minimap.draw(surface, layout.minimap, view)
        draw_log(surface, layout.log, view.hud.messages, texts, view.hud.scrollback)
        draw_hit_marks(surface, layout.view, view, mode, texts)
        if view.big_map:
            self.minimap.draw(surface, big_map_rect(layout.view), view)
        if help_keys is not None:
            draw_help(surface, help_keys, self.text, draw_text=text)
        return layout

    def warm_up(self) -> None:
        """Draw a tiny frame in every mode, so numba compiles (or loads its cache) before the first real frame."""
        tiles = np.array([[Tile.WALL] * 3, [Tile.WALL, Tile.FLOOR, Tile.WALL], [Tile.WALL] * 3], np.uint8)
        seen = np.ones(tiles.shape, bool)
        view = ViewState(tiles, seen, seen, 1.0, 1.0, 0.0, (Sprite(1.0, 1.6, "agent"),))
        surface = pygame.Surface((320, 200))
        for mode in ViewMode:
            self.draw(surface, view, mode, text=False)

    def _draw_labels(self, surface: pygame.Surface, rect: pygame.Rect, labels: list[Label]) -> None:
        clip = surface.get_clip()
        surface.set_clip(rect)
        for label in labels:
            # A dark copy one pixel down-right keeps labels readable on light floors.
            self.text.draw(surface, label.text, (label.x + 1, label.y - 1), LABEL_SIZE, (0, 0, 0), anchor="midbottom")
            self.text.draw(surface, label.text, (label.x, label.y - 2), LABEL_SIZE, LABEL_COLOUR, anchor="midbottom")
        surface.set_clip(clip)


_shared: Renderer | None = None


def draw_frame(surface: pygame.Surface, view: ViewState, mode: ViewMode | str, *, text: bool = True,
               help_keys: Sequence[tuple[str, str]] | None = None) -> Layout:
    """Draw one frame with a renderer shared by all callers (see :meth:`Renderer.draw`)."""
    global _shared
    if _shared is None:
        _shared = Renderer()
    return _shared.draw(surface, view, mode, text=text, help_keys=help_keys)


__all__ = ["Layout", "Renderer", "ViewMode", "ViewState", "draw_frame", "draw_help", "layout_for"]
