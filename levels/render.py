"""Pictures of levels: a PNG of every floor, and a coloured ASCII preview for terminals.

Both show the same things: tiles (walls dark, floor light, doors by state, stairs,
water, lava), items by category and agents by faction, with the level entry marked.

``render_floor_rgb`` draws one floor as an RGB raster (usable by any front end);
``render_level_png`` lays every floor out in a titled matplotlib figure with a legend.
matplotlib is imported only inside the PNG function, and through its object API
(``Figure`` on the Agg canvas) so no global backend is switched.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from rich.text import Text

from levels.common.files import atomic_write_bytes
from levels.level import Level
from levels.tiles import TILE_CHARS, Tile

# ----------------------------------------------------------------------------- palette

#: PNG colour of each tile (light floor, dark walls).
TILE_COLOURS: dict[Tile, str] = {
    Tile.WALL: "#2b2b2b",
    Tile.FLOOR: "#ece7da",
    Tile.DOOR_OPEN: "#c9a06a",
    Tile.DOOR_CLOSED: "#8d5524",
    Tile.DOOR_LOCKED: "#b71c1c",
    Tile.STAIRS_DOWN: "#5e35b1",
    Tile.STAIRS_UP: "#00897b",
    Tile.WATER: "#1e88e5",
    Tile.LAVA: "#f4511e",
    Tile.EXIT: "#43a047",
}

TILE_LABELS: dict[Tile, str] = {
    Tile.WALL: "wall",
    Tile.FLOOR: "floor",
    Tile.DOOR_OPEN: "open door",
    Tile.DOOR_CLOSED: "closed door",
    Tile.DOOR_LOCKED: "locked door",
    Tile.STAIRS_DOWN: "stairs down",
    Tile.STAIRS_UP: "stairs up",
    Tile.WATER: "water",
    Tile.LAVA: "lava",
    Tile.EXIT: "exit",
}

#: Terminal style of each tile character (readable on dark and light backgrounds).
TILE_STYLES: dict[Tile, str] = {
    Tile.WALL: "#808080",
    Tile.FLOOR: "#5f5f5f",
    Tile.DOOR_OPEN: "#c9a06a",
    Tile.DOOR_CLOSED: "bold #c08040",
    Tile.DOOR_LOCKED: "bold #ff5252",
    Tile.STAIRS_DOWN: "bold #b388ff",
    Tile.STAIRS_UP: "bold #26a69a",
    Tile.WATER: "#42a5f5",
    Tile.LAVA: "bold #ff7043",
    Tile.EXIT: "bold #66bb6a",
}

#: Item colour (PNG diamonds and terminal glyphs) and terminal glyph by category.
CATEGORY_COLOURS: dict[str, str] = {
    "melee": "#9e9e9e",
    "ranged": "#43a047",
    "potion": "#e91e63",
    "key": "#ffc107",
}
CATEGORY_GLYPHS: dict[str, str] = {"melee": ")", "ranged": "}", "potion": "!", "key": "-"}

HERO_COLOUR = "#00e5ff"
HERO_GLYPH = "@"
#: Colours of the other factions, in the order of ``params.factions``.
FACTION_CYCLE = ("#d50000", "#ff6d00", "#aa00ff", "#00b8d4", "#795548", "#2962ff")
OUTLINE = "#000000"


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)


_TILE_RGB = np.stack([_rgb(TILE_COLOURS[Tile(t)]) for t in range(len(Tile))])


def faction_colours(level: Level) -> dict[str, str]:
    """A colour for every faction of the level; the hero faction has :data:`HERO_COLOUR`."""
    hero = level.params.rules.hero_faction
    names = list(level.params.factions) + [s.faction for s in level.spawns]
    colours: dict[str, str] = {}
    for name in names:
        if name in colours:
            continue
        if name == hero:
            colours[name] = HERO_COLOUR
        else:
            colours[name] = FACTION_CYCLE[sum(n != hero for n in colours) % len(FACTION_CYCLE)]
    return colours


# ----------------------------------------------------------------------------- raster


class _Stamps:
    """Boolean masks of the glyph shapes for one cell size (coordinates in [-0.5, 0.5])."""

    def __init__(self, px: int) -> None:
        c = (np.arange(px) + 0.5) / px - 0.5
        v, u = np.meshgrid(c, c, indexing="ij")  # v: down, u: right
        radius = np.hypot(u, v)
        self.disc = radius <= 0.3
        self.small_disc = radius <= 0.17
        self.ring = (radius <= 0.46) & (radius >= 0.32)
        self.diamond = np.abs(u) + np.abs(v) <= 0.3
        half_width = 0.32 * (0.3 - v) / 0.6  # a triangle 0.64 wide and 0.6 tall
        self.down = (np.abs(v) <= 0.3) & (np.abs(u) <= half_width)
        self.up = self.down[::-1]
        inset = max(1, px // 5)
        self.inner = np.zeros((px, px), dtype=bool)
        self.inner[inset:px - inset, inset:px - inset] = True
        self.outlines = px >= 6


def _outline(mask: np.ndarray) -> np.ndarray:
    """Pixels 4-adjacent to ``mask`` but outside it."""
    grown = mask.copy()
    grown[1:] |= mask[:-1]
    grown[:-1] |= mask[1:]
    grown[:, 1:] |= mask[:, :-1]
    grown[:, :-1] |= mask[:, 1:]
    return grown & ~mask


def _stamp(img: np.ndarray, px: int, y: int, x: int, mask: np.ndarray, colour: str,
           outline: bool) -> None:
    block = img[y * px:(y + 1) * px, x * px:(x + 1) * px]
    if outline:
        block[_outline(mask)] = _rgb(OUTLINE)
    block[mask] = _rgb(colour)


def _cells(tiles: np.ndarray, tile: Tile) -> Iterable[tuple[int, int]]:
    return ((int(y), int(x)) for y, x in np.argwhere(tiles == tile))


def render_floor_rgb(level: Level, floor: int, cell_px: int = 10) -> np.ndarray:
    """One floor as an RGB image of ``cell_px`` x ``cell_px`` pixels per cell.

    Returns a ``(height * cell_px, width * cell_px, 3)`` uint8 array: tiles in
    :data:`TILE_COLOURS` (open doors as a frame, locked doors with a keyhole, stairs
    with a white arrow), items as diamonds in :data:`CATEGORY_COLOURS`, agents as
    discs in their faction's colour and the level entry as a ring.
    """
    if cell_px < 1:
        raise ValueError(f"cell_px must be at least 1, got {cell_px}")
    tiles = level.tiles[floor]
    img = np.repeat(np.repeat(_TILE_RGB[tiles], cell_px, axis=0), cell_px, axis=1)
    if cell_px < 4:
        return img  # too small for glyphs: colours only
    stamps = _Stamps(cell_px)
    _draw_tile_glyphs(img, tiles, cell_px, stamps)
    for placed in level.items:
        if placed.floor == floor:
            colour = CATEGORY_COLOURS.get(placed.item.category, OUTLINE)
            _stamp(img, cell_px, placed.y, placed.x, stamps.diamond, colour, stamps.outlines)
    if level.entry[0] == floor:
        _stamp(img, cell_px, level.entry[1], level.entry[2], stamps.ring, HERO_COLOUR, stamps.outlines)
    colours = faction_colours(level)
    for spawn in level.spawns:
        if spawn.floor == floor:
            _stamp(img, cell_px, spawn.y, spawn.x, stamps.disc, colours[spawn.faction], stamps.outlines)
    return img


def _draw_tile_glyphs(img: np.ndarray, tiles: np.ndarray, px: int, stamps: _Stamps) -> None:
    white = "#ffffff"
    for y, x in _cells(tiles, Tile.STAIRS_DOWN):
        _stamp(img, px, y, x, stamps.down, white, False)
    for y, x in _cells(tiles, Tile.STAIRS_UP):
        _stamp(img, px, y, x, stamps.up, white, False)
    for y, x in _cells(tiles, Tile.DOOR_OPEN):
        _stamp(img, px, y, x, stamps.inner, TILE_COLOURS[Tile.FLOOR], False)
    for y, x in _cells(tiles, Tile.DOOR_LOCKED):
        _stamp(img, px, y, x, stamps.small_disc, CATEGORY_COLOURS["key"], False)


# ----------------------------------------------------------------------------- PNG


def floor_title(level: Level, floor: int) -> str:
    """``floor i (generator)``; a level file may name fewer generators than floors."""
    generator = level.generators[floor] if floor < len(level.generators) else "?"
    return f"floor {floor} ({generator})"


def _cell_px(level: Level) -> int:
    """Pixels per cell so that a floor is about 560 pixels on its long side."""
    return int(np.clip(round(560 / max(level.height, level.width)), 4, 16))


def render_level_png(level: Level, path: str | Path, cell_px: int | None = None) -> None:
    """Write a PNG of every floor, side by side (three per row), with titles and a legend.

    Each panel is titled ``floor i (generator)``; the figure title names the
    parameters and the seed. The file is written atomically.
    """
    from matplotlib.figure import Figure  # heavy: only when a picture is wanted

    px = cell_px or _cell_px(level)
    count = level.floor_count
    ncols = min(count, 3)
    nrows = math.ceil(count / ncols)
    dpi = 100
    panel_w, panel_h = level.width * px / dpi, level.height * px / dpi
    fig_w = max(ncols * (panel_w + 0.4), 7.0)
    fig = Figure(figsize=(fig_w, nrows * (panel_h + 0.5) + 1.8), dpi=dpi, layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for f, ax in enumerate(axes):
        ax.set_axis_off()
        if f < count:
            ax.imshow(render_floor_rgb(level, f, px), interpolation="nearest")
            ax.set_title(floor_title(level, f))
    fig.suptitle(f"{level.params.name}, seed {level.seed}: {count} floor(s) of "
                 f"{level.width}x{level.height}")
    handles = _legend_handles(level)
    columns = int(np.clip(fig_w // 1.7, 2, 6))  # a legend column is about 1.7 inches wide
    fig.legend(handles=handles, loc="outside lower center", ncol=columns,
               fontsize="small", frameon=False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    atomic_write_bytes(path, buffer.getvalue())


def _legend_handles(level: Level) -> list[Any]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(facecolor=TILE_COLOURS[t], edgecolor="#555555", label=TILE_LABELS[t])
                          for t in Tile]
    for category, colour in CATEGORY_COLOURS.items():
        handles.append(Line2D([], [], marker="D", linestyle="", markerfacecolor=colour,
                              markeredgecolor=OUTLINE, label=f"item: {category}"))
    handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="none", markersize=10,
                          markeredgewidth=2.5, markeredgecolor=HERO_COLOUR, label="entry"))
    for faction, colour in faction_colours(level).items():
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor=colour,
                              markeredgecolor=OUTLINE, label=f"agent: {faction}"))
    return handles


# ----------------------------------------------------------------------------- ASCII


def overlay_glyphs(level: Level, floor: int) -> dict[tuple[int, int], tuple[str, str]]:
    """Characters drawn over the tiles of ``floor``: ``(y, x) -> (char, style)``.

    Agents win over items: ``@`` for the hero faction (and the entry), the first
    letter of the faction for others; items by category (``)`` melee, ``}`` ranged,
    ``!`` potion, ``-`` key).
    """
    glyphs: dict[tuple[int, int], tuple[str, str]] = {}
    for placed in level.items:
        if placed.floor == floor:
            category = placed.item.category
            glyphs[placed.y, placed.x] = (CATEGORY_GLYPHS.get(category, "?"),
                                          f"bold {CATEGORY_COLOURS.get(category, 'white')}")
    if level.entry[0] == floor:
        glyphs[level.entry[1], level.entry[2]] = (HERO_GLYPH, f"bold {HERO_COLOUR}")
    hero = level.params.rules.hero_faction
    colours = faction_colours(level)
    for spawn in level.spawns:
        if spawn.floor == floor:
            char = HERO_GLYPH if spawn.faction == hero else (spawn.faction[:1].lower() or "?")
            glyphs[spawn.y, spawn.x] = (char, f"bold {colours[spawn.faction]}")
    return glyphs


def ascii_floor(level: Level, floor: int) -> Text:
    """One floor as coloured text, one line per row, with agents and items overlaid."""
    tiles = level.tiles[floor]
    glyphs = overlay_glyphs(level, floor)
    text = Text(no_wrap=True, overflow="ignore")
    for y in range(level.height):
        run, run_style = "", ""
        for x in range(level.width):
            char, style = glyphs.get((y, x)) or _tile_glyph(int(tiles[y, x]))
            if style != run_style and run:
                text.append(run, run_style)
                run = ""
            run, run_style = run + char, style
        text.append(run, run_style)
        if y < level.height - 1:
            text.append("\n")
    return text


def _tile_glyph(code: int) -> tuple[str, str]:
    tile = Tile(code)
    return TILE_CHARS[tile], TILE_STYLES[tile]


def ascii_legend() -> Text:
    """A one-line key to the characters of :func:`ascii_floor`."""
    text = Text()
    for tile in Tile:
        text.append(TILE_CHARS[tile], TILE_STYLES[tile])
        text.append(f" {TILE_LABELS[tile]}  ")
    text.append(HERO_GLYPH, f"bold {HERO_COLOUR}")
    text.append(" hero  ")
    text.append("m", f"bold {FACTION_CYCLE[0]}")
    text.append(" other factions (first letter)  ")
    for category, glyph in CATEGORY_GLYPHS.items():
        text.append(glyph, f"bold {CATEGORY_COLOURS[category]}")
        text.append(f" {category}  ")
    text.rstrip()
    return text
