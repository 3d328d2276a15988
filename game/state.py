"""The batched world state: a few packed numpy arrays with a leading world dimension B.

One simulator holds ``B`` worlds of the same level parameters. Agents are padded to
``A`` slots (fixed per faction, so a slot always has the same name) and items to ``I``
slots. Per-agent and per-item integers are packed in one array each (columns named
below): fewer, larger arrays keep numba's compile time and call overhead low. The
numba kernels take :class:`World` / :class:`Pool` / :class:`Config` / :class:`Outputs`
named tuples. Everything in :class:`World` is saved and loaded (the RNG included),
which is what makes a resumed game bit-identical.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from game.spec import ENTITY_DIM, HELD_SLOTS, MAX_ENTITIES, PATCH, PATCH_CHANNELS, SELF_DIM

# Item categories (levels.params.ITEM_CATEGORIES order) and where an item is.
MELEE, RANGED, POTION, KEY, ARTIFACT = 0, 1, 2, 3, 4
CATEGORY_CODES = {"melee": MELEE, "ranged": RANGED, "potion": POTION, "key": KEY, "artifact": ARTIFACT}

#: Goal codes of ``World.goal`` (levels.params.GOALS order).
G_ELIMINATE, G_ESCAPE, G_FETCH, G_SURVIVE = 0, 1, 2, 3
GOAL_CODES = {"eliminate": G_ELIMINATE, "escape": G_ESCAPE, "fetch": G_FETCH, "survive": G_SURVIVE}

#: Why an episode ended (``Outputs.wout[:, OUT_CAUSE]``); 0 while it goes on. The first
#: four have a winner; the last two are draws (``winner`` -1).
CAUSES = ("", "eliminated", "escaped", "fetched", "survived", "last_standing", "out_of_time", "all_dead")
(CAUSE_NONE, CAUSE_ELIMINATED, CAUSE_ESCAPED, CAUSE_FETCHED, CAUSE_SURVIVED, CAUSE_LAST_STANDING,
 CAUSE_OUT_OF_TIME, CAUSE_ALL_DEAD) = range(len(CAUSES))
LOC_EMPTY, LOC_FLOOR, LOC_HELD, LOC_CONSUMED = 0, 1, 2, 3

#: Columns of ``World.wi`` (per-world integers).
WORLD_FIELDS = ("turn", "level", "next_level", "done", "episode", "factions_start", "cells",
                "tiles_version", "faction_bits", "goal_met", "goal_cause")
(W_TURN, W_LEVEL, W_NEXT_LEVEL, W_DONE, W_EPISODE, W_FACTIONS, W_CELLS,
 W_TILES_VERSION, W_FACTION_BITS, W_GOAL_MET, W_GOAL_CAUSE) = range(len(WORLD_FIELDS))
# W_FACTION_BITS: bit f set when faction f had agents at the start. W_GOAL_MET: 1 + the
# faction whose agent reached an exit this tick meeting its escape or fetch goal (0: none),
# W_GOAL_CAUSE the CAUSE_* it met.

#: Door and stairs cells listed per world (token candidates); more are left out.
MAX_CELLS = 128

#: Columns of ``World.ag`` (per-agent integers). EQ_* hold item slots (-1: none).
AGENT_FIELDS = ("present", "alive", "faction", "floor", "y", "x", "hp", "max_hp", "atk",
                "defense", "dex", "buff_atk", "buff_def", "buff_turns", "wait", "keys",
                "eq_melee", "eq_ranged", "eq_potion", "fov_cell", "fov_version", "fov_n",
                "artifacts", "known_exit", "known_artifact")
(PRESENT, ALIVE, FACTION, FLOOR, Y, X, HP, MAX_HP, ATK, DEF, DEX, BUFF_ATK, BUFF_DEF,
 BUFF_TURNS, WAIT_LEFT, KEYS, EQ_MELEE, EQ_RANGED, EQ_POTION, FOV_CELL, FOV_VERSION,
 FOV_N, ARTIFACTS, KNOWN_EXIT, KNOWN_ARTIFACT) = range(len(AGENT_FIELDS))
# KNOWN_EXIT / KNOWN_ARTIFACT: the cell (f*H*W + y*W + x, -1: none) of the nearest exit the
# agent has seen and of the artifact where it last saw it lying (goal targets it remembers).
# FOV_*: the cell (f*H*W + y*W + x, -1: none), tiles version and number of visible cells
# of the field of view cached in World.fov; it is reused while the agent stays put and no
# door changed.
EQ = EQ_MELEE  # EQ + category = the equipment column of that category

#: Columns of ``World.it`` (per-item integers); attributes follow ``I_DMIN``.
ITEM_FIELDS = ("category", "loc", "floor", "y", "x", "holder", "damage_min", "damage_max",
               "range", "heal", "buff_atk", "buff_def", "buff_turns", "key_id")
(I_CAT, I_LOC, I_F, I_Y, I_X, I_HOLDER, I_DMIN, I_DMAX, I_RANGE, I_HEAL, I_BATK, I_BDEF,
 I_BTURNS, I_KEY) = range(len(ITEM_FIELDS))
ITEM_ATTR_NAMES = ITEM_FIELDS[I_DMIN:]

#: Objective predicates, in the column order of ``Config.weights``.
OBJECTIVE_NAMES = ("step", "illegal_action", "damage_dealt", "damage_taken", "kill",
                   "kill_hp_scaled", "death", "drink_potion", "pickup", "explore",
                   "reach_stairs_down", "survive", "win", "lose", "reach_exit", "pickup_artifact")
(OBJ_STEP, OBJ_ILLEGAL, OBJ_DEALT, OBJ_TAKEN, OBJ_KILL, OBJ_KILL_HP, OBJ_DEATH, OBJ_DRINK,
 OBJ_PICKUP, OBJ_EXPLORE, OBJ_STAIRS, OBJ_SURVIVE, OBJ_WIN, OBJ_LOSE, OBJ_REACH_EXIT,
 OBJ_PICKUP_ARTIFACT) = range(len(OBJECTIVE_NAMES))

#: Fields of ``Config.rules``.
RULE_MAX_TURNS, RULE_WATER_TURNS, RULE_LAVA_DAMAGE = 0, 1, 2

#: Columns of ``Outputs.wout`` (per-world results of the last call).
OUT_FINISHED, OUT_WINNER, OUT_LENGTH, OUT_RESET, OUT_CAUSE = range(5)


class World(NamedTuple):
    """Mutable state of B worlds (see the module docstring)."""

    rng: np.ndarray  # uint64 [B]: splitmix64 state
    wi: np.ndarray  # int64 [B, len(WORLD_FIELDS)]
    tiles: np.ndarray  # uint8 [B, F, H, W]
    locks: np.ndarray  # int16 [B, F, H, W]
    occ: np.ndarray  # int16 [B, F, H, W]: agent slot standing there, or -1
    ag: np.ndarray  # int32 [B, A, len(AGENT_FIELDS)]
    memory: np.ndarray  # uint8 [B, A, F, H, W]: 0 unknown, 1 + tile last seen
    mask: np.ndarray  # int8 [B, A, num_actions]: legal actions now
    ep_return: np.ndarray  # float32 [B, A]
    it: np.ndarray  # int32 [B, I, len(ITEM_FIELDS)]
    cells: np.ndarray  # int32 [B, MAX_CELLS, 3]: door and stairs cells (first wi[W_CELLS])
    fov: np.ndarray  # uint8 [B, A, G2, G2]: each agent's last field of view (a cache, game.fov)
    goal: np.ndarray  # int32 [B, factions]: each faction's goal (G_*) this episode


class Pool(NamedTuple):
    """Compiled levels (leading dimension P) that resets copy into worlds."""

    tiles: np.ndarray  # uint8 [P, F, H, W]
    locks: np.ndarray  # int16 [P, F, H, W]
    ag: np.ndarray  # int32 [P, A, len(AGENT_FIELDS)] (hp = max_hp)
    it: np.ndarray  # int32 [P, I, len(ITEM_FIELDS)]
    factions: np.ndarray  # int32 [P]: factions with agents
    kind: np.ndarray  # int32 [P, I]: entity_kind id of each item slot (see game.spec)
    goal: np.ndarray  # int32 [P, factions]: each faction's goal (G_*) on the level


class Config(NamedTuple):
    """Read-only rule parameters and tables shared by all worlds."""

    sight: np.ndarray  # int32 [factions]
    weights: np.ndarray  # float32 [factions, len(OBJECTIVE_NAMES)]
    rules: np.ndarray  # int32 [3]: max_turns, water_turns, lava_damage
    fov_parent: np.ndarray  # int32 [R + 1, R + 1, 2]: game.fov.FovTable.parent
    fov_row_end: np.ndarray  # int32 [R + 1, R + 1]: game.fov.FovTable.row_end
    targets: np.ndarray  # uint8 [factions, factions]: 1 where an eliminate goal of the row's faction
    # must wipe out the column's faction


class Outputs(NamedTuple):
    """Per-step results the kernels write (reused buffers: copy what you keep)."""

    patch: np.ndarray  # uint8 [B, A, PATCH, PATCH, 4]
    entities: np.ndarray  # float32 [B, A, K, E]
    entity_mask: np.ndarray  # int8 [B, A, K]
    self_vec: np.ndarray  # float32 [B, A, S]
    reward: np.ndarray  # float32 [B, A]
    terminated: np.ndarray  # uint8 [B, A]: died this step, or the world was won/lost
    truncated: np.ndarray  # uint8 [B, A]: alive when the turn limit was reached
    final_return: np.ndarray  # float32 [B, A]: episode returns of finished worlds
    wout: np.ndarray  # int32 [B, 5]: OUT_* columns
    entity_kind: np.ndarray  # int32 [B, A, K] if the optional keys are on, else [0, A, K]
    held_kind: np.ndarray  # int32 [B, A, HELD_SLOTS] if the optional keys are on, else [0, A, HELD_SLOTS]


class Scratch(NamedTuple):
    """Per-thread work arrays the kernels reuse across worlds (no allocation per world)."""

    order: np.ndarray  # int32 [A]: initiative order
    keys: np.ndarray  # int64 [A]: initiative tie-break draws
    drank: np.ndarray  # uint8 [A]: drank a buff potion this tick
    cand_key: np.ndarray  # int64 [A + I + MAX_CELLS]: token candidates
    cand_kind: np.ndarray  # int32 [same]
    cand_id: np.ndarray  # int32 [same]
    counts: np.ndarray  # int32 [factions]: living agents per faction


def empty_agents(n: int, A: int) -> np.ndarray:
    """Agent rows for ``n`` worlds: absent, no equipment."""
    ag = np.zeros((n, A, len(AGENT_FIELDS)), np.int32)
    ag[:, :, FACTION] = -1
    ag[:, :, MAX_HP] = 1
    ag[:, :, EQ_MELEE:EQ_POTION + 1] = -1
    ag[:, :, FOV_CELL] = -1
    ag[:, :, KNOWN_EXIT] = -1
    ag[:, :, KNOWN_ARTIFACT] = -1
    return ag


def empty_items(n: int, slots: int) -> np.ndarray:
    """Item rows for ``n`` worlds: empty slots."""
    it = np.zeros((n, slots, len(ITEM_FIELDS)), np.int32)
    it[:, :, I_CAT] = -1
    it[:, :, I_HOLDER] = -1
    return it


def new_world(B: int, A: int, items: int, shape: tuple[int, int, int], num_actions: int,
              fov_grid: int, factions: int) -> World:
    """Zeroed state for ``B`` worlds (every world must then be reset).

    ``fov_grid`` is the side of each agent's egocentric field-of-view grid.
    """
    F, H, W = shape
    wi = np.zeros((B, len(WORLD_FIELDS)), np.int64)
    wi[:, W_DONE] = 1
    return World(
        rng=np.zeros(B, np.uint64), wi=wi,
        tiles=np.zeros((B, F, H, W), np.uint8), locks=np.zeros((B, F, H, W), np.int16),
        occ=-np.ones((B, F, H, W), np.int16), ag=empty_agents(B, A),
        memory=np.zeros((B, A, F, H, W), np.uint8),
        mask=np.zeros((B, A, num_actions), np.int8), ep_return=np.zeros((B, A), np.float32),
        it=empty_items(B, items), cells=np.zeros((B, MAX_CELLS, 3), np.int32),
        fov=np.zeros((B, A, fov_grid, fov_grid), np.uint8),
        goal=np.zeros((B, factions), np.int32),
    )


def new_outputs(B: int, A: int, entity_kind: bool = False) -> Outputs:
    """Output buffers for ``B`` worlds of ``A`` agents (``entity_kind``: the optional kind-id keys)."""
    wout = np.zeros((B, 5), np.int32)
    wout[:, OUT_WINNER] = -1
    return Outputs(
        patch=np.zeros((B, A, PATCH, PATCH, PATCH_CHANNELS), np.uint8),
        entities=np.zeros((B, A, MAX_ENTITIES, ENTITY_DIM), np.float32),
        entity_mask=np.zeros((B, A, MAX_ENTITIES), np.int8),
        self_vec=np.zeros((B, A, SELF_DIM), np.float32),
        reward=np.zeros((B, A), np.float32), terminated=np.zeros((B, A), np.uint8),
        truncated=np.zeros((B, A), np.uint8), final_return=np.zeros((B, A), np.float32),
        wout=wout, entity_kind=np.zeros((B if entity_kind else 0, A, MAX_ENTITIES), np.int32),
        held_kind=np.zeros((B if entity_kind else 0, A, HELD_SLOTS), np.int32),
    )


def grow_kinds(kind: np.ndarray, capacity: int) -> np.ndarray:
    """``kind`` (a Pool's item kind ids) padded with zeros (no kind) to ``capacity`` slots."""
    current = kind.shape[1]
    if capacity <= current:
        return kind
    new = np.zeros((kind.shape[0], capacity), np.int32)
    new[:, :current] = kind
    return new


def grow_items(it: np.ndarray, capacity: int) -> np.ndarray:
    """``it`` (a World's or Pool's item rows) padded with empty slots to ``capacity``."""
    current = it.shape[1]
    if capacity <= current:
        return it
    new = empty_items(it.shape[0], capacity)
    new[:, :current] = it
    return new
