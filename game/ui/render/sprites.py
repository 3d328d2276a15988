"""Procedural sprite images: agent silhouettes and item icons, drawn with numpy masks.

An image is ``SPRITE x SPRITE`` RGBA (alpha 0 or 255) indexed ``[u, v]`` like the
textures. Agents are humanoid silhouettes in their sprite colour (the app colours them
by faction); items are icons by kind (``melee``, ``ranged``, ``potion``, ``key``),
tinted by the sprite colour where it is not plain white (white agents get a colour
from their faction's name). :class:`SpriteAtlas` caches
one image per ``(kind, colour)`` and stacks them for the raycaster.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

from game.ui.view_state import Sprite

SPRITE = 64

#: Height in cells of each kind of billboard (agents stand tall, items lie small).
BILLBOARD_SIZE = {"agent": 0.8, "melee": 0.38, "ranged": 0.38, "potion": 0.32, "key": 0.3, "artifact": 0.4}
DEFAULT_BILLBOARD_SIZE = 0.35

#: Default item colours (used when a sprite's colour is plain white).
ITEM_COLOUR = {"melee": (225, 225, 235), "ranged": (120, 220, 255), "potion": (255, 80, 200),
               "key": (255, 215, 0), "artifact": (255, 150, 20)}

WHITE = (255, 255, 255)
#: Colours for agents whose sprite colour is left white, picked by a hash of the faction name.
FACTION_COLOURS = ((40, 200, 60), (200, 40, 40), (200, 60, 200), (230, 200, 40), (40, 200, 200), (240, 130, 40))

Mask = np.ndarray  # (SPRITE, SPRITE) bool indexed [u, v]


def _grid() -> tuple[np.ndarray, np.ndarray]:
    """Texel centres ``(u, v)`` in ``[0, 1)``, indexed ``[u, v]``."""
    c = (np.arange(SPRITE) + 0.5) / SPRITE
    return np.meshgrid(c, c, indexing="ij")


def _ellipse(u: np.ndarray, v: np.ndarray, cu: float, cv: float, ru: float, rv: float) -> Mask:
    return ((u - cu) / ru) ** 2 + ((v - cv) / rv) ** 2 <= 1.0


def _box(u: np.ndarray, v: np.ndarray, u0: float, v0: float, u1: float, v1: float) -> Mask:
    return (u >= u0) & (u < u1) & (v >= v0) & (v < v1)


def _segment(u: np.ndarray, v: np.ndarray, a: tuple[float, float], b: tuple[float, float],
             width: float) -> Mask:
    """Texels within ``width / 2`` of the segment from ``a`` to ``b`` (``(u, v)`` points)."""
    au, av = a
    du, dv = b[0] - au, b[1] - av
    t = np.clip(((u - au) * du + (v - av) * dv) / (du * du + dv * dv), 0.0, 1.0)
    return (u - au - t * du) ** 2 + (v - av - t * dv) ** 2 <= (width / 2) ** 2


def _layers(parts: list[tuple[Mask, tuple[int, int, int]]]) -> np.ndarray:
    """Paint ``(mask, colour)`` layers in order into an RGBA image."""
    rgba = np.zeros((SPRITE, SPRITE, 4), np.uint8)
    for mask, colour in parts:
        rgba[mask, :3] = colour
        rgba[mask, 3] = 255
    return rgba


def _scale(colour: tuple[int, int, int], k: float) -> tuple[int, int, int]:
    return tuple(int(min(255, c * k)) for c in colour)  # type: ignore[return-value]


def _agent(colour: tuple[int, int, int]) -> np.ndarray:
    """A hooded figure: head, cloak, arms and legs, with dark eyes."""
    u, v = _grid()
    dark, light = _scale(colour, 0.55), _scale(colour, 1.15)
    cloak = (np.abs(u - 0.5) <= 0.1 + 0.22 * np.clip((v - 0.3) / 0.5, 0, 1)) & (v >= 0.3) & (v < 0.82)
    legs = (_box(u, v, 0.36, 0.8, 0.46, 1.0) | _box(u, v, 0.54, 0.8, 0.64, 1.0))
    arms = _segment(u, v, (0.36, 0.38), (0.2, 0.66), 0.08) | _segment(u, v, (0.64, 0.38), (0.8, 0.66), 0.08)
    head = _ellipse(u, v, 0.5, 0.2, 0.12, 0.12)
    eyes = _ellipse(u, v, 0.45, 0.2, 0.025, 0.025) | _ellipse(u, v, 0.55, 0.2, 0.025, 0.025)
    belt = _box(u, v, 0.3, 0.56, 0.7, 0.6) & cloak
    return _layers([(legs, dark), (arms, dark), (cloak, colour), (belt, dark), (head, light),
                    (eyes, (20, 20, 20))])


def _melee(colour: tuple[int, int, int]) -> np.ndarray:
    """A sword lying diagonally: blade, guard and grip."""
    u, v = _grid()
    # Thick strokes with a dark edge: a sword stays a sword when drawn 20 pixels wide.
    blade = _segment(u, v, (0.18, 0.86), (0.72, 0.32), 0.14)
    edge = _segment(u, v, (0.18, 0.86), (0.72, 0.32), 0.2)
    guard = _segment(u, v, (0.6, 0.2), (0.88, 0.48), 0.12)
    grip = _segment(u, v, (0.76, 0.36), (0.92, 0.2), 0.12)
    return _layers([(edge, (30, 30, 40)), (blade, colour), (guard, (190, 140, 60)), (grip, (110, 70, 35))])


def _ranged(colour: tuple[int, int, int]) -> np.ndarray:
    """A bow: an arc of wood and its string."""
    u, v = _grid()
    r = np.hypot(u - 0.15, v - 0.55)
    arc = (np.abs(r - 0.55) < 0.07) & (u > 0.3) & (np.abs(v - 0.55) < 0.4)
    string = _box(u, v, 0.33, 0.16, 0.38, 0.94)
    return _layers([(string, (220, 220, 220)), (arc, colour)])


def _potion(colour: tuple[int, int, int]) -> np.ndarray:
    """A round flask: glass body filled with the potion's colour, a neck and a cork."""
    u, v = _grid()
    body = _ellipse(u, v, 0.5, 0.66, 0.26, 0.26)
    liquid = body & (v > 0.55)
    neck = _box(u, v, 0.42, 0.22, 0.58, 0.44)
    cork = _box(u, v, 0.4, 0.14, 0.6, 0.24)
    return _layers([(neck, (190, 200, 210)), (body, (170, 185, 200)), (liquid, colour), (cork, (120, 80, 40))])


def _key(colour: tuple[int, int, int]) -> np.ndarray:
    """A key: ring bow, shaft and two bits."""
    u, v = _grid()
    ring = (np.hypot(u - 0.28, v - 0.6) < 0.16) & (np.hypot(u - 0.28, v - 0.6) > 0.07)
    shaft = _box(u, v, 0.42, 0.57, 0.88, 0.64)
    bits = _box(u, v, 0.72, 0.64, 0.77, 0.76) | _box(u, v, 0.82, 0.64, 0.87, 0.72)
    return _layers([(ring | shaft | bits, colour)])


def _artifact(colour: tuple[int, int, int]) -> np.ndarray:
    """The artifact: a gem on a ring, bright so that it is found from across a room."""
    u, v = _grid()
    ring = (np.hypot(u - 0.5, v - 0.62) < 0.26) & (np.hypot(u - 0.5, v - 0.62) > 0.17)
    gem = np.abs(u - 0.5) + np.abs(v - 0.36) < 0.16
    return _layers([(ring, (230, 190, 60)), (gem, colour)])


def _unknown(colour: tuple[int, int, int]) -> np.ndarray:
    """A diamond, for kinds this module does not know."""
    u, v = _grid()
    return _layers([(np.abs(u - 0.5) + np.abs(v - 0.6) < 0.3, colour)])


_PAINTERS: dict[str, Callable[[tuple[int, int, int]], np.ndarray]] = {
    "agent": _agent, "melee": _melee, "ranged": _ranged, "potion": _potion, "key": _key, "artifact": _artifact}


def sprite_colour(sprite: Sprite) -> tuple[int, int, int]:
    """The colour a sprite is drawn in: its own, or when left white, its item category's or faction's."""
    if tuple(sprite.colour) != WHITE:
        return tuple(sprite.colour)  # type: ignore[return-value]
    if sprite.kind != "agent":
        return ITEM_COLOUR.get(sprite.kind, WHITE)
    if sprite.faction:
        return FACTION_COLOURS[zlib.crc32(sprite.faction.encode()) % len(FACTION_COLOURS)]
    return WHITE


def sprite_image(kind: str, colour: tuple[int, int, int]) -> np.ndarray:
    """The RGBA ``(SPRITE, SPRITE, 4)`` image of one kind of sprite in one colour."""
    return _PAINTERS.get(kind, _unknown)(colour)


class SpriteAtlas:
    """Sprite images stacked in one array, one per ``(kind, colour)`` seen so far."""

    def __init__(self) -> None:
        self._index: dict[tuple[str, tuple[int, int, int]], int] = {}
        self._images: list[np.ndarray] = []
        self._stack: np.ndarray | None = None

    def index(self, sprite: Sprite) -> int:
        """The image index of ``sprite``, painting its image on first use."""
        key = (sprite.kind, sprite_colour(sprite))
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self._images)
            self._images.append(sprite_image(*key))
            self._stack = None
        return found

    @property
    def images(self) -> np.ndarray:
        """All images so far, ``[image, u, v, 4]`` uint8 (at least one, blank)."""
        if self._stack is None:
            images = self._images or [np.zeros((SPRITE, SPRITE, 4), np.uint8)]
            self._stack = np.ascontiguousarray(np.stack(images))
        return self._stack
