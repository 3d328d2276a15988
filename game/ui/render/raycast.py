"""Numba kernels of the first-person view: grid raycasting (DDA) and billboard sprites.

The kernels draw into an ``(w, h, 3)`` uint8 colour buffer indexed ``[x, y]`` (the
layout of ``pygame.surfarray``) and an ``(w, h)`` float32 depth buffer. Coordinates are
*grid* coordinates: cell ``(y, x)`` spans ``[x, x+1) x [y, y+1)``, so a cell centre is
at ``x + 0.5`` (the :class:`~game.ui.view_state.ViewState` convention plus one half).

The camera is a position, a unit direction ``(dir_x, dir_y)`` and a camera plane
``(plane_x, plane_y)`` perpendicular to it whose length is ``tan(fov / 2)``; ``proj``
is the projection scale in pixels (a one-cell-high wall one cell away is ``proj`` pixels
tall); the eye is half a cell above the floor and the ceiling one cell high.

Module globals the kernels read (``STATE_LIGHT``, texture ids, tile codes) are frozen
into the compiled code, and numba's on-disk cache only watches this file: after
changing them elsewhere, delete ``game/ui/render/__pycache__``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from game.ui.render.cells import REMEMBERED, UNEXPLORED, VISIBLE
from game.ui.render.textures import DOOR_FRAME, WALL_MOSSY
from levels.tiles import Tile

#: Brightness of each cell state: unexplored (black), remembered (dim), visible.
STATE_LIGHT = np.zeros(3, np.float32)
STATE_LIGHT[REMEMBERED], STATE_LIGHT[VISIBLE] = 0.42, 1.0

MAX_FRAMES = 8  # open doorways remembered per column (drawn through, back to front)
Y_SIDE_LIGHT = 0.72  # faces crossed along y are darker: cheap directional lighting
LINTEL = 0.22  # top fraction of an open doorway covered by its lintel
JAMB = 0.1  # width fraction of each doorway jamb

_DOOR_OPEN = int(Tile.DOOR_OPEN)
_WALL = int(Tile.WALL)


@njit(cache=True)
def _shade(buf: np.ndarray, x: int, y: int, atlas: np.ndarray, i: int, u: int, v: int, light: float) -> None:
    """Write texel ``atlas[i, u, v]`` scaled by ``light`` (0..1) at pixel ``(x, y)``."""
    buf[x, y, 0] = np.uint8(atlas[i, u, v, 0] * light)
    buf[x, y, 1] = np.uint8(atlas[i, u, v, 1] * light)
    buf[x, y, 2] = np.uint8(atlas[i, u, v, 2] * light)


@njit(cache=True)
def _black(buf: np.ndarray, x: int, y: int) -> None:
    buf[x, y, 0] = 0
    buf[x, y, 1] = 0
    buf[x, y, 2] = 0


@njit(cache=True)
def cast_scene(tiles: np.ndarray, state: np.ndarray, atlas: np.ndarray, wall_tex: np.ndarray,
               floor_tex: np.ndarray, ceil_tex: np.ndarray, pos_x: float, pos_y: float,
               dir_x: float, dir_y: float, plane_x: float, plane_y: float, proj: float,
               fog: float, max_dist: float, buf: np.ndarray, depth: np.ndarray) -> None:
    """Draw walls, doors, open doorways, floor and ceiling of every column.

    Args:
        tiles: ``(H, W)`` uint8 tile codes; ``state``: ``(H, W)`` uint8 cell states
            (:data:`UNEXPLORED`, :data:`REMEMBERED`, :data:`VISIBLE`).
        atlas: ``[texture, u, v, 3]`` uint8 textures; ``wall_tex``, ``floor_tex``,
            ``ceil_tex``: texture id per tile code (``wall_tex`` -1 for see-through tiles).
        fog: distance fog coefficient (light is ``exp(-fog * distance)``).
        max_dist: rays stop after this many cells (the rest is fog).
        buf, depth: the output buffers, overwritten entirely.
    """
    w, h = depth.shape
    height, width = tiles.shape
    tex = atlas.shape[1]
    horizon = h * 0.5
    # Floor and ceiling distance and light depend only on the row.
    row_dist = np.empty(h, np.float32)
    row_light = np.empty(h, np.float32)
    for y in range(h):
        off = abs(y + 0.5 - horizon)
        row_dist[y] = min(0.5 * proj / off, max_dist) if off > 0 else max_dist  # no inf at the horizon
        row_light[y] = math.exp(-fog * row_dist[y])
    frame_dist = np.empty(MAX_FRAMES, np.float64)
    frame_u = np.empty(MAX_FRAMES, np.int64)
    frame_light = np.empty(MAX_FRAMES, np.float64)
    for x in range(w):
        cam = 2.0 * (x + 0.5) / w - 1.0
        ray_x = dir_x + plane_x * cam
        ray_y = dir_y + plane_y * cam
        map_x = int(math.floor(pos_x))
        map_y = int(math.floor(pos_y))
        delta_x = abs(1.0 / ray_x) if ray_x != 0.0 else 1e30
        delta_y = abs(1.0 / ray_y) if ray_y != 0.0 else 1e30
        if ray_x < 0:
            step_x = -1
            side_x = (pos_x - map_x) * delta_x
        else:
            step_x = 1
            side_x = (map_x + 1.0 - pos_x) * delta_x
        if ray_y < 0:
            step_y = -1
            side_y = (pos_y - map_y) * delta_y
        else:
            step_y = 1
            side_y = (map_y + 1.0 - pos_y) * delta_y
        frames = 0
        hit_tex = -2  # -2: nothing within max_dist, -1: off the map, else a texture id
        side = 0
        perp = max_dist
        hit_state = 0
        while True:
            if side_x < side_y:
                perp = side_x
                side_x += delta_x
                map_x += step_x
                side = 0
            else:
                perp = side_y
                side_y += delta_y
                map_y += step_y
                side = 1
            if perp > max_dist:
                perp = max_dist
                break
            if map_x < 0 or map_y < 0 or map_x >= width or map_y >= height:
                hit_tex = -1
                break
            t = tiles[map_y, map_x]
            if wall_tex[t] >= 0:
                hit_tex = wall_tex[t]
                if t == _WALL and ((map_x * 73856093) ^ (map_y * 19349663)) % 5 == 0:
                    hit_tex = WALL_MOSSY  # every fifth wall or so, fixed per cell
                hit_state = state[map_y, map_x]
                break
            if t == _DOOR_OPEN and frames < MAX_FRAMES and perp > 0.05:
                along = pos_y + perp * ray_y if side == 0 else pos_x + perp * ray_x
                frame_dist[frames] = perp
                frame_u[frames] = int((along - math.floor(along)) * tex)
                frame_light[frames] = (math.exp(-fog * perp) * (Y_SIDE_LIGHT if side == 1 else 1.0)
                                       * STATE_LIGHT[state[map_y, map_x]])
                frames += 1
        perp = max(perp, 1e-4)
        line = proj / perp
        top = horizon - 0.5 * line
        bottom = horizon + 0.5 * line
        tex_u = 0
        wall_light = 0.0
        if hit_tex >= 0:
            along = pos_y + perp * ray_y if side == 0 else pos_x + perp * ray_x
            tex_u = int((along - math.floor(along)) * tex)
            if (side == 0 and ray_x < 0) or (side == 1 and ray_y > 0):
                tex_u = tex - 1 - tex_u  # read every face left to right
            wall_light = math.exp(-fog * perp) * (Y_SIDE_LIGHT if side == 1 else 1.0) * STATE_LIGHT[hit_state]
        for y in range(h):
            yc = y + 0.5
            if top <= yc < bottom:
                depth[x, y] = perp
                if hit_tex >= 0 and wall_light > 0.0:
                    v = min(int((yc - top) / line * tex), tex - 1)
                    _shade(buf, x, y, atlas, hit_tex, tex_u, v, wall_light)
                else:
                    _black(buf, x, y)
                continue
            dist = row_dist[y]
            depth[x, y] = dist
            fx = pos_x + dist * ray_x
            fy = pos_y + dist * ray_y
            cx = int(math.floor(fx))
            cy = int(math.floor(fy))
            if cx < 0 or cy < 0 or cx >= width or cy >= height:
                _black(buf, x, y)
                continue
            s = state[cy, cx]
            if s == UNEXPLORED:
                _black(buf, x, y)
                continue
            t = tiles[cy, cx]
            tid = floor_tex[t] if yc >= bottom else ceil_tex[t]
            u = min(int((fx - cx) * tex), tex - 1)
            v = min(int((fy - cy) * tex), tex - 1)
            _shade(buf, x, y, atlas, tid, u, v, row_light[y] * STATE_LIGHT[s])
        # Open doorways over what lies behind them, farthest first.
        for i in range(frames - 1, -1, -1):
            d = frame_dist[i]
            fline = proj / d
            ftop = horizon - 0.5 * fline
            jamb = frame_u[i] < JAMB * tex or frame_u[i] >= (1.0 - JAMB) * tex
            y0 = max(0, int(math.ceil(ftop - 0.5)))
            y1 = min(h, int(math.ceil(horizon + 0.5 * fline - 0.5)))
            if not jamb:
                y1 = min(y1, int(math.ceil(ftop + LINTEL * fline - 0.5)))
            for y in range(y0, y1):
                v = min(int((y + 0.5 - ftop) / fline * tex), tex - 1)
                depth[x, y] = d
                _shade(buf, x, y, atlas, DOOR_FRAME, frame_u[i], v, frame_light[i])


@njit(cache=True)
def draw_sprites(images: np.ndarray, sx: np.ndarray, sy: np.ndarray, image: np.ndarray,
                 size: np.ndarray, hp: np.ndarray, pos_x: float, pos_y: float, dir_x: float,
                 dir_y: float, plane_x: float, plane_y: float, proj: float, fog: float,
                 buf: np.ndarray, depth: np.ndarray, screen: np.ndarray) -> None:
    """Draw billboard sprites standing on the floor, depth-tested per pixel.

    Args:
        images: ``[image, u, v, 4]`` uint8 RGBA sprite images (alpha 0 or 255).
        sx, sy: sprite positions (grid coordinates); ``image``: image index;
            ``size``: height in cells; ``hp``: health fraction for a bar, or < 0 for none.
        screen: output ``(n, 3)`` float64: screen x, top y and 1 if any pixel was drawn.
    """
    w, h = depth.shape
    horizon = h * 0.5
    side = images.shape[1]
    inv_det = 1.0 / (plane_x * dir_y - dir_x * plane_y)
    for k in range(sx.shape[0]):
        screen[k, 2] = 0.0
        rel_x = sx[k] - pos_x
        rel_y = sy[k] - pos_y
        across = inv_det * (dir_y * rel_x - dir_x * rel_y)
        dist = inv_det * (-plane_y * rel_x + plane_x * rel_y)
        if dist < 0.2:
            continue
        centre = 0.5 * w * (1.0 + across / dist)
        pix = proj * size[k] / dist
        bottom = horizon + 0.5 * proj / dist
        top = bottom - pix
        left = centre - 0.5 * pix
        screen[k, 0] = centre
        screen[k, 1] = top
        light = math.exp(-fog * dist)
        x0 = max(0, int(math.ceil(left - 0.5)))
        x1 = min(w, int(math.ceil(left + pix - 0.5)))
        y0 = max(0, int(math.ceil(top - 0.5)))
        y1 = min(h, int(math.ceil(bottom - 0.5)))
        img = image[k]
        for x in range(x0, x1):
            u = min(int((x + 0.5 - left) / pix * side), side - 1)
            for y in range(y0, y1):
                if depth[x, y] <= dist:
                    continue
                v = min(int((y + 0.5 - top) / pix * side), side - 1)
                if images[img, u, v, 3] < 128:
                    continue
                depth[x, y] = dist
                _shade(buf, x, y, images, img, u, v, light)
                screen[k, 2] = 1.0
        if hp[k] < 0.0:
            continue
        # A health bar floating above the head: green for the HP left, red for the rest.
        bar_h = max(2.0, 0.07 * pix)
        bar_top = top - 0.1 * pix
        bar_left = centre - 0.35 * pix
        bar_w = 0.7 * pix
        split = bar_left + bar_w * min(max(hp[k], 0.0), 1.0)
        for x in range(max(0, int(math.ceil(bar_left - 0.5))), min(w, int(math.ceil(bar_left + bar_w - 0.5)))):
            green = x + 0.5 < split
            for y in range(max(0, int(math.ceil(bar_top - 0.5))), min(h, int(math.ceil(bar_top + bar_h - 0.5)))):
                if depth[x, y] <= dist:
                    continue
                depth[x, y] = dist
                buf[x, y, 0] = np.uint8((40 if green else 200) * light + 0.5)
                buf[x, y, 1] = np.uint8((210 if green else 30) * light + 0.5)
                buf[x, y, 2] = np.uint8(40 * light + 0.5)
