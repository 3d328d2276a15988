"""The Mindcrawl world simulation: B worlds as arrays, the rules, observations and saves.

The core (this package minus :mod:`game.envs` and :mod:`game.ui`) imports neither
pygame nor torch, nor anything of :mod:`npc` or :mod:`training`.

- :class:`game.batch.BatchedSim`: B worlds stepped together (the training API).
- :mod:`game.actions` and :mod:`game.spec`: the versioned action table and observation spec.
- :mod:`game.envs`: the PettingZoo, Gymnasium and vector env adapters. Importing this
  package registers ``Mindcrawl-v0`` by entry-point strings (nothing of ``game.envs`` is
  imported until Gymnasium makes the env), so ``gymnasium.make("game:Mindcrawl-v0")`` and
  ``gymnasium.make_vec("game:Mindcrawl-v0", num_envs=N)`` work (Gymnasium 1.x loads no plugins).
"""

from __future__ import annotations

import gymnasium as gym

from game.actions import ACTIONS_VERSION
from game.spec import OBS_VERSION

if "Mindcrawl-v0" not in gym.registry:
    gym.register(id="Mindcrawl-v0", entry_point="game.envs.gym_env:MindcrawlGymEnv",
                 vector_entry_point="game.envs.vector:MindcrawlVectorEnv")

__all__ = ["ACTIONS_VERSION", "OBS_VERSION"]
