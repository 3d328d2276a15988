"""The Mindcrawl world simulation: rules, observations, and the standard env APIs.

The core (this package minus :mod:`game.ui`) imports neither pygame nor torch.

- :class:`game.batch.BatchedSim`: B worlds stepped together (the training API).
- :func:`game.env.parallel_env` / :func:`game.env.env`: PettingZoo Parallel and AEC.
- ``gymnasium.make("Mindcrawl-v0")``: one learning agent (registered on import).
- :mod:`game.actions` and :mod:`game.spec`: the versioned action table and observation spec.
"""

from __future__ import annotations

import gymnasium as gym

from game.actions import ACTIONS_VERSION
from game.spec import OBS_VERSION

if "Mindcrawl-v0" not in gym.registry:
    gym.register(id="Mindcrawl-v0", entry_point="game.gym_env:MindcrawlGymEnv")

__all__ = ["ACTIONS_VERSION", "OBS_VERSION"]
