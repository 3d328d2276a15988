"""What the game calls each agent: the spawn group's designer-given name and a number.

The simulation knows agents by slot and faction only. A spawn group may carry a
``name`` in the level's TOML (``name = "ghoul"``); each agent is matched back to the
group that most likely made it (same faction, a floor the group spawns on, DEF and
DEX inside the group's ranges, which depth scaling leaves alone), and named after it,
numbered among agents of the same name ("Ghoul 2"). Groups without a name use the
faction's name in the singular ("monsters" -> "Monster").
"""

from __future__ import annotations

import numpy as np

from game.state import DEF, DEX, FACTION, FLOOR, PRESENT
from levels.params import LevelParams, SpawnGroup


def _group_of(params: LevelParams, faction: str, floor: int, defense: int, dex: int) -> SpawnGroup | None:
    """The first spawn group that could have made an agent with these values (None if none)."""
    fallback = None
    for group in params.spawns:
        if group.faction != faction or (group.floors and floor not in group.floors):
            continue
        fallback = fallback or group
        if group.defense[0] <= defense <= group.defense[1] and group.dex[0] <= dex <= group.dex[1]:
            return group
    return fallback


def _singular(faction: str) -> str:
    """``"monsters"`` -> ``"monster"``: one agent of a faction without a spawn-group name."""
    name = faction.replace("_", " ")
    return name[:-1] if len(name) > 3 and name.endswith("s") and not name.endswith("ss") else name


def agent_kinds(params: LevelParams, factions: tuple[str, ...], ag: np.ndarray) -> tuple[str, ...]:
    """The kind name of every agent row of ``ag`` (``[A, fields]``, e.g. at the start of a run)."""
    kinds = []
    for row in ag:
        faction = factions[int(row[FACTION])] if row[PRESENT] and row[FACTION] >= 0 else ""
        group = _group_of(params, faction, int(row[FLOOR]), int(row[DEF]), int(row[DEX])) if faction else None
        kinds.append(group.name if group is not None and group.name else _singular(faction))
    return tuple(kinds)


def numbered_names(kinds: tuple[str, ...], present: np.ndarray) -> tuple[str, ...]:
    """``"Ghoul 2"`` for each slot: the kind, capitalised, numbered among present agents of that kind.

    A kind with a single agent gets no number.
    """
    totals: dict[str, int] = {}
    for kind, here in zip(kinds, present, strict=True):
        if here:
            totals[kind] = totals.get(kind, 0) + 1
    seen: dict[str, int] = {}
    names = []
    for kind, here in zip(kinds, present, strict=True):
        label = kind[:1].upper() + kind[1:] if kind else "Someone"
        if here and totals.get(kind, 0) > 1:
            seen[kind] = seen.get(kind, 0) + 1
            label = f"{label} {seen[kind]}"
        names.append(label)
    return tuple(names)
