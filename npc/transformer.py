"""EntityTransformer: a small pre-LN transformer over self, entity and patch tokens.

Tokens (all width ``d``):

* one **self** token: linear embeddings of the agent's own stats (``self``), of the
  legal-action mask (which moves and shots are possible now) and of the
  ``(2 * local + 1)**2`` patch cells around the agent, summed;
* up to ``K`` **entity** tokens: a linear embedding of the entity's *attributes*
  (never an id) summed with a learned embedding of its relative cell ``(dy, dx)``;
  padded entities are masked out of attention, and columns past the last present
  entity of the batch are not computed at all;
* with ``held_tokens``, up to three **held-item** tokens: the equipped melee and
  ranged weapons and the carried potion, described by the same attribute columns and
  the same embedding as an item lying on the floor (:func:`npc.policy.held_item_rows`),
  plus a learned embedding of the slot instead of a position; empty slots are masked
  out. Without them a held item reaches the network only through the ``self`` vector,
  whose embedding shares nothing with the floor item's (see ``docs/adaptation.md``);
* ``patch_grid**2`` **patch** tokens: every patch cell is embedded (sum of learned
  embeddings of its remembered tile, visibility, exploration and occupant), then
  average-pooled to a ``patch_grid x patch_grid`` summary with a position embedding.

Then ``layers`` pre-LN blocks (attention through ``F.scaled_dot_product_attention``,
which peers measured 2-3x faster than ``nn.TransformerEncoder`` on this CPU). The
action logits and the value come from the self token's output. :meth:`target_logits`
scores every entity token against the self token (a pointer head): targeted actions
such as "go to entity k" can use it without changing the trunk.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F  # noqa: N812 (the torch convention)
from torch import nn

from game.spec import HELD_SLOTS, MAX_ENTITIES, PATCH_RADIUS, SELF_DIM
from npc.policy import (
    ATTRIBUTE_COLUMNS,
    HELD_FLAG_COLUMNS,
    KNOWN_CODES,
    OCCUPANT_CODES,
    PATCH_ONE_HOT,
    PolicyNet,
    entity_offsets,
    held_item_rows,
    patch_one_hot,
)

#: Relative positions beyond this many cells share the embedding of the border.
MAX_OFFSET = 12


class Block(nn.Module):
    """A pre-LN transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, d: int, heads: int, mlp_ratio: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, mlp_ratio * d), nn.GELU(), nn.Linear(mlp_ratio * d, d))

    def forward(self, x: torch.Tensor, attend: torch.Tensor) -> torch.Tensor:
        """``x`` [N, T, d]; ``attend`` bool [N, 1, 1, T], True for keys that may be attended."""
        N, T, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(N, T, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=attend)
        x = x + self.proj(y.transpose(1, 2).reshape(N, T, d))
        return x + self.mlp(self.ln2(x))

    def first_token(self, x: torch.Tensor, attend: torch.Tensor) -> torch.Tensor:
        """The block's output ``[N, d]`` for token 0 only (queries from token 0, keys from all)."""
        N, T, d = x.shape
        h = self.ln1(x)
        q = F.linear(h[:, 0], self.qkv.weight[:d], self.qkv.bias[:d]).view(N, self.heads, 1, d // self.heads)
        kv = F.linear(h, self.qkv.weight[d:], self.qkv.bias[d:])
        k, v = kv.view(N, T, 2, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=attend)
        me = x[:, 0] + self.proj(y.reshape(N, d))
        return me + self.mlp(self.ln2(me))


class EntityTransformer(PolicyNet):
    """Transformer policy over self, entity and patch tokens (see the module docstring)."""

    arch = "transformer"

    def __init__(self, num_actions: int, d: int = 64, layers: int = 2, heads: int = 4,
                 mlp_ratio: int = 2, patch_grid: int = 2, cell_dim: int = 16, local: int = 2,
                 held_tokens: bool = False) -> None:
        super().__init__(num_actions, {"d": d, "layers": layers, "heads": heads, "mlp_ratio": mlp_ratio,
                                       "patch_grid": patch_grid, "cell_dim": cell_dim, "local": local,
                                       "held_tokens": held_tokens})
        if d % heads:
            raise ValueError(f"d={d} must be a multiple of heads={heads}")
        if not 0 <= local <= PATCH_RADIUS:
            raise ValueError(f"local={local} must lie in [0, {PATCH_RADIUS}]")
        self.patch_grid = patch_grid
        self.local = local
        self.held_tokens = held_tokens
        self.self_embed = nn.Linear(SELF_DIM, d)
        self.mask_embed = nn.Linear(num_actions, d, bias=False)
        self.attr_embed = nn.Linear(len(ATTRIBUTE_COLUMNS), d)
        side = 2 * MAX_OFFSET + 1
        self.pos_embed = nn.Embedding(side * side, d)
        self.register_buffer("attr_columns", torch.tensor(ATTRIBUTE_COLUMNS), persistent=False)
        if held_tokens:
            self.held_slot = nn.Parameter(torch.zeros(HELD_SLOTS, d))
            self.register_buffer("held_flags", torch.tensor(HELD_FLAG_COLUMNS), persistent=False)
        self.cell_known = nn.Embedding(KNOWN_CODES, cell_dim)
        self.cell_occupant = nn.Embedding(OCCUPANT_CODES, cell_dim)
        self.cell_flags = nn.Linear(2, cell_dim, bias=False)
        window = 2 * local + 1
        self.local_embed = nn.Linear(window * window * cell_dim, d, bias=False)
        if patch_grid > 0:
            self.patch_proj = nn.Linear(cell_dim, d)
            self.patch_pos = nn.Parameter(torch.zeros(patch_grid * patch_grid, d))
        self.blocks = nn.ModuleList(Block(d, heads, mlp_ratio) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.policy_head = nn.Linear(d, num_actions)
        self.value_head = nn.Linear(d, 1)
        self.target_query = nn.Linear(d, d)
        self.target_key = nn.Linear(d, d)
        self._init_weights()

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, std=0.02)
        # Near-uniform initial policy and small initial values: the usual PPO start.
        nn.init.normal_(self.policy_head.weight, std=0.01)
        nn.init.normal_(self.value_head.weight, std=0.1)

    @property
    def num_tokens(self) -> int:
        """Longest sequence: self + K entities (+ held items) + patch tokens."""
        return 1 + MAX_ENTITIES + (HELD_SLOTS if self.held_tokens else 0) + self.patch_grid * self.patch_grid

    def cell_table(self) -> torch.Tensor:
        """The per-cell embedding as one matrix ``[PATCH_ONE_HOT, cell_dim]`` over one-hot channels.

        A cell's embedding is ``known[k] + occupant[o] + flags @ W``: linear in the cell's
        one-hot channels (known one-hot, the two flags, occupant one-hot), so it can be
        applied after pooling and as a matmul, whose backward pass is far cheaper on the
        CPU than an embedding lookup's scatter.
        """
        return torch.cat([self.cell_known.weight, self.cell_flags.weight.t(), self.cell_occupant.weight])

    def cells(self, patch: torch.Tensor) -> torch.Tensor:
        """Per-cell embeddings ``[N, cell_dim, P, P]`` of the uint8 patch ``[N, P, P, 4]``."""
        return torch.einsum("nchw,ce->nehw", patch_one_hot(patch), self.cell_table())

    def prepare(self, obs: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``obs`` plus the weight-free inputs of :meth:`_tokens` (see :meth:`PolicyNet.prepare`).

        ``_window`` ``[N, w*w, C]``: one-hot channels of the local window; ``_pooled``
        ``[N, g*g, C]``: the patch's channels average-pooled to the patch grid;
        ``_attrs`` ``[N, K, attributes]`` and ``_cell`` ``[N, K]``: each entity's
        attribute columns and relative-cell index; with ``held_tokens``, ``_held``
        ``[N, HELD_SLOTS, attributes]`` and ``_held_present`` ``[N, HELD_SLOTS]``: each
        held item's attribute columns and whether the slot holds one.
        """
        if "_window" in obs:
            return dict(obs)
        with torch.no_grad():
            p = obs["patch"].long()
            N, P = p.shape[0], p.shape[1]
            known = p[..., 0].clamp(0, KNOWN_CODES - 1)
            occupant = p[..., 3].clamp(0, OCCUPANT_CODES - 1) + (KNOWN_CODES + 2)
            flags = p[..., 1:3].clamp(0, 1).float()
            r, lo = self.local, PATCH_RADIUS - self.local
            win = slice(lo, lo + 2 * r + 1)
            w = (2 * r + 1) ** 2
            window = torch.zeros(N, w, PATCH_ONE_HOT)
            window.scatter_(2, known[:, win, win].reshape(N, w, 1), 1.0)
            window.scatter_(2, occupant[:, win, win].reshape(N, w, 1), 1.0)
            window[:, :, KNOWN_CODES:KNOWN_CODES + 2] = flags[:, win, win].reshape(N, w, 2)
            out = {**obs, "_window": window}
            if self.patch_grid == 1:  # the common case without building the full one-hot patch
                pooled = torch.zeros(N, PATCH_ONE_HOT)
                ones = torch.ones(N, P * P)
                pooled.scatter_add_(1, known.reshape(N, -1), ones)
                pooled.scatter_add_(1, occupant.reshape(N, -1), ones)
                pooled[:, KNOWN_CODES:KNOWN_CODES + 2] = flags.sum(dim=(1, 2))
                out["_pooled"] = (pooled / (P * P)).unsqueeze(1)
            elif self.patch_grid > 1:
                pooled = F.adaptive_avg_pool2d(patch_one_hot(obs["patch"]), self.patch_grid)
                out["_pooled"] = pooled.flatten(2).transpose(1, 2).contiguous()
            entities = obs["entities"].float()
            dy, dx = entity_offsets(entities)
            side = 2 * MAX_OFFSET + 1
            out["_cell"] = ((dy.clamp(-MAX_OFFSET, MAX_OFFSET) + MAX_OFFSET) * side
                            + dx.clamp(-MAX_OFFSET, MAX_OFFSET) + MAX_OFFSET)
            out["_attrs"] = entities.index_select(-1, self.attr_columns)
            if self.held_tokens:
                own = obs["self"].float()
                out["_held"] = held_item_rows(own).index_select(-1, self.attr_columns)
                out["_held_present"] = own.index_select(-1, self.held_flags) > 0.5
        return out

    def _tokens(self, obs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Input tokens ``[N, T, d]``, attention keys ``[N, 1, 1, T]`` and the entity mask ``[N, K']``.

        ``K'`` is the number of entity columns kept: up to the last column with a present
        entity anywhere in the batch (the spec lists entities first, padding last).
        """
        obs = self.prepare(obs)
        present = obs["entity_mask"].bool()
        used = present.any(dim=0).nonzero()
        keep = int(used.max()) + 1 if len(used) else 1
        present = present[:, :keep]
        N = present.shape[0]
        table = self.cell_table()
        me = (self.self_embed(obs["self"].float()) + self.mask_embed(obs["action_mask"].float())
              + self.local_embed((obs["_window"] @ table).transpose(1, 2).flatten(1)))  # channel-major, as trained
        tokens = [me.unsqueeze(1), self.attr_embed(obs["_attrs"][:, :keep]) + self.pos_embed(obs["_cell"][:, :keep])]
        keys = [torch.ones(N, 1, dtype=torch.bool), present]
        if self.held_tokens:
            tokens.append(self.attr_embed(obs["_held"]) + self.held_slot)
            keys.append(obs["_held_present"])
        if self.patch_grid > 0:
            pooled = obs["_pooled"]
            tokens.append(self.patch_proj(pooled @ table) + self.patch_pos)
            keys.append(torch.ones(N, pooled.shape[1], dtype=torch.bool))
        return torch.cat(tokens, dim=1), torch.cat(keys, dim=1)[:, None, None, :], present

    def encode(self, obs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token outputs ``[N, T, d]`` (self, entities, held items, patch) and the entity mask ``[N, K']``."""
        x, attend, present = self._tokens(obs)
        for block in self.blocks:
            x = block(x, attend)
        return self.ln_f(x), present

    def self_features(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The self token's final output ``[N, d]``: what the policy and value heads read.

        The last block computes only that token's output (the same numbers as
        :meth:`encode`'s token 0, for a fraction of the cost).
        """
        x, attend, _ = self._tokens(obs)
        if not self.blocks:
            return self.ln_f(x[:, 0])
        for block in self.blocks[:-1]:
            x = block(x, attend)
        return self.ln_f(self.blocks[-1].first_token(x, attend))

    def forward(self, obs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Unmasked logits ``[N, num_actions]`` and values ``[N]`` from the self token."""
        me = self.self_features(obs)
        return self.policy_head(me), self.value_head(me).squeeze(-1)

    def target_logits(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Pointer scores ``[N, K]`` of the self token over entity tokens (absent: ``-inf``)."""
        x, present = self.encode(obs)
        keep = present.shape[1]
        q = self.target_query(x[:, 0])
        k = self.target_key(x[:, 1:1 + keep])
        scores = torch.einsum("nd,nkd->nk", q, k) / q.shape[-1] ** 0.5
        out = torch.full((x.shape[0], MAX_ENTITIES), float("-inf"))
        out[:, :keep] = scores.masked_fill(~present, float("-inf"))
        return out

