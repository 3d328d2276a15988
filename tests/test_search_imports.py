"""The layering: levels -> search -> game -> npc -> training.

search/ needs levels, numpy, numba and networkx only (never torch, pygame, game, npc,
training); the simulation core (game/, the UI aside) may import search (its navigator
kernels) but never npc, training, torch or pygame.
"""

from __future__ import annotations

import subprocess
import sys

SEARCH_FORBIDDEN = ("torch", "pygame", "game", "npc", "training")
GAME_FORBIDDEN = ("torch", "pygame", "npc", "training")


def _loaded(imports: str, forbidden: tuple[str, ...]) -> str:
    code = (f"import sys, {imports}; "
            f"bad = [m for m in sys.modules if m.split('.')[0] in {forbidden!r}]; print(','.join(bad))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_search_imports_no_forbidden_package() -> None:
    imports = ("search, search.cli, search.bench, search.make_scenarios, search.grid_nav, "
               "search.compiled")
    assert _loaded(imports, SEARCH_FORBIDDEN) == ""


def test_game_core_imports_search_but_nothing_above() -> None:
    assert _loaded("game.batch, game.navigate", GAME_FORBIDDEN) == ""
    assert "search.grid_nav" in _loaded("game.navigate", ("search",))
