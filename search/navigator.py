"""The interface every navigator implements, and what it is told each tick.

A caller (the benchmark's world, or the game's simulation for each NPC) does, every
tick: ``nav.observe(Observation(...))`` with what the agent senses now, then
``move = nav.next_step(position, goal)`` and executes ``move`` (a direction index in
the game's order, :data:`~search.moves.STAIRS` or :data:`~search.moves.WAIT`). A
navigator infers whether its last move worked from the next position it is given.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from search.moves import Cell


@dataclass
class Observation:
    """What the agent senses at one tick.

    Attributes:
        position: the agent's cell now.
        cells: cells sensed now (the agent's own cell, those in sight, and any cell
            that stopped the last move: a bump lets the agent feel what it hit).
        tiles: the tile code of each of ``cells``.
        time: the tick number (moves made so far).
    """

    position: Cell
    cells: Sequence[Cell] = field(default_factory=list)
    tiles: Sequence[int] = field(default_factory=list)
    time: int = 0


class Navigator(ABC):
    """One agent's way-finder: fed observations, it answers with moves."""

    #: Short name used in reports.
    name: str = "navigator"

    @abstractmethod
    def observe(self, obs: Observation) -> None:
        """Take in what the agent senses now (call before :meth:`next_step`)."""

    @abstractmethod
    def next_step(self, position: Cell, goal: Cell | None) -> int:
        """The move to make from ``position`` towards ``goal`` (``None``: explore)."""

    @abstractmethod
    def graph_size(self) -> tuple[int, int]:
        """``(nodes, edges)`` the navigator keeps state for (its memory's size)."""
