"""Team memory: agents that set out one after another, sharing what earlier ones learned.

For each static scenario, ``agents`` agents start from different cells (the scenario's
start, then cells drawn deterministically from its reachable region) and walk to the
same goal, one after another. Each navigator runs alone (own memory) or shares one
memory with the team: the Hebbian navigators one :class:`~search.compiled.NavMemory`, the D* Lite
navigators one :class:`~search.grid.Belief` (its sensed map), so both get the same
information and the comparison isolates what confidence and forgetting add.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np

from search.astar import AStarNavigator, grid_graph
from search.compiled import CompiledHebbianNavigator, NavMemory
from search.dstar_lite import DStarLiteNavigator
from search.grid import Belief, GridIndex
from search.moves import Cell
from search.navigator import Navigator
from search.scenario import Scenario
from search.world import World

MODES = ("dstar_lite_own", "dstar_lite_shared", "hebbian_own", "hebbian_shared")


@dataclass
class TeamResult:
    """Steps of each agent in turn, for one scenario and one mode."""

    scenario: str
    mode: str
    steps: list[int]
    oracle: list[int]  # -1 where the oracle cannot reach the goal
    success: bool


def team_starts(scenario: Scenario, agents: int) -> list[Cell]:
    """The scenario's start, then cells of its reachable region drawn from a seed of its name."""
    graph = grid_graph(scenario.tiles)
    region = sorted(nx.node_connected_component(graph, scenario.start))
    rng = np.random.default_rng(zlib.crc32(scenario.name.encode()))
    picks = rng.choice(len(region), size=agents - 1, replace=len(region) < agents - 1)
    others = [region[i] for i in picks.tolist()]
    return [scenario.start, *others]


def _walk(scenario: Scenario, nav: Navigator, full_view: bool = False) -> tuple[int, bool]:
    world = World(scenario, full_view=full_view)
    while not world.at_goal and world.t < scenario.budget:
        nav.observe(world.observation())
        world.execute(nav.next_step(world.pos, world.goal))
    return world.t, world.at_goal


def team_run(scenario: Scenario, mode: str, agents: int = 3) -> TeamResult:
    """Run ``agents`` agents of one mode through a static scenario, one after another."""
    shape = scenario.shape
    shared_memory = NavMemory.empty(shape)
    shared_belief = Belief(GridIndex(*shape))
    makers: dict[str, Callable[[], Navigator]] = {
        "dstar_lite_own": lambda: DStarLiteNavigator(shape),
        "dstar_lite_shared": lambda: DStarLiteNavigator(shape, belief=shared_belief),
        "hebbian_own": lambda: CompiledHebbianNavigator(shape),
        "hebbian_shared": lambda: CompiledHebbianNavigator(shape, memory=shared_memory),
    }
    steps, oracle, ok = [], [], True
    for start in team_starts(scenario, agents):
        leg = replace(scenario, start=start)
        taken, arrived = _walk(leg, makers[mode]())
        best, reachable = _walk(leg, AStarNavigator(shape), full_view=True)
        steps.append(taken)
        oracle.append(best if reachable else -1)
        ok = ok and arrived
    return TeamResult(scenario.name, mode, steps, oracle, ok)
