"""Documented bounds on what users' files and arguments may ask for (docs/reliability.md).

Every count that decides an allocation is checked against these bounds before the
allocation happens, so a hostile or mistaken file costs a one-line error instead of a
machine's memory:

- :data:`MAX_SEED` bounds seeds (command lines, configs, recordings, saves);
- :data:`MAX_NUM_ACTIONS` bounds action-space sizes (checkpoints, recordings, saves);
- :func:`world_bytes` estimates the memory a simulator of ``num_worlds`` worlds with a
  pool of ``pool_size`` levels needs for a parameter set (cells x floors x agents x
  observation bytes), and :func:`check_memory` refuses estimates above
  :func:`memory_budget` (``$MINDCRAWL_MEMORY_BUDGET``, default
  :data:`DEFAULT_MEMORY_BUDGET`) with the estimate in the message.

The per-agent and per-item byte figures mirror ``game.state`` (this package cannot
import the simulator); ``tests/test_hostile_budget.py`` checks that the estimate stays
above what a real simulator allocates.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from levels.common.errors import InputTooLargeError

if TYPE_CHECKING:
    from levels.params import LevelParams

#: Seeds are integers in [0, MAX_SEED]; the headroom below 2**63 leaves room for the
#: ``seed + i`` offsets of evaluations and studies within a signed 64-bit integer.
MAX_SEED = 2**62
#: Largest action space a checkpoint, recording or save may declare.
MAX_NUM_ACTIONS = 4096
#: Largest window or frame (``--size``), in pixels per side.
MAX_WINDOW_SIDE = 8192
#: Default memory budget for one simulator (or one training run's buffers).
DEFAULT_MEMORY_BUDGET = 8 * 2**30
BUDGET_ENV = "MINDCRAWL_MEMORY_BUDGET"

#: Bytes per cell stored once per world and per pooled level (tile + lock id).
CELL_BYTES = 3
#: Per agent and world: its state row, its observation (patch, entity tokens, self
#: vector), reward and flags, rounded up (measured ~2.6-3.4 KB in game.state).
AGENT_BYTES = 6144
#: Per item slot and world: one int32 row of ``game.state.ITEM_FIELDS`` (14) and more.
ITEM_BYTES = 64
#: Per world regardless of size: counters, RNG, the reach buffer.
WORLD_BYTES = 8192
#: Bytes of one agent's observation (for training buffers): patch, tokens, self, mask.
OBS_BYTES = 2048


def memory_budget() -> int:
    """The memory budget in bytes: ``$MINDCRAWL_MEMORY_BUDGET`` (``8G``, ``512M``, bytes) or 8 GiB."""
    text = os.environ.get(BUDGET_ENV, "").strip()
    if not text:
        return DEFAULT_MEMORY_BUDGET
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?", text, flags=re.IGNORECASE)
    if match is None:
        raise InputTooLargeError(f"${BUDGET_ENV}: expected a size such as 8G or 512M, got {text!r}")
    scale = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}[match[2].upper()]
    return int(float(match[1]) * scale)


def human_bytes(n: float) -> str:
    """``n`` bytes as ``"1.5 GiB"``."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} bytes"


def max_agents(params: LevelParams) -> int:
    """Agent slots a level of ``params`` can need (the simulator's layout rule)."""
    return sum(group.count[1] * (len(group.floors) or params.floors.count) for group in params.spawns)


def max_items(params: LevelParams) -> int:
    """An upper bound on the item slots a level of ``params`` can hold."""
    cells = params.floors.count * params.floors.height * params.floors.width
    carried = sum(len(group.items) * group.count[1] * (len(group.floors) or params.floors.count)
                  for group in params.spawns)
    return int(cells * params.loot.density[1]) + carried + 8 * params.floors.count


def world_bytes(params: LevelParams, num_worlds: int = 1, pool_size: int = 1,
                num_actions: int = 32, agents: int | None = None) -> int:
    """Estimated bytes of a simulator over ``params``: its worlds and its level pool.

    Per world: every cell's tile and lock, every agent's map memory of every cell, its
    field-of-view grid, state and observation, the item slots. Per pooled level: the
    tiles and locks and the agents' start rows.
    """
    floors = params.floors
    cells = floors.count * floors.height * floors.width
    a = max_agents(params) if agents is None else agents
    sight = max((f.sight for f in params.factions.values()), default=6)
    fov = (2 * max(sight, 6) + 1) ** 2
    items = max_items(params)
    per_world = (cells * (CELL_BYTES + a) + a * (fov + AGENT_BYTES + num_actions)
                 + items * ITEM_BYTES + WORLD_BYTES)
    per_level = cells * CELL_BYTES + a * 128 + items * ITEM_BYTES
    return int(num_worlds) * per_world + int(pool_size) * per_level


def describe(params: LevelParams, agents: int | None = None) -> str:
    """``"16 floors of 256x256 cells, 1024 agents"`` (for budget errors)."""
    floors = params.floors
    a = max_agents(params) if agents is None else agents
    return f"{floors.count} floor(s) of {floors.width}x{floors.height} cells, {a} agent slots"


def memory_problem(estimate: int, what: str) -> str | None:
    """Why ``estimate`` bytes are refused (above the budget), or None; ``what`` needs them."""
    budget = memory_budget()
    if estimate <= budget:
        return None
    return (f"{what} would need about {human_bytes(estimate)} of memory, above the "
            f"{human_bytes(budget)} budget (set ${BUDGET_ENV} to raise it)")


def check_memory(estimate: int, what: str) -> None:
    """Raise :class:`InputTooLargeError` if ``estimate`` bytes are above the budget."""
    problem = memory_problem(estimate, what)
    if problem:
        raise InputTooLargeError(problem)


def level_memory_problem(params: LevelParams) -> str | None:
    """Why one world of ``params`` (one level, one world) is refused, or None."""
    return memory_problem(world_bytes(params), f"one world of {describe(params)}")
