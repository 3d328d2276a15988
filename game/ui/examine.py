"""Look at what you see (X): enemies and items described in words, nearest first.

:class:`Examine` holds the things in view when the player pressed X and which one is
shown; :func:`describe_agent` and :func:`describe_item` say what their numbers mean for
the player (who strikes first, what a blow does after DEF, a bow's reach).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from game.actions import DIRECTION_NAMES
from game.state import (
    ALIVE,
    ATK,
    BUFF_ATK,
    BUFF_DEF,
    BUFF_TURNS,
    DEF,
    DEX,
    EQ_MELEE,
    EQ_POTION,
    EQ_RANGED,
    FACTION,
    FLOOR,
    HP,
    I_BATK,
    I_BDEF,
    I_BTURNS,
    I_CAT,
    I_DMAX,
    I_DMIN,
    I_F,
    I_HEAL,
    I_LOC,
    I_RANGE,
    I_X,
    I_Y,
    LOC_FLOOR,
    MAX_HP,
    X,
    Y,
)
from game.ui.view_builder import kind_name, reach_text
from levels.params import LevelParams

COMPASS = {"n": "north", "ne": "north-east", "e": "east", "se": "south-east", "s": "south",
           "sw": "south-west", "w": "west", "nw": "north-west"}


def where(dy: int, dx: int) -> str:
    """``"3 cells to the north-east"`` (the nearest of the eight compass directions)."""
    if dy == 0 and dx == 0:
        return "under you"
    angle = (np.degrees(np.arctan2(dx, -dy)) + 360) % 360  # 0 = north, clockwise
    name = COMPASS[DIRECTION_NAMES[int((angle + 22.5) // 45) % 8]]
    cells = max(abs(dy), abs(dx))
    return f"{cells} cell{'s' if cells > 1 else ''} to the {name}"


def _health_words(hp: int, max_hp: int) -> str:
    frac = hp / max(max_hp, 1)
    if frac >= 1:
        return "unhurt"
    if frac > 0.6:
        return "lightly wounded"
    if frac > 0.3:
        return "badly wounded"
    return "near death"


def describe_agent(params: LevelParams, ag: np.ndarray, it: np.ndarray, slot: int, me: int,
                   name: str, factions: tuple[str, ...]) -> tuple[str, list[str]]:
    """A title and lines about agent ``slot`` as seen by agent ``me`` (ATK/DEF include buffs)."""
    a, m = ag[slot], ag[me]
    buff = (int(a[BUFF_ATK]), int(a[BUFF_DEF])) if a[BUFF_TURNS] > 0 else (0, 0)
    atk, defense = int(a[ATK]) + buff[0], int(a[DEF]) + buff[1]
    my_def = int(m[DEF]) + (int(m[BUFF_DEF]) if m[BUFF_TURNS] > 0 else 0)
    my_atk = int(m[ATK]) + (int(m[BUFF_ATK]) if m[BUFF_TURNS] > 0 else 0)
    enemy = a[FACTION] != m[FACTION]
    lines = [f"{'An enemy' if enemy else 'An ally'} of the {factions[int(a[FACTION])]}, "
             f"{where(int(a[Y] - m[Y]), int(a[X] - m[X]))}.",
             f"HP {int(a[HP])} of {int(a[MAX_HP])}: {_health_words(int(a[HP]), int(a[MAX_HP]))}."]
    melee = int(a[EQ_MELEE])
    if melee >= 0:
        lo, hi = int(it[melee, I_DMIN]) + atk, int(it[melee, I_DMAX]) + atk
        lines.append(f"Wields a {kind_name(params, it[melee])}: {lo}-{hi} per blow (weapon "
                     f"{it[melee, I_DMIN]}-{it[melee, I_DMAX]} + ATK {atk}).")
    else:
        lines.append(f"Bare-handed: ATK {atk} per blow.")
    lo = (int(it[melee, I_DMIN]) if melee >= 0 else 0) + atk
    hi = (int(it[melee, I_DMAX]) if melee >= 0 else 0) + atk
    if enemy:
        lines.append(f"Against your DEF {my_def} its blows take {max(lo - my_def, 0)}-{max(hi - my_def, 0)} HP.")
        mine = int(m[EQ_MELEE])
        mlo = (int(it[mine, I_DMIN]) if mine >= 0 else 0) + my_atk
        mhi = (int(it[mine, I_DMAX]) if mine >= 0 else 0) + my_atk
        lines.append(f"DEF {defense}: your blows take {max(mlo - defense, 0)}-{max(mhi - defense, 0)} of its HP.")
    ranged = int(a[EQ_RANGED])
    if ranged >= 0:
        lines.append(f"Carries a {kind_name(params, it[ranged])}: {it[ranged, I_DMIN]}-{it[ranged, I_DMAX]} "
                     f"+ DEX {int(a[DEX])} per arrow, {reach_text(int(it[ranged, I_RANGE]), int(a[DEX]))}.")
    order = "acts before you" if a[DEX] > m[DEX] else ("acts after you" if a[DEX] < m[DEX] else
                                                          "acts before or after you (equal DEX: a draw)")
    lines.append(f"DEX {int(a[DEX])}: {order} each turn.")
    if a[EQ_POTION] >= 0:
        lines.append("Carries a potion.")
    if buff != (0, 0):
        lines.append(f"Buffed: {buff[0]:+d} ATK {buff[1]:+d} DEF for {int(a[BUFF_TURNS])} more turns.")
    return name, lines


def describe_item(params: LevelParams, row: np.ndarray, me_row: np.ndarray, it: np.ndarray) -> tuple[str, list[str]]:
    """A title and lines about a floor item, for a player with agent row ``me_row``."""
    name = kind_name(params, row)
    lines = [f"Lies {where(int(row[I_Y] - me_row[Y]), int(row[I_X] - me_row[X]))}."]
    category = int(row[I_CAT])
    held = int(me_row[EQ_MELEE + category]) if category < 3 else -1
    if category == 0:
        lines.append(f"A melee weapon: {row[I_DMIN]}-{row[I_DMAX]} damage per blow, plus your ATK "
                     f"{int(me_row[ATK])}, minus the target's DEF.")
    elif category == 1:
        lines.append(f"A bow: {row[I_DMIN]}-{row[I_DMAX]} damage per arrow plus your DEX {int(me_row[DEX])}, "
                     f"minus the target's DEF; F fires it.")
        lines.append(f"For you: {reach_text(int(row[I_RANGE]), int(me_row[DEX]))}; targets must be 2+ cells away.")
    elif category == 2:
        if row[I_HEAL] > 0:
            lines.append(f"Heals {row[I_HEAL]} HP when drunk (R).")
        elif row[I_HEAL] < 0:
            lines.append(f"Poison: drinking it costs {-row[I_HEAL]} HP.")
        if row[I_BTURNS] > 0:
            lines.append(f"Then {row[I_BATK]:+d} ATK and {row[I_BDEF]:+d} DEF for {row[I_BTURNS]} turns.")
    else:
        lines.append("A key: opens one locked door (Space next to it).")
    if held >= 0:
        lines.append(f"You hold a {kind_name(params, it[held])}: walking over this takes it only if it is "
                     "better (the old one is left in its place).")
    elif category < 3:
        lines.append("Walk over it to pick it up.")
    return f"{name[:1].upper()}{name[1:]}", lines


@dataclass
class Examine:
    """What X looks at: targets in view, nearest first, and the one shown.

    A target is ``("agent", slot)`` or ``("item", item index)``.
    """

    targets: list[tuple[str, int]]
    index: int = 0

    @classmethod
    def of(cls, world, me: int, visible: np.ndarray) -> Examine:
        """The living agents and floor items agent ``me`` sees now, nearest first."""
        ag, it = world.ag[0], world.it[0]
        floor, y, x = int(ag[me, FLOOR]), int(ag[me, Y]), int(ag[me, X])
        found = []
        for slot in range(ag.shape[0]):
            a = ag[slot]
            if slot != me and a[ALIVE] and a[FLOOR] == floor and visible[a[Y], a[X]]:
                found.append((max(abs(int(a[Y]) - y), abs(int(a[X]) - x)), 0, "agent", slot))
        for i in range(it.shape[0]):
            r = it[i]
            if r[I_LOC] == LOC_FLOOR and r[I_F] == floor and visible[r[I_Y], r[I_X]]:
                found.append((max(abs(int(r[I_Y]) - y), abs(int(r[I_X]) - x)), 1, "item", i))
        return cls([(kind, index) for _, _, kind, index in sorted(found)])

    @property
    def current(self) -> tuple[str, int] | None:
        """The target shown (None when nothing is in view)."""
        return self.targets[self.index % len(self.targets)] if self.targets else None

    def next(self) -> None:
        """Show the next target."""
        self.index += 1

    def describe(self, sim, me: int, names: tuple[str, ...]) -> tuple[str, list[str]]:
        """The shown target's title and lines (a note when it is gone or nothing is in view)."""
        target = self.current
        ag, it = sim.world.ag[0], sim.world.it[0]
        if target is None:
            return "Nothing in view", ["No creature or item is in sight."]
        kind, index = target
        if kind == "agent":
            if not ag[index, ALIVE]:
                return names[index], ["Dead."]
            return describe_agent(sim.params, ag, it, index, me, names[index], tuple(sim.layout.factions))
        if it[index, I_LOC] != LOC_FLOOR:
            return "Gone", ["Someone picked it up."]
        return describe_item(sim.params, it[index], ag[me], it)


__all__ = ["Examine", "describe_agent", "describe_item", "where"]
