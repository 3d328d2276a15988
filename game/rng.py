"""Per-world random numbers: splitmix64 on a uint64 state stored in the world arrays.

Every random draw of the rules reads and advances ``rng[b]`` of its own world, so a
world's future depends only on its state (saved and loaded with it) and never on
global or wall-clock state. Seeds come from :class:`numpy.random.SeedSequence`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)


@njit(cache=True, error_model="numpy")
def next_u64(rng: np.ndarray, b: int) -> np.uint64:
    """Advance world ``b``'s generator and return 64 random bits."""
    z = rng[b] + _GOLDEN
    rng[b] = z
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True, error_model="numpy")
def randint(rng: np.ndarray, b: int, low: int, high: int) -> int:
    """A draw from ``[low, high]`` inclusive (``low`` when ``high < low``).

    Uses a modulo reduction: the bias is below 2**-40 for the small spans the rules use.
    """
    if high <= low:
        return low
    span = np.uint64(high - low + 1)
    return low + np.int64(next_u64(rng, b) % span)


def seed_states(seed: int, count: int, stream: int) -> np.ndarray:
    """``count`` generator states for ``stream`` (a purpose tag) of a simulator seed."""
    return np.random.SeedSequence([seed, stream]).generate_state(count, dtype=np.uint64)


def fresh_seed() -> int:
    """A random seed from OS entropy (for ``seed=None``); never from the clock."""
    return int(np.random.SeedSequence().entropy % (2**63))
