"""The project's dependency order, and an AST walk that finds every import against it.

The order (docs/architecture.md), lowest first; a module may import modules of its own
layer or of a lower one, never of a higher one:

==  ================  ==========================================================
0   ``levels.common`` user errors and safe file input/output, for every package
1   ``levels``        level parameters, generators, level files
2   ``search``        navigation: graphs, planners, the navigation benchmark
3   ``game``          the batched simulation core (``game`` minus the two below)
4   ``npc``           what drives an NPC: the scripted NPC, policy networks, checkpoints
5   ``game.envs``     Gymnasium / PettingZoo / vector adapters over the core
6   ``training``      PPO, evaluation, studies, live retraining
7   ``game.ui``       the pygame game
8   ``main``          the command line
==  ================  ==========================================================

Every ``import`` statement counts, also those inside functions (a lazy import is still
a dependency). Besides the order, the walk reports import circles between modules and
third-party imports a layer must not make (torch and pygame below ``npc``; pygame
below ``game.envs``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("levels", "search", "game", "npc", "training")
SCRIPTS = ("main",)

#: Layer prefixes, lowest first (the longest matching prefix decides a module's layer).
LAYERS: tuple[tuple[str, str], ...] = (
    ("levels.common", "user errors and safe file input/output"),
    ("levels", "level parameters, generators and files"),
    ("search", "navigation graphs, planners and their benchmark"),
    ("game", "the batched simulation core"),
    ("npc", "what drives an NPC: scripted NPC, policies, checkpoints"),
    ("game.envs", "Gymnasium, PettingZoo and vector env adapters"),
    ("training", "PPO, evaluation, studies, live retraining"),
    ("game.ui", "the pygame game"),
    ("main", "the command line"),
)

#: Third-party top-level modules and the lowest layer allowed to import them.
THIRD_PARTY_FLOOR = {"torch": "npc", "pygame": "game.envs", "ray": "training"}


@dataclass(frozen=True)
class Violation:
    """One import against the rules: ``importer`` imports ``imported`` at ``line``."""

    importer: str
    imported: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}: {self.reason}"


def project_sources(root: Path = ROOT) -> dict[str, str]:
    """Module name -> source text for every module of the project's packages and scripts."""
    sources: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            sources[".".join(parts)] = path.read_text(encoding="utf-8")
    for script in SCRIPTS:
        sources[script] = (root / f"{script}.py").read_text(encoding="utf-8")
    return sources


def layer_of(module: str) -> int:
    """The index in :data:`LAYERS` of the longest prefix that ``module`` falls under."""
    best, best_len = -1, -1
    for index, (prefix, _) in enumerate(LAYERS):
        if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
            best, best_len = index, len(prefix)
    if best < 0:
        raise ValueError(f"module {module!r} belongs to no layer")
    return best


def _resolve(name: str, modules: Iterable[str]) -> str | None:
    """The project module that ``name`` (dotted) refers to: itself or its longest parent."""
    known = set(modules)
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def _type_only_nodes(tree: ast.AST) -> set[int]:
    """Ids of the import nodes inside ``if TYPE_CHECKING:`` blocks (never executed)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                inside.update(id(n) for n in ast.walk(child) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return inside


def imports_of(module: str, source: str, modules: Iterable[str],
               runtime_only: bool = False) -> list[tuple[str, int]]:
    """``(imported, line)`` for every import in ``source``: project modules and third-party tops.

    With ``runtime_only`` the imports under ``if TYPE_CHECKING:`` are left out.
    """
    known = list(modules)
    tree = ast.parse(source, filename=module)
    skip = _type_only_nodes(tree) if runtime_only else set()
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise ValueError(f"{module}:{node.lineno}: relative import (the project imports absolutely)")
            base = node.module or ""
            # ``from game import kernels`` imports the module game.kernels when it is one.
            names = [f"{base}.{alias.name}" if _resolve(f"{base}.{alias.name}", known) == f"{base}.{alias.name}"
                     else base for alias in node.names]
        for name in names:
            target = _resolve(name, known)
            found.append((target if target is not None else name.split(".")[0], node.lineno))
    return found


def import_graph(sources: Mapping[str, str], runtime_only: bool = False) -> nx.DiGraph:
    """Directed graph of project modules; an edge per import (attribute ``line``: the first)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(sources)
    for module, source in sources.items():
        for imported, line in imports_of(module, source, sources, runtime_only):
            if imported in sources and imported != module and not graph.has_edge(module, imported):
                graph.add_edge(module, imported, line=line)
    return graph


def violations(sources: Mapping[str, str]) -> list[Violation]:
    """Every import against the layer order or the third-party floors."""
    found: list[Violation] = []
    for module, source in sources.items():
        own = layer_of(module)
        for imported, line in imports_of(module, source, sources):
            if imported in sources:
                theirs = layer_of(imported)
                if theirs > own:
                    found.append(Violation(module, imported, line,
                                           f"layer {LAYERS[own][0]} may not import layer {LAYERS[theirs][0]}"))
            elif imported in THIRD_PARTY_FLOOR and own < layer_of(THIRD_PARTY_FLOOR[imported]):
                found.append(Violation(module, imported, line,
                                       f"{imported} is allowed from layer {THIRD_PARTY_FLOOR[imported]} up"))
    return found


def circles(sources: Mapping[str, str]) -> list[list[str]]:
    """Import circles: every strongly connected set of two or more modules, sorted.

    Imports under ``if TYPE_CHECKING:`` do not count here (they never run; they are how
    Python spells a type that two modules share), though the layer order checks them.
    """
    graph = import_graph(sources, runtime_only=True)
    return sorted(sorted(part) for part in nx.strongly_connected_components(graph) if len(part) > 1)


def layer_edges(sources: Mapping[str, str]) -> dict[tuple[str, str], int]:
    """``(importer layer, imported layer) -> number of module imports`` between distinct layers."""
    counts: dict[tuple[str, str], int] = {}
    for importer, imported in import_graph(sources).edges:
        a, b = LAYERS[layer_of(importer)][0], LAYERS[layer_of(imported)][0]
        if a != b:
            counts[(a, b)] = counts.get((a, b), 0) + 1
    return counts
