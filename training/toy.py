"""FetchTask: a tiny batched task with the simulator's interface, for fast PPO tests.

One agent in an open room must step onto an item it sees as an entity token. The
observation dict, the auto-reset rule (NEXT_STEP) and the ``info`` keys are those of
:class:`game.batch.BatchedSim`, so the same rollout code trains on both. Reward: +1 on
reaching the item, -0.02 per step; at most ``max_turns`` steps. An agent that walks
straight (Chebyshev moves) always reaches it; a random walk rarely does in time.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from game.actions import CORE_ACTIONS, DIRECTIONS, MOVE_FIRST, WAIT
from game.slots import AgentLayout
from game.spec import (
    ENTITY_COLUMN,
    ENTITY_DIM,
    MAX_ENTITIES,
    OCC_ITEM,
    OCC_SELF,
    OFF_MAP,
    PATCH,
    PATCH_RADIUS,
    POS_SCALE,
    SELF_DIM,
)
from game.state import CAUSE_ESCAPED, CAUSE_OUT_OF_TIME
from levels.tiles import Tile


class ToyStep(NamedTuple):
    """Same fields as :class:`game.batch.StepResult`."""

    obs: dict[str, np.ndarray]
    reward: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    info: dict[str, np.ndarray]


class FetchTask:
    """``num_worlds`` rooms of ``size`` x ``size`` cells, one agent (faction "hero") each."""

    def __init__(self, num_worlds: int, seed: int, size: int = 7, max_turns: int = 12,
                 max_distance: int = 3) -> None:
        self.num_worlds = num_worlds
        self.num_agents = 1
        self.num_actions = CORE_ACTIONS
        self.layout = AgentLayout(("hero",), (1,))
        self.agent_names = self.layout.names
        self.size = size
        self.max_turns = max_turns
        self.max_distance = max_distance
        self.rng = np.random.default_rng(seed)
        B = num_worlds
        self.pos = np.zeros((B, 2), np.int64)
        self.goal = np.zeros((B, 2), np.int64)
        self.turn = np.zeros(B, np.int64)
        self.done = np.zeros(B, bool)
        self.ep_return = np.zeros(B, np.float32)

    def _new_episodes(self, which: np.ndarray) -> None:
        n = int(which.sum())
        self.pos[which] = self.rng.integers(0, self.size, (n, 2))
        offset = self.rng.integers(-self.max_distance, self.max_distance + 1, (n, 2))
        offset[(offset == 0).all(axis=1)] = (1, 0)
        self.goal[which] = np.clip(self.pos[which] + offset, 0, self.size - 1)
        same = which & (self.goal == self.pos).all(axis=1)
        self.goal[same] = np.where(self.pos[same] > 0, self.pos[same] - 1, self.pos[same] + 1)
        self.turn[which] = 0
        self.done[which] = False
        self.ep_return[which] = 0.0

    def reset(self, seed: int | None = None) -> dict[str, np.ndarray]:
        """Start every world (reseeding first if ``seed`` is given)."""
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self._new_episodes(np.ones(self.num_worlds, bool))
        return self.observations()

    def step(self, actions: np.ndarray) -> ToyStep:
        """One step of every world; worlds that finished last call are reset instead."""
        B = self.num_worlds
        actions = np.asarray(actions).reshape(B)
        resetting = self.done.copy()
        reward = np.zeros(B, np.float32)
        live = ~resetting
        moves = (actions >= MOVE_FIRST) & (actions < MOVE_FIRST + 8) & live
        legal = self._mask()[np.arange(B), actions].astype(bool)
        step = DIRECTIONS[np.clip(actions - MOVE_FIRST, 0, 7)]
        self.pos[moves & legal] += step[moves & legal]
        reward[live] -= 0.02
        reward[live & ~legal] -= 0.1
        self.turn[live] += 1
        reached = live & (self.pos == self.goal).all(axis=1)
        reward[reached] += 1.0
        timeout = live & ~reached & (self.turn >= self.max_turns)
        self.ep_return[live] += reward[live]
        finished = reached | timeout
        final_return = np.where(finished, self.ep_return, 0.0).astype(np.float32)
        final_length = np.where(finished, self.turn, 0).astype(np.int32)
        self.done[live] = finished[live]
        self._new_episodes(resetting)
        info = {"alive": np.ones((B, 1), bool), "present": np.ones((B, 1), bool),
                "finished": finished, "reset": resetting,
                "winner": np.where(reached, 0, -1).astype(np.int32),
                "cause": np.where(reached, CAUSE_ESCAPED, np.where(timeout, CAUSE_OUT_OF_TIME, 0)).astype(np.int32),
                "episode_return": final_return[:, None], "episode_length": final_length,
                "turn": self.turn.astype(np.int32)}
        return ToyStep(self.observations(), reward[:, None], reached[:, None], timeout[:, None], info)

    def info(self) -> dict[str, np.ndarray]:
        """Per-agent status now (every agent is alive)."""
        B = self.num_worlds
        return {"alive": np.ones((B, 1), bool), "present": np.ones((B, 1), bool)}

    def _mask(self) -> np.ndarray:
        B = self.num_worlds
        mask = np.zeros((B, CORE_ACTIONS), np.int8)
        mask[:, WAIT] = 1
        for d, (dy, dx) in enumerate(DIRECTIONS):
            ny, nx = self.pos[:, 0] + dy, self.pos[:, 1] + dx
            mask[:, MOVE_FIRST + d] = (ny >= 0) & (ny < self.size) & (nx >= 0) & (nx < self.size)
        return mask

    def observations(self) -> dict[str, np.ndarray]:
        """Observations in the :mod:`game.spec` layout, ``[B, 1, ...]``."""
        B, R = self.num_worlds, PATCH_RADIUS
        rows = self.pos[:, 0, None] + np.arange(PATCH)[None] - R
        cols = self.pos[:, 1, None] + np.arange(PATCH)[None] - R
        inside = ((rows >= 0) & (rows < self.size))[:, :, None] & ((cols >= 0) & (cols < self.size))[:, None, :]
        patch = np.zeros((B, PATCH, PATCH, 4), np.uint8)
        patch[..., 0] = np.where(inside, 1 + Tile.FLOOR, OFF_MAP)
        patch[..., 1] = inside
        patch[..., 2] = inside
        patch[:, R, R, 3] = OCC_SELF
        dy = self.goal[:, 0] - self.pos[:, 0]
        dx = self.goal[:, 1] - self.pos[:, 1]
        patch[np.arange(B), R + dy, R + dx, 3] = OCC_ITEM
        entities = np.zeros((B, MAX_ENTITIES, ENTITY_DIM), np.float32)
        entities[:, 0, ENTITY_COLUMN["is_potion"]] = 1.0
        entities[:, 0, ENTITY_COLUMN["heal"]] = 0.25
        entities[:, 0, ENTITY_COLUMN["dy"]] = dy / POS_SCALE
        entities[:, 0, ENTITY_COLUMN["dx"]] = dx / POS_SCALE
        entities[:, 0, ENTITY_COLUMN["dist"]] = np.maximum(abs(dy), abs(dx)) / POS_SCALE
        entity_mask = np.zeros((B, MAX_ENTITIES), np.int8)
        entity_mask[:, 0] = 1
        self_vec = np.zeros((B, SELF_DIM), np.float32)
        self_vec[:, 0] = 1.0
        self_vec[:, 26] = self.turn / self.max_turns
        return {"patch": patch[:, None], "entities": entities[:, None], "entity_mask": entity_mask[:, None],
                "self": self_vec[:, None], "action_mask": self._mask()[:, None]}
