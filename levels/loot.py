"""Procedural loot: drawing item kinds by weight and their attributes from ranges."""

from __future__ import annotations

import numpy as np

from levels.level import ITEM_ATTRIBUTES, ItemStats
from levels.params import ItemKind


def draw_kinds(rng: np.random.Generator, kinds: dict[str, ItemKind], count: int) -> np.ndarray:
    """Indices into ``list(kinds)`` of ``count`` kinds drawn with probability ∝ weight."""
    weights = np.array([k.weight for k in kinds.values()], dtype=np.float64)
    if count == 0 or weights.sum() <= 0:
        return np.zeros(0, dtype=np.int64)
    return rng.choice(len(weights), size=count, p=weights / weights.sum())


def sample_items(rng: np.random.Generator, names: list[str], kinds: dict[str, ItemKind],
                 choice: np.ndarray) -> list[ItemStats]:
    """Draw attribute values for items whose kinds are ``names[choice[i]]``.

    All attributes are drawn in one vectorised pass per attribute, in the fixed
    :data:`~levels.level.ITEM_ATTRIBUTES` order, so results depend only on the rng.
    """
    table = [kinds[n] for n in names]
    values = {}
    for attribute in ITEM_ATTRIBUTES:
        low = np.array([getattr(k, attribute)[0] for k in table], dtype=np.int64)[choice]
        high = np.array([getattr(k, attribute)[1] for k in table], dtype=np.int64)[choice]
        values[attribute] = rng.integers(low, high + 1) if len(choice) else low
    values["damage_max"] = np.maximum(values["damage_max"], values["damage_min"])
    return [
        ItemStats(kind=names[c], category=table[c].category,
                  **{a: int(values[a][i]) for a in ITEM_ATTRIBUTES})
        for i, c in enumerate(choice)
    ]
