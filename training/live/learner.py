"""The learner process: PPO on the game's current level parameters, weights to shared memory.

:func:`learner_main` is the entry point of the spawned process (see
:mod:`training.live.client`). One loop:

1. apply queued commands (pause, parameters, which factions learn, snapshots, ...);
2. collect a rollout with :class:`training.rollout.Collector` on a headless
   :class:`game.batch.BatchedSim` built from the *current* parameters (the faction
   learning this iteration plays against the scripted NPC in every other slot);
3. apply commands again: if the parameters changed meanwhile the rollout is stale and
   is dropped, never mixed into an update;
4. add trajectories streamed from the live game, when they were collected under the
   same parameters and recent weights (PPO's probability ratio against the acting
   policy's log-probabilities corrects for the small lag);
5. the PPO update of its :class:`training.ppo.PPOLoop`; an update whose loss or weights
   are not finite, whose approximate KL or relative weight step exceeds the guards, is
   undone (weights and optimiser restored) and reported, not published;
6. publish the weights with the next version number and report a curve point.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import multiprocessing as mp
import os
import queue
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from game.actions import USE_POTION
from game.slots import AgentLayout
from game.spec import SELF_COLUMN
from levels.common.errors import UserError
from levels.params import LevelParams, params_from_dict
from npc.checkpoint import build_policy, save_checkpoint
from npc.policy import OBS_KEYS
from npc.scripted import ScriptedNPC
from training.config import TrainConfig, config_from_dict
from training.live import protocol as P
from training.live.weights import SharedWeights, flatten, unflatten_into
from training.ppo import PPOLoop
from training.rollout import Batch, Collector, EpisodeStats

_HAS_POTION = SELF_COLUMN["has_potion"]
_HEAL = SELF_COLUMN["heal"]
MAX_SNAPSHOTS = 20
LEARNER_NICE = 5  # added to the learner's scheduling niceness
#: Thread limits the parent sets in the child's environment before it starts (read at import
#: time by OpenMP/MKL/OpenBLAS and numba), so the learner keeps to one core.
THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "NUMEXPR_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}


class _StopRequested(Exception):  # noqa: N818 (control flow, not an error)
    """A Stop command arrived."""


def learner_main(init: P.LearnerInit, commands: Any, events: Any) -> None:
    """Process entry point: run the learner until Stop; a failure is reported, then re-raised."""
    for key, value in THREAD_ENV.items():
        os.environ.setdefault(key, value)
    torch.set_num_threads(1)
    with contextlib.suppress(OSError):
        os.nice(LEARNER_NICE)  # the game's frames come first; the learner takes what is left
    learner: Learner | None = None
    try:
        learner = Learner(init, commands, events)
        learner.run()
        learner.close()
        learner = None
        events.close()
        flush = threading.Thread(target=events.join_thread, daemon=True)  # events into the pipe ...
        flush.start()
        flush.join(5.0)  # ... unless the game stopped reading
        os._exit(0)  # skip the interpreter's slow teardown (torch, numba): nothing is left to clean
    except BaseException as exc:  # report anything (KeyboardInterrupt included) before dying
        text = f"{type(exc).__name__}: {exc}"
        last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
        where = f" ({last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
        _put(events, P.Error(text + where, fatal=True), wait=True)
        raise
    finally:
        if learner is not None:
            learner.close()


def _release_freed_memory() -> None:
    """Hand memory freed by the last update back to the OS (glibc only; a no-op elsewhere).

    Batches differ in size from update to update (game turns join some of them), and
    without this the allocator's free lists kept the learner's resident memory creeping up.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _parent_alive() -> bool:
    """Whether the process that started this one still runs."""
    parent = mp.parent_process()
    return parent is None or parent.is_alive()


def _put(events: Any, event: P.Event, wait: bool = False) -> None:
    """Send an event; a full queue (a game that stopped listening) drops it instead of blocking."""
    with contextlib.suppress(queue.Full):
        events.put(event, block=wait, timeout=1.0 if wait else None)


#: PPO settings of the live learner: those the shipped checkpoint was trained with (kept here,
#: not read from training/configs/default.toml, so tuning the offline run does not change it).
LIVE_PPO = {"gamma": 0.97, "gae_lambda": 0.9, "update_epochs": 3, "minibatch_size": 1024, "clip_coef": 0.2,
            "ent_coef": 0.01, "vf_coef": 0.5, "max_grad_norm": 0.5, "norm_adv": True}


#: The :class:`training.ppo.PPOLoop` stream of the live learner's opponent draws.
LIVE_STREAM = 11


def live_config(seed: int, num_worlds: int = P.LearnerInit.num_worlds,
                rollout_steps: int = P.LearnerInit.rollout_steps,
                learning_rate: float = P.LearnerInit.learning_rate) -> TrainConfig:
    """The live learner's training config: :data:`LIVE_PPO` with these sizes, rate and seed.

    The defaults are a :class:`~training.live.protocol.LearnerInit`'s.
    """
    samples = num_worlds * rollout_steps
    ppo = {**LIVE_PPO, "num_worlds": num_worlds, "rollout_steps": rollout_steps,
           "learning_rate": learning_rate, "minibatch_size": min(1024, max(64, samples // 2))}
    return config_from_dict({"ppo": ppo, "seed": seed, "threads": 1}, "live learner")


def live_worlds(cfg: TrainConfig, params: LevelParams, faction: str) -> int:
    """The worlds of a live learner's simulator for ``faction`` on ``params``.

    About ``num_worlds * rollout_steps`` samples per update, however many NPCs a level has.
    """
    layout = AgentLayout.from_params(params)
    slots = layout.slots[layout.factions.index(faction)] if faction in layout.factions else 1
    return max(2, cfg.ppo.num_worlds // max(1, slots))


@dataclass
class _Snapshot:
    info: P.SnapshotInfo
    weights: np.ndarray


def habit_rates(batch: Batch) -> tuple[float, float]:
    """Potion drinking: drinks / steps where drinking was legal, overall and while carrying
    a potion with a non-zero heal (a healing or poisonous potion). NaN when never legal."""
    legal = batch.obs["action_mask"][..., USE_POTION].bool() & batch.valid
    drank = (batch.actions == USE_POTION) & legal
    heal = legal & (batch.obs["self"][..., _HAS_POTION] > 0) & (batch.obs["self"][..., _HEAL] != 0)
    rate = float(drank.sum()) / int(legal.sum()) if bool(legal.any()) else float("nan")
    heal_rate = float((drank & heal).sum()) / int(heal.sum()) if bool(heal.any()) else float("nan")
    return rate, heal_rate


def concat_batches(a: Batch, b: Batch) -> Batch:
    """Two batches of the same length side by side (``[T, Na + Nb]``)."""
    return Batch(obs={k: torch.cat([a.obs[k], b.obs[k]], dim=1) for k in OBS_KEYS},
                 **{name: torch.cat([getattr(a, name), getattr(b, name)], dim=1)
                    for name in ("actions", "log_probs", "values", "rewards", "terminated", "done",
                                 "valid", "next_values")})


class LiveBuffer:
    """Turns of the live game, cut into ``T``-step batches per learning faction.

    Turns arrive one at a time; a batch needs ``T + 1`` consecutive turns with the same
    slots (the extra turn's values bootstrap the last step). Turns of another parameter
    generation are dropped; a change in the number of slots starts the faction over.
    """

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.turns: dict[str, list[P.Trajectory]] = {}
        self.ready: list[tuple[Batch, int]] = []  # (batch, oldest version in it)
        self.dropped = 0

    def add(self, turn: P.Trajectory, generation: int) -> None:
        """Queue one game turn (dropped if it belongs to another parameter generation)."""
        if turn.generation != generation:
            self.dropped += len(turn.actions)
            return
        turns = self.turns.setdefault(turn.faction, [])
        if turns and len(turn.actions) != len(turns[-1].actions):
            self.dropped += sum(len(t.actions) for t in turns)
            turns.clear()
        turns.append(turn)
        if len(turns) == self.steps + 1:
            self.ready.append((self._batch(turns[:-1], turns[-1]), min(t.version for t in turns)))
            del turns[:-1]

    @staticmethod
    def _batch(turns: list[P.Trajectory], after: P.Trajectory) -> Batch:
        def stack(name: str, dtype: torch.dtype) -> torch.Tensor:
            return torch.stack([torch.as_tensor(np.asarray(getattr(t, name))).to(dtype) for t in turns])

        values = stack("values", torch.float32)
        last = torch.as_tensor(np.asarray(after.values), dtype=torch.float32).unsqueeze(0)
        return Batch(obs={k: torch.stack([torch.from_numpy(np.asarray(t.obs[k])) for t in turns]) for k in OBS_KEYS},
                     actions=stack("actions", torch.int64), log_probs=stack("log_probs", torch.float32),
                     values=values, rewards=stack("rewards", torch.float32),
                     terminated=stack("terminated", torch.bool), done=stack("done", torch.bool),
                     valid=stack("valid", torch.bool), next_values=torch.cat([values[1:], last]))

    def take(self, version: int, max_lag: int) -> tuple[list[Batch], int]:
        """Ready batches recent enough for weights ``version``, and the samples dropped as too old."""
        fresh, old = [], 0
        for batch, oldest in self.ready:
            if version - oldest <= max_lag:
                fresh.append(batch)
            else:
                old += int(batch.valid.sum())
        self.ready = []
        return fresh, old

    def clear(self) -> None:
        """Forget everything (the parameters changed)."""
        self.dropped += sum(len(t.actions) for turns in self.turns.values() for t in turns)
        self.dropped += sum(int(b.valid.sum()) for b, _ in self.ready)
        self.turns, self.ready = {}, []


class Learner:
    """The learner's state and loop (see the module docstring)."""

    def __init__(self, init: P.LearnerInit, commands: Any, events: Any) -> None:
        self.init = init
        self.commands = commands
        self.events = events
        self.cfg = live_config(init.seed, init.num_worlds, init.rollout_steps, init.learning_rate)
        self.started = time.monotonic()
        self.shared = SharedWeights.attach(init.shm_name)
        current = self.shared.read()
        while current is None:  # only a concurrent publish can tear it, and nobody else writes
            current = self.shared.read()
        net = build_policy(init.arch, init.num_actions, init.net_config)
        unflatten_into(net, current.weights)
        self.loop = PPOLoop(self.cfg, LIVE_STREAM, net)
        self.version = current.version
        self.scripted = ScriptedNPC()
        self.params = params_from_dict(copy.deepcopy(init.params))
        self.generation = init.generation
        self.learners = tuple(init.learners)
        self.running = not init.paused
        self.collectors: dict[str, Collector] = {}
        self.iteration = 0
        self.steps = 0
        self.faults: list[str] = []
        self.snapshots: list[_Snapshot] = []
        self.next_snapshot = 0
        self.live = LiveBuffer(init.rollout_steps)
        self._take_snapshot("start")
        self._status("learner started")

    def close(self) -> None:
        """Release the shared block (the game owns and removes it)."""
        self.shared.close()

    # ------------------------------------------------------------------ the loop

    @property
    def state(self) -> str:
        """``running``, ``paused`` or ``idle`` (running but no faction learns)."""
        if not self.running:
            return "paused"
        return "running" if self.learners else "idle"

    def run(self) -> None:
        """Train until a Stop command."""
        try:
            while True:
                if not _parent_alive():
                    return  # the game is gone (killed): no orphan learner
                self._drain(block=self.state != "running")
                if self.state == "running":
                    self._iterate()
                    _release_freed_memory()  # the iteration's batch is garbage now
        except _StopRequested:
            self._status("stopped", state="stopped")

    def _drain(self, block: bool) -> None:
        """Apply every queued command (waiting up to 0.2 s for one when ``block``)."""
        try:
            command = self.commands.get(timeout=0.2) if block else self.commands.get_nowait()
        except queue.Empty:
            return
        while True:
            self._apply(command)
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                return

    def _apply(self, command: P.Command) -> None:
        if isinstance(command, P.Trajectory):
            self.live.add(command, self.generation)
            return
        if isinstance(command, P.Stop):
            raise _StopRequested
        if isinstance(command, P.Pause):
            self.running = False
            self._status("paused")
        elif isinstance(command, P.Resume):
            self.running = True
            self._status("resumed")
        elif isinstance(command, P.SetParams):
            self._set_params(command)
        elif isinstance(command, P.SetLearners):
            self.learners = tuple(command.factions)
            self._status("learning: " + (", ".join(self.learners) or "none"))
        elif isinstance(command, P.TakeSnapshot):
            info = self._take_snapshot(command.label)
            self._status(f"snapshot {info.snapshot_id} of version {info.version}")
        elif isinstance(command, P.Revert):
            self._revert(command.snapshot_id)
        elif isinstance(command, P.SaveCheckpoint):
            self._save(command)
        elif isinstance(command, P.Fault):
            if command.kind == "crash":
                raise RuntimeError("injected learner crash")
            self.faults.append(command.kind)

    def _set_params(self, command: P.SetParams) -> None:
        if command.generation <= self.generation:
            return  # an older change overtaken by a newer one
        try:
            params = params_from_dict(copy.deepcopy(command.params))
        except UserError as exc:
            _put(self.events, P.Error(f"parameters refused: {exc}", fatal=False))
            return
        self.params = params
        self.generation = command.generation
        self.collectors = {}  # simulators of the old parameters go; the next rollout uses the new ones
        self.live.clear()
        self._status(f"parameters changed (generation {self.generation})")

    def _collector(self, faction: str) -> Collector:
        if faction not in self.collectors:
            from game.batch import BatchedSim

            seed = int(np.random.SeedSequence([self.init.seed, self.generation, len(self.collectors),
                                               self.iteration]).generate_state(1)[0])
            worlds = live_worlds(self.cfg, self.params, faction)
            sim = BatchedSim(self.params, num_worlds=worlds, seed=seed,
                             pool_size=max(8, min(self.cfg.pool_size // 4, 4 * worlds)),
                             num_actions=self.loop.net.num_actions, threads=1)
            self.collectors[faction] = self.loop.collector(sim, faction)
        return self.collectors[faction]

    def _iterate(self) -> None:
        """One rollout and (unless stale or rejected) one published update."""
        faction = self.learners[self.iteration % len(self.learners)]
        generation = self.generation
        try:
            collector = self._collector(faction)
        except ValueError as exc:  # the faction is not in these parameters
            self.learners = tuple(f for f in self.learners if f != faction)
            _put(self.events, P.Error(f"{faction} cannot learn on this level: {exc}", fatal=False))
            return
        batch = self.loop.collect(collector, [self.scripted], [1.0])
        episodes = collector.stats.take()
        self._drain(block=False)
        if self.generation != generation:
            _put(self.events, P.Dropped(int(batch.valid.sum()), "the level parameters changed during the rollout"))
            return
        if self.state != "running" or faction not in self.learners:
            _put(self.events, P.Dropped(int(batch.valid.sum()), "training was paused or the faction stopped "
                                                                "learning during the rollout"))
            return
        live_samples = 0
        live, old = self.live.take(self.version, self.init.live_max_lag)
        if old:
            _put(self.events, P.Dropped(old, "game trajectories from weights too old"))
        for extra in live:
            live_samples += int(extra.valid.sum())
            batch = concat_batches(batch, extra)
        self._update(batch, faction, episodes, live_samples)

    # ------------------------------------------------------------------ updates

    def _update(self, batch: Batch, faction: str, episodes: EpisodeStats, live_samples: int) -> None:
        drink, heal_drink = habit_rates(batch)
        if "nan_loss" in self.faults:
            self.faults.remove("nan_loss")
            batch.rewards[:] = float("nan")
        lr = self.cfg.ppo.learning_rate
        if "blowup" in self.faults:
            self.faults.remove("blowup")
            lr = 50.0
        optimizer = self.loop.optimizer
        for group in optimizer.param_groups:
            group["lr"] = lr
        before = flatten(self.loop.net)
        opt_state = copy.deepcopy(optimizer.state_dict())
        # This learner rolls back and reports a non-finite update itself (_reject_reason).
        stats = self.loop.update(batch, stop_on_non_finite=False)
        for group in optimizer.param_groups:
            group["lr"] = self.cfg.ppo.learning_rate
        after = flatten(self.loop.net)
        reason = self._reject_reason(stats, before, after)
        self.iteration += 1
        if reason:
            unflatten_into(self.loop.net, before)
            optimizer.load_state_dict(opt_state)
            _put(self.events, P.Rejected(self.iteration, reason))
            self._status(f"update {self.iteration} rejected: {reason}")
            return
        self.steps += stats.samples
        self.version += 1
        self.shared.publish(after, self.version)
        n = episodes.episodes
        _put(self.events, P.CurvePoint(
            version=self.version, iteration=self.iteration, steps=self.steps,
            seconds=time.monotonic() - self.started, faction=faction, generation=self.generation,
            mean_return=float(np.mean(episodes.returns)) if n else float("nan"),
            win_rate=episodes.wins / n if n else float("nan"), episodes=n,
            drink_rate=drink, heal_drink_rate=heal_drink, approx_kl=stats.approx_kl, live_samples=live_samples))
        self._status(f"published version {self.version}")

    def _reject_reason(self, stats: Any, before: np.ndarray, after: np.ndarray) -> str:
        """Why an update must not be published ("" when it may)."""
        losses = (stats.policy_loss, stats.value_loss, stats.entropy, stats.approx_kl)
        if not np.isfinite(losses).all():
            return (f"non-finite loss (policy {stats.policy_loss:.3g}, value {stats.value_loss:.3g}, "
                    f"KL {stats.approx_kl:.3g})")
        if not np.isfinite(after).all():
            return "non-finite weights after the update"
        g = self.init.guards
        if stats.approx_kl > g.max_kl:
            return f"the update moved the policy too far (approx. KL {stats.approx_kl:.3g} > {g.max_kl:g})"
        step = float(np.linalg.norm(after - before) / max(np.linalg.norm(before), 1e-12))
        if step > g.max_step:
            return f"the update changed the weights too much (relative step {step:.3g} > {g.max_step:g})"
        return ""

    # ------------------------------------------------------------------ snapshots

    def _take_snapshot(self, label: str) -> P.SnapshotInfo:
        info = P.SnapshotInfo(self.next_snapshot, self.version, self.steps, label or f"version {self.version}")
        self.next_snapshot += 1
        self.snapshots = (self.snapshots + [_Snapshot(info, flatten(self.loop.net))])[-MAX_SNAPSHOTS:]
        return info

    def _find(self, snapshot_id: int) -> _Snapshot | None:
        found = [s for s in self.snapshots if s.info.snapshot_id == snapshot_id]
        if not found:
            _put(self.events, P.Error(f"no snapshot {snapshot_id} (kept: "
                                      f"{', '.join(str(s.info.snapshot_id) for s in self.snapshots)})", fatal=False))
            return None
        return found[0]

    def _revert(self, snapshot_id: int) -> None:
        snap = self._find(snapshot_id)
        if snap is None:
            return
        unflatten_into(self.loop.net, snap.weights)
        self.loop.reset_optimizer()  # Adam's moments belong to the abandoned path
        self.version += 1
        self.shared.publish(flatten(self.loop.net), self.version)
        self._status(f"reverted to snapshot {snapshot_id} (was version {snap.info.version}), "
                     f"published as version {self.version}")

    def _save(self, command: P.SaveCheckpoint) -> None:
        if command.snapshot_id >= 0:
            snap = self._find(command.snapshot_id)
            if snap is None:
                return
            weights, info = snap.weights, snap.info
        else:
            weights, info = flatten(self.loop.net), P.SnapshotInfo(-1, self.version, self.steps, "current")
        net = build_policy(self.init.arch, self.init.num_actions, self.init.net_config)
        unflatten_into(net, weights)
        training = {"command": "live retraining (game F5 panel)", "live_version": info.version,
                    "steps": info.steps, "snapshot": info.snapshot_id, "params": self.params.name,
                    "learners": list(self.learners)}
        try:
            save_checkpoint(command.path, net, training=training)
        except (OSError, UserError) as exc:
            _put(self.events, P.Error(f"could not save {command.path}: {exc}", fatal=False))
            return
        self._status(f"saved version {info.version} to {command.path}")

    def _status(self, message: str, state: str | None = None) -> None:
        _put(self.events, P.Status(state or self.state, self.version, self.iteration, self.steps, self.generation,
                                   self.learners, tuple(s.info for s in self.snapshots), message))
