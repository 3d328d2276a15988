"""PettingZoo environments: a native ParallelEnv over a one-world BatchedSim, and its
AEC form.

    from game.env import parallel_env
    env = parallel_env("arena", seed=0)
    obs, infos = env.reset()
    while env.agents:
        actions = {a: policy(obs[a]) for a in env.agents}
        obs, rewards, terminations, truncations, infos = env.step(actions)

Agents are named ``<faction>_<n>``; ``possible_agents`` holds every slot the level
parameters allow, ``agents`` the ones alive in this episode. An agent missing from the
actions dict waits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils import parallel_to_aec, wrappers

from game.actions import CORE_ACTIONS
from game.batch import BatchedSim
from game.render import RENDER_FPS, RENDER_MODES, EnvRenderer, rgb_frame
from game.spec import observation_space
from game.state import ALIVE
from levels.errors import UserError
from levels.level import Level
from levels.params import LevelParams


def agent_obs(obs: dict[str, np.ndarray], b: int, a: int) -> dict[str, np.ndarray]:
    """One agent's observation, copied out of the batched buffers."""
    return {key: value[b, a].copy() for key, value in obs.items()}


class MindcrawlParallelEnv(ParallelEnv):
    """The Mindcrawl world as a PettingZoo ParallelEnv (a view of a one-world BatchedSim).

    Args:
        params: preset name, TOML path or LevelParams.
        seed: seed of the first reset when ``reset`` gets none (None: OS entropy).
        max_cycles: turn limit (default ``params.rules.max_turns``).
        render_mode: "human", "rgb_array", "ansi" or None.
        pool_size: levels the resets draw from (see :class:`~game.batch.BatchedSim`).
        levels: explicit levels instead of generated ones.
        num_actions: action-space size (>= the core action table).
    """

    metadata = {"render_modes": list(RENDER_MODES), "name": "mindcrawl_v0",
                "is_parallelizable": True, "render_fps": RENDER_FPS}

    def __init__(self, params: str | Path | LevelParams = "arena", seed: int | None = None,
                 max_cycles: int | None = None, render_mode: str | None = None,
                 pool_size: int = 16, levels: list[Level] | None = None,
                 num_actions: int = CORE_ACTIONS) -> None:
        self._renderer = EnvRenderer(render_mode)
        self.render_mode = render_mode
        self.sim = BatchedSim(params, 1, seed, pool_size=pool_size, levels=levels,
                              max_turns=max_cycles, num_actions=num_actions, threads=1)
        self.possible_agents = list(self.sim.agent_names)
        self._index = {name: i for i, name in enumerate(self.possible_agents)}
        obs_space = observation_space(self.sim.num_actions)
        act_space = gym.spaces.Discrete(self.sim.num_actions)
        self.observation_spaces = dict.fromkeys(self.possible_agents, obs_space)
        self.action_spaces = dict.fromkeys(self.possible_agents, act_space)
        self.agents: list[str] = []
        self._obs: dict[str, np.ndarray] | None = None

    def observation_space(self, agent: str) -> gym.spaces.Dict:
        """The (cached) observation space of ``agent``."""
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> gym.spaces.Discrete:
        """The (cached) action space of ``agent``."""
        return self.action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start an episode; a ``seed`` restarts the level and RNG sequence from it."""
        self._obs = self.sim.reset(seed)
        present = self.sim.world.ag[0, :, ALIVE]
        self.agents = [n for i, n in enumerate(self.possible_agents) if present[i]]
        observations = {n: agent_obs(self._obs, 0, self._index[n]) for n in self.agents}
        if self.render_mode == "human":
            self.render()
        return observations, {n: {} for n in self.agents}

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Play one turn with every living agent's action."""
        if not self.agents:
            raise UserError("step() called with no agents left: call reset() first")
        arr = np.zeros((1, self.sim.num_agents), np.int64)
        for name, action in actions.items():
            if name not in self._index:
                raise UserError(f"unknown agent {name!r} in actions")
            if action is not None:
                arr[0, self._index[name]] = int(action)
        result = self.sim.step(arr)
        self._obs = result.obs
        obs, rew, term, trunc, info = {}, {}, {}, {}, {}
        finished = bool(result.info["finished"][0])
        for name in self.agents:
            i = self._index[name]
            obs[name] = agent_obs(result.obs, 0, i)
            rew[name] = float(result.reward[0, i])
            term[name] = bool(result.terminated[0, i])
            trunc[name] = bool(result.truncated[0, i])
            info[name] = {}
            if finished:
                info[name]["episode"] = {"r": float(result.info["episode_return"][0, i]),
                                         "l": int(result.info["episode_length"][0])}
        self.agents = [n for n in self.agents if not (term[n] or trunc[n])]
        if self.render_mode == "human":
            self.render()
        return obs, rew, term, trunc, info

    def render(self) -> np.ndarray | str | None:
        """Draw the world as the ``render_mode`` asks."""
        return self._renderer.render(self.sim.world, self.sim.agent_names)

    def close(self) -> None:
        """Release the viewer window, if any."""
        self._renderer.close()

    def state(self) -> np.ndarray:
        """A global view: the rgb frame of the world."""
        return rgb_frame(self.sim.world)


def parallel_env(params: str | Path | LevelParams = "arena", seed: int | None = None,
                 max_cycles: int | None = None, render_mode: str | None = None,
                 **kwargs: Any) -> MindcrawlParallelEnv:
    """The native ParallelEnv (see :class:`MindcrawlParallelEnv`)."""
    return MindcrawlParallelEnv(params, seed=seed, max_cycles=max_cycles,
                                render_mode=render_mode, **kwargs)


def raw_env(params: str | Path | LevelParams = "arena", seed: int | None = None,
            max_cycles: int | None = None, render_mode: str | None = None,
            **kwargs: Any) -> AECEnv:
    """The AEC form without PettingZoo's checking wrappers."""
    return parallel_to_aec(parallel_env(params, seed, max_cycles, render_mode, **kwargs))


def env(params: str | Path | LevelParams = "arena", seed: int | None = None,
        max_cycles: int | None = None, render_mode: str | None = None, **kwargs: Any) -> AECEnv:
    """The AEC form with PettingZoo's standard wrappers (order enforcing, bounds checks)."""
    aec = raw_env(params, seed, max_cycles, render_mode, **kwargs)
    aec = wrappers.AssertOutOfBoundsWrapper(aec)
    return wrappers.OrderEnforcingWrapper(aec)
