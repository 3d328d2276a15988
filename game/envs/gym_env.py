"""A single-agent Gymnasium view: one agent learns, a policy drives the others.

Registered as ``Mindcrawl-v0`` by ``import game``; the ``game:`` prefix has Gymnasium
import it (Gymnasium 1.x loads no plugins)::

    env = gymnasium.make("game:Mindcrawl-v0", params="arena", max_cycles=100)
    envs = gymnasium.make_vec("game:Mindcrawl-v0", num_envs=64)   # game.envs.vector, one BatchedSim

The learner is ``agent`` (default: the hero faction's first slot). The other agents
act by ``opponent(obs)`` on the batched observation dict (default: the scripted NPC);
an episode ends when the learner dies (terminated), when its side has won or lost
(terminated), or at the turn limit (truncated).

``obs_layout`` picks the observation's form ("dict", "flat" or "masked", see
:mod:`game.envs.obs_layout`); :meth:`MindcrawlGymEnv.action_masks` gives the legal actions
(sb3-contrib's MaskablePPO reads it). At the end of an episode ``info["episode_stats"]``
holds ``r`` (return), ``l`` (length) and ``won``; ``info["episode"]`` is left to
Gymnasium's ``RecordEpisodeStatistics``. ``info["goal"]`` names the learner's goal
(reset and every step); when the episode ends ``info["winner"]`` is the winning faction's
index (-1: a draw) and ``info["cause"]`` why it ended (:data:`game.state.CAUSES`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from game.actions import CORE_ACTIONS
from game.batch import BatchedSim
from game.envs.obs_layout import Layout
from game.envs.render import RENDER_FPS, RENDER_MODES, EnvRenderer
from game.goals import cause_name
from game.spec import observation_space
from game.state import PRESENT
from levels.common.errors import UserError
from levels.level import Level
from levels.params import GOALS, LevelParams
from npc.scripted import ScriptedNPC

Policy = Callable[[dict[str, np.ndarray]], np.ndarray]


class MindcrawlGymEnv(gym.Env):
    """Mindcrawl for one learning agent (a view of a one-world BatchedSim)."""

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": RENDER_FPS}

    def __init__(self, params: str | Path | LevelParams = "arena", seed: int | None = None,
                 max_cycles: int | None = None, render_mode: str | None = None,
                 agent: str | None = None, opponent: Policy | None = None,
                 pool_size: int = 16, levels: list[Level] | None = None,
                 num_actions: int = CORE_ACTIONS, obs_layout: str = "dict") -> None:
        self._renderer = EnvRenderer(render_mode)
        self.render_mode = render_mode
        self.sim = BatchedSim(params, 1, seed, pool_size=pool_size, levels=levels,
                              max_turns=max_cycles, num_actions=num_actions, threads=1)
        names = self.sim.agent_names
        if agent is None:
            hero = self.sim.params.rules.hero_faction
            agent = next((n for n in names if n.rsplit("_", 1)[0] == hero), names[0])
        if agent not in names:
            raise UserError(f"unknown agent {agent!r} (agents: {', '.join(names)})")
        self.agent = agent
        self.slot = names.index(agent)
        if self.sim.navigation is not None:  # no observation layout shows the learner's own routes
            self.sim.navigation.set_planning([self.slot], False)
        self._faction = self.sim.layout.slot_faction()[self.slot]
        self.opponent = opponent if opponent is not None else ScriptedNPC()
        self.layout = Layout(observation_space(self.sim.num_actions), obs_layout)
        self.observation_space = self.layout.space
        self.action_space = gym.spaces.Discrete(self.sim.num_actions)
        self._obs: dict[str, np.ndarray] = {}
        self._return, self._length = 0.0, 0

    def _mine(self) -> Any:
        return self.layout.apply({k: v[0, self.slot] for k, v in self._obs.items()}, ())

    def action_masks(self) -> np.ndarray:
        """The learner's legal actions now, bool ``[num_actions]``."""
        return self.sim.action_mask[0, self.slot].astype(bool)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[Any, dict[str, Any]]:
        """Start an episode (a ``seed`` restarts the level and RNG sequence from it)."""
        super().reset(seed=seed)
        self._obs = self.sim.reset(seed)
        self._return, self._length = 0.0, 0
        if not self.sim.world.ag[0, self.slot, PRESENT]:
            raise UserError(f"agent {self.agent!r} does not exist in this level")
        if self.render_mode == "human":
            self.render()
        return self._mine(), {"goal": self._goal()}

    def _goal(self) -> str:
        """The learner's goal this episode (a name of levels.params.GOALS)."""
        return GOALS[int(self.sim.world.goal[0, self._faction])]

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        """Play one turn: the learner's ``action``, the opponent policy for the others."""
        actions = np.asarray(self.opponent(self._obs), dtype=np.int64).reshape(1, -1).copy()
        actions[0, self.slot] = int(action)
        result = self.sim.step(actions)
        self._obs = result.obs
        terminated = bool(result.terminated[0, self.slot])
        truncated = bool(result.truncated[0, self.slot])
        reward = float(result.reward[0, self.slot])
        self._return += reward
        self._length += 1
        info: dict[str, Any] = {"goal": self._goal()}
        if result.info["finished"][0]:
            info["winner"] = int(result.info["winner"][0])
            info["cause"] = cause_name(result.info["cause"][0])
        if terminated or truncated:
            info["episode_stats"] = {"r": self._return, "l": self._length,
                                     "won": info.get("winner") == self._faction}
        if self.render_mode == "human":
            self.render()
        return self._mine(), reward, terminated, truncated, info

    def render(self) -> np.ndarray | str | None:
        """Draw the world as the ``render_mode`` asks."""
        return self._renderer.render(self.sim.world, self.sim.agent_names)

    def close(self) -> None:
        """Release the viewer window, if any."""
        self._renderer.close()
