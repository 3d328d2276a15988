"""The batched simulator: B worlds stepped together by the numba kernels.

Every other API (the PettingZoo and Gymnasium environments) is a view of a
:class:`BatchedSim` with one world. Typical use::

    sim = BatchedSim("arena", num_worlds=256, seed=0)
    obs = sim.reset()
    while training:
        actions = policy(obs)                      # int array [B, A]
        obs, reward, terminated, truncated, info = sim.step(actions)

Auto-reset (Gymnasium's NEXT_STEP mode): when ``info["finished"][b]`` is set, the
step's observation of world ``b`` is the final one and ``info["episode_return"][b]`` /
``info["episode_length"][b]`` hold the episode's totals; the *next* ``step`` resets
world ``b`` (ignoring its actions, reward 0, ``info["reset"][b]`` set) and returns the
new episode's first observation.

Returned arrays are buffers the simulator overwrites on the next call: copy what you
keep.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from game import kernels
from game.actions import CORE_ACTIONS
from game.fov import build_fov_table
from game.goals import elimination_targets, goal_names
from game.nav_actions import NAV_ACTIONS, NavActions
from game.navigate import Navigation, nav_range
from game.pool import LevelPool, item_kind_names
from game.rng import fresh_seed, seed_states
from game.slots import AgentLayout
from game.spec import PATCH_RADIUS
from game.state import (
    ALIVE,
    OBJECTIVE_NAMES,
    OUT_CAUSE,
    OUT_FINISHED,
    OUT_LENGTH,
    OUT_RESET,
    OUT_WINNER,
    PRESENT,
    W_DONE,
    W_EPISODE,
    W_NEXT_LEVEL,
    W_TURN,
    Config,
    Outputs,
    World,
    grow_items,
    new_outputs,
    new_world,
)
from levels.common.errors import UserError
from levels.level import Level
from levels.limits import MAX_NUM_ACTIONS, check_memory, describe, world_bytes
from levels.params import LevelParams, load_params

_WORLD_RNG_STREAM = 1
#: Batches at least this large step on all threads by default.
PARALLEL_MIN_WORLDS = 4
#: Multi-threaded steps split the batch into up to this many chunks per thread ...
CHUNKS_PER_THREAD = 4
#: ... of at least this many worlds (a chunk costs one kernel call).
MIN_CHUNK_WORLDS = 64


class ActionError(UserError, ValueError):
    """Actions of the wrong shape, type or range."""


class StepResult(NamedTuple):
    """What :meth:`BatchedSim.step` returns (a tuple like Gymnasium's ``step``)."""

    obs: dict[str, np.ndarray]
    reward: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    info: dict[str, np.ndarray]


class BatchedSim:
    """B worlds of one level family, stepped in lock-step.

    Args:
        params: preset name, TOML path or :class:`LevelParams`.
        num_worlds: B.
        seed: the simulator seed (None: fresh OS entropy). The same seed gives the same
            levels and episodes bit for bit.
        pool_size: levels in the pool resets draw from (generated lazily).
        levels: use these levels as the pool instead of generating (tests, editors).
        max_turns: episode length limit; default ``params.rules.max_turns``.
        num_actions: size of the action space (>= the core table; extra indices are
            reserved and always illegal).
        threads: worker threads stepping disjoint ranges of worlds (default: every CPU
            when B >= 4, else 1; numba kernels release the GIL).
        generate: level generator ``(params, seed) -> Level`` (default levels.generate).
        entity_kind: also return the optional observation key ``entity_kind`` (int32
            ``[B, A, K]``: 0 for tokens that are not items and for padding, else the
            item's kind id, see :attr:`entity_kind_names`) and ``held_kind`` (int32
            ``[B, A, 3]``: the kind ids of the equipped melee and ranged weapons and the
            carried potion, 0 for none). Off by default; when off it costs nothing. It
            does not change ``OBS_VERSION`` (tokens and ``self`` are untouched).
        nav: run the Hebbian navigator (:mod:`game.navigate`) for every agent after each
            step and reset; its output is the optional observation key ``nav`` (int32
            ``[B, A, 5]``, :data:`game.navigate.NAV_COLUMNS`), which the scripted NPC
            follows. On by default; off gives the plain step (and the previous scripted NPC).
        nav_actions: navigator actions (:mod:`game.nav_actions`: go to entity token k,
            explore, flee, goal) after the primitive ones, translated into primitive actions
            inside the step: True for every faction, or the names of the factions that get
            them. Needs ``nav``; ``num_actions`` defaults to, and must be at least,
            :data:`game.nav_actions.NAV_ACTIONS`. Off by default (the plain action space).
    """

    def __init__(self, params: str | Path | LevelParams = "arena", num_worlds: int = 1,
                 seed: int | None = None, *, pool_size: int = 64,
                 levels: Sequence[Level] | None = None, max_turns: int | None = None,
                 num_actions: int | None = None, threads: int | None = None,
                 generate: Callable[[LevelParams, int], Level] | None = None,
                 entity_kind: bool = False, nav: bool = True,
                 nav_actions: bool | Sequence[str] = False) -> None:
        self.params = load_params(params)
        if nav_actions is not False and not nav:
            raise UserError("nav_actions needs the built-in navigator (nav=True)")
        if num_actions is None:
            num_actions = NAV_ACTIONS if nav_actions is not False else CORE_ACTIONS
        if nav_actions is not False and num_actions < NAV_ACTIONS:
            raise UserError(f"nav_actions needs num_actions >= {NAV_ACTIONS}, got {num_actions}")
        if isinstance(params, LevelParams) and not levels:
            params.check("")  # the cross-field checks generation needs
        if not isinstance(num_worlds, (int, np.integer)) or num_worlds < 1:
            raise UserError(f"num_worlds must be a positive integer, got {num_worlds!r}")
        if not CORE_ACTIONS <= num_actions <= MAX_NUM_ACTIONS:
            raise UserError(f"num_actions must lie in [{CORE_ACTIONS}, {MAX_NUM_ACTIONS}], got {num_actions}")
        if max_turns is not None and max_turns < 1:
            raise UserError(f"max_turns must be positive, got {max_turns}")
        self.num_worlds = int(num_worlds)
        self.num_actions = int(num_actions)
        self.pool_size = int(pool_size)
        self.max_turns = int(max_turns or self.params.rules.max_turns)
        if threads is None:
            threads = (os.cpu_count() or 1) if self.num_worlds >= PARALLEL_MIN_WORLDS else 1
        self.threads = max(1, min(int(threads), self.num_worlds))
        self._executor: ThreadPoolExecutor | None = None
        self._levels = list(levels) if levels else None
        self._generate = generate
        self.layout = AgentLayout.from_params(self.params, self._levels or ())
        self.num_agents = self.layout.num_agents
        self.agent_names = self.layout.names
        pool_levels = len(self._levels) if self._levels else self.pool_size
        check_memory(world_bytes(self.params, self.num_worlds, pool_levels, self.num_actions, self.num_agents),
                     f"{self.num_worlds} world(s) and {pool_levels} pooled level(s) of "
                     f"{describe(self.params, self.num_agents)}")
        self.config = self._build_config()
        # Each agent's visibility grid covers its sight and the observation patch, so
        # reading it for any patch cell or visible entity needs no bounds check.
        self.fov_grid = 2 * max(self.config.fov_parent.shape[0] - 1, PATCH_RADIUS) + 1
        self.shape = (self.params.floors.count, self.params.floors.height,
                      self.params.floors.width)
        self.world: World = new_world(self.num_worlds, self.num_agents, 0, self.shape,
                                      self.num_actions, self.fov_grid, len(self.layout.factions))
        self.entity_kind = bool(entity_kind)
        #: Item kind names by ``entity_kind`` id: id ``j + 1`` is ``entity_kind_names[j]``.
        self.entity_kind_names = item_kind_names(self.params)
        self.out: Outputs = new_outputs(self.num_worlds, self.num_agents, self.entity_kind)
        self._all = np.ones(self.num_worlds, np.uint8)
        self._no_actions = np.zeros((self.num_worlds, self.num_agents), np.int32)
        self.seed = -1
        self.pool: LevelPool
        self.reseed(fresh_seed() if seed is None else seed)
        #: The navigator's state and output (None when ``nav`` is off).
        self.navigation: Navigation | None = Navigation(self) if nav else None
        #: The navigator actions (None when ``nav_actions`` is off).
        self.nav_actions: NavActions | None = None
        if nav_actions is not False:
            try:
                self.nav_actions = NavActions(self, None if nav_actions is True else list(nav_actions))
            except ValueError as exc:
                raise UserError(str(exc)) from None

    # ---------------------------------------------------------------- set-up

    def _build_config(self) -> Config:
        factions = [self.params.factions[name] for name in self.layout.factions]
        sight = np.array([f.sight for f in factions], np.int32)
        weights = np.array([[getattr(f.objective, n) for n in OBJECTIVE_NAMES] for f in factions],
                           np.float32)
        rules = self.params.rules
        table = build_fov_table(int(sight.max()))
        return Config(sight=sight, weights=weights,
                      rules=np.array([self.max_turns, rules.water_turns, rules.lava_damage], np.int32),
                      fov_parent=table.parent, fov_row_end=table.row_end,
                      targets=elimination_targets(self.params, self.layout.factions))

    def reseed(self, seed: int) -> None:
        """Restart from ``seed``: new level pool seeds and world RNGs (call :meth:`reset` next)."""
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise UserError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self.pool = LevelPool(self.params, self.layout, self.seed, self.pool_size,
                              levels=self._levels, generate=self._generate)
        w = self.world
        w.rng[:] = seed_states(self.seed, self.num_worlds, _WORLD_RNG_STREAM)
        w.wi[:, W_EPISODE] = 0
        kernels.draw_levels(w.rng, w.wi, self.pool.size)

    def _sync_pool(self, which: np.ndarray) -> None:
        """Compile the levels the worlds in ``which`` will reset into; match item slots."""
        upcoming = self.world.wi[which.astype(bool), W_NEXT_LEVEL]
        if upcoming.size and not self.pool.ready[upcoming].all():
            self.pool.ensure(upcoming)
        capacity = max(self.pool.item_capacity, self.world.it.shape[1])
        if self.world.it.shape[1] < capacity:
            self.world = self.world._replace(it=grow_items(self.world.it, capacity))
        if self.pool.item_capacity < capacity:
            self.pool.grow(capacity)

    # ---------------------------------------------------------------- API

    def reset(self, seed: int | None = None) -> dict[str, np.ndarray]:
        """Start a new episode in every world (reseeding first if ``seed`` is given)."""
        if seed is not None:
            self.reseed(seed)
        self._sync_pool(self._all)
        self._run(kernels.MODE_RESET, self._no_actions, self._all)
        self._navigate(self._no_actions)
        return self.observations()

    def reset_worlds(self, which: np.ndarray) -> dict[str, np.ndarray]:
        """Start a new episode now in the worlds where ``which`` (bool ``[B]``) is set.

        The other worlds keep their state and their last step's outputs; the reset
        worlds' outputs read as a reset (reward 0, ``info["reset"]`` set). Vector envs
        use it to end a world early (the learner died) or to reset in the same step.
        """
        which = np.asarray(which)
        if which.shape != (self.num_worlds,):
            raise UserError(f"which must have shape ({self.num_worlds},), got {which.shape}")
        which = np.ascontiguousarray(which, dtype=np.uint8)
        if which.any():
            self._sync_pool(which)
            self._run(kernels.MODE_RESET, self._no_actions, which)
            self._navigate(self._no_actions)
        return self.observations()

    def step(self, actions: np.ndarray) -> StepResult:
        """Play one tick in every world (auto-resetting worlds that finished last call)."""
        actions = self._check_actions(actions)
        if self.nav_actions is not None:
            actions = self.nav_actions.translate(actions)  # before the rules: they see primitives only
        self._sync_pool(self.world.wi[:, W_DONE])
        self._run(kernels.MODE_STEP, actions, self._all, navigate=True)
        if self.nav_actions is not None:
            self.nav_actions.update_masks()
        o = self.out
        return StepResult(self.observations(), o.reward, o.terminated.view(bool),
                          o.truncated.view(bool), self.info())

    def _run(self, mode: int, actions: np.ndarray, which: np.ndarray, navigate: bool = False) -> None:
        """Run the kernel over all worlds, split across the worker threads.

        With ``navigate`` (and the navigator on) each chunk of worlds is navigated right
        after it stepped, on the same thread, while its arrays are still in the cache: the
        same result as navigating every world afterwards, since a world's plan reads only
        that world.
        """
        kernel = kernels.run_range
        args = (self.world, self.pool.arrays, self.config, self.out, actions, which, mode)
        nav = self.navigation.kernel_args(actions) if navigate and self.navigation is not None else None

        def run_chunk(lo: int, hi: int) -> None:
            kernel(*args, lo, hi)
            if nav is not None:
                nav_range(*nav, lo, hi)

        self.over_worlds(run_chunk)

    def over_worlds(self, kernel: Callable[..., None], *args: Any) -> None:
        """Run ``kernel(*args, lo, hi)`` over all worlds in ranges, on the worker threads.

        For the step and the per-world kernels of the simulator's parts (the navigator,
        navigator actions); each call must touch only the worlds ``lo..hi``.
        """
        B = self.num_worlds
        if self.threads == 1:
            kernel(*args, 0, B)
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="mindcrawl-sim")
        # A few chunks per thread, taken from the executor's queue: a thread the shared
        # machine slows down takes fewer chunks instead of holding up the step.
        chunks = max(self.threads, min(CHUNKS_PER_THREAD * self.threads, B // MIN_CHUNK_WORLDS))
        bounds = np.linspace(0, B, chunks + 1).astype(int)
        jobs = [self._executor.submit(kernel, *args, int(lo), int(hi))
                for lo, hi in zip(bounds[:-1], bounds[1:], strict=True) if hi > lo]
        for job in jobs:
            job.result()

    def _navigate(self, actions: np.ndarray) -> None:
        """Learn from ``actions`` and plan every agent's route (when the navigator is on).

        Then the navigator actions' masks (when they are on), which read the new observation.
        """
        if self.navigation is not None:
            self.navigation.update(actions)
        if self.nav_actions is not None:
            self.nav_actions.update_masks()

    def close(self) -> None:
        """Stop the worker threads (the simulator can still step on the calling thread)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self.threads = 1

    def _check_actions(self, actions: Any) -> np.ndarray:
        a = np.asarray(actions)
        want = (self.num_worlds, self.num_agents)
        if a.shape != want:
            raise ActionError(f"actions must have shape {want} (worlds, agents), got {a.shape}")
        if a.dtype.kind not in "iu":
            raise ActionError(f"actions must be integers, got dtype {a.dtype}")
        if a.size and (a.min() < 0 or a.max() >= self.num_actions):
            raise ActionError(f"actions must lie in [0, {self.num_actions}), got values "
                              f"from {a.min()} to {a.max()}")
        return np.ascontiguousarray(a, dtype=np.int32)

    def observations(self) -> dict[str, np.ndarray]:
        """The current observation buffers, keyed as in :mod:`game.spec`."""
        o = self.out
        obs = {"patch": o.patch, "entities": o.entities, "entity_mask": o.entity_mask,
               "self": o.self_vec, "action_mask": self.world.mask}
        if self.entity_kind:
            obs["entity_kind"] = o.entity_kind
            obs["held_kind"] = o.held_kind
        if self.navigation is not None:
            obs["nav"] = self.navigation.out
        return obs

    def info(self) -> dict[str, np.ndarray]:
        """Per-world and per-agent status arrays of the last call."""
        o, w = self.out, self.world
        return {"alive": w.ag[:, :, ALIVE] != 0, "present": w.ag[:, :, PRESENT] != 0,
                "finished": o.wout[:, OUT_FINISHED] != 0, "reset": o.wout[:, OUT_RESET] != 0,
                "winner": o.wout[:, OUT_WINNER], "cause": o.wout[:, OUT_CAUSE],
                "goal": w.goal, "episode_return": o.final_return,
                "episode_length": o.wout[:, OUT_LENGTH], "turn": w.wi[:, W_TURN]}

    def goals(self, b: int = 0) -> dict[str, str]:
        """Each faction's goal in world ``b`` this episode, by faction name."""
        return goal_names(self.layout.factions, self.world.goal[b])

    @property
    def action_mask(self) -> np.ndarray:
        """Legal actions now, int8 [B, A, num_actions]."""
        return self.world.mask

    def memory_per_world(self) -> int:
        """Bytes of state and output buffers per world (the shared level pool excluded)."""
        total = sum(a.nbytes for a in self.world) + sum(a.nbytes for a in self.out)
        return total // self.num_worlds

    @property
    def fixed_levels(self) -> list[Level] | None:
        """The levels given at construction (the worlds play only these), or None when generated."""
        return self._levels

    def refresh_observations(self) -> dict[str, np.ndarray]:
        """Rebuild the observation buffers from the state (after loading a save)."""
        self._run(kernels.MODE_OBSERVE, self._no_actions, self._all)
        if self.nav_actions is not None:
            self.nav_actions.update_masks()
        return self.observations()
