"""The suite's report: a table (rich in a terminal, plain text otherwise, or Markdown) and a PNG.

Both read the plain summaries of :func:`training.suite.summarise`; the PNG is written
atomically (temporary file, fsync, rename: :func:`levels.common.files.atomic_write_bytes`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from levels.common.files import atomic_write_bytes

#: Column headings, in order (the Markdown and the rich table share them).
COLUMNS = ("level", "role", "episodes", "win / loss / draw", "win rate (95% CI)", "by cause",
           "turns to win, median (95% CI)", "first contact, median turn (95% CI); met",
           "cells explored, mean (95% CI); share of passable", "undo share (95% CI)")


def _num(value: float | None, digits: int = 0) -> str:
    """A figure, or ``never``/``-`` for what JSON stores as ``None``."""
    return "-" if value is None else f"{value:.{digits}f}"


def _ci(ci: Sequence[float | None], digits: int = 0, unbounded: str = "inf") -> str:
    """An interval as ``low-high``; ``too few`` when the sample bounds neither side."""
    lo, hi = ci
    if lo is None and hi is None and unbounded == "inf":
        return "too few"
    return f"{'-inf' if lo is None else f'{lo:.{digits}f}'}-{unbounded if hi is None else f'{hi:.{digits}f}'}"


def _causes(by_cause: dict[str, dict[str, int]]) -> str:
    """``W: eliminated 12; L: ...``: the causes of each outcome that happened."""
    parts = []
    for outcome, letter in (("wins", "W"), ("losses", "L"), ("draws", "D")):
        causes = by_cause.get(outcome) or {}
        if causes:
            parts.append(f"{letter}: " + ", ".join(f"{c} {n}" for c, n in sorted(causes.items())))
    return "; ".join(parts)


def rows(summaries: Sequence[dict[str, Any]]) -> list[list[str]]:
    """One row of strings per game, in :data:`COLUMNS` order."""
    out = []
    for s in summaries:
        o = s["outcomes"]
        win = o["wins"]
        ttw = s["turns_to_win"]
        fc = s["first_contact"]
        ex, share = s["explored_cells"], s["explored_share"]
        undo = s["undo_share"]
        median_contact = "never" if fc["median"] is None and fc["n"] else _num(fc["median"])
        out.append([
            s["level"], s["role"], str(s["episodes"]),
            f"{win['count']} / {o['losses']['count']} / {o['draws']['count']}",
            f"{win['rate']:.3f} ({_ci(win['ci'], 3)})", _causes(s["by_cause"]),
            f"{_num(ttw['median'])} ({_ci(ttw['median_ci'])})" if ttw["n"] else "no wins",
            f"{median_contact} ({_ci(fc['median_ci'], unbounded='never')}); {_num(fc['rate'], 2)}",
            f"{_num(ex['mean'], 1)} ({_ci(ex['mean_ci'], 1)}); {_num(share['mean'], 3)}",
            f"{_num(undo['value'], 3)} ({_ci(undo['ci'], 3)})",
        ])
    return out


def markdown_table(summaries: Sequence[dict[str, Any]]) -> str:
    """The report as a Markdown table (for docs)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(r) + " |" for r in rows(summaries)]
    return "\n".join(lines) + "\n"


def print_table(summaries: Sequence[dict[str, Any]], title: str, console: Console | None = None) -> None:
    """Print the report (rich draws a box in a terminal and plain text elsewhere)."""
    table = Table(title=title)
    for i, name in enumerate(COLUMNS):
        table.add_column(name, justify="left" if i in (0, 1, 5) else "right")
    for r in rows(summaries):
        table.add_row(*r)
    (console or Console()).print(table)


def _errorbars(ax: Any, values: Sequence[float | None], cis: Sequence[Sequence[float | None]], color: str,
               cap: float | None = None, missing: Sequence[str] = (), unbounded: str = "unbounded") -> None:
    """Bars with interval whiskers; an unbounded upper end stops at ``cap`` under the word
    ``unbounded``, a missing value is written out (``missing[i]``) instead of a bar."""
    for i, (v, (lo, hi)) in enumerate(zip(values, cis, strict=True)):
        if v is None:
            if i < len(missing) and missing[i]:
                ax.text(i, 0, missing[i], ha="center", va="bottom", fontsize=7, rotation=90)
            continue
        if hi is None and cap is not None:
            ax.text(i, cap, unbounded, ha="center", va="bottom", fontsize=7)
        top = cap if hi is None and cap is not None else hi
        bottom = 0.0 if lo is None else lo
        ax.bar(i, v, color=color, alpha=0.75)
        if top is not None:
            ax.errorbar(i, v, yerr=[[max(0.0, v - bottom)], [max(0.0, top - v)]], color="black", capsize=3)


def plot_suite(summaries: Sequence[dict[str, Any]], path: str | Path, title: str) -> None:
    """Six panels per game: outcomes, turns to win, first contact, exploration, undo share, length."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{Path(s['level']).stem}\n{s['role']}" for s in summaries]
    x = list(range(len(summaries)))
    fig, axes = plt.subplots(2, 3, figsize=(max(10.0, 0.6 * len(summaries) * 3), 7))
    ax = axes[0, 0]
    bottom = [0.0] * len(summaries)
    for outcome, color in (("wins", "C2"), ("losses", "C3"), ("draws", "C7")):
        rates = [s["outcomes"][outcome]["rate"] for s in summaries]
        ax.bar(x, rates, bottom=bottom, color=color, label=outcome)
        bottom = [b + r for b, r in zip(bottom, rates, strict=True)]
    wins = [s["outcomes"]["wins"] for s in summaries]
    ax.errorbar(x, [w["rate"] for w in wins], yerr=[[w["rate"] - w["ci"][0] for w in wins],
                                                    [w["ci"][1] - w["rate"] for w in wins]],
                fmt="none", color="black", capsize=3)
    ax.set_ylim(0, 1)
    ax.set_title("win / loss / draw (win rate 95% CI)")
    ax.legend(loc="upper right", fontsize=7)
    panels = [
        (axes[0, 1], "turns to win, median (95% CI)", "turns_to_win", "median", "median_ci", "C0", "no wins",
         "few wins"),
        (axes[0, 2], "first contact turn, median (95% CI)", "first_contact", "median", "median_ci",
         "C1", "never", "never"),
        (axes[1, 0], "share of passable cells explored, mean (95% CI)", "explored_share", "mean", "mean_ci", "C4", "",
         "unbounded"),
        (axes[1, 2], "episode length, median (95% CI)", "episode_length", "median", "median_ci", "C5", "",
         "unbounded"),
    ]
    for ax, name, key, value, ci, color, missing, unbounded in panels:
        values = [s[key][value] for s in summaries]
        finite = [v for v in values if v is not None] + [c for s in summaries for c in s[key][ci] if c is not None]
        _errorbars(ax, values, [s[key][ci] for s in summaries], color, cap=max(finite, default=1.0),
                   missing=[missing] * len(summaries), unbounded=unbounded)
        ax.set_title(name, fontsize=10)
    ax = axes[1, 1]
    _errorbars(ax, [s["undo_share"]["value"] for s in summaries], [s["undo_share"]["ci"] for s in summaries], "C6")
    ax.set_title("share of moving turns undoing the last move (95% CI)", fontsize=10)
    for ax in axes.flat:
        ax.set_xticks(x)
        ax.set_xticklabels(labels, fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
