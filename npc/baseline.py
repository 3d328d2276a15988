"""IdBaseline: the 2019 DeepCrawl baseline that sees items by *id* (for comparison only).

Each patch cell becomes one categorical code: the remembered tile, overridden by an
occupant (self, ally, enemy) or by the id of the item lying there. Codes go through an
embedding, two strided 3x3 convs and an MLP together with the agent's stats (no LSTM,
no previous action); everything after the per-cell codes is the dense embedding's trunk
(:class:`npc.dense.GridTrunk`), so the two architectures differ only in how a cell
describes an item, and cost the same per step. Because an item is an id, an item
whose attributes a designer changes keeps its id and an item of a new kind is an
unseen token: exactly the weakness the attribute-based networks remove.

What the agent *holds* is an id too: the ``self`` vector's attributes of the equipped
weapons and the carried potion (``melee_min``, ``heal``, ...; :data:`game.spec.HELD_FEATURES`)
are zeroed, only the ``has_*`` flags kept, and each slot's item id is embedded
(``held_embed`` wide) and appended to the agent's stats. So a re-tuned potion in hand
looks exactly like the old one.

Item ids come from the optional observation keys ``entity_kind`` (int ``[K]``, 0 for
none; a loot-kind index + 1) and ``held_kind`` (int ``[3]``), both from
``BatchedSim(..., entity_kind=True)``. Without them, the id is a hash of the item's
category and attribute values into ``item_ids`` buckets, which is what an id is for
fixed-attribute loot (DeepCrawl's items); the adaptation study writes the kind id into
the hashed columns instead (``training.study.kind_ids.KindIdSim``).

The one-hot cell codes are built once per batch by :meth:`IdBaseline.prepare` (they
do not depend on the weights) and embedded with one matmul.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from game.spec import (
    ENTITY_COLUMN,
    HELD_SLOTS,
    OCC_ALLY,
    OCC_ENEMY,
    OCC_SELF,
    PATCH,
    SELF_DIM,
)
from npc.dense import GridPolicy, GridTrunk
from npc.policy import (
    HELD_SLOT_COLUMNS,
    KNOWN_CODES,
    entity_offsets,
    held_item_rows,
    patch_cell_index,
)

_ITEM_FLAGS = ("is_melee", "is_ranged", "is_potion", "is_key")
_HASHED = _ITEM_FLAGS + ("melee_min", "melee_max", "ranged_min", "ranged_max", "reach", "heal",
                         "potion_atk", "potion_def", "potion_turns")
#: All of them (hidden from the baseline).
HELD_ATTRIBUTE_COLUMNS = tuple(column for columns in HELD_SLOT_COLUMNS for column in columns)
# Occupant codes follow the tile codes; item ids follow the occupants.
_OCCUPANT_BASE = KNOWN_CODES
_ITEM_BASE = KNOWN_CODES + 3


def item_ids(entities: torch.Tensor, buckets: int) -> torch.Tensor:
    """Hash of each item token's category and attributes into ``1..buckets-1`` (0: not an item)."""
    cols = torch.tensor([ENTITY_COLUMN[n] for n in _HASHED])
    quantised = torch.round(entities.index_select(-1, cols) * 20).long()
    primes = torch.tensor([1000003 ** i % 2147483647 for i in range(1, len(_HASHED) + 1)])
    h = (quantised * primes).sum(-1).remainder(buckets - 1) + 1
    flags = torch.tensor([ENTITY_COLUMN[n] for n in _ITEM_FLAGS])
    is_item = entities.index_select(-1, flags).sum(-1) > 0
    return torch.where(is_item, h, torch.zeros_like(h))


class IdBaseline(GridPolicy):
    """Categorical cell codes with item ids -> embedding -> strided convs -> MLP (the dense net's trunk)."""

    arch = "baseline"

    def __init__(self, num_actions: int, item_ids: int = 32, embed: int = 16, conv1: int = 32,
                 conv2: int = 32, hidden: int = 256, held_embed: int = 8) -> None:
        super().__init__(num_actions, {"item_ids": item_ids, "embed": embed, "conv1": conv1,
                                       "conv2": conv2, "hidden": hidden, "held_embed": held_embed})
        self.item_buckets = item_ids
        self.codes = nn.Embedding(_ITEM_BASE + item_ids, embed)
        self.visible = nn.Embedding(2, embed)
        self.held = nn.Embedding(item_ids, held_embed)
        self.register_buffer("held_columns", torch.tensor(HELD_ATTRIBUTE_COLUMNS), persistent=False)
        self.trunk = GridTrunk(num_actions, embed, conv1, conv2, hidden,
                               own_dim=SELF_DIM + HELD_SLOTS * held_embed)

    def held_ids(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The id of each held slot's item, ``[N, HELD_SLOTS]`` (0: empty)."""
        if "held_kind" in obs:
            return obs["held_kind"].long().clamp(0, self.item_buckets - 1)
        return item_ids(held_item_rows(obs["self"].float()), self.item_buckets)

    def own_features(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The ``self`` vector without held items' attributes, then the embedded held item ids."""
        own = obs["self"].float().index_fill(-1, self.held_columns, 0.0)
        return torch.cat([own, self.held(self.held_ids(obs)).flatten(1)], dim=-1)

    def cell_codes(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Categorical code of every patch cell, ``[N, P*P]``."""
        patch = obs["patch"].long()
        N = patch.shape[0]
        codes = patch[..., 0].clamp(0, KNOWN_CODES - 1).reshape(N, -1).clone()
        occupant = patch[..., 3].reshape(N, -1)
        for occ, offset in ((OCC_SELF, 0), (OCC_ALLY, 1), (OCC_ENEMY, 2)):
            codes[occupant == occ] = _OCCUPANT_BASE + offset
        entities = obs["entities"].float()
        if "entity_kind" in obs:
            ids = obs["entity_kind"].long().clamp(0, self.item_buckets - 1)
        else:
            ids = item_ids(entities, self.item_buckets)
        dy, dx = entity_offsets(entities)
        index, inside = patch_cell_index(dy, dx)
        keep = obs["entity_mask"].bool() & inside & (ids > 0)
        # Cells holding an agent keep the agent code (agents are drawn over items).
        keep &= codes.gather(1, index) < _OCCUPANT_BASE
        # Entries that must not write go to a spare last column, dropped afterwards.
        spare = torch.full_like(index, PATCH * PATCH)
        padded = torch.cat([codes, torch.zeros(N, 1, dtype=codes.dtype)], dim=1)
        padded = padded.scatter(1, torch.where(keep, index, spare), _ITEM_BASE + ids)
        return padded[:, :-1]

    def grid(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """One-hot cell code followed by one-hot visibility, ``[N, P*P, codes + 2]``."""
        codes = self.cell_codes(obs)
        visible = obs["patch"][..., 1].long().clamp(0, 1).reshape(codes.shape)
        n = self.codes.num_embeddings
        out = torch.zeros(*codes.shape, n + 2)
        out.scatter_(2, codes.unsqueeze(-1), 1.0)
        out.scatter_(2, visible.unsqueeze(-1) + n, 1.0)
        return out

    def embed_cells(self, grid: torch.Tensor) -> torch.Tensor:
        """The code's embedding plus the visibility's, as one matmul over the one-hot channels.

        Same numbers as two lookups; the matmul's backward pass is far cheaper on the CPU
        than an embedding lookup's scatter.
        """
        return grid @ torch.cat([self.codes.weight, self.visible.weight])
