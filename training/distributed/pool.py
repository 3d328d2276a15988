"""The rollout actors: start them, collect from all of them, replace the ones that die.

:class:`WorkerPool` holds one Ray actor per slot. :meth:`WorkerPool.collect` sends every
worker the same weights (one ``ray.put`` per update, shared by all), waits for their
batches and, when an actor has died (killed, crashed, its node lost), starts a new
actor in that slot, configures it like the others and collects that slot's batch
again; training goes on. :class:`RemoteCollector` wraps the pool in the interface of
:class:`training.rollout.Collector`, so :meth:`training.ppo.Trainer.iterate` runs the
same PPO iteration whether rollouts are local or remote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from levels.common.errors import UserError
from npc.policy import Policy, PolicyNet
from training.config import TrainConfig
from training.distributed import import_ray
from training.distributed.wire import join_batches, merge_stats, weights_to_arrays
from training.distributed.worker import RolloutWorker
from training.ppo import SimFactory
from training.rollout import Batch, EpisodeStats


class WorkerFailureError(RuntimeError):
    """A worker slot kept dying: more replacements in one collection than allowed."""


class WorkerStartError(UserError):
    """The cluster did not start the rollout workers in time (usually: not enough free CPUs)."""


@dataclass
class Source:
    """Where one part of a learner batch came from."""

    slot: int
    incarnation: int
    pid: int
    samples: int
    seconds: float


@dataclass
class _Slot:
    handle: Any
    incarnation: int
    worlds: int
    levels: int


@dataclass
class PoolStats:
    """What the pool did so far (read by tests and the throughput benchmark)."""

    replacements: int = 0
    last_sources: list[Source] = field(default_factory=list)


class WorkerPool:
    """``workers`` rollout actors sharing ``cfg.ppo.num_worlds`` worlds between them.

    Args:
        cfg: the training config.
        workers: number of actors.
        sim_factory: passed to every :class:`RolloutWorker` (None: the default BatchedSim).
        max_replacements: replacements of one slot within one collection before giving up.
        start_timeout: seconds the workers may take to start and build their simulators.
    """

    def __init__(self, cfg: TrainConfig, workers: int, sim_factory: SimFactory | None = None,
                 max_replacements: int = 3, start_timeout: float = 300.0) -> None:
        self.ray = import_ray()
        self.cfg = cfg
        self.start_timeout = start_timeout
        self.sim_factory = sim_factory
        self.max_replacements = max_replacements
        self.remote_cls = self.ray.remote(num_cpus=1, max_restarts=0)(RolloutWorker)
        worlds = [len(part) for part in np.array_split(np.arange(cfg.ppo.num_worlds), workers)]
        levels = [max(1, len(part)) for part in np.array_split(np.arange(cfg.pool_size), workers)]
        self.slots = [_Slot(self._start(i, 0, n, k), 0, n, k)
                      for i, (n, k) in enumerate(zip(worlds, levels, strict=True))]
        self.stats = PoolStats()
        self.setup: tuple[Any, int, int, list[float]] | None = None  # last configure() arguments

    def _start(self, slot: int, incarnation: int, worlds: int, levels: int) -> Any:
        return self.remote_cls.remote(slot, incarnation, self.cfg, worlds, levels, self.sim_factory)

    @property
    def handles(self) -> list[Any]:
        """The live actor handles by slot (tests kill them)."""
        return [s.handle for s in self.slots]

    def _replace(self, slot: int, configure: bool) -> None:
        old = self.slots[slot]
        n = old.incarnation + 1
        self.slots[slot] = _Slot(self._start(slot, n, old.worlds, old.levels), n, old.worlds, old.levels)
        self.stats.replacements += 1
        if configure and self.setup is not None:
            self.slots[slot].handle.configure.remote(*self.setup)  # one caller's actor calls run in order

    def _run_all(self, method: str, *args: Any, timeout: float | None = None) -> list[Any]:
        """Call ``method`` on every worker; a dead worker is replaced and its call repeated.

        With ``timeout``, give up (:class:`WorkerStartError`) when no worker answers for that long.
        """
        ray = self.ray
        pending = {getattr(s.handle, method).remote(*args): i for i, s in enumerate(self.slots)}
        results: list[Any] = [None] * len(self.slots)
        tries = [0] * len(self.slots)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=timeout)
            if not ready:
                free = ray.available_resources().get("CPU", 0)
                raise WorkerStartError(f"{len(pending)} of {len(self.slots)} rollout workers did not start within "
                                       f"{timeout:g} s ({free:g} CPUs free in the Ray cluster; each worker needs 1)")
            slot = pending.pop(ready[0])
            try:
                results[slot] = ray.get(ready[0])
            except ray.exceptions.RayActorError as exc:
                tries[slot] += 1
                if tries[slot] > self.max_replacements:
                    raise WorkerFailureError(f"rollout worker {slot} died {tries[slot]} times in a row: {exc}") from exc
                self._replace(slot, configure=method != "configure")
                pending[getattr(self.slots[slot].handle, method).remote(*args)] = slot
        return results

    def configure(self, params: Any, phase: int, iteration: int, opponent_weights: Sequence[float]) -> int:
        """Give every worker a fresh simulator for ``phase``; returns the action count."""
        first = self.setup is None
        self.setup = (params, phase, iteration, list(opponent_weights))
        counts = set(self._run_all("configure", *self.setup, timeout=self.start_timeout if first else None))
        if len(counts) != 1:
            raise RuntimeError(f"workers disagree on the action count: {sorted(counts)}")
        return counts.pop()

    def collect(self, spec: tuple[str, dict[str, Any]], weights_ref: Any, snapshot_refs: dict[int, Any],
                opponent_weights: Sequence[float], steps: int) -> list[dict[str, Any]]:
        """Every worker's rollout, in slot order."""
        results = self._run_all("collect", spec, weights_ref, snapshot_refs, list(opponent_weights), steps)
        self.stats.last_sources = [Source(r["slot"], r["incarnation"], r["pid"], r["samples"], r["seconds"])
                                   for r in results]
        return results

    def shutdown(self) -> None:
        """Stop every actor."""
        for s in self.slots:
            self.ray.kill(s.handle)
        self.slots = []


class RemoteCollector:
    """:class:`training.rollout.Collector`'s interface over a :class:`WorkerPool`.

    :meth:`collect` puts the learner's weights in the object store once, sends the same
    reference to every worker, and joins their batches. Snapshot weights are put once
    per snapshot and named by a stable key, so workers fetch each snapshot only once.
    """

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.stats = EpisodeStats()
        self._snapshots: dict[int, tuple[PolicyNet, int, Any]] = {}  # id(net) -> (net, key, ref)
        self._next_key = 0
        self.puts = 0  # weight broadcasts (one per collect)
        self.last_bytes = (0, 0)  # (weights sent, batch bytes received) by the last collect

    def assign(self, weights: Sequence[float], worlds: np.ndarray | None = None) -> None:
        """Opponent draws happen in the workers (each draws for its own worlds)."""

    def _snapshot_refs(self, snapshots: Sequence[Policy]) -> dict[int, Any]:
        current = {id(s) for s in snapshots}
        self._snapshots = {i: v for i, v in self._snapshots.items() if i in current}
        refs = {}
        for snap in snapshots:
            if id(snap) not in self._snapshots:
                ref = self.pool.ray.put(weights_to_arrays(snap))
                self._snapshots[id(snap)] = (snap, self._next_key, ref)
                self._next_key += 1
            _, key, ref = self._snapshots[id(snap)]
            refs[key] = ref
        return refs

    def collect(self, net: PolicyNet, opponents: Sequence[Policy], weights: Sequence[float], steps: int) -> Batch:
        """Every worker's ``steps``-step rollout with ``net``'s current weights, joined."""
        arrays = weights_to_arrays(net)
        weights_ref = self.pool.ray.put(arrays)
        self.puts += 1
        spec = (net.arch, dict(net.config))
        results = self.pool.collect(spec, weights_ref, self._snapshot_refs(opponents[1:]), weights, steps)
        merge_stats(self.stats, [r["stats"] for r in results])
        self.last_bytes = (sum(a.nbytes for a in arrays.values()),
                           sum(a.nbytes for r in results for a in r["batch"].values()))
        return join_batches([r["batch"] for r in results])
