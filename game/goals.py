"""Goals in the simulation: the tables the kernels read and names for the APIs.

Each faction's goal comes from the level (:attr:`levels.level.Level.goals`, drawn by
the generator from the faction's weights) and is copied into ``World.goal`` at every
reset. How goals are met, lost and drawn is the rule book's "Goals" section
(docs/simulation.md); the checks themselves are :func:`game.outcome.finish_check`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from game.state import CAUSES
from levels.params import GOALS, LevelParams


def elimination_targets(params: LevelParams, factions: Sequence[str]) -> np.ndarray:
    """``uint8 [F, F]``: row f marks the factions an ``eliminate`` goal of faction f must wipe out.

    A faction's ``eliminate`` list names them; an empty list means every other faction.
    """
    targets = np.zeros((len(factions), len(factions)), np.uint8)
    for f, name in enumerate(factions):
        named = params.factions[name].eliminate if name in params.factions else []
        for g, other in enumerate(factions):
            if other != name and (not named or other in named):
                targets[f, g] = 1
    return targets


def goal_names(factions: Sequence[str], codes: np.ndarray) -> dict[str, str]:
    """``{faction: goal name}`` for one world's ``World.goal`` row."""
    return {name: GOALS[int(code)] for name, code in zip(factions, codes, strict=True)}


def cause_name(code: int) -> str:
    """The name of an ``OUT_CAUSE`` code ("" while the episode goes on)."""
    return CAUSES[int(code)]
