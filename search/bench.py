"""Run navigators through scenarios and measure them against the oracle."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from search.astar import AStarNavigator, grid_graph, true_distance
from search.compiled import CompiledHebbianNavigator, CompiledOptions
from search.concurrent import run_team
from search.dstar_lite import DStarLiteNavigator
from search.moves import BLOCKING
from search.navigator import Navigator
from search.scenario import Scenario
from search.world import World

NavigatorFactory = Callable[[tuple[int, int, int]], Navigator]

#: The navigators nav-bench runs, by name. The oracle must come first.
NAVIGATORS: dict[str, NavigatorFactory] = {
    "astar_oracle": AStarNavigator,
    "dstar_lite": DStarLiteNavigator,
    "hebbian": CompiledHebbianNavigator,
    # ablations: edge learning off (no reliability, cuts or re-admission), tie-break to the goal's side
    "hebbian_no_learning": lambda shape: CompiledHebbianNavigator(shape, CompiledOptions(learning=False)),
    "hebbian_goal_ties": lambda shape: CompiledHebbianNavigator(shape, CompiledOptions(tie_goal=True)),
    "hebbian_no_percept": lambda shape: CompiledHebbianNavigator(shape, CompiledOptions(follow_goal=False)),
}
ORACLE = "astar_oracle"


@dataclass
class Run:
    """One navigator on one scenario: what happened and how long planning took."""

    scenario: str
    kind: str
    navigator: str
    cells: int  # height x width of a floor
    success: bool
    steps: int
    bumps: int
    event_extra: list[int | None] = field(default_factory=list)
    reopen_latency: list[int | None] = field(default_factory=list)
    plan_seconds: list[float] = field(default_factory=list)
    #: CPU time of the same calls (this thread only: a loaded machine's descheduling not counted)
    plan_cpu_seconds: list[float] = field(default_factory=list)
    graph_nodes: int = 0
    graph_edges: int = 0
    expansions: int = 0  # planner node expansions (incremental navigators; 0 for the oracle)
    oracle_steps: int | None = None
    team_steps: list[int] = field(default_factory=list)  # concurrent scenarios: ticks of each agent

    @property
    def ratio(self) -> float | None:
        """Steps taken over the oracle's steps (None when either failed)."""
        if not self.success or not self.oracle_steps:
            return None
        return self.steps / self.oracle_steps

    def summary(self) -> dict[str, object]:
        """JSON-ready figures of this run."""
        times = np.array(self.plan_seconds) * 1e3 if self.plan_seconds else np.zeros(1)
        cpu = np.array(self.plan_cpu_seconds) * 1e3 if self.plan_cpu_seconds else np.zeros(1)
        return {"scenario": self.scenario, "kind": self.kind, "navigator": self.navigator,
                "cells": self.cells, "success": self.success, "steps": self.steps, "bumps": self.bumps,
                "oracle_steps": self.oracle_steps, "ratio": self.ratio, "event_extra": self.event_extra,
                "reopen_latency": self.reopen_latency, "plan_ms_median": float(np.median(times)),
                "plan_ms_p95": float(np.percentile(times, 95)),
                "plan_cpu_ms_median": float(np.median(cpu)), "plan_cpu_ms_p99": float(np.percentile(cpu, 99)),
                "graph_nodes": self.graph_nodes,
                "graph_edges": self.graph_edges, "expansions": self.expansions, "team_steps": self.team_steps}


class TrueMaps:
    """Graphs of the true map after each event time, cached per scenario (for the metrics)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], nx.Graph] = {}

    def graph(self, scenario: Scenario, t: int, tiles: np.ndarray) -> nx.Graph:
        """The move graph of ``tiles``, the map of ``scenario`` at tick ``t``."""
        key = (id(scenario), t)  # names need not be unique across files
        if key not in self._cache:
            self._cache[key] = grid_graph(tiles)
        return self._cache[key]


def run(scenario: Scenario, name: str, factory: NavigatorFactory, maps: TrueMaps) -> Run:
    """Run one navigator through ``scenario`` until it arrives or the budget runs out."""
    result = Run(scenario.name, scenario.kind, name, scenario.shape[1] * scenario.shape[2], False, 0, 0)
    if scenario.agents:
        run_team(scenario, name, factory, name == ORACLE, result)
        return result
    world = World(scenario, full_view=name == ORACLE)
    nav = factory(scenario.shape)
    pending: list[tuple[int, int]] = []  # (reopen event index, tick) awaiting the agent's first visit
    reopens: list[tuple[int, int, tuple[int, int, int]]] = []
    extras: list[tuple[int, int]] = []  # (event time, true distance then)
    clock, cpu = time.perf_counter, time.thread_time
    while True:
        due = world.apply_events()
        if due and not world.at_goal:
            dist = true_distance(maps.graph(scenario, world.t, world.tiles), world.pos, world.goal)
            extras.append((world.t, -1 if dist is None else dist))
            for e in due:
                if e.cell is not None and BLOCKING[scenario.tiles[e.cell]] and not BLOCKING[e.tile]:
                    reopens.append((len(reopens), world.t, e.cell))
                    pending.append((len(reopens) - 1, world.t))
        for i, t0 in list(pending):
            if world.pos == reopens[i][2]:
                reopens[i] = (world.t - t0, t0, reopens[i][2])
                pending.remove((i, t0))
        if world.at_goal:
            result.success = True
            break
        if world.t >= scenario.budget:
            break
        obs = world.observation()
        t0, c0 = clock(), cpu()
        nav.observe(obs)
        move = nav.next_step(world.pos, world.goal)
        result.plan_seconds.append(clock() - t0)
        result.plan_cpu_seconds.append(cpu() - c0)
        world.execute(move)
    result.steps, result.bumps = world.t, world.bumps
    result.event_extra = [(world.t - t - d) if result.success and d >= 0 else None for t, d in extras]
    waiting = {i for i, _ in pending}
    result.reopen_latency = [None if i in waiting else r[0] for i, r in enumerate(reopens)]
    result.graph_nodes, result.graph_edges = nav.graph_size()
    planner = getattr(nav, "planner", None)
    result.expansions = planner.expansions if planner is not None else 0
    return result


def run_suite(scenarios: list[Scenario], names: list[str],
              progress: Callable[[str], None] | None = None) -> list[Run]:
    """Every navigator in ``names`` (the oracle is always run first) on every scenario."""
    names = [ORACLE] + [n for n in names if n != ORACLE]
    maps = TrueMaps()
    runs: list[Run] = []
    for scenario in scenarios:
        oracle_steps = None
        for name in names:
            if progress:
                progress(f"{scenario.name}: {name}")
            r = run(scenario, name, NAVIGATORS[name], maps)
            if name == ORACLE:
                oracle_steps = r.steps if r.success else None
            r.oracle_steps = oracle_steps
            runs.append(r)
    return runs
