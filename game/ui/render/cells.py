"""Per-cell knowledge shared by every view: unexplored, remembered or visible now."""

from __future__ import annotations

import numpy as np

from game.ui.view_state import ViewState
from levels.tiles import OPAQUE

UNEXPLORED, REMEMBERED, VISIBLE = 0, 1, 2


def cell_states(view: ViewState) -> np.ndarray:
    """``(H, W)`` uint8: :data:`VISIBLE`, :data:`REMEMBERED` (explored only) or :data:`UNEXPLORED`.

    An opaque cell (wall, closed door) next to a see-through cell in a brighter state
    (8-neighbourhood) takes that state: seeing a floor cell means seeing the walls
    around it. The game's ray-tree field of view leaves, for example, the side walls
    of a corridor unmarked beyond the first cell; without this they would be drawn as
    black slabs along a lit floor.
    """
    explored = np.asarray(view.explored, bool)
    visible = np.asarray(view.visible, bool)
    states = np.where(visible, VISIBLE, np.where(explored, REMEMBERED, UNEXPLORED)).astype(np.uint8)
    opaque = OPAQUE[np.asarray(view.tiles)]
    padded = np.pad(np.where(opaque, UNEXPLORED, states), 1)
    height, width = states.shape
    around = np.zeros_like(states)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            np.maximum(around, padded[dy:dy + height, dx:dx + width], out=around)
    return np.where(opaque, np.maximum(states, around), states)
