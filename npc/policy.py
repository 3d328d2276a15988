"""The one policy interface every NPC controller implements, and masked action sampling.

A policy maps a batch of observations (the :mod:`game.spec` dict, flattened to a
leading dimension ``N``) to actions, their log-probabilities and value estimates::

    result = policy.act(obs, deterministic=False, generator=torch.Generator().manual_seed(0))
    result.actions  # int64 [N]

Learned networks subclass :class:`PolicyNet` (a ``torch.nn.Module`` whose ``forward``
returns raw logits and values); :class:`npc.scripted.ScriptedNPC` puts the rule-based NPC behind
the same interface. Masking is done here, once, for every network: an illegal action
gets probability exactly 0 and can never be sampled or chosen deterministically.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 (the torch convention)
from torch import nn

from game.actions import WAIT
from game.spec import (
    ENTITY_COLUMN,
    ENTITY_DIM,
    HELD_FEATURES,
    HELD_SLOTS,
    OCC_ITEM,
    OFF_MAP,
    PATCH,
    PATCH_RADIUS,
    POS_SCALE,
    SELF_COLUMN,
)

#: Observation keys every network reads (``entity_kind`` is optional, for the baseline).
OBS_KEYS = ("patch", "entities", "entity_mask", "self", "action_mask")


@dataclass
class ActResult:
    """Actions for a batch of ``N`` agents, with their log-probabilities and values."""

    actions: torch.Tensor  # int64 [N]
    log_probs: torch.Tensor  # float32 [N]
    values: torch.Tensor  # float32 [N]


class Policy(Protocol):
    """Anything that can act for a batch of agents."""

    def act(self, obs: Mapping[str, Any], deterministic: bool = False,
            generator: torch.Generator | None = None) -> ActResult:
        """Actions for a batch of observations (leading dimension ``N``)."""
        ...


def to_tensors(obs: Mapping[str, Any], device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """Observation arrays (numpy or torch, leading dims flattened by the caller) as tensors."""
    out = {}
    for key, value in obs.items():
        out[key] = value if isinstance(value, torch.Tensor) else torch.from_numpy(np.asarray(value))
        out[key] = out[key].to(device)
    return out


def legal_mask(action_mask: torch.Tensor) -> torch.Tensor:
    """Boolean legality ``[N, num_actions]``; a row with no legal action allows only WAIT.

    The simulator always marks WAIT legal; the fallback only guards hand-made inputs so
    that sampling is always defined.
    """
    legal = action_mask.bool()
    empty = ~legal.any(dim=-1)
    if bool(empty.any()):
        legal = legal.clone()
        legal[empty, WAIT] = True
    return legal


def masked_log_probs(logits: torch.Tensor, legal: torch.Tensor) -> torch.Tensor:
    """Log-softmax over legal actions only; illegal actions get ``-inf``."""
    return torch.log_softmax(logits.masked_fill(~legal, float("-inf")), dim=-1)


def masked_entropy(log_probs: torch.Tensor, legal: torch.Tensor) -> torch.Tensor:
    """Entropy of each row of a masked distribution (illegal entries contribute 0)."""
    # Fill before multiplying: 0 * -inf would poison the gradient with NaN.
    safe = log_probs.masked_fill(~legal, 0.0)
    return -(safe.exp() * safe).masked_fill(~legal, 0.0).sum(dim=-1)


def sample_actions(log_probs: torch.Tensor, deterministic: bool,
                   generator: torch.Generator | None) -> torch.Tensor:
    """Argmax, or a Gumbel-max draw from ``generator``; ``-inf`` entries are never picked."""
    if deterministic:
        return log_probs.argmax(dim=-1)
    uniform = torch.rand(log_probs.shape, generator=generator, dtype=log_probs.dtype,
                         device=log_probs.device)
    gumbel = -torch.log(-torch.log(uniform.clamp_(1e-20, 1.0 - 1e-7)))
    return (log_probs + gumbel).argmax(dim=-1)


class PolicyNet(nn.Module):
    """Base class of the learned policies: ``forward(obs) -> (logits, values)``.

    Subclasses set :attr:`arch` (the name checkpoints record), keep their constructor
    arguments in :attr:`config` (JSON-ready) and implement :meth:`forward` returning
    unmasked logits ``[N, num_actions]`` and values ``[N]``.
    """

    arch: ClassVar[str] = ""

    def __init__(self, num_actions: int, config: dict[str, Any]) -> None:
        super().__init__()
        self.num_actions = num_actions
        self.config = {"num_actions": num_actions, **config}

    def forward(self, obs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Unmasked action logits ``[N, num_actions]`` and values ``[N]``."""
        raise NotImplementedError

    def prepare(self, obs: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``obs`` plus any derived inputs that do not depend on the weights.

        The PPO update calls this once per batch and then slices minibatches out of the
        result (so several epochs do not rebuild the same features); ``forward`` must
        accept both raw and prepared observations. The default derives nothing.
        """
        return dict(obs)

    def evaluate(self, obs: Mapping[str, torch.Tensor], actions: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Log-probabilities of ``actions``, entropies and values (for the PPO update)."""
        logits, values = self(obs)
        legal = legal_mask(obs["action_mask"])
        log_probs = masked_log_probs(logits, legal)
        chosen = log_probs.gather(1, actions.long().unsqueeze(1)).squeeze(1)
        return chosen, masked_entropy(log_probs, legal), values

    @torch.no_grad()
    def act(self, obs: Mapping[str, Any], deterministic: bool = False,
            generator: torch.Generator | None = None) -> ActResult:
        """Masked actions for a batch of observations (see :class:`Policy`)."""
        tensors = to_tensors(obs)
        logits, values = self(tensors)
        legal = legal_mask(tensors["action_mask"])
        log_probs = masked_log_probs(logits, legal)
        actions = sample_actions(log_probs, deterministic, generator)
        return ActResult(actions, log_probs.gather(1, actions.unsqueeze(1)).squeeze(1), values)

    def num_parameters(self) -> int:
        """Trainable parameter count."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


class SeededSampler:
    """A seeded torch generator for sampling actions, whose state can be saved as text.

    Game controllers keep it so that a saved game resumes with the same action draws.
    """

    def __init__(self, seed: int = 0) -> None:
        self._generator = torch.Generator().manual_seed(seed)

    @property
    def generator(self) -> torch.Generator:
        """The generator to pass to :meth:`PolicyNet.act`."""
        return self._generator

    def reseed(self, seed: int) -> None:
        """Restart the sampling from ``seed``."""
        self._generator.manual_seed(seed)

    def get_state(self) -> str:
        """The generator state, base64-encoded."""
        return base64.b64encode(self._generator.get_state().numpy().tobytes()).decode("ascii")

    def set_state(self, state: str) -> None:
        """Restore a state from :meth:`get_state` (an empty string keeps the current one)."""
        if state:
            raw = np.frombuffer(base64.b64decode(state), dtype=np.uint8).copy()
            self._generator.set_state(torch.from_numpy(raw))


class RandomPolicy:
    """Uniform over legal actions; a reference opponent for tests and sanity checks."""

    def act(self, obs: Mapping[str, Any], deterministic: bool = False,
            generator: torch.Generator | None = None) -> ActResult:
        """A uniformly random legal action per row (WAIT when ``deterministic``)."""
        legal = legal_mask(to_tensors({"m": obs["action_mask"]})["m"])
        log_probs = masked_log_probs(torch.zeros(legal.shape), legal)
        if deterministic:
            actions = torch.full((legal.shape[0],), WAIT, dtype=torch.long)
        else:
            actions = sample_actions(log_probs, False, generator)
        chosen = log_probs.gather(1, actions.unsqueeze(1)).squeeze(1)
        return ActResult(actions, chosen, torch.zeros(legal.shape[0]))


# ----------------------------------------------------------------------------- encoding
# Small observation transforms shared by the three networks.

#: Entity columns that carry position (the networks embed position separately).
_POSITION_COLUMNS = tuple(ENTITY_COLUMN[name] for name in ("dy", "dx", "dist"))
#: Entity columns that describe what an entity *is* (attributes, never ids).
ATTRIBUTE_COLUMNS = tuple(i for i in range(ENTITY_DIM) if i not in _POSITION_COLUMNS)
_DY = ENTITY_COLUMN["dy"]
_DX = ENTITY_COLUMN["dx"]
#: Values of the patch's ``known`` channel (0 unknown, 1 + tile, OFF_MAP) and ``occupant``.
KNOWN_CODES = OFF_MAP + 1
OCCUPANT_CODES = OCC_ITEM + 1
#: Channels of :func:`patch_one_hot`: known one-hot, visible, explored, occupant one-hot.
PATCH_ONE_HOT = KNOWN_CODES + 2 + OCCUPANT_CODES


#: Per held slot (:data:`game.spec.HELD_FEATURES` order): the ``self`` column of its ``has_*`` flag.
HELD_FLAG_COLUMNS = tuple(SELF_COLUMN[names[0]] for _, names in HELD_FEATURES)
#: Per held slot: the ``self`` columns that describe the held item's attributes.
HELD_SLOT_COLUMNS = tuple(tuple(SELF_COLUMN[name] for name in names[1:]) for _, names in HELD_FEATURES)


def held_item_rows(own: torch.Tensor) -> torch.Tensor:
    """Each held slot as an entity-token row ``[N, HELD_SLOTS, ENTITY_DIM]`` (category flag + attributes).

    The flag is the slot's ``has_*`` value and each attribute is copied from the ``self``
    column of the same name (the spec scales both alike), so a held item is described
    exactly as the same item lying on the floor, minus its position; an empty slot is an
    all-zero row.
    """
    rows = torch.zeros(*own.shape[:-1], HELD_SLOTS, ENTITY_DIM, dtype=own.dtype)
    for slot, (category, names) in enumerate(HELD_FEATURES):
        rows[..., slot, ENTITY_COLUMN[f"is_{category}"]] = own[..., HELD_FLAG_COLUMNS[slot]]
        for name, column in zip(names[1:], HELD_SLOT_COLUMNS[slot], strict=True):
            rows[..., slot, ENTITY_COLUMN[name]] = own[..., column]
    return rows


def entity_offsets(entities: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Integer row and column offsets ``[N, K]`` of every entity token, in cells."""
    dy = torch.round(entities[..., _DY] * POS_SCALE).long()
    dx = torch.round(entities[..., _DX] * POS_SCALE).long()
    return dy, dx


def patch_one_hot(patch: torch.Tensor) -> torch.Tensor:
    """The uint8 patch ``[N, P, P, 4]`` as float channels ``[N, PATCH_ONE_HOT, P, P]``."""
    p = patch.long()
    known = F.one_hot(p[..., 0].clamp(0, KNOWN_CODES - 1), KNOWN_CODES)
    occupant = F.one_hot(p[..., 3].clamp(0, OCCUPANT_CODES - 1), OCCUPANT_CODES)
    flags = p[..., 1:3].clamp(0, 1)
    return torch.cat([known, flags, occupant], dim=-1).permute(0, 3, 1, 2).float()


def patch_cell_index(dy: torch.Tensor, dx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat patch cell index of each offset and whether it lies inside the patch."""
    inside = (dy.abs() <= PATCH_RADIUS) & (dx.abs() <= PATCH_RADIUS)
    index = (dy.clamp(-PATCH_RADIUS, PATCH_RADIUS) + PATCH_RADIUS) * PATCH + (
        dx.clamp(-PATCH_RADIUS, PATCH_RADIUS) + PATCH_RADIUS)
    return index, inside
