"""Concurrent scenarios: several agents on one map, moving at the same time.

A scenario with ``agents`` (see :mod:`search.scenario`) has a team: the agent at ``S`` and
one more per listed start. Every tick the events due apply, then each agent still going, in
team order, senses, chooses a move and makes it. An agent blocks the cell it stands on: a
move into it is a bump (one step, the agent stays). Agents hunting the shared goal (``G``,
which goal events move) are all done the moment one of them stands on it (the target is
caught); an agent with a goal of its own is done when it stands there; an agent that is done
leaves the map. The team's steps are the sum over agents of the ticks each took until done.

Navigators are not told where the others are: they feel it, as a move that failed where
their map shows an open cell. The oracle (full view) is told where its neighbours are: a
team-mate next to it is a wall for that tick, and it replans around (or waits behind) it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from search.moves import Cell, move_target
from search.navigator import Navigator, Observation
from search.scenario import Scenario
from search.world import World

#: The wall tile code, as the oracle is shown the cell of another agent.
_WALL = 0


def run_team(scenario: Scenario, name: str, factory: Callable[[tuple[int, int, int]], Navigator],
             oracle: bool, result) -> None:  # noqa: ANN001 - search.bench.Run (no import cycle)
    """Run one navigator kind, one instance per agent, through a concurrent ``scenario``.

    Fills ``result`` (a :class:`search.bench.Run`): success when every agent is done within
    the budget (in ticks), ``steps`` and ``bumps`` summed over the team, planning times
    pooled, ``team_steps`` per agent.
    """
    starts = [scenario.start, *(a.start for a in scenario.agents)]
    own_goals: list[Cell | None] = [None, *(a.goal for a in scenario.agents)]
    worlds = [World(scenario, full_view=oracle) for _ in starts]
    for world, start in zip(worlds, starts, strict=True):
        world.pos = start
    navs = [factory(scenario.shape) for _ in starts]
    done_at: list[int | None] = [None] * len(starts)
    shown: list[list[Cell]] = [[] for _ in starts]  # cells the oracle was last shown as walls
    clock, cpu = time.perf_counter, time.thread_time
    tick = 0
    while tick < scenario.budget and any(d is None for d in done_at):
        for world in worlds:
            world.apply_events()
        for i, world in enumerate(worlds):
            if done_at[i] is not None:
                continue
            goal = own_goals[i] if own_goals[i] is not None else world.goal
            if world.pos == goal:
                _finish(i, tick, own_goals, worlds, done_at)
                continue
            obs = world.observation()
            if oracle:
                obs = _with_team_walls(obs, world, i, worlds, done_at, shown)
            t0, c0 = clock(), cpu()
            navs[i].observe(obs)
            move = navs[i].next_step(world.pos, goal)
            result.plan_seconds.append(clock() - t0)
            result.plan_cpu_seconds.append(cpu() - c0)
            target, _ = move_target(world.tiles, world.pos, move)
            if target is not None and target != world.pos and _occupied(target, i, worlds, done_at):
                world.t += 1
                world.bumps += 1  # the cell is held by a team-mate: felt as a failed move
            else:
                world.execute(move)
            if world.pos == goal:
                _finish(i, tick + 1, own_goals, worlds, done_at)
        tick += 1
    result.success = all(d is not None for d in done_at)
    result.team_steps = [d if d is not None else tick for d in done_at]
    result.steps = sum(result.team_steps)
    result.bumps = sum(w.bumps for w in worlds)
    nodes = [nav.graph_size() for nav in navs]
    result.graph_nodes = max(n for n, _ in nodes)
    result.graph_edges = max(e for _, e in nodes)


def _finish(i: int, tick: int, own_goals: list[Cell | None], worlds: list[World],
            done_at: list[int | None]) -> None:
    """Agent ``i`` reached its goal at ``tick``; the shared goal's hunters are all done with it."""
    hunters = [i] if own_goals[i] is not None else [j for j, g in enumerate(own_goals) if g is None]
    for j in hunters:
        if done_at[j] is None:
            done_at[j] = tick


def _occupied(cell: Cell, i: int, worlds: list[World], done_at: list[int | None]) -> bool:
    """Whether another agent still going stands on ``cell``."""
    return any(j != i and done_at[j] is None and w.pos == cell for j, w in enumerate(worlds))


def _with_team_walls(obs: Observation, world: World, i: int, worlds: list[World], done_at: list[int | None],
                     shown: list[list[Cell]]) -> Observation:
    """The oracle's observation plus the cells of team-mates next to it as walls (last tick's undone)."""
    f, y, x = world.pos
    now = [w.pos for j, w in enumerate(worlds) if j != i and done_at[j] is None and w.pos[0] == f
           and max(abs(w.pos[1] - y), abs(w.pos[2] - x)) <= 1]
    if now == shown[i] and not obs.cells:
        return obs
    cells = list(obs.cells)
    tiles = list(obs.tiles)
    for cell in shown[i]:
        if cell not in now:
            cells.append(cell)
            tiles.append(int(world.tiles[cell]))
    for cell in now:
        cells.append(cell)
        tiles.append(_WALL)
    shown[i] = now
    return Observation(obs.position, cells, tiles, obs.time)


__all__ = ["run_team"]
