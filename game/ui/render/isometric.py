"""The isometric view: textured diamond floors and wall blocks, painter's-ordered with sprites.

Tile images are warped from the raycaster's textures once (numpy), then every frame
blits the explored cells near the camera: all floors first, then wall blocks and
sprites from back to front (by ``x + y``), so nearer blocks hide what stands behind
them, except blocks in front of the viewer's own figure, drawn see-through.
"""

from __future__ import annotations

import math

import numpy as np
import pygame

from game.ui.render.cells import REMEMBERED, UNEXPLORED, VISIBLE, cell_states
from game.ui.render.icons import IconCache, draw_hp_bar
from game.ui.render.palette import BACKGROUND, MAP_LIGHT, VIEWER
from game.ui.render.text import Label
from game.ui.render.textures import FLOOR_TEXTURE, TEX, WALL_TEXTURE, texture_atlas
from game.ui.view_state import Sprite, ViewState
from levels.tiles import TILE_COUNT

TILE_W, TILE_H = 48, 24  # the floor diamond
WALL_H = 22  # how far wall blocks rise above the floor
TOP_LIGHT, LEFT_LIGHT, RIGHT_LIGHT = 0.85, 0.7, 0.5  # block faces lit from the upper left
AGENT_PX, ITEM_PX = 40, 20
GHOST_ALPHA = 90  # opacity of wall blocks that would hide the viewer


def _diamond(tex: np.ndarray, light: float) -> tuple[np.ndarray, np.ndarray]:
    """A ``TILE_W x TILE_H`` diamond of ``tex`` (``[u, v, 3]``): RGB and coverage mask, ``[x, y]``."""
    px, py = np.meshgrid(np.arange(TILE_W) + 0.5 - TILE_W / 2, np.arange(TILE_H) + 0.5 - TILE_H / 2, indexing="ij")
    wx = px / TILE_W + py / TILE_H  # world offsets from the cell centre
    wy = py / TILE_H - px / TILE_W
    inside = (np.abs(wx) <= 0.5) & (np.abs(wy) <= 0.5)
    u = np.clip(((wx + 0.5) * TEX).astype(int), 0, TEX - 1)
    v = np.clip(((wy + 0.5) * TEX).astype(int), 0, TEX - 1)
    return tex[u, v] * light, inside


def _block(top: np.ndarray, face: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A wall block ``TILE_W x (TILE_H + WALL_H)``: a diamond top of ``top`` and two faces of ``face``."""
    rgb = np.zeros((TILE_W, TILE_H + WALL_H, 3))
    mask = np.zeros((TILE_W, TILE_H + WALL_H), bool)
    half = TILE_W // 2
    for px in range(TILE_W):
        left = px < half
        # The block's lower edge of the top diamond at this column, then the face below it.
        edge = TILE_H / 2 + (px + 0.5) * TILE_H / TILE_W if left else TILE_H - (px + 0.5 - half) * TILE_H / TILE_W
        u = int((px if left else px - half) * TEX / half)
        for py in range(int(edge), int(edge) + WALL_H):
            v = min(TEX - 1, int((py - edge) * TEX / WALL_H))
            rgb[px, py] = face[min(u, TEX - 1), max(v, 0)] * (LEFT_LIGHT if left else RIGHT_LIGHT)
            mask[px, py] = True
    top_rgb, top_mask = _diamond(top, TOP_LIGHT)
    rgb[:, :TILE_H][top_mask] = top_rgb[top_mask]
    mask[:, :TILE_H] |= top_mask
    return rgb, mask


def _surface(rgb: np.ndarray, mask: np.ndarray, light: float) -> pygame.Surface:
    """A colour-keyed surface (black is transparent; drawn pixels are kept off pure black)."""
    pixels = np.clip(rgb * light, 0, 255).astype(np.uint8)
    pixels[mask] = np.maximum(pixels[mask], 1)
    pixels[~mask] = 0
    surface = pygame.surfarray.make_surface(np.ascontiguousarray(pixels))
    surface.set_colorkey((0, 0, 0))
    return surface


def _ghost(image: pygame.Surface) -> pygame.Surface:
    """A translucent copy of a colour-keyed tile image."""
    ghost = image.copy()
    ghost.set_alpha(GHOST_ALPHA)
    return ghost


def tile_surfaces() -> dict[tuple[int, int], pygame.Surface]:
    """The image of every ``(state, tile)`` except unexplored: diamonds for floors, blocks for walls and doors."""
    atlas = texture_atlas().astype(np.float64)
    out = {}
    for t in range(TILE_COUNT):
        if WALL_TEXTURE[t] >= 0:
            face = atlas[WALL_TEXTURE[t]]
            rgb, mask = _block(face * 0.8, face)
        else:
            rgb, mask = _diamond(atlas[FLOOR_TEXTURE[t]], 1.0)
        for s in (REMEMBERED, VISIBLE):
            out[s, t] = _surface(rgb, mask, MAP_LIGHT[s])
    return out


class IsometricRenderer:
    """Draws the isometric view of a ViewState with the camera at the view's centre."""

    def __init__(self, icons: IconCache | None = None) -> None:
        self.icons = icons or IconCache()
        self._tiles = tile_surfaces()
        # See-through copies of the blocks, for walls standing in front of the viewer.
        self._ghosts = {key: _ghost(image) for key, image in self._tiles.items()}

    @staticmethod
    def to_screen(rect: pygame.Rect, view: ViewState, y: float, x: float) -> tuple[float, float]:
        """Screen position of world point ``(y, x)`` at floor level."""
        dx, dy = x - view.camera_x, y - view.camera_y
        return rect.centerx + (dx - dy) * TILE_W / 2, rect.centery + (dx + dy) * TILE_H / 2

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, view: ViewState) -> list[Label]:
        """Draw ``view`` into ``rect`` of ``surface``; returns where the sprites' labels go."""
        clip = surface.get_clip()
        surface.set_clip(rect)
        surface.fill(BACKGROUND, rect)
        tiles = np.asarray(view.tiles)
        states = cell_states(view)
        ys, xs = np.nonzero(states != UNEXPLORED)
        sx, sy = self.to_screen(rect, view, ys.astype(np.float64), xs.astype(np.float64))
        near = ((sx > rect.left - TILE_W) & (sx < rect.right + TILE_W)
                & (sy > rect.top - TILE_H) & (sy < rect.bottom + TILE_H + WALL_H))
        ys, xs, sx, sy = ys[near], xs[near], sx[near], sy[near]
        codes, lit = tiles[ys, xs], states[ys, xs]
        solid = WALL_TEXTURE[codes] >= 0
        left = (sx - TILE_W / 2).astype(int)
        top = (sy - TILE_H / 2).astype(int)
        surface.fblits([(self._tiles[s, t], (lx, ty))
                        for s, t, lx, ty in zip(lit[~solid].tolist(), codes[~solid].tolist(),
                                                left[~solid].tolist(), top[~solid].tolist(), strict=True)])
        self._draw_viewer(surface, rect, view)
        ghost = self._hides_viewer(rect, view, ys, xs, left, top) & solid
        blocks = [((self._ghosts if g else self._tiles)[s, t], (lx, ty - WALL_H))
                  for s, t, lx, ty, g in zip(lit[solid].tolist(), codes[solid].tolist(), left[solid].tolist(),
                                             top[solid].tolist(), ghost[solid].tolist(), strict=True)]
        # Back to front: blocks (key x + y) and sprites (their fractional x + y) interleaved;
        # runs of blocks between two sprites go out in one fblits call.
        order = sorted([(float(k), 0, i) for i, k in enumerate((ys + xs)[solid].tolist())]
                       + [(s.y + s.x, 1, i) for i, s in enumerate(view.sprites)])
        labels: list[Label] = []
        run: list[tuple[pygame.Surface, tuple[int, int]]] = []
        for _, is_sprite, i in order:
            if not is_sprite:
                run.append(blocks[i])
                continue
            surface.fblits(run)
            run = []
            label = self._draw_sprite(surface, rect, view, view.sprites[i])
            if label is not None:
                labels.append(label)
        surface.fblits(run)
        surface.set_clip(clip)
        return labels

    @staticmethod
    def _hides_viewer(rect: pygame.Rect, view: ViewState, ys: np.ndarray, xs: np.ndarray, left: np.ndarray,
                      top: np.ndarray) -> np.ndarray:
        """Which cells are in front of the camera and overlap the viewer's figure on screen."""
        in_front = ys + xs > view.camera_y + view.camera_x + 0.5
        figure = pygame.Rect(0, 0, AGENT_PX, AGENT_PX + 4)
        figure.midbottom = (rect.centerx, rect.centery + TILE_H // 4)
        return (in_front & (left < figure.right) & (left + TILE_W > figure.left)
                & (top - WALL_H < figure.bottom) & (top + TILE_H > figure.top))

    def _draw_sprite(self, surface: pygame.Surface, rect: pygame.Rect, view: ViewState, sprite: Sprite) -> Label | None:
        cx, cy = self.to_screen(rect, view, sprite.y, sprite.x)
        size = AGENT_PX if sprite.kind == "agent" else ITEM_PX
        left, top = int(cx) - size // 2, int(cy) - size + (TILE_H // 4 if sprite.kind == "agent" else TILE_H // 6)
        surface.blit(self.icons.icon(sprite, size), (left, top))
        if sprite.kind == "agent":
            draw_hp_bar(surface, int(cx), top - 5, size * 3 // 4, sprite.hp_frac)
        return Label(sprite.label, int(cx), top - 5) if sprite.label else None

    def _draw_viewer(self, surface: pygame.Surface, rect: pygame.Rect, view: ViewState) -> None:
        """An arrow on the floor at the camera, pointing where it faces."""
        c, s = math.cos(view.facing), math.sin(view.facing)

        def at(forward: float, right: float) -> tuple[float, float]:
            return self.to_screen(rect, view, view.camera_y + forward * s + right * c,
                                  view.camera_x + forward * c - right * s)

        pygame.draw.polygon(surface, VIEWER, [at(0.45, 0.0), at(-0.3, 0.3), at(-0.15, 0.0), at(-0.3, -0.3)])

