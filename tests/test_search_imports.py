"""search/ keeps to its dependencies: levels, numpy, networkx; never torch, pygame, game, npc, training."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("torch", "pygame", "game", "npc", "training")


def test_search_imports_no_forbidden_package() -> None:
    code = ("import sys, search, search.cli, search.bench, search.make_scenarios, search.game_bridge; "
            f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
