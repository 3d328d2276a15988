"""What drives the NPCs of a game: the controller interface, the policy controller, the choice.

The game (:mod:`game.ui`) asks a controller for every agent's action each turn; a
controller wraps a :class:`~npc.policy.Policy` (a checkpoint's network or the scripted
NPC) with a seeded sampler whose state a game save keeps. Live retraining
(:class:`training.live.controller.LiveController`) is another controller with the same
interface. :func:`load_controller` turns the ``--checkpoint`` option into a controller:
:data:`SCRIPTED` asks for the scripted NPC, no option the shipped checkpoint
(:data:`npc.checkpoint.SHIPPED_CHECKPOINT`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from game.actions import CORE_ACTIONS
from levels.common.errors import UserError
from npc.checkpoint import SHIPPED_CHECKPOINT, load_checkpoint
from npc.policy import OBS_KEYS, Policy, PolicyNet, SeededSampler
from npc.scripted import ScriptedNPC

#: ``--checkpoint scripted``: the scripted NPC instead of a learned policy.
SCRIPTED = "scripted"


class NpcController(Protocol):
    """Chooses every agent's action from the batched observations of a one-world sim."""

    name: str
    num_actions: int

    def __call__(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Actions ``[A]`` for world 0 of ``obs``."""
        ...

    def reseed(self, seed: int) -> None:
        """Restart the controller's random draws from ``seed``."""
        ...

    def get_state(self) -> str:
        """The random state as text (for game saves)."""
        ...

    # Optional: ``planned_paths(floor) -> dict[slot, list[(y, x)]]`` for controllers that
    # plan routes (the navigator); spectators see them on the minimap.

    def set_state(self, state: str) -> None:
        """Restore :meth:`get_state`'s result."""
        ...


class SampledController:
    """The seeded action sampler every controller keeps, and its save/restore."""

    def __init__(self) -> None:
        self._sampler = SeededSampler()

    def reseed(self, seed: int) -> None:
        """Restart the sampling from ``seed``."""
        self._sampler.reseed(seed)

    def get_state(self) -> str:
        """The sampling generator's state, as text."""
        return self._sampler.get_state()

    def set_state(self, state: str) -> None:
        """Restore a state from :meth:`get_state` (an empty string keeps the current one)."""
        self._sampler.set_state(state)


class PolicyController(SampledController):
    """A :class:`~npc.policy.Policy` driving every agent of world 0, sampling with a seeded generator.

    ``keys`` are the observation keys the policy is shown (None: all of them; the
    scripted NPC also reads the simulator's ``nav`` key).
    """

    def __init__(self, policy: Policy, name: str, num_actions: int,
                 keys: tuple[str, ...] | None = OBS_KEYS) -> None:
        super().__init__()
        self.policy = policy
        self.name = name
        self.num_actions = num_actions
        self.keys = keys

    @classmethod
    def from_checkpoint(cls, path: Path) -> PolicyController:
        """The policy of a checkpoint file (errors are one-line UserErrors)."""
        import torch

        # One intra-op thread: the renderer and the simulation share the two cores, and a
        # second torch thread made a 16-agent forward ~100x slower here (1 ms -> 80-130 ms).
        torch.set_num_threads(1)
        net, meta = load_checkpoint(path)
        return cls(net, f"{meta['arch']} policy ({path.name})", int(meta["num_actions"]))

    @property
    def net(self) -> PolicyNet | None:
        """The policy network when the policy is learned (live retraining trains a copy), else None."""
        return self.policy if isinstance(self.policy, PolicyNet) else None

    def __call__(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Sampled (masked) actions for every agent of world 0."""
        flat = {key: np.ascontiguousarray(obs[key][0]) for key in (self.keys or obs)}
        return self.policy.act(flat, deterministic=False, generator=self._sampler.generator).actions.numpy()


def scripted_controller() -> PolicyController:
    """The scripted NPC as a game controller."""
    return PolicyController(ScriptedNPC(), "scripted NPC", CORE_ACTIONS, keys=None)


def load_controller(checkpoint: Path | str | None) -> tuple[PolicyController, str]:
    """The NPC controller and a line for the log.

    :data:`SCRIPTED` asks for the scripted NPC; another explicit ``checkpoint`` must load
    (errors are UserErrors); without one the shipped checkpoint is used when present,
    else the scripted NPC.
    """
    if checkpoint is not None and str(checkpoint) == SCRIPTED:
        return scripted_controller(), "NPCs: scripted"
    if checkpoint is not None:
        controller = PolicyController.from_checkpoint(Path(checkpoint))
        return controller, f"NPCs: {controller.name}"
    if SHIPPED_CHECKPOINT.exists():
        try:
            controller = PolicyController.from_checkpoint(SHIPPED_CHECKPOINT)
            return controller, f"NPCs: {controller.name}"
        except UserError as exc:
            return scripted_controller(), f"NPCs: scripted (the shipped checkpoint did not load: {exc})"
    return scripted_controller(), "NPCs: scripted (no trained checkpoint shipped yet)"
