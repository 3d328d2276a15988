"""What an agent senses: the cells within a radius that a straight line of sight reaches.

A cell at offset ``(dy, dx)`` is in range when ``dy² + dx² <= r² + r`` (the game's
disc). It is seen when no cell strictly between it and the agent, on the integer line
joining their centres, is opaque (walls and closed doors). Opaque cells are seen
themselves. Radius 0 senses only the agent's own cell.
"""

from __future__ import annotations

import numpy as np

from levels.tiles import OPAQUE


def _line(dy: int, dx: int) -> list[tuple[int, int]]:
    """Cells strictly between ``(0, 0)`` and ``(dy, dx)`` on an integer line."""
    n = max(abs(dy), abs(dx))
    return [(round(dy * k / n), round(dx * k / n)) for k in range(1, n)]


class Sensor:
    """Line-of-sight sensing for one radius, vectorised over the disc's offsets."""

    def __init__(self, radius: int) -> None:
        self.radius = r = radius
        offsets = [(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1) if dy * dy + dx * dx <= r * r + r]
        lines = [_line(dy, dx) for dy, dx in offsets]
        longest = max(1, max(len(line) for line in lines))
        # Pad every line with the agent's own cell, which never blocks the view.
        between = np.zeros((len(offsets), longest, 2), dtype=np.int64)
        for i, line in enumerate(lines):
            if line:
                between[i, : len(line)] = line
        self.dy = np.array([o[0] for o in offsets], dtype=np.int64)
        self.dx = np.array([o[1] for o in offsets], dtype=np.int64)
        self.between_y = between[:, :, 0]
        self.between_x = between[:, :, 1]

    def pad(self, floor_tiles: np.ndarray) -> np.ndarray:
        """The opacity of one floor with an opaque border as wide as the radius."""
        r = self.radius
        height, width = floor_tiles.shape
        padded = np.ones((height + 2 * r, width + 2 * r), dtype=bool)
        padded[r:r + height, r:r + width] = OPAQUE[floor_tiles]
        return padded

    def sense(self, padded: np.ndarray, y: int, x: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and columns of the cells seen from ``(y, x)``; ``padded`` comes from :meth:`pad`."""
        r = self.radius
        if r == 0:
            return np.array([y]), np.array([x])
        height, width = padded.shape[0] - 2 * r, padded.shape[1] - 2 * r
        hidden = padded[y + r + self.between_y, x + r + self.between_x].any(axis=1)
        ys, xs = y + self.dy, x + self.dx
        keep = ~hidden & (ys >= 0) & (ys < height) & (xs >= 0) & (xs < width)
        return ys[keep], xs[keep]
