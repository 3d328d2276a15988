"""Agent slots: which slot holds which faction's n-th agent, and its name.

Slots are grouped by faction in the order of ``params.factions``; a faction gets as
many slots as its spawn groups can ever create (the upper end of ``count`` times the
floors each group spawns on), so ``possible_agents`` is fixed by the parameters and a
slot always carries the same name (``"hero_0"``, ``"monsters_2"``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from levels.level import Level
from levels.params import LevelParams


@dataclass(frozen=True)
class AgentLayout:
    """Faction order and agent slots of one simulator."""

    factions: tuple[str, ...]
    slots: tuple[int, ...]  # slots per faction

    @classmethod
    def from_params(cls, params: LevelParams, levels: Sequence[Level] = ()) -> AgentLayout:
        """Slots for the most agents ``params`` (or any of ``levels``) can put in a level."""
        factions = tuple(params.factions)
        counts = dict.fromkeys(factions, 0)
        for group in params.spawns:
            floors = len(group.floors) or params.floors.count
            counts[group.faction] += group.count[1] * floors
        for level in levels:
            seen = dict.fromkeys(factions, 0)
            for spawn in level.spawns:
                seen[spawn.faction] = seen.get(spawn.faction, 0) + 1
            for name, n in seen.items():
                if name not in counts:
                    raise ValueError(f"level spawn faction {name!r} is not in params.factions")
                counts[name] = max(counts[name], n)
        return cls(factions, tuple(counts[f] for f in factions))

    @property
    def num_agents(self) -> int:
        """Total slots A."""
        return sum(self.slots)

    def offset(self, faction: int) -> int:
        """First slot of faction index ``faction``."""
        return sum(self.slots[:faction])

    @property
    def names(self) -> tuple[str, ...]:
        """Agent name of every slot, in slot order."""
        return tuple(f"{name}_{i}" for name, n in zip(self.factions, self.slots, strict=True)
                     for i in range(n))

    def slot_faction(self) -> tuple[int, ...]:
        """Faction index of every slot."""
        return tuple(f for f, n in enumerate(self.slots) for _ in range(n))
