"""NavTransformer: the entity transformer for the navigator-driven action space.

The action space is ``BatchedSim(..., nav_actions=True)``'s (:mod:`game.nav_actions`, which
turns it into moves inside the step): the game's primitive actions unchanged, then "go to
entity token k" for every token slot, then explore, flee and goal. The go-to logits add
the pointer head's score of entity token k (against the self token) to the policy head's
logit, so which entity to go to is chosen by attention over the tokens' attributes rather
than by slot position alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from game.nav_actions import EXPLORE, FLEE, GOAL, GOTO_FIRST, NAV_ACTIONS
from game.spec import MAX_ENTITIES
from npc.transformer import EntityTransformer

__all__ = ["EXPLORE", "FLEE", "GOAL", "GOTO_FIRST", "NAV_ACTIONS", "NavTransformer"]


class NavTransformer(EntityTransformer):
    """The entity transformer with go-to logits from its pointer head (see the module docstring).

    Logits: the policy head scores every index as usual; on the K go-to indices the
    pointer score of the self token against entity token k is added. One encoder pass
    serves both (every token's output is computed, unlike the base class's forward).
    """

    arch = "nav_transformer"

    def __init__(self, num_actions: int = NAV_ACTIONS, **options: Any) -> None:
        if num_actions != NAV_ACTIONS:
            raise ValueError(f"NavTransformer needs num_actions={NAV_ACTIONS}, got {num_actions}")
        super().__init__(num_actions, **options)

    def forward(self, obs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``[N, NAV_ACTIONS]`` (pointer scores on the go-to slots) and values ``[N]``."""
        x, present = self.encode(obs)
        me = x[:, 0]
        logits = self.policy_head(me)
        keep = present.shape[1]
        q = self.target_query(me)
        k = self.target_key(x[:, 1:1 + keep])
        scores = torch.einsum("nd,nkd->nk", q, k) / q.shape[-1] ** 0.5
        pointer = torch.zeros(x.shape[0], MAX_ENTITIES)
        pointer[:, :keep] = scores.masked_fill(~present, 0.0)  # absent tokens are masked out anyway
        logits = torch.cat([logits[:, :GOTO_FIRST], logits[:, GOTO_FIRST:EXPLORE] + pointer,
                            logits[:, EXPLORE:]], dim=1)
        return logits, self.value_head(me).squeeze(-1)
