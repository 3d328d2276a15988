"""PettingZoo environments: a native ParallelEnv over a one-world BatchedSim, and its
AEC form.

    from game.envs.pettingzoo_env import parallel_env
    env = parallel_env("arena", seed=0)
    obs, infos = env.reset()
    while env.agents:
        actions = {a: policy(obs[a]) for a in env.agents}
        obs, rewards, terminations, truncations, infos = env.step(actions)

Agents are named ``<faction>_<n>``; ``possible_agents`` holds every slot the level
parameters allow, and a level need not spawn all of them (dungeon spawns 2 of 10 at
some seeds). Two semantics for ``agents``, by the ``all_agents`` option:

``all_agents=True`` (default; what SuperSuit, torchrl and RLlib assume)
    ``agents == possible_agents`` from reset until the episode ends ("black death"
    built in). A slot that holds no living agent (never spawned, or dead) is *padded*:
    all-zero observation with only ``wait`` legal, reward 0, its action ignored, and
    ``infos[agent]["active"]`` False. Every agent terminates (truncates at the turn
    limit) when the episode ends.
``all_agents=False``
    ``agents`` holds the agents alive now: only spawned agents appear at reset, and an
    agent leaves ``agents`` on the step it dies (terminated).

An agent missing from the actions dict waits. ``obs_layout`` picks the observation's
form (:mod:`game.envs.obs_layout`); ``state()`` is the global state a centralised critic
reads: every possible agent's flat observation (padded as above), concatenated in
``possible_agents`` order (``state_space``).

``infos[agent]`` has the same numeric keys at reset and every step (torchrl builds its
specs from them): ``active``, and ``episode_return`` / ``episode_length``, the agent's
return and the turns played so far this episode (the totals on its last step), ``goal``
(the agent's faction's goal, a code of :data:`levels.params.GOALS`; -1 for a padded slot
that never spawned), ``winner`` (the winning faction's index in ``params.factions``
order; -1 until the episode ends, and for a draw) and ``cause`` (why it ended, a code of
:data:`game.state.CAUSES`; 0 until then). ``"episode"`` is left to Gymnasium-style recorders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils import parallel_to_aec, wrappers

from game.actions import CORE_ACTIONS, WAIT
from game.batch import BatchedSim
from game.envs.obs_layout import Layout, flat_segments, flatten_batch
from game.envs.render import RENDER_FPS, RENDER_MODES, EnvRenderer
from game.spec import observation_space
from game.state import ALIVE, FACTION, OUT_CAUSE, OUT_WINNER
from levels.common.errors import UserError
from levels.level import Level
from levels.params import LevelParams


def agent_obs(obs: dict[str, np.ndarray], b: int, a: int) -> dict[str, np.ndarray]:
    """One agent's observation, copied out of the batched buffers."""
    return {key: value[b, a].copy() for key, value in obs.items()}


def padded_obs(obs: dict[str, np.ndarray], active: np.ndarray) -> dict[str, np.ndarray]:
    """``obs`` (arrays ``[A, ...]``) with the rows where ``active`` is False padded:
    zeros everywhere and only ``wait`` legal."""
    out = {}
    for key, value in obs.items():
        keep = active.reshape(active.shape + (1,) * (value.ndim - 1))
        out[key] = np.where(keep, value, 0).astype(value.dtype)
    out["action_mask"][~active, WAIT] = 1
    return out


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
        all_agents: keep every possible agent in ``agents`` all episode, padded while
            absent or dead (the module docstring has both semantics).
        obs_layout: "dict", "flat" or "masked" (:mod:`game.envs.obs_layout`).
    """

    metadata = {"render_modes": list(RENDER_MODES), "name": "mindcrawl_v0",
                "is_parallelizable": True, "render_fps": RENDER_FPS}

    def __init__(self, params: str | Path | LevelParams = "arena", seed: int | None = None,
                 max_cycles: int | None = None, render_mode: str | None = None,
                 pool_size: int = 16, levels: list[Level] | None = None,
                 num_actions: int = CORE_ACTIONS, all_agents: bool = True,
                 obs_layout: str = "dict") -> None:
        self._renderer = EnvRenderer(render_mode)
        self.render_mode = render_mode
        self.sim = BatchedSim(params, 1, seed, pool_size=pool_size, levels=levels,
                              max_turns=max_cycles, num_actions=num_actions, threads=1)
        self.all_agents = bool(all_agents)
        self.possible_agents = list(self.sim.agent_names)
        self._index = {name: i for i, name in enumerate(self.possible_agents)}
        spec_space = observation_space(self.sim.num_actions)
        self.layout = Layout(spec_space, obs_layout)
        self._state_segments = flat_segments(spec_space)
        one = self.layout.space if obs_layout == "flat" else Layout(spec_space, "flat").space
        self.state_space = gym.spaces.Box(np.tile(one.low, len(self.possible_agents)),
                                          np.tile(one.high, len(self.possible_agents)),
                                          dtype=np.float32)
        act_space = gym.spaces.Discrete(self.sim.num_actions)
        self.observation_spaces = dict.fromkeys(self.possible_agents, self.layout.space)
        self.action_spaces = dict.fromkeys(self.possible_agents, act_space)
        self.agents: list[str] = []
        self._obs: dict[str, np.ndarray] | None = None
        self._active = np.zeros(len(self.possible_agents), bool)
        self._return = np.zeros(len(self.possible_agents), np.float64)
        self._length = 0

    def observation_space(self, agent: str) -> gym.spaces.Space:
        """The (cached) observation space of ``agent``."""
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> gym.spaces.Discrete:
        """The (cached) action space of ``agent``."""
        return self.action_spaces[agent]

    def _padded(self) -> dict[str, np.ndarray]:
        assert self._obs is not None
        spec = {k: self._obs[k][0] for k in self.layout.dict_space.spaces}
        return padded_obs(spec, self._active)

    def _observations(self, names: list[str]) -> dict[str, Any]:
        rows = self.layout.apply(self._padded(), (len(self.possible_agents),))
        pick = (lambda i: {k: v[i] for k, v in rows.items()}) if isinstance(rows, dict) else rows.__getitem__
        return {n: pick(self._index[n]) for n in names}

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start an episode; a ``seed`` restarts the level and RNG sequence from it."""
        self._obs = self.sim.reset(seed)
        self._active = self.sim.world.ag[0, :, ALIVE] != 0
        self.agents = [n for i, n in enumerate(self.possible_agents) if self.all_agents or self._active[i]]
        observations = self._observations(self.agents)
        if self.render_mode == "human":
            self.render()
        self._return = np.zeros(len(self.possible_agents), np.float64)
        self._length = 0
        return observations, {n: self._info(self._index[n]) for n in self.agents}

    def _info(self, i: int) -> dict[str, Any]:
        # Numbers only, the same keys at every call: goal is a code of levels.params.GOALS,
        # winner a faction index (-1: none yet, or a draw), cause a code of game.state.CAUSES.
        faction = int(self.sim.world.ag[0, i, FACTION])
        return {"active": bool(self._active[i]), "episode_return": float(self._return[i]),
                "episode_length": int(self._length),
                "goal": int(self.sim.world.goal[0, faction]) if faction >= 0 else -1,
                "winner": int(self.sim.out.wout[0, OUT_WINNER]), "cause": int(self.sim.out.wout[0, OUT_CAUSE])}

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Play one turn with every living agent's action."""
        if not self.agents:
            raise UserError("step() called with no agents left: call reset() first")
        arr = np.zeros((1, self.sim.num_agents), np.int64)
        for name, action in actions.items():
            if name not in self._index:
                raise UserError(f"unknown agent {name!r} in actions")
            if action is not None and self._active[self._index[name]]:
                arr[0, self._index[name]] = int(action)
        result = self.sim.step(arr)
        self._obs = result.obs
        before = self._active
        self._active = self.sim.world.ag[0, :, ALIVE] != 0
        finished = bool(result.info["finished"][0])
        truncated_world = finished and bool(np.asarray(result.truncated[0]).any())
        obs = self._observations(self.agents)
        self._length += 1
        rew, term, trunc, info = {}, {}, {}, {}
        for name in self.agents:
            i = self._index[name]
            rew[name] = float(result.reward[0, i]) if before[i] else 0.0
            self._return[i] += rew[name]
            if self.all_agents:
                term[name] = finished and not truncated_world
                trunc[name] = truncated_world
            else:
                term[name] = bool(result.terminated[0, i])
                trunc[name] = bool(result.truncated[0, i])
            info[name] = self._info(i)
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
        """The global state: every possible agent's flat observation (padded), concatenated."""
        if self._obs is None:
            raise UserError("state() called before reset()")
        rows = flatten_batch(self._padded(), self._state_segments, len(self.possible_agents))
        return rows.reshape(-1)


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
