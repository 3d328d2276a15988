"""A harmonic, grid-cell-like position code: random Fourier features of the (row, col) plane.

``phi(x) = exp(i Omega x) / sqrt(N)`` per module, where a module's N frequency vectors
share one spatial period and point in random directions (like a grid-cell module).
Then ``<phi(x), phi(y)>`` depends only on ``x - y`` (a shift-invariant kernel), and a
displacement is an element-wise phase rotation: ``phi(x + d) = phi(x) * phi(d) *
sqrt(N)``.

The navigator uses the code as its search heuristic. The chord distance
``|phi(a) - phi(b)|`` is a metric; divided by the largest chord one move can span,
``L = max_move |phi(move) - phi(0)|``, it changes by at most 1 per move, so it never
overestimates a route and keeps D* Lite's keys valid (a consistent heuristic). The
maximum over modules keeps both properties. Because the code is shift-invariant, the
heuristic depends only on the displacement and is tabulated once per map size.
"""

from __future__ import annotations

import numpy as np

from search.moves import DIRECTIONS


class HarmonicCode:
    """Random-Fourier-feature position codes in several modules of different periods."""

    def __init__(self, periods: tuple[float, ...] = (6.0, 12.0, 24.0, 48.0, 96.0, 192.0, 384.0),
                 components: int = 32, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.periods = periods
        self.components = components
        angles = rng.uniform(0.0, 2 * np.pi, size=(len(periods), components))
        radii = 2 * np.pi / np.asarray(periods)[:, None]
        # omega[m, k] = (row frequency, column frequency) of component k of module m
        self.omega = np.stack([radii * np.sin(angles), radii * np.cos(angles)], axis=-1)
        moves = np.array(DIRECTIONS, dtype=float)
        self.lipschitz = np.max(self._chord(moves), axis=0)  # per module: largest chord of one move

    def encode(self, positions: np.ndarray) -> np.ndarray:
        """Codes of ``(..., 2)`` row/col positions: complex ``(..., modules, components)``."""
        phase = np.einsum("...d,mkd->...mk", np.asarray(positions, dtype=float), self.omega)
        return np.exp(1j * phase) / np.sqrt(self.components)

    def similarity(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Per-module kernel ``Re <phi(a), phi(b)>`` (1 for equal places, ~0 far apart)."""
        return np.real(np.sum(self.encode(a) * np.conj(self.encode(b)), axis=-1))

    def _chord(self, displacement: np.ndarray) -> np.ndarray:
        """``|phi(d) - phi(0)|`` per module for ``(..., 2)`` displacements."""
        # |exp(i t) - 1| = 2 |sin(t / 2)|: exact at small displacements, unlike sqrt(2 - 2 cos t)
        phase = np.einsum("...d,mkd->...mk", np.asarray(displacement, dtype=float), self.omega)
        return np.sqrt(np.mean(4.0 * np.sin(phase / 2.0) ** 2, axis=-1))

    def distance_bound(self, displacement: np.ndarray) -> np.ndarray:
        """A lower bound on the moves a displacement needs, read from the code alone."""
        return np.max(self._chord(displacement) / self.lipschitz, axis=-1)

    def heuristic_table(self, height: int, width: int) -> list[list[float]]:
        """:meth:`distance_bound` of every in-map displacement: ``table[dy + height - 1][dx + width - 1]``."""
        dy, dx = np.meshgrid(np.arange(1 - height, height), np.arange(1 - width, width), indexing="ij")
        bound = self.distance_bound(np.stack([dy, dx], axis=-1))
        return bound.tolist()
