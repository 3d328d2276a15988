"""From the simulation to a :class:`~game.ui.view_state.ViewState`: what one frame shows.

Everything here reads the batched simulator's state (world 0 of a batch of one) and
returns plain data: the floor as the viewer knows it, what it sees now, sprites at
their animated positions, the HUD, and the message-log lines that describe what
changed between two turns (:func:`turn_messages`). Nothing here draws or mutates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from game.actions import DIRECTIONS
from game.fov import compute_fov
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
    I_HOLDER,
    I_LOC,
    I_RANGE,
    I_X,
    I_Y,
    KEYS,
    LOC_CONSUMED,
    LOC_FLOOR,
    LOC_HELD,
    MAX_HP,
    W_TURN,
    X,
    Y,
)
from game.ui.animation import Pose, Tween
from game.ui.effects import tinted
from game.ui.view_state import Effect, Hud, Sprite, ViewState
from levels.level import ITEM_ATTRIBUTES
from levels.params import LevelParams
from levels.tiles import Tile

#: Sprite kind of each item category code (game.state MELEE, RANGED, POTION, KEY).
ITEM_KINDS = ("melee", "ranged", "potion", "key", "artifact")
CAMERA = "camera"  # the Tween key of the camera pose


def agent_key(slot: int) -> tuple[str, int]:
    """The Tween key of agent ``slot``."""
    return ("agent", slot)


def direction_angle(direction: int) -> float:
    """View angle (radians, 0 = east, pi/2 = south) of a :data:`game.actions.DIRECTIONS` index."""
    dy, dx = DIRECTIONS[direction]
    return math.atan2(float(dy), float(dx))


def display_name(agent_name: str) -> str:
    """``"monsters_2"`` -> ``"monsters 2"`` for the message log."""
    return agent_name.replace("_", " ")


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` as an RGB tuple."""
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


# ----------------------------------------------------------------------------- the floor


def known_tiles(world, viewer: int, floor: int) -> tuple[np.ndarray, np.ndarray]:
    """``(tiles, explored)`` of ``floor`` as agent ``viewer`` remembers it.

    Unexplored cells read as walls in ``tiles``; ``explored`` tells them apart.
    """
    memory = world.memory[0, viewer, floor]
    explored = memory > 0
    tiles = np.where(explored, memory.astype(np.int16) - 1, int(Tile.WALL)).astype(np.uint8)
    return tiles, explored


def visible_cells(world, config, viewer: int) -> np.ndarray:
    """``(H, W)`` bool: the cells agent ``viewer`` sees now on its floor (none if dead).

    Runs the simulator's own field-of-view kernel on a scratch memory (which it marks
    for every cell in view), so the picture always agrees with the rules.
    """
    ag = world.ag[0, viewer]
    floor_tiles = world.tiles[0, ag[FLOOR]]
    scratch = np.zeros(floor_tiles.shape, dtype=world.memory.dtype)
    if not ag[ALIVE]:
        return scratch.astype(bool)
    grid = 2 * (config.fov_parent.shape[0] - 1) + 1
    seen = np.zeros((grid, grid), np.uint8)
    compute_fov(floor_tiles, scratch, int(ag[Y]), int(ag[X]), int(config.sight[ag[FACTION]]),
                config.fov_parent, config.fov_row_end, seen)
    return scratch > 0


# ----------------------------------------------------------------------------- HUD text


def kind_name(params: LevelParams, row: np.ndarray) -> str:
    """The loot kind an item row most likely is (``"long sword"``), else a generic name.

    The simulation keeps items by attributes only; the name is recovered for display
    from the first kind of the same category whose attribute ranges hold the values.
    """
    category = ITEM_KINDS[int(row[I_CAT])]
    if category == "artifact":
        return params.artifact.name
    for name, kind in params.loot.all_kinds().items():
        if kind.category == category and all(
                getattr(kind, attr)[0] <= int(row[I_DMIN + k]) <= getattr(kind, attr)[1]
                for k, attr in enumerate(ITEM_ATTRIBUTES)):
            return name.replace("_", " ")
    return {"melee": "weapon", "ranged": "bow"}.get(category, category)


def reach_text(range_: int, dex: int) -> str:
    """``"reach 3 (range 2 + DEX 3 - 2)"``: a bow's reach for its holder, with the rule spelled out."""
    reach = max(2, range_ + dex - 2)
    rule = f"range {range_} + DEX {dex} - 2"
    return f"reach {reach} ({rule})" if reach == range_ + dex - 2 else f"reach {reach} (at least 2)"


def weapon_text(params: LevelParams, it: np.ndarray, slot: int, dex: int, ranged: bool) -> str:
    """``"long sword 3-6"`` / ``"bow 1-5, reach 4"`` for item ``slot`` ("" for none)."""
    if slot < 0:
        return ""
    row = it[slot]
    text = f"{kind_name(params, row)} {row[I_DMIN]}-{row[I_DMAX]}"
    if ranged:
        text += f", reach {max(2, int(row[I_RANGE]) + dex - 2)}"
    return text


def potion_text(params: LevelParams, it: np.ndarray, slot: int) -> str:
    """``"health potion +5"`` / ``"buff potion +2 ATK +3 DEF, 3 turns"`` ("" for none)."""
    if slot < 0:
        return ""
    row = it[slot]
    parts = [kind_name(params, row)]
    if row[I_HEAL]:
        parts.append(f"{row[I_HEAL]:+d} HP")
    if row[I_BTURNS]:
        parts.append(f"{row[I_BATK]:+d} ATK {row[I_BDEF]:+d} DEF, {row[I_BTURNS]} turns")
    return " ".join(parts)


def make_hud(sim, viewer: int, messages: tuple[str, ...], title: str, status: tuple[str, ...] = (),
             scrollback: str = "") -> Hud:
    """The HUD of agent ``viewer``: stats (ATK/DEF with the active buff), equipment, buff, floor, log."""
    world, params = sim.world, sim.params
    floors = int(world.tiles.shape[1])
    ag = world.ag[0, viewer]
    it = world.it[0]
    buff = ""
    if ag[BUFF_TURNS] > 0:
        buff = f"{ag[BUFF_ATK]:+d} ATK {ag[BUFF_DEF]:+d} DEF, {ag[BUFF_TURNS]} turns"
    bonus_atk, bonus_def = (int(ag[BUFF_ATK]), int(ag[BUFF_DEF])) if ag[BUFF_TURNS] > 0 else (0, 0)
    return Hud(hp=int(ag[HP]), max_hp=int(ag[MAX_HP]), atk=int(ag[ATK]) + bonus_atk,
               defense=int(ag[DEF]) + bonus_def, atk_bonus=bonus_atk, def_bonus=bonus_def,
               status=status, scrollback=scrollback,
               dex=int(ag[DEX]), melee=weapon_text(params, it, int(ag[EQ_MELEE]), int(ag[DEX]), False),
               ranged=weapon_text(params, it, int(ag[EQ_RANGED]), int(ag[DEX]), True),
               potion=potion_text(params, it, int(ag[EQ_POTION])), keys=int(ag[KEYS]), buff=buff,
               floor=int(ag[FLOOR]), floors=floors, turn=int(world.wi[0, W_TURN]),
               messages=messages, title=title)


# ----------------------------------------------------------------------------- sprites


def agent_pose(world, slot: int, facing: float) -> Pose:
    """Agent ``slot``'s cell (as floats) with the given facing."""
    ag = world.ag[0, slot]
    return Pose(float(ag[Y]), float(ag[X]), facing)


def sprites_for(world, floor: int, visible: np.ndarray, tween: Tween, now: float, player: int,
                colours: tuple[tuple[int, int, int], ...], factions: tuple[str, ...],
                labels: Mapping[int, str], flashes: Mapping[int, float] | None = None) -> tuple[Sprite, ...]:
    """Items and living agents on ``floor`` standing on ``visible`` cells, agents animated.

    ``flashes`` maps an agent slot to its hit flash (1 just hit, fading to 0).
    """
    sprites = []
    for row in world.it[0]:
        if row[I_LOC] == LOC_FLOOR and row[I_F] == floor and visible[row[I_Y], row[I_X]]:
            sprites.append(Sprite(float(row[I_Y]), float(row[I_X]), ITEM_KINDS[row[I_CAT]]))
    for slot, ag in enumerate(world.ag[0]):
        if not ag[ALIVE] or ag[FLOOR] != floor or not visible[ag[Y], ag[X]]:
            continue
        pose = tween.sample(agent_key(slot), now) or agent_pose(world, slot, 0.0)
        faction = int(ag[FACTION])
        flash = (flashes or {}).get(slot, 0.0)
        sprites.append(Sprite(pose.y, pose.x, "agent", faction=factions[faction],
                              is_player=slot == player, hp_frac=float(ag[HP]) / max(int(ag[MAX_HP]), 1),
                              label=labels.get(slot, ""), flash=flash, slot=slot,
                              colour=tinted(colours[faction % len(colours)], flash)))
    return tuple(sprites)


@dataclass(frozen=True)
class ViewRequest:
    """Who is watched and how (the app's state that shapes a frame)."""

    viewer: int  # the agent slot whose eyes (and HUD) the frame shows
    player: int  # the player's slot (-1 when spectating)
    omniscient: bool = False  # show the whole floor and every agent on it
    messages: tuple[str, ...] = ()
    title: str = ""
    labels: Mapping[int, str] | None = None
    paths: tuple[tuple[tuple[int, int], ...], ...] = ()  # planned paths on the viewer's floor
    status: tuple[str, ...] = ()  # HUD status badges (see Hud.status)
    scrollback: str = ""  # the log's scroll note (see Hud.scrollback)
    effects: tuple[Effect, ...] = ()  # damage numbers and hit markers
    flashes: Mapping[int, float] | None = None  # hit flash per agent slot
    big_map: bool = False


def build_view(sim, request: ViewRequest, tween: Tween, now: float,
               colours: tuple[tuple[int, int, int], ...]) -> ViewState:
    """The :class:`ViewState` of one frame of ``sim`` (a batch of one) for ``request``."""
    world = sim.world
    floor = int(world.ag[0, request.viewer, FLOOR])
    if request.omniscient:
        tiles = world.tiles[0, floor].copy()
        explored = np.ones(tiles.shape, dtype=bool)
        visible = explored.copy()
    else:
        tiles, explored = known_tiles(world, request.viewer, floor)
        visible = visible_cells(world, sim.config, request.viewer)
        # What is in view now is shown as it is now (memory is updated at observation time).
        tiles[visible] = world.tiles[0, floor][visible]
        explored |= visible
    camera = tween.sample(CAMERA, now) or agent_pose(world, request.viewer, 0.0)
    sprites = sprites_for(world, floor, visible, tween, now, request.player, colours,
                          tuple(sim.layout.factions), request.labels or {}, request.flashes)
    hud = make_hud(sim, request.viewer, request.messages, request.title, request.status, request.scrollback)
    return ViewState(tiles=tiles, explored=explored, visible=visible, camera_y=camera.y,
                     camera_x=camera.x, facing=camera.facing, sprites=sprites, hud=hud,
                     paths=request.paths, effects=request.effects, big_map=request.big_map)


# ----------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class Snapshot:
    """The parts of a world that :func:`turn_messages` compares (copies)."""

    ag: np.ndarray
    it: np.ndarray
    tiles: np.ndarray

    @classmethod
    def take(cls, world) -> Snapshot:
        """Copy what is needed from world 0 of ``world``."""
        return cls(world.ag[0].copy(), world.it[0].copy(), world.tiles[0].copy())


def _item_phrase(params: LevelParams, row: np.ndarray, dex: int | None = None) -> str:
    """``"a long sword (3-6)"``, ``"a bow (0-3, reach 3 (range 2 + DEX 3 - 2))"``, ``"a health potion"``.

    A bow's reach is given for a holder with ``dex`` (its range alone when None), the
    same number the HUD shows.
    """
    name = kind_name(params, row)
    article = "an" if name[0] in "aeiou" else "a"
    if row[I_CAT] in (0, 1):
        extra = ""
        if row[I_CAT] == 1:
            extra = f", {reach_text(int(row[I_RANGE]), dex)}" if dex is not None else f", range {row[I_RANGE]}"
        return f"{article} {name} ({row[I_DMIN]}-{row[I_DMAX]}{extra})"
    if row[I_CAT] == 2:
        effect = potion_text(params, row[None], 0)[len(name):].strip()
        return f"{article} {name}" + (f" ({effect})" if effect else "")
    return f"{article} {name}"


def _hit_line(hit, names: tuple[str, ...], viewer: int, me: str, second_person: bool) -> str:
    """One log line for one HP loss: who did it to whom, how much, with what."""
    from game.ui.combat import LAVA, POISON

    victim = me if hit.victim == viewer else names[hit.victim]
    obj = "you" if hit.victim == viewer and second_person else victim
    if hit.attackers:
        strikers = ["You" if a == viewer and second_person else names[a] for a in hit.attackers]
        weapon = hit.weapons[0]
        how = f" with a {weapon}" if weapon and len(strikers) == 1 else ""
        who = strikers[0] if len(strikers) == 1 else " and ".join(strikers)
        verb = "hit" if who == "You" or len(strikers) > 1 else "hits"
        burn = f", and the lava burns {obj}" if LAVA in hit.hazards else ""
        line = f"{who} {verb} {obj}{how}{burn}: -{hit.amount} HP"
    elif LAVA in hit.hazards:
        line = f"The lava burns {obj}: -{hit.amount} HP"
    elif POISON in hit.hazards:
        line = f"The potion was poison: {obj} -{hit.amount} HP" if obj != "you" else \
            f"The potion was poison: -{hit.amount} HP"
    else:
        line = f"{victim} {'take' if victim == 'You' else 'takes'} {hit.amount} damage"
    if hit.died and hit.victim != viewer:
        line += f". {victim} dies"
    return line + "."


def turn_messages(params: LevelParams, before: Snapshot, after: Snapshot, viewer: int,
                  names: tuple[str, ...], visible: np.ndarray, second_person: bool = True,
                  hits: tuple = ()) -> list[str]:
    """Log lines for what changed in one turn, as agent ``viewer`` would notice it.

    Reports the viewer's damage (with its source, from ``hits``: see
    :func:`game.ui.combat.turn_hits`), pickups, swaps and items left behind, potions,
    floor changes and doors it changed, and damage and deaths of other agents on cells
    it sees (before or after the turn). ``names`` are display names ("Ghoul 2"); the
    viewer is "You" for the player (``second_person``). The player's own death is not
    logged here: the end of the run says it once, with its cause.
    """
    me = "You" if second_person else names[viewer]

    def act(you: str, they: str) -> str:
        """``you`` said of the player ("You take"), ``they`` of a watched agent ("Hero takes")."""
        return f"{me} {you if second_person else they}"

    lines: list[str] = []
    me0, me1 = before.ag[viewer], after.ag[viewer]
    floor = int(me0[FLOOR])
    by_victim = {hit.victim: hit for hit in hits}

    def seen(ag: np.ndarray) -> bool:
        """Whether an agent row stands on a cell of the viewer's floor that it sees."""
        return ag[FLOOR] == floor and bool(visible[ag[Y], ag[X]])

    for slot in range(after.ag.shape[0]):
        a0, a1 = before.ag[slot], after.ag[slot]
        if not a0[ALIVE]:
            continue
        lost = int(a0[HP]) - int(a1[HP])
        if slot != viewer and not (seen(a0) or seen(a1)):
            continue
        if lost > 0 and slot in by_victim:
            lines.append(_hit_line(by_victim[slot], names, viewer, me, second_person))
        elif lost > 0:
            who = me if slot == viewer else names[slot]
            lines.append(f"{who} {'take' if who == 'You' else 'takes'} {lost} damage.")
        elif lost < 0 and slot == viewer:
            lines.append(f"{act('heal', 'heals')} {-lost} HP.")
        if not a1[ALIVE] and slot == viewer and not second_person:
            lines.append(f"{me} dies.")
        elif not a1[ALIVE] and slot != viewer and not (lost > 0 and slot in by_victim):
            lines.append(f"{names[slot]} dies.")
    dex = int(me1[DEX])
    for i in range(after.it.shape[0]):
        r0, r1 = before.it[i], after.it[i]
        if r1[I_LOC] == LOC_HELD and r1[I_HOLDER] == viewer and not (
                r0[I_LOC] == LOC_HELD and r0[I_HOLDER] == viewer):
            lines.append(f"{act('pick', 'picks')} up {_item_phrase(params, r1, dex)}.")
        if r0[I_LOC] == LOC_HELD and r0[I_HOLDER] == viewer and r1[I_LOC] == LOC_FLOOR and me1[ALIVE]:
            lines.append(f"{act('leave', 'leaves')} {_item_phrase(params, r1, dex)} on the floor "
                         "(the better item replaced it).")
        if r1[I_LOC] == LOC_CONSUMED and r0[I_LOC] == LOC_HELD and r0[I_HOLDER] == viewer:
            lines.append(f"{act('drink', 'drinks')} {_item_phrase(params, r0)}." if r1[I_CAT] == 2
                         else f"{act('unlock', 'unlocks')} a door with a key.")
    moved = (me1[FLOOR], me1[Y], me1[X]) != (me0[FLOOR], me0[Y], me0[X])
    if me1[ALIVE] and moved:
        for i in range(after.it.shape[0]):
            r1 = after.it[i]
            if r1[I_LOC] != LOC_FLOOR or (r1[I_F], r1[I_Y], r1[I_X]) != (me1[FLOOR], me1[Y], me1[X]):
                continue
            if before.it[i, I_LOC] == LOC_HELD and before.it[i, I_HOLDER] == viewer:
                continue  # just swapped out: said above
            held = int(me1[EQ_MELEE + int(r1[I_CAT])]) if r1[I_CAT] < 3 else -1
            if held >= 0:
                mine = _item_phrase(params, after.it[held], dex).split(" ", 1)[1]
                lines.append(f"{act('leave', 'leaves')} {_item_phrase(params, r1, dex)} here: "
                             f"{'your' if second_person else 'the'} {mine} is better.")
    if me1[ALIVE] and me1[FLOOR] != me0[FLOOR]:
        way = "down" if me1[FLOOR] > me0[FLOOR] else "up"
        lines.append(f"{act('climb', 'climbs')} {way} to floor {int(me1[FLOOR]) + 1}.")
    changed = before.tiles[floor] != after.tiles[floor]
    for y, x in zip(*np.nonzero(changed & visible), strict=True):
        state = "opens" if after.tiles[floor, y, x] == Tile.DOOR_OPEN else "closes"
        lines.append(f"A door {state}.")
    return lines
