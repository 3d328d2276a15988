"""The PPO learner with rollouts on Ray actors, and the connection to a Ray cluster.

:class:`RayTrainer` is :class:`training.ppo.Trainer` with one change: where the local
trainer builds a simulator and a :class:`~training.rollout.Collector`, it starts a
:class:`~training.distributed.pool.WorkerPool` and uses a
:class:`~training.distributed.pool.RemoteCollector`. Everything else -- the iteration,
GAE, the clipped update, learning-rate annealing, snapshots, evaluation, the saved
state and resume -- is the local trainer's code, so both backends train the same way
and write the same checkpoints.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from levels.common.errors import UserError
from npc.policy import Policy
from training.config import TrainConfig
from training.distributed import import_ray
from training.distributed.pool import PoolStats, RemoteCollector, WorkerPool
from training.ppo import SimFactory, Trainer


class RayTrainer(Trainer):
    """A :class:`Trainer` whose rollouts run on ``workers`` Ray actors.

    Ray must already be initialised (:func:`connect`). ``cfg.ppo.num_worlds`` is split
    between the workers, so an iteration trains on as many samples as a local one.
    """

    def __init__(self, cfg: TrainConfig, workers: int, sim_factory: SimFactory | None = None,
                 scripted: Policy | None = None, base: Any = None) -> None:
        if workers < 1:
            raise UserError(f"--workers must be at least 1, got {workers}")
        if workers > cfg.ppo.num_worlds:
            raise UserError(f"--workers {workers} exceeds ppo.num_worlds {cfg.ppo.num_worlds} "
                            "(each worker needs at least one world)")
        super().__init__(cfg, sim_factory=sim_factory, scripted=scripted, base=base)
        self.workers = workers
        self.remote_sim_factory = sim_factory  # None: each worker builds the default BatchedSim
        self.pool: WorkerPool | None = None

    def _start_phase(self, phase: int, params: Any) -> None:
        """Configure the workers for a new curriculum phase (and start them the first time)."""
        if self.pool is None:
            self.pool = WorkerPool(self.cfg, self.workers, self.remote_sim_factory)
        num_actions = self.pool.configure(params, phase, self.iteration, self.opponent_weights())
        self._ensure_net(num_actions)
        self.collector = RemoteCollector(self.pool)

    @property
    def pool_stats(self) -> PoolStats:
        """Replacements so far and the sources of the last batch."""
        return self.pool.stats if self.pool is not None else PoolStats()

    def close(self) -> None:
        """Stop the workers."""
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None
        self.collector = None


def connect(address: str | None, workers: int) -> bool:
    """Initialise Ray: join the cluster at ``address``, or start a local instance.

    Returns True when this call started Ray (the caller then shuts it down). A local
    instance gets as many CPUs as the machine has, and at least one per worker.
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    if address:
        try:
            ray.init(address=address, logging_level=logging.WARNING)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise UserError(f"--address {address}: cannot join a Ray cluster ({' '.join(str(exc).split())}); "
                            "if the cluster uses token authentication, set RAY_AUTH_MODE=token (docs/ray.md)") from None
    else:
        # address="local": never attach to some other cluster found on this machine.
        ray.init(address="local", num_cpus=max(workers, os.cpu_count() or 1), include_dashboard=False,
                 logging_level=logging.WARNING)
    cpus = ray.cluster_resources().get("CPU", 0)
    if cpus < workers:
        ray.shutdown()
        raise UserError(f"--workers {workers}: the Ray cluster has only {cpus:g} CPUs (one per worker is needed)")
    return True
