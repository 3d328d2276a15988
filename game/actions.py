"""The action table: stable indices that checkpoints record.

Indices never change meaning once published; later issues append actions (navigator
actions such as "go to entity k", "explore", "flee") after :data:`CORE_ACTIONS`. The
size of the action space is a simulator option (``num_actions``) so a checkpoint
trained with a larger table keeps the meaning of every index it shares with a smaller
one. Actions beyond :data:`CORE_ACTIONS` that the simulator does not implement are
always masked out (illegal).
"""

from __future__ import annotations

import numpy as np

#: Bumped whenever an index changes meaning (appending actions does not bump it).
ACTIONS_VERSION = 1

#: Row and column steps of the eight directions, in action order: N, NE, E, SE, S, SW, W, NW.
DIRECTIONS = np.array(
    [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)], dtype=np.int32
)
DIRECTION_NAMES = ("n", "ne", "e", "se", "s", "sw", "w", "nw")

WAIT = 0
MOVE_FIRST = 1  # 1..8: move (or melee an enemy standing there) in DIRECTIONS order
SHOOT_FIRST = 9  # 9..16: ranged attack in DIRECTIONS order
USE_POTION = 17
INTERACT = 18

#: Number of actions the rules implement; indices 0..CORE_ACTIONS-1.
CORE_ACTIONS = 19

#: Action names by index.
ACTION_NAMES: tuple[str, ...] = (
    ("wait",)
    + tuple(f"move_{d}" for d in DIRECTION_NAMES)
    + tuple(f"shoot_{d}" for d in DIRECTION_NAMES)
    + ("use_potion", "interact")
)


def action_name(index: int) -> str:
    """Human-readable name of an action index (``"reserved_<i>"`` beyond the core table)."""
    return ACTION_NAMES[index] if 0 <= index < CORE_ACTIONS else f"reserved_{index}"
