"""DenseEmbedding: DeepCrawl's second architecture, on the Mindcrawl observation.

Every cell of the 13x13 patch gets channels: the tile one-hot, visibility, occupant,
and the *attributes* of any entity standing there (each entity token's attribute
vector is scattered into its cell by ``(dy, dx)``; category flags make it multi-hot).
A 1x1 convolution without bias and with tanh is the "dense embedding" that maps
those channels to a compact per-cell code, so a new item is a new combination of
known attribute values rather than an unseen id. Then two 3x3 convs, a flatten, the
agent's own stats, and an MLP to the logits and the value (no LSTM).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F  # noqa: N812 (the torch convention)
from torch import nn

from game.spec import PATCH, SELF_DIM
from npc.policy import (
    ATTRIBUTE_COLUMNS,
    PATCH_ONE_HOT,
    PolicyNet,
    entity_offsets,
    patch_cell_index,
    patch_one_hot,
)


def scatter_entities(entities: torch.Tensor, present: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
    """Entity attribute vectors summed into their patch cells: ``[N, len(columns), P, P]``.

    Entities outside the patch or masked out contribute nothing.
    """
    N = entities.shape[0]
    dy, dx = entity_offsets(entities)
    index, inside = patch_cell_index(dy, dx)
    values = entities.index_select(-1, columns) * (present & inside).unsqueeze(-1).float()
    grid = torch.zeros(N, PATCH * PATCH, len(columns), dtype=values.dtype)
    grid.scatter_add_(1, index.unsqueeze(-1).expand(-1, -1, len(columns)), values)
    return grid.transpose(1, 2).reshape(N, len(columns), PATCH, PATCH)


class DenseEmbedding(PolicyNet):
    """Multi-hot attribute channels -> 1x1 dense embedding -> convs -> MLP."""

    arch = "dense"

    def __init__(self, num_actions: int, embed: int = 32, conv1: int = 32, conv2: int = 32,
                 hidden: int = 256) -> None:
        super().__init__(num_actions, {"embed": embed, "conv1": conv1, "conv2": conv2, "hidden": hidden})
        self.register_buffer("attr_columns", torch.tensor(ATTRIBUTE_COLUMNS), persistent=False)
        channels = PATCH_ONE_HOT + len(ATTRIBUTE_COLUMNS)
        self.embed = nn.Conv2d(channels, embed, 1, bias=False)
        self.conv1 = nn.Conv2d(embed, conv1, 3, padding=1)
        self.conv2 = nn.Conv2d(conv1, conv2, 3, stride=2, padding=1)
        side = (PATCH + 1) // 2
        self.self_fc = nn.Linear(SELF_DIM, 64)
        self.fc = nn.Linear(conv2 * side * side + 64, hidden)
        self.policy_head = nn.Linear(hidden, num_actions)
        self.value_head = nn.Linear(hidden, 1)
        nn.init.normal_(self.policy_head.weight, std=0.01)
        nn.init.zeros_(self.policy_head.bias)

    def forward(self, obs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Unmasked logits ``[N, num_actions]`` and values ``[N]``."""
        entities = obs["entities"].float()
        cells = scatter_entities(entities, obs["entity_mask"].bool(), self.attr_columns)
        x = torch.cat([patch_one_hot(obs["patch"]), cells], dim=1)
        x = torch.tanh(self.embed(x))
        x = F.relu(self.conv2(F.relu(self.conv1(x)))).flatten(1)
        s = F.relu(self.self_fc(obs["self"].float()))
        h = F.relu(self.fc(torch.cat([x, s], dim=1)))
        return self.policy_head(h), self.value_head(h).squeeze(-1)
