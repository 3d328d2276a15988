"""Navigation for Mindcrawl: the Hebbian cognitive-graph navigator, D* Lite and the A* oracle.

Every navigator has one interface (:class:`~search.navigator.Navigator`): each tick the
caller passes what the agent senses (:class:`~search.navigator.Observation`) to
``observe`` and asks ``next_step(position, goal)`` for a move: a direction index in the
game's order (``search.moves.DIRECTIONS``), ``STAIRS`` or ``WAIT``. The package needs
numpy and networkx only (no torch, no pygame) and knows of ``levels`` alone.

Modules: :mod:`~search.moves` (movement model), :mod:`~search.grid` (node ids,
beliefs), :mod:`~search.incremental` (D* Lite core), :mod:`~search.dstar_lite`,
:mod:`~search.hebbian`, :mod:`~search.harmonic` (position code), :mod:`~search.astar`
(oracle), :mod:`~search.scenario` (file format), :mod:`~search.sensing`,
:mod:`~search.world` (scenario simulation), :mod:`~search.bench`, :mod:`~search.team`,
:mod:`~search.report`, :mod:`~search.cli` (``nav-bench``), :mod:`~search.make_scenarios`.
"""

from search.astar import AStarNavigator
from search.dstar_lite import DStarLiteNavigator
from search.harmonic import HarmonicCode
from search.hebbian import CognitiveGraph, HebbianNavigator, HebbianParams
from search.moves import DIRECTIONS, STAIRS, WAIT
from search.navigator import Navigator, Observation
from search.scenario import Scenario, ScenarioError, load_scenario, load_scenarios

__all__ = [
    "DIRECTIONS",
    "STAIRS",
    "WAIT",
    "AStarNavigator",
    "CognitiveGraph",
    "DStarLiteNavigator",
    "HarmonicCode",
    "HebbianNavigator",
    "HebbianParams",
    "Navigator",
    "Observation",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "load_scenarios",
]
