"""Messages between the game and the learner process (plain picklable dataclasses).

Commands go game -> learner on one queue; events come back on another. Only these
two processes, started together, read the queues: no user file is ever unpickled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# ----------------------------------------------------------------------------- set-up


@dataclass(frozen=True)
class Guards:
    """Limits an update must respect to be published (else it is rejected and undone)."""

    max_kl: float = 0.3  # approximate KL between the policy before and after the update
    max_step: float = 0.25  # ||weights after - before|| / ||weights before||


@dataclass(frozen=True)
class LearnerInit:
    """Everything a learner process needs to start.

    The starting weights and version are read from the shared block ``shm_name``, so a
    restarted learner continues from the last weights the game received.
    """

    shm_name: str
    arch: str
    net_config: dict[str, Any]
    num_actions: int
    params: dict[str, Any]  # level parameters as a TOML-style table
    generation: int  # bumped on every parameter change; data of older generations is dropped
    learners: tuple[str, ...]  # factions that learn (empty: none)
    seed: int = 0
    num_worlds: int = 64
    rollout_steps: int = 32
    learning_rate: float = 5e-4
    paused: bool = False
    guards: Guards = field(default_factory=Guards)
    live_max_lag: int = 3  # game trajectories older than this many versions are dropped
    hero_faction: str = "hero"


# ----------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Pause:
    """Stop training after the current step (the process stays up)."""


@dataclass(frozen=True)
class Resume:
    """Continue training."""


@dataclass(frozen=True)
class Stop:
    """Finish and exit."""


@dataclass(frozen=True)
class SetParams:
    """Train on these level parameters from now on (``generation`` must increase)."""

    params: dict[str, Any]
    generation: int


@dataclass(frozen=True)
class SetLearners:
    """Which factions learn (empty: none; training idles)."""

    factions: tuple[str, ...]


@dataclass(frozen=True)
class TakeSnapshot:
    """Keep a copy of the current weights under a new snapshot id."""

    label: str = ""


@dataclass(frozen=True)
class Revert:
    """Publish snapshot ``snapshot_id``'s weights as a new version and train on from them."""

    snapshot_id: int


@dataclass(frozen=True)
class SaveCheckpoint:
    """Write a snapshot (or, with ``snapshot_id`` -1, the current weights) as a checkpoint."""

    path: str
    snapshot_id: int = -1


@dataclass(frozen=True)
class Fault:
    """Fault injection for tests and demos: ``nan_loss`` (the next batch's rewards are
    NaN, so the loss is not finite), ``blowup`` (the next update uses a huge learning
    rate) or ``crash`` (the learner raises)."""

    kind: str


@dataclass(frozen=True)
class Trajectory:
    """One game turn of the learning NPCs (``n`` slots of the live game's one world)."""

    generation: int
    version: int  # weight version that chose these actions
    faction: str
    obs: dict[str, np.ndarray]  # each [n, ...]
    actions: np.ndarray  # int64 [n]
    log_probs: np.ndarray  # float32 [n]
    values: np.ndarray  # float32 [n]
    rewards: np.ndarray  # float32 [n]
    terminated: np.ndarray  # bool [n]
    done: np.ndarray  # bool [n]
    valid: np.ndarray  # bool [n]


Command = Pause | Resume | Stop | SetParams | SetLearners | TakeSnapshot | Revert | SaveCheckpoint | Fault | Trajectory

# ----------------------------------------------------------------------------- events


@dataclass(frozen=True)
class SnapshotInfo:
    """A snapshot the learner keeps."""

    snapshot_id: int
    version: int
    steps: int
    label: str


@dataclass(frozen=True)
class CurvePoint:
    """One published update: the learning curve's data."""

    version: int
    iteration: int
    steps: int  # learner agent-steps trained on so far
    seconds: float  # since the learner started
    faction: str
    generation: int
    mean_return: float  # over episodes finished in this iteration's rollout (NaN if none)
    win_rate: float  # wins / finished episodes (NaN if none)
    episodes: int
    drink_rate: float  # potion drinks / steps on which drinking was legal
    heal_drink_rate: float  # the same, only while carrying a potion with a heal/poison value
    approx_kl: float
    live_samples: int  # samples from the live game in this update


@dataclass(frozen=True)
class Status:
    """The learner's state after a command or an iteration."""

    state: str  # "running", "paused", "idle" (no faction learns), "stopped"
    version: int
    iteration: int
    steps: int
    generation: int
    learners: tuple[str, ...]
    snapshots: tuple[SnapshotInfo, ...]
    message: str = ""


@dataclass(frozen=True)
class Rejected:
    """An update that was undone and not published."""

    iteration: int
    reason: str


@dataclass(frozen=True)
class Dropped:
    """Data thrown away because it was collected under other parameters or weights."""

    samples: int
    reason: str


@dataclass(frozen=True)
class Error:
    """The learner failed (it exits after sending this) or a command could not be done."""

    text: str
    fatal: bool


Event = CurvePoint | Status | Rejected | Dropped | Error
