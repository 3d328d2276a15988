"""Expressive-range analysis of a level family (Smith & Whitehead 2010).

Generate many levels from one parameter set, measure each with :func:`level_metrics`,
and look at the distribution: a summary table, a 2D histogram of two metrics with a
1D histogram of every metric (:func:`plot_expressive_range`), and JSON
(:func:`save_json`).

Every metric treats as walkable the cells in :data:`levels.tiles.PASSABLE`: floor,
doors in any state, stairs, water and lava. Paths are 4-connected steps over them.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from scipy import ndimage

from levels.common.errors import UserError
from levels.common.files import atomic_write_bytes, atomic_write_text
from levels.generate import generate
from levels.level import Level
from levels.params import LevelParams, load_params, params_to_dict
from levels.reach import bfs_distances
from levels.tiles import PASSABLE, Tile

#: Metric names, in the order tables, JSON and plots use.
METRICS = (
    "walkable_density",
    "linearity",
    "path_ratio",
    "path_length",
    "loops",
    "dead_ends",
    "rooms",
    "items_per_walkable",
)
DEFAULT_X = "linearity"
DEFAULT_Y = "walkable_density"
STATISTICS = ("mean", "std", "min", "p10", "median", "p90", "max")

#: In-plane neighbourhoods for (floors, height, width) arrays: floors never touch.
_PLANE_EIGHT = np.zeros((3, 3, 3), dtype=bool)
_PLANE_EIGHT[1] = True
_PLANE_FOUR = ndimage.generate_binary_structure(3, 1) & _PLANE_EIGHT
_MIN_ROOM_CELLS = 4


# ----------------------------------------------------------------------------- one level


def level_metrics(level: Level) -> dict[str, float]:
    """Measure one level's layout. Sums and means run over all floors.

    - ``walkable_density``: walkable cells / all cells.
    - ``linearity``: the share of the level's walkable cells that one shortest run
      visits, going from the entry down to the bottom: on each floor, the cells of a
      shortest path from the start to the target (see ``path_ratio``), summed over
      floors, divided by all walkable cells. 1 for a single corridor walked end to
      end; small for open or branching layouts.
    - ``path_ratio``: per floor, shortest-path steps from the start to the target
      over the floor's diameter, averaged over floors. The start is the entry on its
      floor and the (first) stairs up on the others; the target is the nearest stairs
      down, or on a floor without stairs down the farthest cell from the start. The
      diameter is estimated by a double-sweep BFS (farthest cell from the start, then
      farthest from that), a lower bound that is exact on trees. 1 when the route
      spans the floor; small when the stairs are close to where one arrives.
    - ``path_length``: those shortest-path steps summed over floors.
    - ``loops``: independent cycles around walls: wall components (8-connected) that
      do not touch the edge of the floor, i.e. pillars and wall islands with a way
      round them. A room with one pillar has 1; a tree-like maze has 0.
    - ``dead_ends``: the number of walkable cells with exactly one walkable
      4-neighbour (a count, not a rate).
    - ``rooms``: 4-connected groups of at least 4 "room cells", walkable cells whose
      whole 3x3 neighbourhood is walkable. Corridors narrower than 3 have none, so a
      room of inner size w x h has (w - 2) x (h - 2) room cells.
    - ``items_per_walkable``: items lying on the level / walkable cells.
    """
    walkable = PASSABLE[level.tiles]
    total = int(walkable.sum())
    routes = [_floor_route(level, f, walkable[f]) for f in range(level.floor_count)]
    path_cells = sum(steps + 1 for steps, _diameter in routes if steps >= 0)
    return {
        "walkable_density": total / walkable.size,
        "linearity": path_cells / total if total else 0.0,
        "path_ratio": float(np.mean([_ratio(s, d) for s, d in routes])),
        "path_length": float(sum(max(steps, 0) for steps, _d in routes)),
        "loops": float(_enclosed_walls(walkable)),
        "dead_ends": float(_dead_ends(walkable)),
        "rooms": float(_rooms(walkable)),
        "items_per_walkable": len(level.items) / total if total else 0.0,
    }


def _ratio(steps: int, diameter: int) -> float:
    if steps < 0:
        return 0.0
    return steps / diameter if diameter > 0 else 1.0


def _floor_start(level: Level, floor: int, walkable: np.ndarray) -> tuple[int, int] | None:
    """Where one arrives on ``floor``: the entry, else the first stairs up, else any cell."""
    if level.entry[0] == floor:
        return level.entry[1], level.entry[2]
    for tile in (Tile.STAIRS_UP, None):
        cells = np.argwhere(level.tiles[floor] == tile) if tile is not None else np.argwhere(walkable)
        if len(cells):
            return int(cells[0][0]), int(cells[0][1])
    return None


def _floor_route(level: Level, floor: int, walkable: np.ndarray) -> tuple[int, int]:
    """``(steps from start to target, estimated diameter)``; ``(-1, 0)`` for an empty floor."""
    start = _floor_start(level, floor, walkable)
    if start is None or not walkable[start]:
        return -1, 0
    dist = bfs_distances(walkable, [start])
    far = np.unravel_index(int(np.argmax(dist)), dist.shape)
    diameter = int(bfs_distances(walkable, [far]).max())
    stairs = dist[level.tiles[floor] == Tile.STAIRS_DOWN]
    stairs = stairs[stairs >= 0]
    steps = int(stairs.min()) if len(stairs) else int(dist[far])
    return steps, diameter


def _enclosed_walls(walkable: np.ndarray) -> int:
    labels, count = ndimage.label(~walkable, structure=_PLANE_EIGHT)
    edge = np.concatenate([labels[:, 0].ravel(), labels[:, -1].ravel(),
                           labels[:, :, 0].ravel(), labels[:, :, -1].ravel()])
    return count - len(np.setdiff1d(np.unique(edge), [0]))


def _neighbour_count(walkable: np.ndarray) -> np.ndarray:
    pad = np.pad(walkable, ((0, 0), (1, 1), (1, 1))).astype(np.int8)
    return pad[:, :-2, 1:-1] + pad[:, 2:, 1:-1] + pad[:, 1:-1, :-2] + pad[:, 1:-1, 2:]


def _dead_ends(walkable: np.ndarray) -> int:
    return int((walkable & (_neighbour_count(walkable) == 1)).sum())


def _rooms(walkable: np.ndarray) -> int:
    room_cells = ndimage.binary_erosion(walkable, structure=_PLANE_EIGHT, border_value=0)
    labels, count = ndimage.label(room_cells, structure=_PLANE_FOUR)
    if count == 0:
        return 0
    sizes = np.bincount(labels.ravel())[1:]
    return int((sizes >= _MIN_ROOM_CELLS).sum())


# ----------------------------------------------------------------------------- many levels


@dataclass(frozen=True)
class AnalysisResult:
    """The metrics of ``len(seeds)`` levels generated from one parameter set.

    ``metrics[name][i]`` is metric ``name`` of the level with seed ``seeds[i]``.
    """

    params: LevelParams
    seeds: tuple[int, ...]
    metrics: dict[str, np.ndarray]

    def summary(self) -> dict[str, dict[str, float]]:
        """Per metric: mean, std, min, p10, median, p90 and max."""
        return {name: _statistics(values) for name, values in self.metrics.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: the parameters, every level's metrics, and the summary."""
        names = list(self.metrics)
        levels = [{"seed": seed, **{n: float(self.metrics[n][i]) for n in names}}
                  for i, seed in enumerate(self.seeds)]
        return {
            "params_name": self.params.name,
            "params": params_to_dict(self.params),
            "n": len(self.seeds),
            "first_seed": self.seeds[0] if self.seeds else None,
            "metrics": names,
            "levels": levels,
            "summary": self.summary(),
        }


def _statistics(values: np.ndarray) -> dict[str, float]:
    p10, median, p90 = np.percentile(values, [10, 50, 90])
    return {"mean": float(values.mean()), "std": float(values.std()), "min": float(values.min()),
            "p10": float(p10), "median": float(median), "p90": float(p90), "max": float(values.max())}


def analyze(params: LevelParams | str | Path, n: int, seed: int = 0,
            console: Console | None = None) -> AnalysisResult:
    """Generate ``n`` levels with seeds ``seed .. seed + n - 1`` and measure each.

    A progress bar goes to ``console`` (by default stderr) when it is a terminal.
    """
    params = load_params(params)
    if n < 1:
        raise UserError(f"--n must be at least 1, got {n}")
    console = console or Console(stderr=True)
    seeds = tuple(range(seed, seed + n))
    rows: list[dict[str, float]] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True,
                  disable=not console.is_terminal) as progress:
        task = progress.add_task(f"analysing {params.name}", total=n)
        for s in seeds:
            rows.append(level_metrics(generate(params, s)))
            progress.advance(task)
    metrics = {name: np.array([row[name] for row in rows], dtype=np.float64) for name in METRICS}
    return AnalysisResult(params=params, seeds=seeds, metrics=metrics)


# ----------------------------------------------------------------------------- output


def summary_table(result: AnalysisResult) -> Table:
    """The summary statistics as a rich table, one row per metric."""
    first, last = result.seeds[0], result.seeds[-1]
    table = Table(title=f"{result.params.name}: {len(result.seeds)} levels, seeds {first}..{last}")
    table.add_column("metric", style="bold", no_wrap=True)
    for stat in STATISTICS:
        table.add_column(stat, justify="right")
    for name, stats in result.summary().items():
        table.add_row(name, *(f"{stats[s]:.3f}" for s in STATISTICS))
    return table


def save_json(result: AnalysisResult, path: str | Path) -> None:
    """Write every level's metrics and the summary as JSON, atomically."""
    atomic_write_text(path, json.dumps(result.to_dict(), indent=1) + "\n")


def _bin_edges(values: np.ndarray, bins: int = 20) -> np.ndarray:
    """Unit bins centred on integers for small-count metrics, else ``bins`` equal bins."""
    low, high = float(values.min()), float(values.max())
    if np.all(values == np.round(values)) and high - low <= 40:
        return np.arange(low - 0.5, high + 1.5)
    if high == low:
        return np.array([low - 0.5, high + 0.5])
    return np.linspace(low, high, bins + 1)


def plot_expressive_range(result: AnalysisResult, path: str | Path, x: str = DEFAULT_X,
                          y: str = DEFAULT_Y) -> None:
    """Write a PNG: a 2D histogram of metrics ``x`` and ``y`` beside a histogram of each metric."""
    from matplotlib.figure import Figure  # heavy: only when a picture is wanted

    for axis, name in (("x", x), ("y", y)):
        if name not in result.metrics:
            raise UserError(f"--{axis}: unknown metric {name!r} (metrics: {', '.join(result.metrics)})")
    names = list(result.metrics)
    rows = (len(names) + 1) // 2
    fig = Figure(figsize=(12, max(5.0, 1.5 * rows)), dpi=100, layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.2, 1])
    ax = left.subplots()
    xs, ys = result.metrics[x], result.metrics[y]
    *_rest, image = ax.hist2d(xs, ys, bins=[_bin_edges(xs), _bin_edges(ys)], cmap="viridis", cmin=1)
    left.colorbar(image, ax=ax, label="levels")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{result.params.name}: expressive range, {len(result.seeds)} levels")
    small = np.atleast_1d(right.subplots(rows, 2, squeeze=False)).ravel()
    for axis, name in zip(small, names, strict=False):
        values = result.metrics[name]
        axis.hist(values, bins=_bin_edges(values), color="#5e35b1", edgecolor="white", linewidth=0.5)
        axis.set_title(name, fontsize="small")
        axis.tick_params(labelsize="x-small")
    for axis in small[len(names):]:
        axis.set_axis_off()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    atomic_write_bytes(path, buffer.getvalue())
