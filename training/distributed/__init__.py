"""Distributed training on Ray: rollout workers as Ray actors, one PPO learner.

Ray is an optional dependency (the ``ray`` extra). Nothing here imports it at module
level, so ``training`` works without it; :func:`import_ray` is the one place that does,
and it turns a missing installation into a one-line :class:`RayNotInstalledError`.

Modules:

- :mod:`training.distributed.wire` -- batches and weights as plain numpy for transport;
- :mod:`training.distributed.worker` -- :class:`RolloutWorker`, one actor's simulators;
- :mod:`training.distributed.pool` -- the actors, their replacement when one dies, and
  :class:`RemoteCollector`, which stands in for the local rollout collector;
- :mod:`training.distributed.trainer` -- :class:`RayTrainer` (the local ``Trainer`` with
  remote rollouts) and :func:`connect`.
"""

from __future__ import annotations

from types import ModuleType

from levels.common.errors import UserError

INSTALL_HINT = "pip install -e '.[ray]'"


class RayNotInstalledError(UserError):
    """``--backend ray`` without Ray installed."""


def import_ray() -> ModuleType:
    """The ``ray`` module, or :class:`RayNotInstalledError` naming the install command."""
    try:
        import ray
    except ImportError:
        raise RayNotInstalledError(f"--backend ray needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray
