"""Draws docs/layers.png: the project's layers and the imports between them, from the code.

The picture is computed by the same AST walk the layering test uses
(:mod:`tests.layering`), so it shows what the code imports, not what someone drew::

    python docs/draw_layers.py            # writes docs/layers.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.layering import LAYERS, layer_edges, layer_of, project_sources  # noqa: E402

BOX_W, BOX_H, GAP = 4.6, 0.62, 0.5


def draw(path: Path) -> None:
    """Write the layer picture to ``path`` (PNG)."""
    sources = project_sources()
    edges = layer_edges(sources)
    counts = {prefix: 0 for prefix, _ in LAYERS}
    for module in sources:
        counts[LAYERS[layer_of(module)][0]] += 1
    y_of = {prefix: i * (BOX_H + GAP) for i, (prefix, _) in enumerate(LAYERS)}
    height = len(LAYERS) * (BOX_H + GAP)
    fig, ax = plt.subplots(figsize=(10, height * 0.95 + 0.8))
    for prefix, job in LAYERS:
        y = y_of[prefix]
        ax.add_patch(FancyBboxPatch((0, y), BOX_W, BOX_H, boxstyle="round,pad=0.02,rounding_size=0.08",
                                    facecolor="#e8eef7", edgecolor="#34495e"))
        ax.text(0.15, y + BOX_H * 0.62, prefix, fontsize=11, weight="bold", va="center")
        plural = "" if counts[prefix] == 1 else "s"
        ax.text(0.15, y + BOX_H * 0.25, f"{job} ({counts[prefix]} module{plural})", fontsize=8, va="center",
                color="#444")
    # Arrows on the right, one per (importer layer -> imported layer), offset so they do not overlap.
    ordered = sorted(edges.items(), key=lambda kv: (y_of[kv[0][0]] - y_of[kv[0][1]], kv[0]))
    for k, ((src, dst), n) in enumerate(ordered):
        x = BOX_W + 0.25 + 0.32 * k
        start, end = y_of[src] + BOX_H * 0.5, y_of[dst] + BOX_H * 0.5
        ax.add_patch(FancyArrowPatch((x, start), (x, end), arrowstyle="-|>", mutation_scale=9,
                                     color="#c0392b" if y_of[dst] > y_of[src] else "#2c3e50", lw=0.9))
        ax.plot([BOX_W, x], [start, start], color="#bbb", lw=0.5)
        ax.text(x + 0.04, (start + end) / 2, str(n), fontsize=6, rotation=90, va="center")
    ax.set_xlim(-0.2, BOX_W + 0.6 + 0.32 * len(ordered))
    ax.set_ylim(-0.3, height)
    ax.axis("off")
    ax.set_title("Mindcrawl layers, lowest first at the bottom; an arrow per imported layer "
                 "(number: module imports)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    """Parse the output path and draw."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "layers.png")
    args = parser.parse_args()
    draw(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
