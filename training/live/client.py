"""The game's side of live retraining: start, command, watch and stop the learner process.

:class:`LearnerClient` owns the shared weight block (it outlives learner crashes, so the
game keeps the last good weights and a restarted learner continues from them), the
two queues, and the process (``spawn`` start method, one thread per library). Nothing
here blocks a frame: commands are sent without waiting, events are drained with
``get_nowait``, weights are read with :meth:`SharedWeights.read`.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from levels.params import LevelParams, params_to_dict
from npc.policy import PolicyNet
from training.live import protocol as P
from training.live.learner import THREAD_ENV, learner_main
from training.live.weights import Published, SharedWeights, flatten, state_numel

COMMAND_QUEUE = 4096
EVENT_QUEUE = 4096
CURVE_KEEP = 2000


class LearnerClient:
    """Start and talk to a learner process for ``net``'s architecture (see the module docstring)."""

    def __init__(self, net: PolicyNet, params: LevelParams, learners: Sequence[str], *, seed: int = 0,
                 num_worlds: int = 64, rollout_steps: int = 32, learning_rate: float = 5e-4,
                 guards: P.Guards | None = None, version: int = 0) -> None:
        self.shared = SharedWeights.create(state_numel(net), flatten(net), version)
        self.template = P.LearnerInit(
            shm_name=self.shared.name, arch=net.arch,
            net_config={k: v for k, v in net.config.items() if k != "num_actions"},
            num_actions=net.num_actions, params=params_to_dict(params), generation=0,
            learners=tuple(learners), seed=seed, num_worlds=num_worlds, rollout_steps=rollout_steps,
            learning_rate=learning_rate, guards=guards or P.Guards(), hero_faction=params.rules.hero_faction)
        self.context = mp.get_context("spawn")
        self.process: Any = None
        self.commands: Any = None
        self.events: Any = None
        self.status: P.Status | None = None
        self.curve: list[P.CurvePoint] = []
        self.rejections: list[P.Rejected] = []
        self.notes: list[str] = []  # non-fatal errors and drops, newest last
        self.error = ""  # why the learner died ("" while it is fine)
        self.restarts = 0
        self._paused = False
        self._stopping = False

    # ------------------------------------------------------------------ life cycle

    @property
    def alive(self) -> bool:
        """Whether the learner process is running."""
        return self.process is not None and self.process.is_alive()

    @property
    def pid(self) -> int | None:
        """The learner's process id (None before start)."""
        return None if self.process is None else self.process.pid

    def start(self, paused: bool = False) -> None:
        """Start the learner (from the weights now in shared memory); no-op if it runs."""
        if self.alive:
            return
        self._paused = paused
        init = replace(self.template, paused=paused)
        self.commands = self.context.Queue(COMMAND_QUEUE)
        self.events = self.context.Queue(EVENT_QUEUE)
        self.error = ""
        self.status = None  # "starting" until the new process reports (never the old one's state)
        self._stopping = False
        saved = {key: os.environ.get(key) for key in THREAD_ENV}
        os.environ.update(THREAD_ENV)  # inherited by the child before it imports anything
        try:
            self.process = self.context.Process(target=learner_main, args=(init, self.commands, self.events),
                                                name="mindcrawl-learner", daemon=True)
            self.process.start()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def restart(self) -> None:
        """Stop the learner if it runs, then start a new one from the last published weights."""
        self.stop()
        self.restarts += 1
        self.start(paused=self._paused)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the learner to stop; terminate (then kill) it if it does not exit in ``timeout``."""
        if self.process is None:
            return
        self._stopping = True
        if self.process.is_alive():
            self._send(P.Stop())
            deadline = time.monotonic() + timeout
            while self.process.is_alive() and time.monotonic() < deadline:
                self.poll()  # keep reading: a learner cannot exit while its events fill the pipe
                self.process.join(0.05)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(2.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2.0)
        self.poll()
        for q in (self.commands, self.events):
            q.cancel_join_thread()  # never hang the game's exit on a pipe nobody reads
            q.close()
        self.process = None

    def close(self, timeout: float = 5.0) -> None:
        """Stop the learner (see :meth:`stop`) and remove the shared block (the game is quitting)."""
        self.stop(timeout)
        self.shared.close()

    # ------------------------------------------------------------------ commands

    def _send(self, command: P.Command) -> bool:
        if self.commands is None or not self.alive:
            return False
        try:
            self.commands.put_nowait(command)
        except queue.Full:
            return False
        return True

    def pause(self) -> None:
        """Pause training (the process stays)."""
        self._paused = True
        self._send(P.Pause())

    def resume(self) -> None:
        """Resume training."""
        self._paused = False
        self._send(P.Resume())

    @property
    def generation(self) -> int:
        """The parameter generation the game is on."""
        return self.template.generation

    def set_params(self, params: LevelParams) -> None:
        """Train on ``params`` from now on (also after a restart)."""
        table = params_to_dict(params)
        self.template = replace(self.template, params=table, generation=self.template.generation + 1,
                                hero_faction=params.rules.hero_faction)
        self._send(P.SetParams(table, self.template.generation))

    def set_learners(self, factions: Sequence[str]) -> None:
        """Which factions learn (empty: none)."""
        self.template = replace(self.template, learners=tuple(factions))
        self._send(P.SetLearners(tuple(factions)))

    @property
    def learners(self) -> tuple[str, ...]:
        """The factions that learn."""
        return self.template.learners

    def snapshot(self, label: str = "") -> None:
        """Ask for a snapshot of the current weights."""
        self._send(P.TakeSnapshot(label))

    def revert(self, snapshot_id: int) -> None:
        """Ask the learner to publish a snapshot's weights as a new version."""
        self._send(P.Revert(snapshot_id))

    def save_checkpoint(self, path: str, snapshot_id: int = -1) -> None:
        """Ask the learner to write a snapshot (or the current weights) as a checkpoint file."""
        self._send(P.SaveCheckpoint(str(path), snapshot_id))

    def inject(self, kind: str) -> None:
        """Fault injection (tests, demos): ``nan_loss``, ``blowup`` or ``crash``."""
        self._send(P.Fault(kind))

    def send_trajectory(self, turn: P.Trajectory) -> bool:
        """Stream one game turn of the learning NPCs (dropped when the queue is full)."""
        return self._send(turn)

    # ------------------------------------------------------------------ events and weights

    def poll(self) -> list[P.Event]:
        """Every event that arrived (never waits); notices a learner that died."""
        out: list[P.Event] = []
        if self.events is not None:
            while True:
                try:
                    out.append(self.events.get_nowait())
                except (queue.Empty, OSError, ValueError, EOFError):
                    break
        for event in out:
            if isinstance(event, P.Status):
                self.status = event
            elif isinstance(event, P.CurvePoint):
                self.curve = (self.curve + [event])[-CURVE_KEEP:]
            elif isinstance(event, P.Rejected):
                self.rejections.append(event)
                self.notes.append(f"update {event.iteration} rejected: {event.reason}")
            elif isinstance(event, P.Dropped):
                self.notes.append(f"dropped {event.samples} samples: {event.reason}")
            elif isinstance(event, P.Error):
                if event.fatal:
                    self.error = event.text
                self.notes.append(event.text)
        self.notes = self.notes[-50:]
        if self.process is not None and not self._stopping and not self.process.is_alive() and not self.error:
            self.error = f"the learner exited unexpectedly (exit code {self.process.exitcode})"
        return out

    @property
    def state(self) -> str:
        """``not started``, ``starting``, ``running``, ``paused``, ``idle``, ``crashed`` or ``stopped``."""
        if self.error:
            return "crashed"
        if self.process is None:
            return "not started" if self.status is None else "stopped"
        if self.status is None:
            return "starting"
        return self.status.state

    def read_weights(self, newer_than: int) -> Published | None:
        """Weights newer than ``newer_than`` if any were published (never blocks)."""
        return self.shared.read(newer_than)

    @property
    def version(self) -> int:
        """The latest published version."""
        return self.shared.version()
