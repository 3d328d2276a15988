"""NPC control in the game with live weights: swap between turns, stream the turns back.

:class:`LiveController` is a game NPC controller (the interface of
``npc.controllers.NpcController``). NPCs of the factions that learn act with the live
network, whose weights it replaces with the newest published version before a turn
(a copy of ~50k floats; it never waits for the learner). A faction that stops learning
keeps the live weights it had (they no longer change); NPCs of factions that never
learned keep the network the game started with. It remembers which version chose each NPC's
last action, and, after the turn, sends the learning NPCs' transitions to the learner.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from npc.controllers import SampledController
from npc.policy import OBS_KEYS, PolicyNet
from training.live import protocol as P
from training.live.client import LearnerClient
from training.live.weights import Loader


class LiveController(SampledController):
    """Drives every agent of a one-world simulator (see the module docstring)."""

    def __init__(self, net: PolicyNet, name: str, client: LearnerClient | None = None) -> None:
        super().__init__()
        self.base = net
        self.live = copy.deepcopy(net)
        self.live.eval()
        self._loader = Loader(self.live)
        self.name = name
        self.num_actions = net.num_actions
        self.client = client
        self.version = client.version if client is not None else 0
        self.base_version = self.version
        self.stream = True  # send the learning NPCs' turns to the learner
        self.slot_factions: tuple[str, ...] = ()
        self.slot_versions: dict[int, int] = {}
        self.live_factions: set[str] = set()  # factions that learn or learned: they use the live net
        self.player = -1
        self.swap_ms: list[float] = []  # wall-clock time of each weight swap (for the benchmark)
        self.swap_cpu_ms: list[float] = []  # the game process's CPU time of each swap
        self._pending: dict[str, dict[str, Any]] = {}
        #: Published versions refused (non-finite or mis-sized weights); the NPCs kept theirs.
        self.rejected_versions: list[int] = []

    # ------------------------------------------------------------------ binding and weights

    def bind(self, sim: Any, player: int) -> None:
        """Learn the slot -> faction map of the game's simulator and which slot the player has."""
        factions = sim.layout.factions
        self.slot_factions = tuple(factions[f] for f in sim.layout.slot_faction())
        self.player = player
        self._pending = {}

    def learning(self) -> tuple[str, ...]:
        """The factions whose NPCs use the live weights."""
        return self.client.learners if self.client is not None else ()

    def refresh(self) -> float | None:
        """Swap in newer published weights if there are any; the swap's milliseconds, else None."""
        if self.client is None:
            return None
        start, start_cpu = time.perf_counter(), time.process_time()
        published = self.client.read_weights(self.version)
        if published is None:
            return None
        if published.weights.size != self._loader.numel or not np.isfinite(published.weights).all():
            # A damaged or diverged publication: keep the last good weights, skip this version.
            self.rejected_versions.append(published.version)
            self.version = published.version
            return None
        self._loader.load(published.weights)
        self.version = published.version
        elapsed = (time.perf_counter() - start) * 1000
        self.swap_ms = (self.swap_ms + [elapsed])[-1000:]
        self.swap_cpu_ms = (self.swap_cpu_ms + [(time.process_time() - start_cpu) * 1000])[-1000:]
        return elapsed

    # ------------------------------------------------------------------ NpcController

    def __call__(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Sampled (masked) actions for every agent of world 0."""
        self.refresh()
        flat = {key: np.ascontiguousarray(obs[key][0]) for key in OBS_KEYS}
        count = flat["action_mask"].shape[0]
        self.live_factions.update(self.learning())
        uses_live = [s < len(self.slot_factions) and self.slot_factions[s] in self.live_factions for s in range(count)]
        live_slots = np.flatnonzero(uses_live).astype(np.int64)
        base_slots = np.flatnonzero(~np.asarray(uses_live, bool)).astype(np.int64)
        actions = np.zeros(count, np.int64)
        for net, slots, version in ((self.base, base_slots, self.base_version), (self.live, live_slots, self.version)):
            if not len(slots):
                continue
            part = {key: value[slots] for key, value in flat.items()}
            result = net.act(part, deterministic=False, generator=self._sampler.generator)
            actions[slots] = result.actions.numpy()
            for slot in slots.tolist():
                self.slot_versions[slot] = version
            if net is self.live:
                self._remember(part, slots, result)
        return actions

    def _remember(self, obs: dict[str, np.ndarray], slots: np.ndarray, result: Any) -> None:
        """Keep this turn's learning-NPC data until :meth:`after_turn` knows the rewards."""
        self._pending = {}
        keep = slots != self.player
        for faction in sorted(set(self.slot_factions[s] for s in slots.tolist()) & set(self.learning())):
            mine = keep & np.array([self.slot_factions[s] == faction for s in slots.tolist()])
            if not mine.any():
                continue
            self._pending[faction] = {
                "slots": slots[mine], "obs": {k: v[mine].copy() for k, v in obs.items()},
                "actions": result.actions.numpy()[mine], "log_probs": result.log_probs.numpy()[mine],
                "values": result.values.numpy()[mine], "version": self.version}

    def after_turn(self, sim: Any, alive_before: np.ndarray) -> int:
        """Send the learning NPCs' transitions of the turn just played; returns how many were sent."""
        pending, self._pending = self._pending, {}
        if self.client is None or not self.stream or not pending:
            return 0
        info = sim.info()
        reset = bool(np.asarray(info["reset"])[0])
        finished = bool(np.asarray(info["finished"])[0])
        sent = 0
        for faction, data in pending.items():
            slots = data["slots"]
            terminated = np.asarray(sim.out.terminated, bool)[0, slots]
            truncated = np.asarray(sim.out.truncated, bool)[0, slots]
            turn = P.Trajectory(
                generation=self.client.generation, version=int(data["version"]), faction=faction, obs=data["obs"],
                actions=data["actions"], log_probs=data["log_probs"], values=data["values"],
                rewards=np.asarray(sim.out.reward, np.float32)[0, slots].copy(),
                terminated=terminated.copy(), done=terminated | truncated | finished,
                valid=np.asarray(alive_before, bool)[slots] & (not reset))
            if self.client.send_trajectory(turn):
                sent += len(slots)
        return sent

    def version_of(self, slot: int) -> int | None:
        """The weight version that chose ``slot``'s last action (None before its first turn)."""
        return self.slot_versions.get(slot)


def factions_for(choice: str, factions: Sequence[str], hero: str) -> tuple[str, ...]:
    """The learning factions for a panel choice: ``all`` NPC factions, ``none``, or one faction."""
    npc = tuple(f for f in factions if f != hero)
    if choice == "all":
        return npc
    if choice == "none":
        return ()
    return (choice,) if choice in factions else ()
