"""Level-generation benchmark: speed on a large dungeon, connectivity of every preset.

Run from anywhere::

    .venv/bin/python bench/level_stats.py [--seeds N] [--timing-seeds N] [--json OUT]

1. Speed: the median and p90 time of ``levels.generate`` for a 64x64, 3-floor
   ``dungeon`` level (target: median under 20 ms), after a warm-up.
2. Connectivity: over ``--seeds`` seeds of every preset, the share of levels where a
   player starting at ``level.entry`` can reach every walkable or door cell of every
   floor, walking 4-connected steps and taking stairs (a stairs-down at ``(f, y, x)``
   leads to ``(f + 1, y, x)``). Closed doors open; a locked door opens only once the
   key with its lock id has been reached. Items and agents must stand on such cells.

The check here is written independently of ``levels.reach`` (one 3D labelling with
the stairs as links between floor layers), and is cross-checked against
``levels.reach.reachable`` with every door open.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The repo root goes first, ahead of this script's own folder (named level_stats.py, not
# levels.py, so that no bench script shadows the `levels` package).
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import (  # noqa: E402
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table  # noqa: E402
from scipy import ndimage  # noqa: E402

import levels  # noqa: E402
from levels.common.files import atomic_write_text  # noqa: E402
from levels.params import FloorsParams  # noqa: E402
from levels.reach import reachable  # noqa: E402
from levels.tiles import PASSABLE, Tile  # noqa: E402

TARGET_MS = 20.0
WARMUP = 10
_SIX = ndimage.generate_binary_structure(3, 1)  # in-plane 4-neighbours plus up and down


# ----------------------------------------------------------------------------- speed


def big_dungeon() -> levels.LevelParams:
    """The dungeon preset with three 64x64 floors."""
    params = levels.load_preset("dungeon")
    return dataclasses.replace(params, floors=FloorsParams(count=3, width=64, height=64))


def time_generation(params: levels.LevelParams, seeds: int) -> dict[str, float]:
    """Milliseconds per ``generate`` call over ``seeds`` seeds, after a warm-up."""
    for seed in range(WARMUP):
        levels.generate(params, 1_000_000 + seed)
    times = []
    for seed in range(seeds):
        start = time.perf_counter()
        levels.generate(params, seed)
        times.append((time.perf_counter() - start) * 1000)
    ms = np.array(times)
    return {"seeds": seeds, "median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90)),
            "max_ms": float(ms.max())}


# ----------------------------------------------------------------------------- connectivity


def reached_from_entry(tiles: np.ndarray, entry: tuple[int, int, int], open_cells: np.ndarray) -> np.ndarray:
    """Cells of ``open_cells`` connected to ``entry`` by steps and stairs.

    Floors are stacked with a "link" layer between each pair that is set only under a
    usable stairs-down, so one 3D labelling with 6-connectivity joins floors exactly
    through their stairs.
    """
    floors = tiles.shape[0]
    stack = np.zeros((2 * floors - 1, *tiles.shape[1:]), dtype=bool)
    stack[0::2] = open_cells
    stack[1::2] = (tiles[:-1] == Tile.STAIRS_DOWN) & open_cells[:-1] & open_cells[1:]
    labels, _count = ndimage.label(stack, structure=_SIX)
    f, y, x = entry
    start = labels[2 * f, y, x]
    if start == 0:
        return np.zeros(tiles.shape, dtype=bool)
    return labels[0::2] == start


def connectivity_problem(level: levels.Level) -> str | None:
    """Why ``level`` is not fully reachable from its entry, or None when it is."""
    tiles = level.tiles
    passable = PASSABLE[tiles]
    locked = tiles == Tile.DOOR_LOCKED
    keys = [(p.floor, p.y, p.x, p.item.key_id) for p in level.items if p.item.category == "key"]
    held: set[int] = set()
    while True:  # pick up every key in reach, open its door, repeat until nothing changes
        still_locked = locked & ~np.isin(level.locks, list(held))
        reached = reached_from_entry(tiles, level.entry, passable & ~still_locked)
        new = {k for f, y, x, k in keys if reached[f, y, x]} - held
        if not new:
            break
        held |= new
    missing = passable & ~reached
    if missing.any():
        f, y, x = (int(v) for v in np.argwhere(missing)[0])
        kind = "locked door" if locked[f, y, x] else Tile(int(tiles[f, y, x])).name.lower()
        return f"{int(missing.sum())} cells unreachable, e.g. {kind} at ({f}, {y}, {x})"
    for what, cells in (("item", level.items), ("agent", level.spawns)):
        for c in cells:
            if not passable[c.floor, c.y, c.x]:
                return f"{what} on a {Tile(int(tiles[c.floor, c.y, c.x])).name.lower()} cell"
    return None


def agrees_with_reach(level: levels.Level) -> bool:
    """True when this check and ``levels.reach.reachable`` agree with every door open."""
    passable = PASSABLE[level.tiles]
    ours = reached_from_entry(level.tiles, level.entry, passable)
    return bool(np.array_equal(ours, reachable(level.tiles, level.entry)))


def check_preset(name: str, seeds: int, progress: Progress) -> dict[str, Any]:
    """Generate ``seeds`` levels of preset ``name`` and check each one."""
    params = levels.load_preset(name)
    task = progress.add_task(name, total=seeds)
    failures: list[dict[str, Any]] = []
    disagreements = 0
    elapsed = 0.0
    for seed in range(seeds):
        start = time.perf_counter()
        try:
            level = levels.generate(params, seed)
        except Exception as exc:  # a crash is a failure to report, not to stop the bench
            failures.append({"seed": seed, "problem": f"generate raised {type(exc).__name__}: {exc}"})
            progress.advance(task)
            continue
        elapsed += time.perf_counter() - start
        problem = connectivity_problem(level)
        if problem:
            failures.append({"seed": seed, "problem": problem})
        disagreements += not agrees_with_reach(level)
        progress.advance(task)
    return {"preset": name, "seeds": seeds, "connected": seeds - len(failures),
            "rate": (seeds - len(failures)) / seeds, "mean_generate_ms": 1000 * elapsed / seeds,
            "reach_disagreements": disagreements, "failures": failures[:20]}


# ----------------------------------------------------------------------------- report


def report(console: Console, timing: dict[str, float], presets: list[dict[str, Any]]) -> None:
    """Print the speed line and the connectivity table."""
    verdict = "met" if timing["median_ms"] < TARGET_MS else "MISSED"
    console.print(f"generate, dungeon 3x64x64, {timing['seeds']} seeds: median "
                  f"{timing['median_ms']:.2f} ms, p90 {timing['p90_ms']:.2f} ms, max "
                  f"{timing['max_ms']:.2f} ms (target < {TARGET_MS:g} ms: {verdict})",
                  highlight=False, soft_wrap=True)
    table = Table(title="Connectivity from the entry (doors, keys, stairs)")
    for column in ("preset", "seeds", "connected", "rate", "ms/level", "reach disagrees",
                   "first failure"):
        table.add_column(column, justify="left" if column in ("preset", "first failure") else "right")
    for row in presets:
        first = row["failures"][0] if row["failures"] else None
        table.add_row(row["preset"], str(row["seeds"]), str(row["connected"]), f"{row['rate']:.2%}",
                      f"{row['mean_generate_ms']:.2f}", str(row["reach_disagreements"]),
                      f"seed {first['seed']}: {first['problem']}" if first else "-")
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit code 1 when a level fails the connectivity check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10_000, help="seeds per preset (default: 10000)")
    parser.add_argument("--timing-seeds", type=int, default=200, help="timed seeds (default: 200)")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.timing_seeds < 1:
        parser.error("--seeds and --timing-seeds must be at least 1")
    console = Console()
    columns = (TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("timing", total=None)
        timing = time_generation(big_dungeon(), args.timing_seeds)
        progress.remove_task(task)
        presets = [check_preset(name, args.seeds, progress) for name in levels.preset_names()]
    report(console, timing, presets)
    if args.json:
        atomic_write_text(args.json, json.dumps({"timing": timing, "connectivity": presets}, indent=1))
        console.print(f"wrote {args.json}", highlight=False)
    return 0 if all(not row["failures"] for row in presets) else 1


if __name__ == "__main__":
    sys.exit(main())
