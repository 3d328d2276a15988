"""Who hurt whom in one turn, for the message log, hit markers, damage numbers and the death screen.

The simulation applies damage without recording its source. After a turn the game
knows every agent's action and the state before and after it, which is enough to name
the source of each HP loss: an enemy whose move pointed at the victim (melee), an enemy
whose shot line reaches the victim (traced with the rules' own :func:`game.cells.trace_shot`),
lava under the victim, or a poison it drank. This is read-only attribution for display;
the rules stay in :mod:`game.rules`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from game.actions import DIRECTIONS, MOVE_FIRST, SHOOT_FIRST, USE_POTION
from game.cells import reach_of, trace_shot
from game.state import (
    ALIVE,
    DEX,
    EQ_MELEE,
    EQ_POTION,
    EQ_RANGED,
    FACTION,
    FLOOR,
    HP,
    I_HEAL,
    I_RANGE,
    X,
    Y,
)
from levels.tiles import Tile

LAVA = "lava"
POISON = "poison"


@dataclass(frozen=True)
class Hit:
    """One agent's HP loss in one turn and what caused it.

    Attributes:
        victim: the slot that lost HP.
        amount: HP lost this turn (all sources together).
        attackers: slots of the agents that struck it (melee or shot).
        weapons: per attacker, the weapon it used ("" for bare hands).
        hazards: ``"lava"`` / ``"poison"`` when those hurt it.
        died: whether the loss killed it.
        y, x: where the victim stood after the turn (or died).
    """

    victim: int
    amount: int
    attackers: tuple[int, ...]
    weapons: tuple[str, ...]
    hazards: tuple[str, ...]
    died: bool
    y: int
    x: int

    def source_angle(self, ag: np.ndarray) -> float | None:
        """Direction (radians, 0 = east, pi/2 = south) from the victim to its first attacker."""
        if not self.attackers:
            return None
        a = ag[self.attackers[0]]
        return math.atan2(float(a[Y] - self.y), float(a[X] - self.x))


def _melee_hits(before: np.ndarray, after: np.ndarray, slot: int, action: int,
                victim_cells: set[tuple[int, int, int]]) -> bool:
    if not MOVE_FIRST <= action < MOVE_FIRST + 8:
        return False
    row = before[slot]
    if tuple(after[slot, [FLOOR, Y, X]]) != tuple(row[[FLOOR, Y, X]]):
        return False  # it moved: the move was a step, not a strike
    dy, dx = DIRECTIONS[action - MOVE_FIRST]
    return (int(row[FLOOR]), int(row[Y] + dy), int(row[X] + dx)) in victim_cells


def _shot_hits(tiles: np.ndarray, ag: np.ndarray, it: np.ndarray, slot: int, action: int,
               victim: int, victim_cells: set[tuple[int, int, int]]) -> bool:
    if not SHOOT_FIRST <= action < SHOOT_FIRST + 8:
        return False
    row = ag[slot]
    weapon = int(row[EQ_RANGED])
    if weapon < 0:
        return False
    reach = reach_of(int(it[weapon, I_RANGE]), int(row[DEX]))
    for floor, y, x in victim_cells:
        if floor != row[FLOOR]:
            continue
        occ = np.full(tiles.shape[1:], -1, np.int16)
        occ[y, x] = victim
        hit, _ = trace_shot(tiles[floor], occ, int(row[Y]), int(row[X]), action - SHOOT_FIRST, reach)
        if hit == victim:
            return True
    return False


def turn_hits(before_ag: np.ndarray, before_it: np.ndarray, after_ag: np.ndarray, tiles: np.ndarray,
              actions: np.ndarray, weapon_name) -> list[Hit]:
    """Every HP loss of the turn from ``before_*`` to ``after_ag`` with its causes.

    ``tiles`` are the world's floors after the turn, ``actions`` the ``[A]`` actions
    played, ``weapon_name(item_slot)`` names an item slot (for "with a long sword").
    """
    hits = []
    actions = np.asarray(actions).reshape(-1)
    for victim in range(after_ag.shape[0]):
        a0, a1 = before_ag[victim], after_ag[victim]
        lost = int(a0[HP]) - int(a1[HP])
        if not a0[ALIVE] or lost <= 0:
            continue
        cells = {(int(a0[FLOOR]), int(a0[Y]), int(a0[X])), (int(a1[FLOOR]), int(a1[Y]), int(a1[X]))}
        attackers, weapons = [], []
        for slot, action in enumerate(actions.tolist()):
            if slot == victim or not before_ag[slot, ALIVE] or before_ag[slot, FACTION] == a0[FACTION]:
                continue
            if _melee_hits(before_ag, after_ag, slot, action, cells):
                item = int(before_ag[slot, EQ_MELEE])
            elif _shot_hits(tiles, after_ag, before_it, slot, action, victim, cells):
                item = int(before_ag[slot, EQ_RANGED])
            else:
                continue
            attackers.append(slot)
            weapons.append(weapon_name(item) if item >= 0 else "")
        hazards = []
        if tiles[a1[FLOOR], a1[Y], a1[X]] == Tile.LAVA:
            hazards.append(LAVA)
        potion = int(a0[EQ_POTION])
        if actions[victim] == USE_POTION and potion >= 0 and before_it[potion, I_HEAL] < 0:
            hazards.append(POISON)
        hits.append(Hit(victim, lost, tuple(attackers), tuple(weapons), tuple(hazards),
                        not a1[ALIVE], int(a1[Y]), int(a1[X])))
    return hits


def cause_text(hit: Hit, names: tuple[str, ...], player: int) -> str:
    """What did it, in words: ``"Ghoul 2 (long sword)"``, ``"lava"``, ``"Ghoul 1 and lava"``."""
    parts = []
    for slot, weapon in zip(hit.attackers, hit.weapons, strict=True):
        who = "you" if slot == player else names[slot]
        parts.append(f"{who} ({weapon})" if weapon else who)
    parts += [{LAVA: "lava", POISON: "a poisoned potion"}[h] for h in hit.hazards]
    if not parts:
        return "an unseen attack"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def death_cause(hit: Hit, names: tuple[str, ...], player: int) -> str:
    """The death screen's line: ``"Slain by Ghoul 2 (long sword)"``, ``"Burned in lava"``."""
    if hit.attackers:
        return f"Slain by {cause_text(hit, names, player)}"
    if hit.hazards == (LAVA,):
        return "Burned to death in lava"
    if hit.hazards == (POISON,):
        return "Poisoned by a potion"
    return f"Killed by {cause_text(hit, names, player)}"
