"""Native Gymnasium vector envs over one :class:`~game.batch.BatchedSim`: the batched speed
for third-party trainers.

:class:`MindcrawlVectorEnv` is the vector form of ``Mindcrawl-v0`` (one learning agent
per world, the opponent policy drives the rest) and its registered vector entry point::

    envs = gymnasium.make_vec("game:Mindcrawl-v0", num_envs=64, vectorization_mode="vector_entry_point")

:class:`MindcrawlMultiAgentVectorEnv` is for parameter sharing: every agent slot of the
learning factions in every world is one row (``num_envs = worlds * slots``). Rows whose
slot holds no living agent (a slot the level did not spawn, or an agent that died) are
*padded*: all-zero observation, only ``wait`` legal, reward 0, and
``info["active"][row]`` False; their actions are ignored. Every row of a world ends
together when the world's episode ends (terminated; truncated at the turn limit).

Both step all worlds in one kernel call. Autoreset follows Gymnasium's modes
(``metadata["autoreset_mode"]``): ``"next_step"`` (default, the simulator's own mode:
the step after an episode ends returns the new episode's first observation, ignores
that row's action and has reward 0) or ``"same_step"`` (the returned observation is
already the new episode's; the last one is in ``info["final_obs"]``). Both offer
``action_masks()`` (bool ``[num_envs, num_actions]``, for sb3-contrib's MaskablePPO)
and every :mod:`game.envs.obs_layout` layout.

Episode totals are in ``info["episode_stats"]`` (``r`` return, ``l`` length, ``won``
the row's faction had won when its episode ended) with Gymnasium's ``_episode_stats``
mask; ``info["episode"]`` is left to :class:`gymnasium.wrappers.vector.RecordEpisodeStatistics`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from game.actions import CORE_ACTIONS, WAIT
from game.batch import ActionError, BatchedSim
from game.envs.obs_layout import Layout
from game.spec import observation_space
from game.state import ALIVE
from levels.common.errors import UserError
from levels.params import LevelParams
from npc.scripted import ScriptedNPC

Policy = Callable[[dict[str, np.ndarray]], np.ndarray]
#: The info key of episode totals (``"episode"`` belongs to RecordEpisodeStatistics).
EPISODE_KEY = "episode_stats"
_MODES = {"next_step": AutoresetMode.NEXT_STEP, "same_step": AutoresetMode.SAME_STEP}


def autoreset_mode(mode: str | AutoresetMode) -> AutoresetMode:
    """The :class:`AutoresetMode` of ``mode`` ("next_step" or "same_step")."""
    if isinstance(mode, AutoresetMode) and mode in _MODES.values():
        return mode
    if mode in _MODES:
        return _MODES[mode]
    raise UserError(f"autoreset_mode must be one of {', '.join(_MODES)}, got {mode!r}")


class _BatchedVectorEnv(gym.vector.VectorEnv):
    """Shared machinery: ``rows`` = (world, slot) pairs the trainer controls."""

    metadata: dict[str, Any] = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, sim: BatchedSim, slots: np.ndarray, opponent: Policy | None,
                 obs_layout: str, mode: str | AutoresetMode, render_mode: str | None) -> None:
        if render_mode is not None:
            raise UserError(f"render_mode {render_mode!r} is not supported by the vector envs "
                            f"(render one world with Mindcrawl-v0)")
        self.render_mode = None
        self.sim = sim
        self.slots = np.asarray(slots, np.int64)
        self.num_slots = len(self.slots)
        self.num_envs = sim.num_worlds * self.num_slots
        others = np.setdiff1d(np.arange(sim.num_agents), self.slots)
        self._others = others
        self.opponent = opponent if opponent is not None or not len(others) else ScriptedNPC()
        # The scripted NPC computes only the opponents' rows (a custom policy gets every row).
        self._scripted = type(self.opponent) is ScriptedNPC and len(others) > 0
        self._full = np.zeros((sim.num_worlds, sim.num_agents), np.int64)  # every slot's action
        self.metadata = {**type(self).metadata, "autoreset_mode": autoreset_mode(mode)}
        self.layout = Layout(observation_space(sim.num_actions), obs_layout)
        self.single_observation_space = self.layout.space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.single_action_space = gym.spaces.Discrete(sim.num_actions)
        self.action_space = gym.spaces.MultiDiscrete(np.full(self.num_envs, sim.num_actions))
        self._obs: dict[str, np.ndarray] = {}
        self._pending = np.zeros(sim.num_worlds, bool)  # worlds to reset before their next row step
        self._ret = np.zeros(self.num_envs, np.float32)
        self._len = np.zeros(self.num_envs, np.int32)
        self._active = np.zeros((sim.num_worlds, self.num_slots), bool)
        faction_of_slot = np.asarray(sim.layout.slot_faction(), np.int64)
        self._row_faction = np.tile(faction_of_slot[self.slots], sim.num_worlds)
        if sim.navigation is not None:  # no observation layout shows the rows' own routes
            sim.navigation.set_planning(self.slots, False)

    # ---- hooks the two envs fill in
    def _row_done(self, res: Any) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _row_reward(self, res: Any) -> np.ndarray:
        raise NotImplementedError

    # ---- Gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[Any, dict[str, Any]]:
        """Start every world (a ``seed`` reseeds the whole batch: one int, not a list)."""
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise UserError(f"seed must be one int for the whole batch, got {type(seed).__name__}")
        super().reset(seed=seed)
        self._obs = self.sim.reset(None if seed is None else int(seed))
        self._pending[:] = False
        self._ret[:] = 0
        self._len[:] = 0
        self._active = self._alive()
        self._after_reset(np.ones(self.sim.num_worlds, bool))
        return self._observe(), {"active": self._active.reshape(-1).copy()}

    def _after_reset(self, worlds: np.ndarray) -> None:
        """Hook: ``worlds`` (bool ``[B]``) just started an episode; ``_active`` is current."""

    def _alive(self) -> np.ndarray:
        return self.sim.world.ag[:, self.slots, ALIVE] != 0

    def _check_actions(self, actions: Any) -> np.ndarray:
        a = np.asarray(actions)
        if a.shape != (self.num_envs,):
            a = a.reshape(-1) if a.size == self.num_envs else a
        if a.shape != (self.num_envs,):
            raise ActionError(f"actions must have shape ({self.num_envs},), got {np.shape(actions)}")
        if a.dtype.kind not in "iu":
            raise ActionError(f"actions must be integers, got dtype {a.dtype}")
        return a.astype(np.int64)

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """One turn in every world: the rows' ``actions``, the opponent for every other slot."""
        mine = self._check_actions(actions).reshape(self.sim.num_worlds, self.num_slots)
        full = self._full
        if self._scripted:
            full[:, self._others] = self.opponent.for_agents(self._obs, self._others)
        elif len(self._others):
            full[:] = np.asarray(self.opponent(self._obs), np.int64).reshape(full.shape)
        full[:, self.slots] = np.where(self._active, mine, WAIT)
        res = self.sim.step(full)
        restarted = np.array(res.info["reset"])
        if self._pending.any():
            early = self._pending & ~restarted
            if early.any():  # NEXT_STEP: a world whose rows all ended before the world did
                self.sim.reset_worlds(early)
            restarted |= self._pending
        self._obs = res.obs
        any_restarted = bool(restarted.any())
        rows_restarted = restarted if self.num_slots == 1 else np.repeat(restarted, self.num_slots)
        reward = np.array(self._row_reward(res), np.float32)
        term, trunc = self._row_done(res)  # fresh arrays
        self._ret += reward
        self._len += 1
        if any_restarted:  # a restarted row's step is the new episode's start: reward 0, not done
            reward[rows_restarted] = 0
            term &= ~rows_restarted
            trunc &= ~rows_restarted
            self._ret[rows_restarted] = 0
            self._len[rows_restarted] = 0
        done = term | trunc
        info = self._episode_info(res, done)
        self._active = self._alive()  # agents that died this step are padded from now on
        if any_restarted:
            self._after_reset(restarted)
        world_done = done.reshape(self.sim.num_worlds, self.num_slots).all(axis=1)
        if self.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP:
            obs = self._observe()
            if world_done.any():
                info["final_obs"] = self._final_obs(obs, done)
                info["_final_obs"] = done.copy()
                self._obs = self.sim.reset_worlds(world_done)
                self._active = self._alive()
                self._after_reset(world_done)
                self._ret[done] = 0
                self._len[done] = 0
                obs = self._observe()
            self._pending[:] = False
        else:
            obs = self._observe()
            self._pending = world_done & ~np.asarray(res.info["finished"])
        info["active"] = self._active.reshape(-1).copy()
        return obs, reward, term, trunc, info

    def _final_obs(self, obs: Any, done: np.ndarray) -> np.ndarray:
        out = np.empty(self.num_envs, dtype=object)
        for i in np.flatnonzero(done):
            out[i] = ({k: v[i] for k, v in obs.items()} if isinstance(obs, dict) else obs[i])
        return out

    def _episode_info(self, res: Any, done: np.ndarray) -> dict[str, Any]:
        info: dict[str, Any] = {}
        if not done.any():
            return info
        counted = self._counted_rows()
        counted = done if counted is None else done & counted
        if counted.any():
            winner = np.repeat(np.asarray(res.info["winner"]), self.num_slots)
            finished = np.repeat(np.asarray(res.info["finished"]), self.num_slots)
            won = finished & (winner == self._row_faction)
            info[EPISODE_KEY] = {"r": self._ret.copy(), "l": self._len.copy(), "won": won,
                                 "_r": counted, "_l": counted, "_won": counted}
            info["_" + EPISODE_KEY] = counted
        return info

    def _counted_rows(self) -> np.ndarray | None:
        """Rows whose episode totals count (None: every row)."""
        return None

    def _observe(self) -> Any:
        rows = {k: self._obs[k][:, self.slots] for k in self.layout.dict_space.spaces}  # copies
        pad = ~self._active
        if pad.any():
            for v in rows.values():
                v[pad] = 0
            rows["action_mask"][pad, WAIT] = 1
        return self.layout.apply(rows, (self.num_envs,), copy=False)

    def action_masks(self) -> np.ndarray:
        """Legal actions of every row now, bool ``[num_envs, num_actions]`` (padded rows: wait)."""
        mask = self.sim.action_mask[:, self.slots].astype(bool)
        pad = ~self._active | ~mask.any(axis=2)
        if pad.any():
            mask[pad] = False
            mask[pad, WAIT] = True
        return mask.reshape(self.num_envs, -1)

    def close_extras(self, **kwargs: Any) -> None:
        """Stop the simulator's worker threads."""
        self.sim.close()


def _make_sim(params: str | Path | LevelParams, num_worlds: int, seed: int | None,
              max_cycles: int | None, pool_size: int, num_actions: int,
              threads: int | None) -> BatchedSim:
    return BatchedSim(params, num_worlds, seed, pool_size=pool_size, max_turns=max_cycles,
                      num_actions=num_actions, threads=threads)


class MindcrawlVectorEnv(_BatchedVectorEnv):
    """``num_envs`` worlds, one learning agent each (the vector form of ``Mindcrawl-v0``).

    Args:
        num_envs: worlds stepped together.
        params: preset name, TOML path or LevelParams.
        seed: simulator seed (None: OS entropy); ``reset(seed=...)`` reseeds the batch.
        max_cycles: turn limit (default ``params.rules.max_turns``).
        agent: the learner's slot name (default: the hero faction's first slot).
        opponent: ``policy(obs) -> actions`` on the batched ``[B, A]`` observation dict
            for every other agent (default: the scripted NPC).
        obs_layout: "dict", "flat" or "masked" (:mod:`game.envs.obs_layout`).
        autoreset_mode: "next_step" (default) or "same_step".
        pool_size, num_actions, threads: as :class:`~game.batch.BatchedSim`.

    A learner episode ends as in ``Mindcrawl-v0``: it dies, its side wins or loses
    (terminated), or the turn limit (truncated); its world then restarts.
    """

    def __init__(self, num_envs: int = 8, params: str | Path | LevelParams = "arena",
                 seed: int | None = None, max_cycles: int | None = None, agent: str | None = None,
                 opponent: Policy | None = None, obs_layout: str = "dict",
                 autoreset_mode: str = "next_step", pool_size: int = 64,
                 num_actions: int = CORE_ACTIONS, threads: int | None = None,
                 render_mode: str | None = None) -> None:
        sim = _make_sim(params, num_envs, seed, max_cycles, pool_size, num_actions, threads)
        names = sim.agent_names
        if agent is None:
            hero = sim.params.rules.hero_faction
            agent = next((n for n in names if n.rsplit("_", 1)[0] == hero), names[0])
        if agent not in names:
            raise UserError(f"unknown agent {agent!r} (agents: {', '.join(names)})")
        self.agent = agent
        super().__init__(sim, np.array([names.index(agent)]), opponent, obs_layout,
                         autoreset_mode, render_mode)

    def _after_reset(self, worlds: np.ndarray) -> None:
        super()._after_reset(worlds)
        if not self._active[worlds].all():
            raise UserError(f"agent {self.agent!r} does not exist in every level of this batch")

    def _row_reward(self, res: Any) -> np.ndarray:
        return res.reward[:, self.slots[0]]

    def _row_done(self, res: Any) -> tuple[np.ndarray, np.ndarray]:
        s = self.slots[0]
        return np.asarray(res.terminated[:, s]).copy(), np.asarray(res.truncated[:, s]).copy()


class MindcrawlMultiAgentVectorEnv(_BatchedVectorEnv):
    """Every slot of the learning factions in every world as one row (parameter sharing).

    Args:
        num_worlds: worlds stepped together; ``num_envs = num_worlds * len(slots)``.
        factions: the factions whose slots are rows (default: every faction, self-play);
            the other factions' agents follow ``opponent`` (default: the scripted NPC).
        Other arguments as :class:`MindcrawlVectorEnv`.

    Row ``b * slots + j`` is slot ``slots[j]`` of world ``b`` (:attr:`row_agents` names
    them). Padding and the end of episodes: see the module docstring. Episode totals
    are reported only for rows whose slot was spawned in that episode.
    """

    def __init__(self, num_worlds: int = 8, params: str | Path | LevelParams = "arena",
                 seed: int | None = None, max_cycles: int | None = None,
                 factions: Sequence[str] | None = None, opponent: Policy | None = None,
                 obs_layout: str = "dict", autoreset_mode: str = "next_step",
                 pool_size: int = 64, num_actions: int = CORE_ACTIONS,
                 threads: int | None = None, render_mode: str | None = None) -> None:
        sim = _make_sim(params, num_worlds, seed, max_cycles, pool_size, num_actions, threads)
        known = sim.layout.factions
        chosen = tuple(known) if factions is None else tuple(factions)
        for f in chosen:
            if f not in known:
                raise UserError(f"unknown faction {f!r} (factions: {', '.join(known)})")
        slot_faction = sim.layout.slot_faction()
        slots = np.array([s for s in range(sim.num_agents) if known[slot_faction[s]] in chosen])
        if not len(slots):
            raise UserError("factions selects no agent slot")
        self.factions = chosen
        #: The agent name of each row's slot, for one world (rows repeat it per world).
        self.row_agents = tuple(sim.agent_names[s] for s in slots)
        self._spawned = np.zeros((num_worlds, len(slots)), bool)
        super().__init__(sim, slots, opponent, obs_layout, autoreset_mode, render_mode)

    def _after_reset(self, worlds: np.ndarray) -> None:
        super()._after_reset(worlds)
        self._spawned[worlds] = self._active[worlds]

    def _counted_rows(self) -> np.ndarray:
        return self._spawned.reshape(-1).copy()

    def _row_reward(self, res: Any) -> np.ndarray:
        # The step an agent dies on still pays it (it was active before the step).
        return (res.reward[:, self.slots] * self._active).reshape(-1)

    def _row_done(self, res: Any) -> tuple[np.ndarray, np.ndarray]:
        finished = np.asarray(res.info["finished"])
        truncated = finished & np.asarray(res.truncated).any(axis=1)
        term = np.repeat(finished & ~truncated, self.num_slots)
        return term, np.repeat(truncated, self.num_slots)
