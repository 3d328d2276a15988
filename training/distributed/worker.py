"""One rollout worker: its share of the worlds, stepped with the learner's latest weights.

:class:`RolloutWorker` is a plain class; :mod:`training.distributed.pool` turns it into
a Ray actor (``ray.remote``), so this module never imports Ray and can be tested and
read on its own. A worker owns a simulator built by the training run's sim factory, a
:class:`~training.rollout.Collector` (the same rollout code as local training), the
scripted NPC and copies of the learner's frozen snapshots. Its random generators and
simulator seed derive from (run seed, curriculum phase, iteration, worker slot,
incarnation): a fixed number of workers gives the same result on every run, and a
replacement worker does not replay its predecessor's episodes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from npc.checkpoint import build_policy
from npc.policy import Policy, PolicyNet
from npc.scripted import ScriptedNPC
from training.config import TrainConfig
from training.distributed.wire import Arrays, batch_to_arrays, load_arrays, stats_to_tuple
from training.ppo import TRAIN_SEED_TAG, SimFactory, default_sim_factory, derived_seed
from training.rollout import Collector

#: Extra seed part that keeps worker seeds apart from the local trainer's (slot numbers start at 0).
_WORKER_TAG = 0x5EED


class RolloutWorker:
    """Steps ``num_worlds`` worlds for the learner faction (see the module docstring).

    Args:
        slot: this worker's index in the pool (fixed across replacements).
        incarnation: how many workers held this slot before (0 for the first).
        cfg: the training config (faction, seed, pool size).
        num_worlds: worlds this worker simulates (its share of ``cfg.ppo.num_worlds``).
        pool_size: levels of its default simulator (its share of ``cfg.pool_size``, so that
            all workers together draw from as many levels as one local simulator).
        sim_factory: ``(params, num_worlds, seed) -> simulator``; None for the default
            :class:`game.batch.BatchedSim`.
    """

    def __init__(self, slot: int, incarnation: int, cfg: TrainConfig, num_worlds: int, pool_size: int,
                 sim_factory: SimFactory | None = None) -> None:
        torch.set_num_threads(1)  # one core per worker: more threads only fight each other
        self.slot, self.incarnation = slot, incarnation
        self.cfg = cfg
        self.num_worlds = num_worlds
        self.pool_size = pool_size
        self.sim_factory = sim_factory
        self.scripted = ScriptedNPC()
        self.collector: Collector | None = None
        self.net: PolicyNet | None = None
        self.net_spec: tuple[str, dict[str, Any]] | None = None
        self.snapshots: dict[int, PolicyNet] = {}

    def _make_sim(self, params: Any, seed: int) -> Any:
        if self.sim_factory is None:
            sim = default_sim_factory(params, self.num_worlds, seed, self.pool_size,
                                      nav=self.cfg.opponents.scripted_nav)
        else:
            sim = self.sim_factory(params, self.num_worlds, seed)
        close = getattr(sim, "close", None)
        if callable(close):
            close()  # BatchedSim: stop its thread pool and step on this worker's one thread
        return sim

    def configure(self, params: Any, phase: int, iteration: int, opponent_weights: Sequence[float]) -> int:
        """Build a fresh simulator for a curriculum phase; returns its action count."""
        parts = (_WORKER_TAG, self.cfg.seed, phase, iteration, self.slot, self.incarnation)
        sim = self._make_sim(params, derived_seed(TRAIN_SEED_TAG, *parts))
        rng = np.random.default_rng(np.random.SeedSequence([7, *parts]))
        generator = torch.Generator().manual_seed(derived_seed(TRAIN_SEED_TAG, 7, *parts))
        self.collector = Collector(sim, self.cfg.learner_faction, rng, generator, self.cfg.opponents.scripted_nav)
        self.collector.assign(opponent_weights)
        return int(sim.num_actions)

    def _network(self, spec: tuple[str, dict[str, Any]]) -> PolicyNet:
        arch, config = spec
        net = build_policy(arch, int(config["num_actions"]), config)
        net.eval()
        return net

    def _sync_snapshots(self, snapshot_refs: Mapping[int, Any]) -> list[PolicyNet]:
        """Keep the snapshots the learner names, fetching only the ones not seen yet."""
        missing = [k for k in snapshot_refs if k not in self.snapshots]
        if missing:
            import ray  # only reached inside a Ray actor

            for key, arrays in zip(missing, ray.get([snapshot_refs[k] for k in missing]), strict=True):
                net = self._network(self.net_spec)
                load_arrays(net, arrays)
                self.snapshots[key] = net
        self.snapshots = {k: self.snapshots[k] for k in snapshot_refs}
        return [self.snapshots[k] for k in snapshot_refs]

    def collect(self, spec: tuple[str, dict[str, Any]], weights: Arrays, snapshot_refs: Mapping[int, Any],
                opponent_weights: Sequence[float], steps: int) -> dict[str, Any]:
        """One rollout of ``steps`` steps with the given weights; the batch as arrays plus bookkeeping.

        ``snapshot_refs`` maps stable keys to Ray object refs of snapshot weights, in the
        learner's opponent order after the scripted NPC.
        """
        if self.collector is None:
            raise RuntimeError("configure() must run before collect()")
        clock = time.perf_counter()
        if self.net is None or self.net_spec != spec:
            self.net_spec = spec
            self.net = self._network(spec)
            self.snapshots = {}
        load_arrays(self.net, weights)
        opponents: list[Policy] = [self.scripted, *self._sync_snapshots(snapshot_refs)]
        batch = self.collector.collect(self.net, opponents, opponent_weights, steps)
        return {"slot": self.slot, "incarnation": self.incarnation, "pid": os.getpid(),
                "batch": batch_to_arrays(batch), "stats": stats_to_tuple(self.collector.stats.take()),
                "samples": int(batch.valid.sum()), "seconds": time.perf_counter() - clock}

    def ping(self) -> int:
        """The worker's process id (a cheap liveness check)."""
        return os.getpid()
