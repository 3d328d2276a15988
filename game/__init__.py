"""The Mindcrawl world simulation: rules, observations, and the standard env APIs.

The core (this package minus :mod:`game.ui`) imports neither pygame nor torch.

- :class:`game.batch.BatchedSim`: B worlds stepped together (the training API).
- :func:`game.env.parallel_env` / :func:`game.env.env`: PettingZoo Parallel and AEC.
- ``gymnasium.make("game:Mindcrawl-v0")``: one learning agent (the ``game:`` prefix makes
  Gymnasium import this package, which registers the id; Gymnasium 1.x loads no plugins).
- ``gymnasium.make_vec("game:Mindcrawl-v0", num_envs=N)``: its native vector env
  (:class:`game.vector.MindcrawlVectorEnv`, the registered vector entry point);
  :class:`game.vector.MindcrawlMultiAgentVectorEnv` has every agent as a row.
- :mod:`game.actions` and :mod:`game.spec`: the versioned action table and observation spec.
"""

from __future__ import annotations

import gymnasium as gym

from game.actions import ACTIONS_VERSION
from game.spec import OBS_VERSION

if "Mindcrawl-v0" not in gym.registry:
    gym.register(id="Mindcrawl-v0", entry_point="game.gym_env:MindcrawlGymEnv",
                 vector_entry_point="game.vector:MindcrawlVectorEnv")

__all__ = ["ACTIONS_VERSION", "OBS_VERSION"]
