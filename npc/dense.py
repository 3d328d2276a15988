"""DenseEmbedding: DeepCrawl's second architecture, on the Mindcrawl observation.

Every cell of the 13x13 patch gets channels: the tile one-hot, visibility, occupant,
and the *attributes* of any entity standing there (each entity token's attribute
vector is summed into its cell by ``(dy, dx)``; category flags make it multi-hot).
A per-cell linear map without bias followed by tanh (a 1x1 convolution) is the
"dense embedding" that maps those channels to a compact per-cell code, so a new item
is a new combination of known attribute values rather than an unseen id. Then two
3x3 convolutions with stride 2 (13x13 -> 7x7 -> 4x4), a flatten, the agent's own
stats, and an MLP to the logits and the value (no LSTM).

The trunk after the per-cell channels (:class:`GridTrunk`) is shared with the id
baseline (:mod:`npc.baseline`), which differs only in what the channels say about an
item (a one-hot id instead of attribute values), so the two cost the same per step.

Speed: the per-cell channels do not depend on the weights, so :meth:`DenseEmbedding.prepare`
builds them once per batch (the PPO update reuses them for every epoch and minibatch)
as a channels-last ``[N, P*P, C]`` tensor; the embedding is then one matmul and the
convolutions run on channels-last activations. Strided convolutions keep the cost per
learner step within a small factor of the transformer's (``bench/policy_cost.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F  # noqa: N812 (the torch convention)
from torch import nn

from game.spec import PATCH, SELF_DIM
from npc.policy import (
    ATTRIBUTE_COLUMNS,
    KNOWN_CODES,
    OCCUPANT_CODES,
    PATCH_ONE_HOT,
    PolicyNet,
    entity_offsets,
    patch_cell_index,
)

#: Key of the prepared per-cell channels ``[N, P*P, C]`` (see :meth:`GridPolicy.prepare`).
GRID_KEY = "_grid"


def patch_channels(patch: torch.Tensor, extra: int = 0) -> torch.Tensor:
    """The uint8 patch ``[N, P, P, 4]`` as channels-last one-hot cells ``[N, P*P, PATCH_ONE_HOT + extra]``.

    Channel order as :func:`npc.policy.patch_one_hot` (known one-hot, visible, explored,
    occupant one-hot); the ``extra`` channels after them are left zero for the caller.
    Written in place into one float tensor (no int64 one-hots, no concatenation).
    """
    N = patch.shape[0]
    p = patch.reshape(N, -1, 4).long()
    out = torch.zeros(N, p.shape[1], PATCH_ONE_HOT + extra)
    out.scatter_(2, p[..., 0:1].clamp(0, KNOWN_CODES - 1), 1.0)
    out.scatter_(2, p[..., 3:4].clamp(0, OCCUPANT_CODES - 1) + (KNOWN_CODES + 2), 1.0)
    out[..., KNOWN_CODES:KNOWN_CODES + 2] = p[..., 1:3].clamp(0, 1)
    return out


def scatter_entities(entities: torch.Tensor, present: torch.Tensor, columns: torch.Tensor,
                     out: torch.Tensor | None = None) -> torch.Tensor:
    """Entity attribute vectors summed into their patch cells: ``[N, P*P, len(columns)]``.

    Entities outside the patch or masked out contribute nothing. With ``out``, the sums
    are added into its last ``len(columns)`` channels and ``out`` is returned.
    """
    N = entities.shape[0]
    dy, dx = entity_offsets(entities)
    index, inside = patch_cell_index(dy, dx)
    values = entities.index_select(-1, columns) * (present & inside).unsqueeze(-1).float()
    grid = torch.zeros(N, PATCH * PATCH, len(columns), dtype=values.dtype) if out is None else \
        out[..., out.shape[-1] - len(columns):]
    grid.scatter_add_(1, index.unsqueeze(-1).expand(-1, -1, len(columns)), values)
    return grid if out is None else out


class GridTrunk(nn.Module):
    """Per-cell codes ``[N, P*P, embed]`` -> two strided 3x3 convs -> MLP with the agent's stats -> heads."""

    def __init__(self, num_actions: int, embed: int, conv1: int, conv2: int, hidden: int,
                 own_dim: int = SELF_DIM) -> None:
        super().__init__()
        self.embed_dim = embed
        self.conv1 = nn.Conv2d(embed, conv1, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(conv1, conv2, 3, stride=2, padding=1)
        side = ((PATCH + 1) // 2 + 1) // 2
        self.self_fc = nn.Linear(own_dim, 64)
        self.fc = nn.Linear(conv2 * side * side + 64, hidden)
        self.policy_head = nn.Linear(hidden, num_actions)
        self.value_head = nn.Linear(hidden, 1)
        nn.init.normal_(self.policy_head.weight, std=0.01)
        nn.init.zeros_(self.policy_head.bias)

    def forward(self, cells: torch.Tensor, own: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits and values from per-cell codes ``[N, P*P, embed]`` and the agent's stats ``[N, own_dim]``."""
        N = cells.shape[0]
        # [N, P, P, E] viewed as NCHW with channels-last strides: no copy, and the CPU convs prefer it.
        x = cells.view(N, PATCH, PATCH, self.embed_dim).permute(0, 3, 1, 2)
        x = F.relu(self.conv2(F.relu(self.conv1(x)))).flatten(1)
        s = F.relu(self.self_fc(own.float()))
        h = F.relu(self.fc(torch.cat([x, s], dim=1)))
        return self.policy_head(h), self.value_head(h).squeeze(-1)


class GridPolicy(PolicyNet):
    """A :class:`GridTrunk` policy: weight-free per-cell channels, a per-cell embedding of them, the trunk.

    Subclasses say how an observation becomes channels (:meth:`grid`) and how channels
    become per-cell codes (:meth:`embed_cells`).
    """

    trunk: GridTrunk

    def embed_cells(self, grid: torch.Tensor) -> torch.Tensor:
        """Per-cell codes ``[N, P*P, embed]`` of the channels ``[N, P*P, C]``."""
        raise NotImplementedError

    def grid(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The weight-free per-cell channels ``[N, P*P, C]`` of a raw observation."""
        raise NotImplementedError

    def own_features(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """What the trunk reads about the agent itself (default: the ``self`` vector as it is)."""
        return obs["self"]

    def prepare(self, obs: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``obs`` plus its per-cell channels under ``"_grid"`` (see :meth:`PolicyNet.prepare`)."""
        if GRID_KEY in obs:
            return dict(obs)
        with torch.no_grad():
            return {**obs, GRID_KEY: self.grid(obs)}

    def forward(self, obs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Unmasked logits ``[N, num_actions]`` and values ``[N]``."""
        grid = obs[GRID_KEY] if GRID_KEY in obs else self.prepare(obs)[GRID_KEY]
        return self.trunk(self.embed_cells(grid), self.own_features(obs))


class DenseEmbedding(GridPolicy):
    """Multi-hot attribute channels -> 1x1 dense embedding (tanh) -> strided convs -> MLP."""

    arch = "dense"

    def __init__(self, num_actions: int, embed: int = 16, conv1: int = 32, conv2: int = 32,
                 hidden: int = 256) -> None:
        super().__init__(num_actions, {"embed": embed, "conv1": conv1, "conv2": conv2, "hidden": hidden})
        self.register_buffer("attr_columns", torch.tensor(ATTRIBUTE_COLUMNS), persistent=False)
        self.embed = nn.Linear(PATCH_ONE_HOT + len(ATTRIBUTE_COLUMNS), embed, bias=False)
        self.trunk = GridTrunk(num_actions, embed, conv1, conv2, hidden)

    def embed_cells(self, grid: torch.Tensor) -> torch.Tensor:
        """The dense embedding: a per-cell linear map of the multi-hot channels, then tanh."""
        return torch.tanh(self.embed(grid))

    def grid(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Patch one-hot channels followed by the attribute channels of the entities in each cell."""
        grid = patch_channels(obs["patch"], extra=len(ATTRIBUTE_COLUMNS))
        return scatter_entities(obs["entities"].float(), obs["entity_mask"].bool(), self.attr_columns, out=grid)
