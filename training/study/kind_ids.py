"""The id baseline's simulator: learner item tokens that show their kind id (:class:`KindIdSim`).

:func:`sim_factory_for` gives each architecture of a study its simulator factory: the
default one, or for the id baseline one wrapped in :class:`KindIdSim`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from game.spec import ENTITY_COLUMN, ENTITY_DIM, HELD_SLOTS, SELF_DIM
from npc.baseline import item_ids
from npc.policy import ATTRIBUTE_COLUMNS, HELD_FLAG_COLUMNS, HELD_SLOT_COLUMNS, held_item_rows
from training.ppo import SimFactory, default_sim_factory
from training.rollout import slots_of

#: The id baseline's default number of item-id buckets (``IdBaseline(item_ids=...)``).
ITEM_BUCKETS = 32

_ITEM_FLAG = ENTITY_COLUMN["is_melee"]
_CODE_COLUMN = ENTITY_COLUMN["heal"]
# Per held slot: the self column that carries the kind code (the first of the item's attributes).
_HELD_CODE_COLUMN = [columns[0] for columns in HELD_SLOT_COLUMNS]


def _distinct(ids: torch.Tensor) -> bool:
    return len(set(ids.tolist())) == len(ids)


def kind_code_scale(kinds: int) -> float:
    """A code value per kind id that makes :func:`npc.baseline.item_ids` distinct for ids ``1..kinds``.

    Distinct both for floor items (:meth:`KindIdSim.code`'s token code) and within each
    held slot (its ``self`` code, hashed through :func:`npc.policy.held_item_rows`).
    """
    codes = torch.arange(1, kinds + 1, dtype=torch.float32)
    for multiple in range(1, 64):
        scale = multiple / 20.0
        rows = torch.zeros(kinds, ENTITY_DIM)
        rows[:, _ITEM_FLAG] = 1.0
        rows[:, _CODE_COLUMN] = codes * scale
        ok = _distinct(item_ids(rows, ITEM_BUCKETS))
        own = torch.zeros(kinds, SELF_DIM)
        for slot in range(HELD_SLOTS):
            own[:, HELD_FLAG_COLUMNS[slot]] = 1.0
            own[:, _HELD_CODE_COLUMN[slot]] = codes * scale
        held = item_ids(held_item_rows(own), ITEM_BUCKETS)
        ok = ok and all(_distinct(held[:, slot]) for slot in range(HELD_SLOTS))
        if ok:
            return scale
    raise ValueError(f"no collision-free kind code for {kinds} kinds (the baseline has {ITEM_BUCKETS} buckets)")


class KindIdSim:
    """A simulator whose learner-faction item tokens show their kind id, not their attributes (id baseline).

    ``training.rollout`` hands networks only the keys in ``npc.policy.OBS_KEYS``, so the
    simulator's ``entity_kind`` never reaches :class:`npc.baseline.IdBaseline`, which then
    hashes an item's attributes instead. For the baseline's runs this wrapper replaces each
    item token's attributes by a code of its ``entity_kind`` id (every attribute column
    zeroed but one item flag and one column holding id x scale, the scale chosen so that
    no two ids share a bucket), so the baseline's item code is the kind's id, category
    included, as in DeepCrawl's baseline: a re-tuned kind keeps its code, a new kind gets a
    code never seen in training. Held items are coded the same way in the ``self`` vector
    (each slot's attribute columns zeroed but the first, which holds id x scale; from
    ``held_kind``), so the baseline sees what it holds by id too. Only the learner
    faction's slots are rewritten; opponents (the scripted NPC) see the true attributes.
    ``entity_kind`` and ``held_kind`` are removed from the observations, so acting and the
    PPO update read the same codes even if the rollout starts passing optional keys on.
    """

    def __init__(self, sim: Any, faction: str, kinds: int) -> None:
        self.sim = sim
        self.slots = slots_of(sim, faction)
        self.scale = kind_code_scale(kinds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sim, name)

    def code(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``obs`` with the learner slots' item tokens replaced by their kind code (a copy)."""
        out = dict(obs)
        entities = obs["entities"].copy()
        mine = entities[:, self.slots]
        kind = obs["entity_kind"][:, self.slots]
        item = kind > 0
        coded = mine[item]
        coded[:, list(ATTRIBUTE_COLUMNS)] = 0.0
        coded[:, _ITEM_FLAG] = 1.0
        coded[:, _CODE_COLUMN] = kind[item] * self.scale
        mine[item] = coded
        entities[:, self.slots] = mine
        out["entities"] = entities
        own = obs["self"].copy()
        held = obs["held_kind"][:, self.slots]
        mine_own = own[:, self.slots]
        for slot, columns in enumerate(HELD_SLOT_COLUMNS):
            holding = held[..., slot] > 0
            rows = mine_own[holding]
            rows[:, list(columns)] = 0.0
            rows[:, _HELD_CODE_COLUMN[slot]] = held[..., slot][holding] * self.scale
            mine_own[holding] = rows
        own[:, self.slots] = mine_own
        out["self"] = own
        del out["entity_kind"], out["held_kind"]
        return out

    def code_of(self, kind_name: str) -> float:
        """The value :meth:`code` writes for items of kind ``kind_name`` (a loot kind of the level)."""
        return (self.sim.entity_kind_names.index(kind_name) + 1) * self.scale

    def reset(self, seed: int | None = None) -> dict[str, np.ndarray]:
        """Like the simulator's ``reset``, coded."""
        return self.code(self.sim.reset(seed))

    def step(self, actions: np.ndarray) -> Any:
        """Like the simulator's ``step``, coded."""
        obs, reward, terminated, truncated, info = self.sim.step(actions)
        return self.code(obs), reward, terminated, truncated, info


#: How the id baseline sees items, as recorded with each of its evaluations. Kept word for word
#: (it names the class by its first home, training.study): results.json lists every distinct
#: text its evaluations hold, so a new text would split the record of a resumed study.
ID_SOURCE = ("kind ids: the simulator's entity_kind, written into the item attribute columns the baseline "
             "hashes (training.study.KindIdSim; training.rollout does not pass entity_kind itself)")


def sim_factory_for(arch: str, pool_size: int, faction: str = "hero") -> SimFactory:
    """The simulator factory of ``arch``'s runs; the id baseline's sees items by kind id (:class:`KindIdSim`)."""
    if arch != "baseline":
        return lambda params, num_worlds, seed: default_sim_factory(params, num_worlds, seed, pool_size)
    from game.batch import BatchedSim

    def with_ids(params: Any, num_worlds: int, seed: int) -> Any:
        sim = BatchedSim(params, num_worlds=num_worlds, seed=seed, pool_size=pool_size, entity_kind=True)
        return KindIdSim(sim, faction, len(sim.entity_kind_names))
    return with_ids
