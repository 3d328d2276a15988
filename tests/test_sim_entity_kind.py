"""The optional ``entity_kind`` and ``held_kind`` observation keys (item kind ids for id-based baselines)."""

from __future__ import annotations

import numpy as np
import pytest

from game.batch import BatchedSim
from game.pool import item_kind_names
from game.spec import ENTITY_FEATURES, HELD_FEATURES, SELF_FEATURES
from levels.params import load_params
from npc.scripted import random_legal_actions

_COL = {name: j for j, (name, _) in enumerate(ENTITY_FEATURES)}
_ITEM_FLAGS = {"melee": "is_melee", "ranged": "is_ranged", "potion": "is_potion", "key": "is_key"}


def _roll(sim: BatchedSim, steps: int, seed: int = 0):
    """Observations (copied) after each of ``steps`` random legal steps."""
    rng = np.random.default_rng(seed)
    obs = sim.reset()
    seen = []
    for _ in range(steps):
        obs, *_ = sim.step(random_legal_actions(obs["action_mask"], rng))
        seen.append({k: v.copy() for k, v in obs.items()})
    return seen


@pytest.mark.parametrize("preset", ["arena", "labyrinth"])
def test_entity_kind_names_the_item_behind_each_token(preset: str) -> None:
    params = load_params(preset)
    kinds = params.loot.all_kinds()
    names = item_kind_names(params)
    assert names[:-1] == list(kinds) and names[-1] == "key"
    # Seed 7 on labyrinth puts keys and loot in random walkers' sight (its levels changed with goals).
    sim = BatchedSim(preset, 8, seed=3 if preset == "arena" else 7, pool_size=4, entity_kind=True, threads=1)
    checked = {"item": 0, "key": 0}
    for obs in _roll(sim, 60):
        ids = obs["entity_kind"]
        ent = obs["entities"]
        real = obs["entity_mask"] != 0
        assert ids.shape == obs["entity_mask"].shape and ids.dtype == np.int32
        is_item = real & (ent[..., [_COL[f] for f in _ITEM_FLAGS.values()]].sum(-1) > 0)
        assert (ids[~is_item] == 0).all()  # agents, doors, stairs and padding
        assert (ids[is_item] >= 1).all() and (ids[is_item] <= len(names)).all()
        for w, a, k in zip(*np.nonzero(is_item), strict=True):
            name = names[ids[w, a, k] - 1]
            row = ent[w, a, k]
            if name == "key":
                assert row[_COL["is_key"]] == 1
                checked["key"] += 1
                continue
            kind = kinds[name]
            assert row[_COL[_ITEM_FLAGS[kind.category]]] == 1
            # The arena/labyrinth kinds are DeepCrawl's fixed-attribute items.
            if kind.category == "potion":
                assert row[_COL["heal"]] == np.float32(kind.heal[0] / 20.0)
                assert row[_COL["potion_turns"]] == np.float32(kind.buff_turns[0] / 10.0)
            else:
                prefix = kind.category
                assert row[_COL[f"{prefix}_min"]] == np.float32(kind.damage_min[0] / 10.0)
                assert row[_COL[f"{prefix}_max"]] == np.float32(kind.damage_max[0] / 10.0)
            checked["item"] += 1
    sim.close()
    assert checked["item"] > 20
    if preset == "labyrinth":
        assert checked["key"] > 0


def test_entity_kind_is_off_by_default_and_changes_nothing_else() -> None:
    plain = BatchedSim("arena", 4, seed=5, pool_size=4, threads=1)
    with_kind = BatchedSim("arena", 4, seed=5, pool_size=4, entity_kind=True, threads=1)
    assert "entity_kind" not in plain.observations() and "held_kind" not in plain.observations()
    assert plain.out.entity_kind.size == 0 and plain.out.held_kind.size == 0
    for a, b in zip(_roll(plain, 30, seed=1), _roll(with_kind, 30, seed=1), strict=True):
        assert set(b) - set(a) == {"entity_kind", "held_kind"}
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    extra = (with_kind.out.entity_kind.nbytes + with_kind.out.held_kind.nbytes) // 4
    assert with_kind.memory_per_world() - plain.memory_per_world() == extra


_SELF = {name: j for j, (name, _) in enumerate(SELF_FEATURES)}
_SELF_COLUMN = {"melee": ("melee_min", "melee_max"), "ranged": ("ranged_min", "ranged_max"),
                "potion": ("heal", "potion_turns")}
_KIND_ATTRIBUTE = {"melee_min": "damage_min", "melee_max": "damage_max", "ranged_min": "damage_min",
                   "ranged_max": "damage_max", "heal": "heal", "potion_turns": "buff_turns"}


def test_held_kind_names_what_the_agent_holds() -> None:
    """Each slot's id is 0 exactly when the slot's ``has_*`` flag is 0, else the held item's kind."""
    params = load_params("arena")
    kinds = params.loot.all_kinds()
    names = item_kind_names(params)
    sim = BatchedSim("arena", 16, seed=11, pool_size=8, entity_kind=True, threads=1)
    held_seen = 0
    for obs in _roll(sim, 120, seed=4):
        held, own = obs["held_kind"], obs["self"]
        assert held.shape == (16, sim.num_agents, len(HELD_FEATURES)) and held.dtype == np.int32
        for slot, (category, columns) in enumerate(HELD_FEATURES):
            has = own[..., _SELF[columns[0]]] != 0
            assert ((held[..., slot] != 0) == has).all()
            for w, a in zip(*np.nonzero(has), strict=True):
                kind = kinds[names[held[w, a, slot] - 1]]
                assert kind.category == category
                for column in _SELF_COLUMN[category]:
                    scale = 20.0 if column == "heal" else 10.0
                    expected = getattr(kind, _KIND_ATTRIBUTE[column])[0] / scale
                    assert own[w, a, _SELF[column]] == np.float32(expected)
                held_seen += 1
    sim.close()
    assert held_seen > 50
