"""Rollouts: step a batched simulator with the learner and its opponents, keep the learner's data.

The learner controls every agent slot of one faction (parameter sharing: one network
for the whole faction); the other slots are played by opponents, each world by one
opponent drawn when its episode starts. A learner sample at step ``t`` is *valid* when
the agent was alive when it acted and the step was not an auto-reset step (the
simulator ignores actions on those; see :mod:`game.batch`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from npc.policy import OBS_KEYS, Policy, PolicyNet
from npc.scripted import ScriptedNPC


class VecSim(Protocol):
    """What a rollout needs from a simulator (:class:`game.batch.BatchedSim` has it)."""

    num_worlds: int
    num_agents: int
    num_actions: int
    layout: Any

    def reset(self, seed: int | None = None) -> dict[str, np.ndarray]:
        """Observations ``[B, A, ...]`` of fresh episodes."""
        ...

    def step(self, actions: np.ndarray) -> Any:
        """``(obs, reward, terminated, truncated, info)`` with auto-reset."""
        ...

    def info(self) -> dict[str, np.ndarray]:
        """Status arrays; ``alive`` ``[B, A]`` is read."""
        ...


@dataclass
class EpisodeStats:
    """Finished episodes since the last :meth:`take`."""

    wins: int = 0
    episodes: int = 0
    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)

    def take(self) -> EpisodeStats:
        """Return the counts so far and start over."""
        out = EpisodeStats(self.wins, self.episodes, self.returns, self.lengths)
        self.wins, self.episodes, self.returns, self.lengths = 0, 0, [], []
        return out


@dataclass
class Batch:
    """One rollout of the learner, time-major: ``[T, N]`` with ``N = B * learner slots``."""

    obs: dict[str, torch.Tensor]  # each [T, N, ...]
    actions: torch.Tensor
    log_probs: torch.Tensor
    values: torch.Tensor
    rewards: torch.Tensor
    terminated: torch.Tensor  # no bootstrap after this step
    done: torch.Tensor  # the trajectory ends after this step (terminated, truncated or world over)
    valid: torch.Tensor
    next_values: torch.Tensor  # [T, N]: V of the observation after each step


def slots_of(sim: VecSim, faction: str) -> np.ndarray:
    """Agent slots of ``faction`` in ``sim``'s layout."""
    factions = tuple(sim.layout.factions)
    if faction not in factions:
        raise ValueError(f"faction {faction!r} is not in the level's factions {factions}")
    f = factions.index(faction)
    return np.array([s for s, g in enumerate(sim.layout.slot_faction()) if g == f], dtype=np.int64)


def take_slots(obs: dict[str, np.ndarray], worlds: np.ndarray | slice, slots: np.ndarray,
               keys: Sequence[str] = OBS_KEYS) -> dict[str, np.ndarray]:
    """Observations ``keys`` of ``slots`` in ``worlds``, flattened to ``[worlds * slots, ...]``."""
    out = {}
    for key in keys:
        part = obs[key][worlds][:, slots]
        out[key] = np.ascontiguousarray(part.reshape((-1,) + part.shape[2:]))
    return out


def shown_to(policy: Policy, obs: dict[str, np.ndarray], worlds: np.ndarray | slice,
             slots: np.ndarray, scripted_nav: bool) -> dict[str, np.ndarray]:
    """What ``policy`` is shown of ``slots`` in ``worlds``: the network's keys, and with
    ``scripted_nav``, for a scripted NPC, the navigator's output ``nav`` too when the
    simulator computes it (without, it plays its patch-only fallback)."""
    if scripted_nav and "nav" in obs and isinstance(policy, ScriptedNPC):
        return take_slots(obs, worlds, slots, OBS_KEYS + ("nav",))
    return take_slots(obs, worlds, slots)


class Collector:
    """Steps ``sim`` for the learner faction against ``opponents`` and fills :class:`Batch` es."""

    def __init__(self, sim: VecSim, faction: str, rng: np.random.Generator,
                 generator: torch.Generator, scripted_nav: bool = False) -> None:
        self.sim = sim
        self.scripted_nav = scripted_nav  # show a scripted opponent the navigator (see shown_to)
        self.faction_index = tuple(sim.layout.factions).index(faction)
        self.learner = slots_of(sim, faction)
        self.others = np.array([s for s in range(sim.num_agents) if s not in set(self.learner)], np.int64)
        self.rng = rng
        self.generator = generator
        self.obs = sim.reset()
        self.alive = np.asarray(sim.info()["alive"], bool).copy()
        self.opponent_of = np.zeros(sim.num_worlds, np.int64)
        self.stats = EpisodeStats()
        self.steps = 0  # valid learner agent-steps so far

    def assign(self, weights: Sequence[float], worlds: np.ndarray | None = None) -> None:
        """Draw an opponent index for ``worlds`` (all when None) with probability ∝ ``weights``."""
        p = np.asarray(weights, np.float64)
        p = p / p.sum()
        idx = np.arange(self.sim.num_worlds) if worlds is None else np.flatnonzero(worlds)
        if len(idx):
            self.opponent_of[idx] = self.rng.choice(len(p), size=len(idx), p=p)

    def _opponent_actions(self, opponents: Sequence[Policy], actions: np.ndarray) -> None:
        if not len(self.others):
            return
        for k, policy in enumerate(opponents):
            worlds = np.flatnonzero(self.opponent_of == k)
            if not len(worlds):
                continue
            obs = shown_to(policy, self.obs, worlds, self.others, self.scripted_nav)
            chosen = policy.act(obs, deterministic=False, generator=self.generator).actions.numpy()
            actions[np.ix_(worlds, self.others)] = chosen.reshape(len(worlds), len(self.others))

    def collect(self, net: PolicyNet, opponents: Sequence[Policy], weights: Sequence[float],
                steps: int) -> Batch:
        """Run ``steps`` simulator steps; opponents are redrawn for worlds that reset."""
        B, L = self.sim.num_worlds, len(self.learner)
        store: dict[str, list[Any]] = {k: [] for k in ("obs", "actions", "log_probs", "values", "rewards",
                                                       "terminated", "done", "valid")}
        for _ in range(steps):
            obs = take_slots(self.obs, slice(None), self.learner)
            tensors = {k: torch.from_numpy(v) for k, v in obs.items()}
            result = net.act(tensors, generator=self.generator)
            actions = np.zeros((B, self.sim.num_agents), np.int64)
            actions[:, self.learner] = result.actions.numpy().reshape(B, L)
            self._opponent_actions(opponents, actions)
            alive_before = self.alive[:, self.learner]
            next_obs, reward, terminated, truncated, info = self.sim.step(actions)
            reset = np.asarray(info["reset"], bool)
            finished = np.asarray(info["finished"], bool)
            valid = alive_before & ~reset[:, None]
            term = np.asarray(terminated, bool)[:, self.learner]
            done = term | np.asarray(truncated, bool)[:, self.learner] | finished[:, None]
            store["obs"].append(tensors)
            store["actions"].append(result.actions)
            store["log_probs"].append(result.log_probs)
            store["values"].append(result.values)
            store["rewards"].append(torch.from_numpy(np.asarray(reward, np.float32)[:, self.learner].reshape(-1)))
            store["terminated"].append(torch.from_numpy(term.reshape(-1)))
            store["done"].append(torch.from_numpy(done.reshape(-1)))
            store["valid"].append(torch.from_numpy(valid.reshape(-1).copy()))
            self._record(info, finished)
            if reset.any():
                self.assign(weights, reset)
            self.obs = next_obs
            self.alive = np.asarray(info["alive"], bool).copy()
            self.steps += int(valid.sum())
        with torch.no_grad():
            last = take_slots(self.obs, slice(None), self.learner)
            _, last_value = net({k: torch.from_numpy(v) for k, v in last.items()})
        values = torch.stack(store["values"])
        next_values = torch.cat([values[1:], last_value.unsqueeze(0)])
        return Batch(
            obs={k: torch.stack([o[k] for o in store["obs"]]) for k in OBS_KEYS},
            actions=torch.stack(store["actions"]), log_probs=torch.stack(store["log_probs"]),
            values=values, rewards=torch.stack(store["rewards"]),
            terminated=torch.stack(store["terminated"]), done=torch.stack(store["done"]),
            valid=torch.stack(store["valid"]), next_values=next_values,
        )

    def _record(self, info: dict[str, np.ndarray], finished: np.ndarray) -> None:
        if not finished.any():
            return
        worlds = np.flatnonzero(finished)
        winners = np.asarray(info["winner"])[worlds]
        returns = np.asarray(info["episode_return"])[worlds][:, self.learner].mean(axis=1)
        self.stats.wins += int((winners == self.faction_index).sum())
        self.stats.episodes += len(worlds)
        self.stats.returns.extend(float(r) for r in returns)
        self.stats.lengths.extend(int(n) for n in np.asarray(info["episode_length"])[worlds])
