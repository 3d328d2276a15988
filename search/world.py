"""The scenario world: the true map, events, sensing and the execution of moves.

Timeline of tick ``t`` (``t`` moves made so far): events with time ``t`` apply (tiles
change, the goal moves); if the agent stands on the goal it has arrived; otherwise it
senses, chooses a move and the move executes (a failed move is a bump); ``t`` grows by
one. Every move, bump and wait is one step.
"""

from __future__ import annotations

import numpy as np

from search.moves import Cell, move_target
from search.navigator import Observation
from search.scenario import Event, Scenario
from search.sensing import Sensor


class World:
    """Steps one agent through a scenario.

    With ``full_view`` (the oracle) the first observation holds every cell and later ones
    every cell an event changed; otherwise the agent senses what the scenario allows.
    """

    def __init__(self, scenario: Scenario, full_view: bool = False) -> None:
        self.scenario = scenario
        self.tiles = scenario.tiles.copy()
        self.pos: Cell = scenario.start
        self.goal: Cell = scenario.goal
        self.t = 0
        self.bumps = 0
        self.full_view = full_view
        self.sensor = Sensor(scenario.sensing_radius)
        self._padded = [self.sensor.pad(f) for f in self.tiles]
        self._next_event = 0
        self._felt: list[Cell] = []
        self._changed: list[Cell] | None = None  # None: the oracle has not seen the map yet

    @property
    def at_goal(self) -> bool:
        """True when the agent stands on the goal."""
        return self.pos == self.goal

    def apply_events(self) -> list[Event]:
        """Apply every event due at the current tick; returns them."""
        due = []
        events = self.scenario.events
        while self._next_event < len(events) and events[self._next_event].t <= self.t:
            event = events[self._next_event]
            self._next_event += 1
            due.append(event)
            if event.goal is not None:
                self.goal = event.goal
            else:
                assert event.cell is not None and event.tile is not None
                f = event.cell[0]
                self.tiles[event.cell] = event.tile
                self._padded[f] = self.sensor.pad(self.tiles[f])
                if self._changed is not None:
                    self._changed.append(event.cell)
        return due

    def observation(self) -> Observation:
        """What the agent senses now."""
        if self.full_view:
            if self._changed is None:
                cells = [tuple(c) for c in np.argwhere(np.ones(self.tiles.shape, dtype=bool)).tolist()]
            else:
                cells = self._changed
            self._changed = []
            return Observation(self.pos, cells, [int(self.tiles[c]) for c in cells], self.t)
        f, y, x = self.pos
        ys, xs = self.sensor.sense(self._padded[f], y, x)
        floor = self.tiles[f]
        cells: list[Cell] = [(f, yy, xx) for yy, xx in zip(ys.tolist(), xs.tolist(), strict=True)]
        tiles = floor[ys, xs].tolist()
        for c in self._felt:
            cells.append(c)
            tiles.append(int(self.tiles[c]))
        self._felt = []
        return Observation(self.pos, cells, tiles, self.t)

    def execute(self, move: int) -> bool:
        """Carry out ``move``; returns True if the agent changed cell. Always one step."""
        target, blockers = move_target(self.tiles, self.pos, move)
        self.t += 1
        if target is None:
            self.bumps += 1
            self._felt = blockers
            return False
        moved = target != self.pos
        self.pos = target
        return moved
