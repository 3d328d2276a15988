"""PPO for Mindcrawl's factions, readable top to bottom (after CleanRL's ppo.py).

A :class:`PPOLoop` is one policy being trained: the network, its optimiser and the
random generators of its rollouts and updates. Its :meth:`PPOLoop.step` is one PPO
iteration, and every trainer drives it: the offline :class:`Trainer` here, the live
learner (:mod:`training.live.learner`) and the study's retraining
(:mod:`training.study.recovery`). One :class:`Trainer` adds the simulator of the
current curriculum phase and the opponents (the scripted NPC and frozen snapshots of
the learner). One iteration:

1. collect ``rollout_steps`` steps in every world (:mod:`training.rollout`);
2. compute advantages with GAE, cutting trajectories at episode ends and skipping
   samples where the agent was dead or the world was resetting;
3. optimise the clipped surrogate, a value loss and an entropy bonus for
   ``update_epochs`` epochs over shuffled minibatches of valid samples, with gradient
   norm clipping; illegal actions are masked out of every distribution.

Everything random draws from generators seeded by the config's seed, so the same
config and seed give the same curve on the same machine.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from levels.common.errors import UserError
from levels.params import LevelParams
from npc.checkpoint import build_policy
from npc.policy import Policy, PolicyNet
from npc.scripted import ScriptedNPC
from training.config import TrainConfig
from training.curriculum import base_params, game_index, game_params, phase_index, phase_params
from training.rollout import Batch, Collector, EpisodeStats, VecSim

#: Seed domains: training simulators and evaluation simulators never share a seed.
TRAIN_SEED_TAG, EVAL_SEED_TAG = 1, 2


def derived_seed(tag: int, *parts: int) -> int:
    """A 62-bit simulator seed for ``(tag, *parts)``; bit 61 set only for evaluation seeds."""
    raw = int(np.random.SeedSequence([tag, *parts]).generate_state(1, dtype=np.uint64)[0])
    low = raw & ((1 << 61) - 1)
    return low | (1 << 61) if tag == EVAL_SEED_TAG else low


def compute_gae(batch: Batch, gamma: float, lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Advantages and returns ``[T, N]`` by generalised advantage estimation.

    ``done`` cuts the recursion after a step; ``terminated`` also drops the bootstrap
    value (a truncated episode still bootstraps from its final observation).
    """
    T = batch.rewards.shape[0]
    advantages = torch.zeros_like(batch.rewards)
    last = torch.zeros_like(batch.rewards[0])
    for t in reversed(range(T)):
        not_term = 1.0 - batch.terminated[t].float()
        not_done = 1.0 - batch.done[t].float()
        delta = batch.rewards[t] + gamma * batch.next_values[t] * not_term - batch.values[t]
        last = delta + gamma * lam * not_done * last
        advantages[t] = last
    return advantages, advantages + batch.values


@dataclass
class UpdateStats:
    """Losses and diagnostics of one PPO update (means over minibatches)."""

    policy_loss: float
    value_loss: float
    entropy: float
    approx_kl: float
    clip_frac: float
    samples: int
    rollout_s: float = 0.0  # wall-clock seconds (reported, never used by training)
    update_s: float = 0.0


class TrainingDivergedError(UserError, ArithmeticError):
    """An update produced a non-finite loss or non-finite weights; training must stop."""


def check_finite_update(net: PolicyNet, loss: torch.Tensor, learning_rate: float) -> None:
    """Raise :class:`TrainingDivergedError` if ``loss`` or any weight of ``net`` is NaN or infinite."""
    with torch.no_grad():
        finite = bool(torch.isfinite(loss)) and all(bool(torch.isfinite(q).all()) for q in net.parameters())
    if not finite:
        raise TrainingDivergedError(
            f"training diverged: an update produced non-finite {'weights' if torch.isfinite(loss) else 'loss'} "
            f"(ppo.learning_rate = {learning_rate:g}; try a smaller one)")


def ppo_update(net: PolicyNet, optimizer: torch.optim.Optimizer, batch: Batch, cfg: TrainConfig,
               generator: torch.Generator, stop_on_non_finite: bool = True) -> UpdateStats:
    """Clipped-surrogate PPO epochs over the valid samples of ``batch``.

    A minibatch step that leaves a non-finite loss or weight raises
    :class:`TrainingDivergedError` unless ``stop_on_non_finite`` is off (the live
    learner, which checks, rolls back and reports every update itself).
    """
    p = cfg.ppo
    advantages, returns = compute_gae(batch, p.gamma, p.gae_lambda)
    keep = batch.valid.reshape(-1)
    flat_obs = net.prepare({k: v.reshape((-1,) + v.shape[2:])[keep] for k, v in batch.obs.items()})
    actions = batch.actions.reshape(-1)[keep]
    old_log_probs = batch.log_probs.reshape(-1)[keep]
    advantages = advantages.reshape(-1)[keep]
    returns = returns.reshape(-1)[keep]
    n = int(keep.sum())
    totals = np.zeros(5)
    count = 0
    net.train()
    for _ in range(p.update_epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, p.minibatch_size):
            idx = order[start:start + p.minibatch_size]
            if len(idx) < 2:
                continue
            log_probs, entropy, values = net.evaluate({k: v[idx] for k, v in flat_obs.items()}, actions[idx])
            log_ratio = log_probs - old_log_probs[idx]
            ratio = log_ratio.exp()
            adv = advantages[idx]
            if p.norm_adv:
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            policy_loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - p.clip_coef, 1 + p.clip_coef)).mean()
            value_loss = 0.5 * (values - returns[idx]).pow(2).mean()
            entropy_mean = entropy.mean()
            loss = policy_loss + p.vf_coef * value_loss - p.ent_coef * entropy_mean
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), p.max_grad_norm)
            optimizer.step()
            if stop_on_non_finite:
                check_finite_update(net, loss, p.learning_rate)
            with torch.no_grad():
                approx_kl = ((ratio - 1) - log_ratio).mean().item()
                clip_frac = ((ratio - 1).abs() > p.clip_coef).float().mean().item()
            totals += (policy_loss.item(), value_loss.item(), entropy_mean.item(), approx_kl, clip_frac)
            count += 1
    net.eval()
    means = totals / max(count, 1)
    return UpdateStats(*(float(x) for x in means), samples=n)


SimFactory = Callable[[Any, int, int], VecSim]
"""``(level params, num_worlds, seed) -> simulator``."""


def default_sim_factory(params: Any, num_worlds: int, seed: int, pool_size: int = 256,
                        nav: bool = False) -> VecSim:
    """A :class:`game.batch.BatchedSim` (imported lazily: tests may use a toy task).

    ``nav`` runs the simulator's navigator (observation key ``nav``) for a scripted NPC to
    follow; the rules do not read it, so episodes are the same without it, only cheaper.
    """
    from game.batch import BatchedSim

    return BatchedSim(params, num_worlds=num_worlds, seed=seed, pool_size=pool_size, nav=nav)


class PPOLoop:
    """One policy being trained: collect a rollout with a :class:`Collector`, then :func:`ppo_update`.

    Holds what an iteration draws on: the network (set later by :meth:`attach` when it is
    built lazily), its Adam optimiser, the torch generator seeded by ``cfg.seed`` that
    sampling actions and shuffling minibatches share, and the numpy generator of the
    collectors' opponent draws, seeded by ``(cfg.seed, stream)``.
    """

    def __init__(self, cfg: TrainConfig, stream: int, net: PolicyNet | None = None) -> None:
        self.cfg = cfg
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self.rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, stream]))
        self.net: PolicyNet | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        if net is not None:
            self.attach(net)

    def attach(self, net: PolicyNet) -> None:
        """Train ``net`` from now on (in eval mode between updates), with a fresh optimiser."""
        self.net = net
        self.net.eval()
        self.reset_optimizer()

    def reset_optimizer(self) -> None:
        """A fresh Adam at the config's learning rate (its moments start from zero)."""
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=self.cfg.ppo.learning_rate, eps=1e-5)

    def collector(self, sim: VecSim, faction: str) -> Collector:
        """A collector of ``faction``'s rollouts on ``sim`` that draws from this loop's generators."""
        return Collector(sim, faction, self.rng, self.generator, self.cfg.opponents.scripted_nav)

    def collect(self, collector: Collector, opponents: Sequence[Policy], weights: Sequence[float]) -> Batch:
        """One rollout of ``cfg.ppo.rollout_steps`` steps with the current network."""
        return collector.collect(self.net, opponents, weights, self.cfg.ppo.rollout_steps)

    def update(self, batch: Batch, stop_on_non_finite: bool = True) -> UpdateStats:
        """:func:`ppo_update` of the network on ``batch``."""
        return ppo_update(self.net, self.optimizer, batch, self.cfg, self.generator, stop_on_non_finite)

    def step(self, collector: Collector, opponents: Sequence[Policy], weights: Sequence[float]) -> UpdateStats:
        """One iteration, :meth:`collect` then :meth:`update`, with the seconds each took."""
        clock = time.perf_counter()
        batch = self.collect(collector, opponents, weights)
        rollout_s = time.perf_counter() - clock
        stats = self.update(batch)
        stats.rollout_s, stats.update_s = rollout_s, time.perf_counter() - clock - rollout_s
        return stats


#: The :class:`PPOLoop` stream of offline training runs' opponent draws.
TRAINER_STREAM = 7


class Trainer:
    """The state of one training run (see the module docstring)."""

    def __init__(self, cfg: TrainConfig, sim_factory: SimFactory | None = None,
                 scripted: Policy | None = None, base: Any = None) -> None:
        self.cfg = cfg
        self.loop = PPOLoop(cfg, TRAINER_STREAM)
        self.sim_factory = sim_factory or (lambda params, b, s: default_sim_factory(
            params, b, s, cfg.pool_size, nav=cfg.opponents.scripted_nav))
        self.base = base if base is not None else base_params(cfg.params)
        self.scripted = scripted if scripted is not None else ScriptedNPC()
        self.snapshots: list[PolicyNet] = []
        self.collector: Collector | None = None
        self.phase = -1
        self.game = -1  # index of the sampled game in force ([games])
        self.steps = 0  # learner agent-steps trained on
        self.iteration = 0
        self.episodes = 0

    def _ensure_phase(self) -> None:
        """Start the current curriculum phase (or sampled game) if it changed, or nothing has started yet."""
        phase = phase_index(self.cfg, self.steps)
        game = game_index(self.cfg, self.steps)
        if (phase, game) == (self.phase, self.game) and self.collector is not None:
            return
        self.phase, self.game = phase, game
        base = game_params(self.cfg, game) if self.cfg.games.enabled else self.base
        params = phase_params(self.cfg, base, phase) if isinstance(base, LevelParams) else base
        self._start_phase(phase, params)

    def _start_phase(self, phase: int, params: Any) -> None:
        """Build the simulator and collector for a new phase (a backend may override this)."""
        sim = self.sim_factory(params, self.cfg.ppo.num_worlds,
                               derived_seed(TRAIN_SEED_TAG, self.cfg.seed, phase, self.iteration))
        self.collector = self.loop.collector(sim, self.cfg.learner_faction)
        self._ensure_net(sim.num_actions)
        self.collector.assign(self.opponent_weights())

    def _ensure_net(self, num_actions: int) -> None:
        """Build the policy and its optimiser on first use (seeded; every backend shares this)."""
        if self.loop.net is not None:
            return
        with torch.random.fork_rng():  # seeded initial weights without touching the caller's RNG
            torch.manual_seed(self.cfg.seed)
            net = build_policy(self.cfg.policy.arch, num_actions, self.cfg.policy.options)
        self.loop.attach(net)

    def opponents(self) -> list[Policy]:
        """Opponent policies by index: the scripted NPC, then the snapshots."""
        return [self.scripted, *self.snapshots]

    def opponent_weights(self) -> list[float]:
        """Draw probabilities matching :meth:`opponents`."""
        frac = self.cfg.opponents.scripted_fraction
        if not self.snapshots:
            return [1.0]
        share = (1.0 - frac) / len(self.snapshots)
        return [frac] + [share] * len(self.snapshots)

    def _snapshot(self) -> None:
        o = self.cfg.opponents
        if o.scripted_fraction >= 1.0 or o.snapshot_every <= 0 or self.iteration % o.snapshot_every:
            return
        frozen = copy.deepcopy(self.loop.net)
        frozen.eval()
        self.snapshots = (self.snapshots + [frozen])[-o.snapshot_pool:]

    def iterate(self) -> tuple[UpdateStats, EpisodeStats]:
        """One PPO iteration: rollout, GAE, update. Returns losses and finished episodes."""
        self._ensure_phase()
        p = self.cfg.ppo
        if p.anneal_lr:
            frac = max(0.0, 1.0 - self.steps / self.cfg.total_steps)
            for group in self.loop.optimizer.param_groups:
                group["lr"] = frac * p.learning_rate
        stats = self.loop.step(self.collector, self.opponents(), self.opponent_weights())
        self.steps += stats.samples
        self.iteration += 1
        self._snapshot()
        episodes = self.collector.stats.take()
        self.episodes += episodes.episodes
        return stats, episodes

    # ------------------------------------------------------------------ state for resume

    def state_tensors(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Optimiser, snapshots and generator state as tensors plus JSON-ready scalars."""
        loop = self.loop
        tensors: dict[str, torch.Tensor] = {}
        names = {id(p): n for n, p in loop.net.named_parameters()}
        opt_state = loop.optimizer.state_dict()
        param_ids = opt_state["param_groups"][0]["params"]
        params = list(loop.net.parameters())
        adam_steps = {}
        for pid, param in zip(param_ids, params, strict=True):
            state = opt_state["state"].get(pid)
            if state is None:
                continue
            name = names[id(param)]
            tensors[f"adam.exp_avg.{name}"] = state["exp_avg"]
            tensors[f"adam.exp_avg_sq.{name}"] = state["exp_avg_sq"]
            adam_steps[name] = float(state["step"])
        for i, snap in enumerate(self.snapshots):
            for k, v in snap.state_dict().items():
                tensors[f"snapshot{i}.{k}"] = v
        tensors["rng.torch"] = loop.generator.get_state()
        scalars = {"steps": self.steps, "iteration": self.iteration, "episodes": self.episodes,
                   "phase": self.phase, "snapshots": len(self.snapshots), "adam_steps": adam_steps,
                   "numpy_rng": _jsonable(loop.rng.bit_generator.state)}
        return tensors, scalars

    def load_state(self, net: PolicyNet, tensors: dict[str, torch.Tensor], scalars: dict[str, Any]) -> None:
        """Restore what :meth:`state_tensors` saved (the simulator is re-seeded, not restored)."""
        loop = self.loop
        loop.attach(net)
        for name, param in net.named_parameters():
            if f"adam.exp_avg.{name}" in tensors:
                loop.optimizer.state[param] = {
                    "step": torch.tensor(scalars["adam_steps"][name]),
                    "exp_avg": tensors[f"adam.exp_avg.{name}"].clone(),
                    "exp_avg_sq": tensors[f"adam.exp_avg_sq.{name}"].clone(),
                }
        self.snapshots = []
        for i in range(int(scalars["snapshots"])):
            snap = copy.deepcopy(net)
            prefix = f"snapshot{i}."
            snap.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
            snap.eval()
            self.snapshots.append(snap)
        loop.generator.set_state(tensors["rng.torch"].clone())
        loop.rng.bit_generator.state = scalars["numpy_rng"]
        self.steps = int(scalars["steps"])
        self.iteration = int(scalars["iteration"])
        self.episodes = int(scalars["episodes"])
        self.phase = -1
        self.collector = None


def _jsonable(value: Any) -> Any:
    """numpy scalars inside a bit-generator state as plain ints."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.integer):
        return int(value)
    return value

