"""The observation spec: shapes, dtypes, the meaning of every field, and the scaling.

Checkpoints record :data:`OBS_VERSION`; any change to a field's meaning, order, shape or
scaling bumps it. Every agent gets the same dict of arrays (the batched simulator
stacks them with leading dimensions ``[B, A]``):

``patch`` uint8 ``[PATCH, PATCH, 4]``
    An egocentric window of the agent's floor centred on the agent (row, column).
    Channel 0 ``known``: what the agent remembers there: 0 unknown, ``1 + Tile`` for a
    tile last seen as that kind (exits included) (remembered tiles may be stale, e.g. a door since
    opened), :data:`OFF_MAP` outside the floor. Channel 1 ``visible``: 1 if in the field
    of view now. Channel 2 ``explored``: 1 if ever seen. Channel 3 ``occupant`` (visible
    cells only): 0 nothing, 1 the agent itself, 2 an ally, 3 an enemy, 4 an item.
``entities`` float32 ``[K, E]`` and ``entity_mask`` int8 ``[K]``
    The nearest visible entities (other agents first, then items, doors, stairs and
    exits; each group by distance), described by attributes only (:data:`ENTITY_FEATURES`).
    Rows past the last entity are zero with mask 0.
``self`` float32 ``[S]``
    The agent's own stats and inventory (:data:`SELF_FEATURES`).
``action_mask`` int8 ``[num_actions]``
    1 where the action is legal now (:mod:`game.actions`).

Optional extra keys (only from ``BatchedSim(..., entity_kind=True)``; not part of the
versioned spec, so they do not change :data:`OBS_VERSION` and the features above stay
attribute-only). A *kind id* is ``j + 1``, where ``j`` indexes
:func:`game.pool.item_kind_names` (the level's loot kinds in ``params.loot.all_kinds()``
order, then ``"key"``); items of a kind name outside that list (hand-built levels) get
0. Meant for id-based baselines only:

``entity_kind`` int32 ``[K]``
    Per entity token: 0 if the token is not an item (an agent, door or stairs) or is
    padding; else the item's kind id.
``held_kind`` int32 ``[HELD_SLOTS]``
    The kind ids of what the agent holds, in :data:`HELD_FEATURES` order (equipped
    melee weapon, equipped ranged weapon, carried potion); 0 for an empty slot.

Float features are divided by the scale named in their description (HP by
:data:`HP_SCALE`, stats and damage by :data:`STAT_SCALE`, positions by
:data:`POS_SCALE`, counts of turns by :data:`TURN_SCALE`) and clipped to
``[-FEATURE_CLIP, FEATURE_CLIP]``, so DeepCrawl-sized values land in about [-1, 1].
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

#: Bumped whenever a field's meaning, order, shape or scaling changes.
OBS_VERSION = 2

PATCH_RADIUS = 6
PATCH = 2 * PATCH_RADIUS + 1
PATCH_CHANNELS = 4
OFF_MAP = 11  # code of channel 0 outside the floor (tile codes are 1 + 0..9)
OCC_SELF, OCC_ALLY, OCC_ENEMY, OCC_ITEM = 1, 2, 3, 4

MAX_ENTITIES = 10  # K

HP_SCALE = 20.0
STAT_SCALE = 10.0
POS_SCALE = 12.0
TURN_SCALE = 10.0
KEY_SCALE = 4.0
FEATURE_CLIP = 4.0

#: Entity token features, in column order, with their scaling.
ENTITY_FEATURES: tuple[tuple[str, str], ...] = (
    ("is_agent", "1 for an agent"),
    ("is_melee", "1 for a melee weapon lying on the floor"),
    ("is_ranged", "1 for a ranged weapon lying on the floor"),
    ("is_potion", "1 for a potion lying on the floor"),
    ("is_key", "1 for a key lying on the floor"),
    ("is_door", "1 for a door (any state)"),
    ("is_stairs_down", "1 for stairs down"),
    ("is_stairs_up", "1 for stairs up"),
    ("ally", "agents: 1 if the same faction"),
    ("enemy", "agents: 1 if another faction"),
    ("hp_frac", "agents: HP / max HP"),
    ("max_hp", "agents: max HP / HP_SCALE"),
    ("atk", "agents: ATK including the active buff / STAT_SCALE"),
    ("defense", "agents: DEF including the active buff / STAT_SCALE"),
    ("dex", "agents: DEX / STAT_SCALE"),
    ("melee_min", "melee weapon (carried by the agent, or the item): min damage / STAT_SCALE"),
    ("melee_max", "melee weapon: max damage / STAT_SCALE"),
    ("ranged_min", "ranged weapon (carried, or the item): min damage / STAT_SCALE"),
    ("ranged_max", "ranged weapon: max damage / STAT_SCALE"),
    ("reach", "ranged weapon: reach / STAT_SCALE (an item: the reach it would give me)"),
    ("heal", "potion (carried, or the item): heal / HP_SCALE (negative: poison)"),
    ("potion_atk", "potion: ATK buff / STAT_SCALE"),
    ("potion_def", "potion: DEF buff / STAT_SCALE"),
    ("potion_turns", "potion: buff turns / TURN_SCALE"),
    ("buff_atk", "agents: active buff ATK / STAT_SCALE"),
    ("buff_def", "agents: active buff DEF / STAT_SCALE"),
    ("buff_turns", "agents: active buff turns left / TURN_SCALE"),
    ("door_open", "doors: 1 if open"),
    ("door_locked", "doors: 1 if locked"),
    ("have_key", "locked doors: 1 if I carry its key"),
    ("dz", "floor offset (entity floor - mine); 0 while only the own floor is visible"),
    ("dy", "row offset / POS_SCALE"),
    ("dx", "column offset / POS_SCALE"),
    ("dist", "Chebyshev distance / POS_SCALE"),
    ("is_exit", "1 for an exit cell (escape and fetch goals end there)"),
    ("is_artifact", "1 for the artifact lying on the floor (the fetch goal's item)"),
)
ENTITY_DIM = len(ENTITY_FEATURES)
#: The column of each entity feature, by name.
ENTITY_COLUMN: dict[str, int] = {name: i for i, (name, _) in enumerate(ENTITY_FEATURES)}

#: Own-state features, in order, with their scaling.
SELF_FEATURES: tuple[tuple[str, str], ...] = (
    ("hp_frac", "HP / max HP"),
    ("hp", "HP / HP_SCALE"),
    ("max_hp", "max HP / HP_SCALE"),
    ("atk", "base ATK / STAT_SCALE"),
    ("defense", "base DEF / STAT_SCALE"),
    ("dex", "DEX / STAT_SCALE"),
    ("buff_atk", "active buff ATK / STAT_SCALE"),
    ("buff_def", "active buff DEF / STAT_SCALE"),
    ("buff_turns", "active buff turns left / TURN_SCALE"),
    ("has_melee", "1 if carrying a melee weapon"),
    ("melee_min", "melee min damage / STAT_SCALE"),
    ("melee_max", "melee max damage / STAT_SCALE"),
    ("has_ranged", "1 if carrying a ranged weapon"),
    ("ranged_min", "ranged min damage / STAT_SCALE"),
    ("ranged_max", "ranged max damage / STAT_SCALE"),
    ("reach", "ranged reach / STAT_SCALE"),
    ("has_potion", "1 if carrying a potion"),
    ("heal", "potion heal / HP_SCALE"),
    ("potion_atk", "potion ATK buff / STAT_SCALE"),
    ("potion_def", "potion DEF buff / STAT_SCALE"),
    ("potion_turns", "potion buff turns / TURN_SCALE"),
    ("keys", "keys carried / KEY_SCALE"),
    ("wait_turns", "forced waits left (water) / KEY_SCALE"),
    ("floor", "floor index / max(floors - 1, 1)"),
    ("y", "row / height"),
    ("x", "column / width"),
    ("time", "turn / max_turns"),
    ("on_stairs", "+1 on stairs down, -1 on stairs up, 0 elsewhere"),
    ("goal_eliminate", "1 if my faction's goal is eliminate"),
    ("goal_escape", "1 if my faction's goal is escape"),
    ("goal_fetch", "1 if my faction's goal is fetch"),
    ("goal_survive", "1 if my faction's goal is survive"),
    ("has_artifact", "1 if I carry the artifact"),
    ("target_known", "1 if I know where my goal's target is: the nearest exit I have seen (escape, or "
     "fetch carrying the artifact), or where I last saw the artifact lying (fetch)"),
    ("target_dz", "that target's floor - mine"),
    ("target_dy", "its row offset / POS_SCALE"),
    ("target_dx", "its column offset / POS_SCALE"),
    ("target_dist", "its Chebyshev distance on its floor / POS_SCALE"),
)
SELF_DIM = len(SELF_FEATURES)
#: The column of each ``self`` feature, by name.
SELF_COLUMN: dict[str, int] = {name: i for i, (name, _) in enumerate(SELF_FEATURES)}


def observation_space(num_actions: int) -> gym.spaces.Dict:
    """The Gymnasium space of one agent's observation."""
    clip = np.float32(FEATURE_CLIP)
    return gym.spaces.Dict(
        {
            "patch": gym.spaces.Box(0, OFF_MAP, (PATCH, PATCH, PATCH_CHANNELS), np.uint8),
            "entities": gym.spaces.Box(-clip, clip, (MAX_ENTITIES, ENTITY_DIM), np.float32),
            "entity_mask": gym.spaces.Box(0, 1, (MAX_ENTITIES,), np.int8),
            "self": gym.spaces.Box(-clip, clip, (SELF_DIM,), np.float32),
            "action_mask": gym.spaces.Box(0, 1, (num_actions,), np.int8),
        }
    )


#: The optional observation key of item kind ids (see the module docstring).
ENTITY_KIND_KEY = "entity_kind"
#: The held-item slots of ``held_kind``, each with the ``self`` features that describe
#: the item in that slot (its presence flag first).
HELD_FEATURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("melee", ("has_melee", "melee_min", "melee_max")),
    ("ranged", ("has_ranged", "ranged_min", "ranged_max", "reach")),
    ("potion", ("has_potion", "heal", "potion_atk", "potion_def", "potion_turns")),
)
HELD_SLOTS = len(HELD_FEATURES)


def spec_dict(num_actions: int) -> dict[str, object]:
    """A JSON-ready description of the spec, for checkpoints and docs."""
    return {
        "obs_version": OBS_VERSION,
        "patch": [PATCH, PATCH, PATCH_CHANNELS],
        "max_entities": MAX_ENTITIES,
        "entity_features": [name for name, _ in ENTITY_FEATURES],
        "self_features": [name for name, _ in SELF_FEATURES],
        "num_actions": num_actions,
        "scales": {"hp": HP_SCALE, "stat": STAT_SCALE, "pos": POS_SCALE, "turn": TURN_SCALE,
                   "key": KEY_SCALE, "clip": FEATURE_CLIP},
    }
