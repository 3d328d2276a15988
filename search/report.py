"""Summaries of nav-bench runs: per-kind figures, the issue's checks, a table, a plot, JSON."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from typing import Any

import numpy as np

from search.bench import ORACLE, Run
from search.scenario import Scenario
from search.team import MODES, team_run

#: Kinds whose maps never change (the "static unknown maps" of the checks).
STATIC_KINDS = ("static", "multi_floor", "maze64")
LARGE_CELLS = 64 * 64
#: Kinds whose map or goal changes while the agent walks (the "dynamic scenarios" of the checks).
DYNAMIC_KINDS = ("door_reopens", "intermittent", "moving_goal", "concurrent")
#: Kinds the team-memory runs use (static one-floor maps).
TEAM_KINDS = ("static", "maze64")


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def summarize(runs: list[Run]) -> dict[str, Any]:
    """Per navigator and kind: success, step ratios, event costs, planning times, graph size."""
    groups: dict[tuple[str, str], list[Run]] = defaultdict(list)
    for r in runs:
        groups[(r.navigator, r.kind)].append(r)
        groups[(r.navigator, "all")].append(r)
    rows = []
    for (nav, kind), rs in groups.items():
        solvable = [r for r in rs if r.oracle_steps is not None]
        times = np.concatenate([np.array(r.plan_seconds) for r in rs if r.plan_seconds] or [np.zeros(1)]) * 1e3
        extras = [e for r in rs for e in r.event_extra if e is not None]
        latencies = [v for r in rs for v in r.reopen_latency if v is not None]
        reopens = sum(len(r.reopen_latency) for r in rs)
        rows.append({
            "navigator": nav, "kind": kind, "scenarios": len(rs), "solvable": len(solvable),
            "success": sum(r.success for r in solvable),
            "ratio_mean": _mean([r.ratio for r in solvable if r.ratio is not None]),
            "steps_total": sum(r.steps for r in solvable),
            "oracle_steps_total": sum(r.oracle_steps or 0 for r in solvable),
            "bumps_total": sum(r.bumps for r in solvable),
            "event_extra_mean": _mean(extras),
            "reopen_used": f"{len(latencies)}/{reopens}",
            "reopen_latency_mean": _mean(latencies),
            "plan_ms_median": float(np.median(times)), "plan_ms_p95": float(np.percentile(times, 95)),
            "expansions_per_step": sum(r.expansions for r in rs) / max(1, sum(r.steps for r in rs)),
            "graph_nodes_mean": _mean([r.graph_nodes for r in rs]),
            "graph_edges_mean": _mean([r.graph_edges for r in rs]),
        })
    rows.sort(key=lambda row: (row["kind"] == "all", row["kind"], row["navigator"] != ORACLE, row["navigator"]))
    return {"rows": rows, "checks": checks(runs)}


def _group_time(runs: list[Run], nav: str, percentile: float = 50, cpu: bool = False) -> float | None:
    times = [t for r in runs if r.navigator == nav and r.cells >= LARGE_CELLS
             for t in (r.plan_cpu_seconds if cpu else r.plan_seconds)]
    return float(np.percentile(times, percentile) * 1e3) if times else None


def checks(runs: list[Run]) -> list[dict[str, Any]]:
    """The issue's "must show" figures, each with its verdict."""
    heb = [r for r in runs if r.navigator == "hebbian"]
    dst = {r.scenario: r for r in runs if r.navigator == "dstar_lite"}
    out: list[dict[str, Any]] = []
    solvable = [r for r in heb if r.oracle_steps is not None]
    ok = sum(r.success for r in solvable)
    out.append({"check": "Hebbian success on solvable scenarios", "value": f"{ok}/{len(solvable)}",
                "pass": ok == len(solvable)})
    static = [r for r in solvable if r.kind in STATIC_KINDS and r.scenario in dst]
    h_static, d_static = sum(r.steps for r in static), sum(dst[r.scenario].steps for r in static)
    if static:
        out.append({"check": "static maps (static, multi_floor, maze64): total steps, Hebbian <= 1.05 x D* Lite",
                    "value": f"{h_static} vs {d_static} (x{h_static / max(d_static, 1):.3f})",
                    "pass": bool(h_static <= 1.05 * d_static)})
    dynamic = [r for r in solvable if r.kind in DYNAMIC_KINDS and r.scenario in dst]
    for kind in (*DYNAMIC_KINDS, "dynamic"):
        hs = [r for r in dynamic if kind in ("dynamic", r.kind)]
        h_steps, d_steps = sum(r.steps for r in hs), sum(dst[r.scenario].steps for r in hs)
        if hs:
            label = "dynamic kinds together" if kind == "dynamic" else kind
            out.append({"check": f"{label}: total steps, Hebbian < D* Lite", "value": f"{h_steps} vs {d_steps}",
                        "pass": h_steps < d_steps})
    h_ms, d_ms = _group_time(runs, "hebbian"), _group_time(runs, "dstar_lite")
    if h_ms is not None and d_ms is not None:
        out.append({"check": "64x64 maps: median planning ms per step <= 1 (Hebbian, D* Lite)",
                    "value": f"{h_ms:.3f} / {d_ms:.3f}", "pass": h_ms <= 1.0 and d_ms <= 1.0})
    h_p99, h_cpu99 = _group_time(runs, "hebbian", 99), _group_time(runs, "hebbian", 99, cpu=True)
    if h_p99 is not None and h_cpu99 is not None:
        out.append({"check": "64x64 maps: p99 planning ms per step <= 1 (Hebbian; CPU time, wall time)",
                    "value": f"{h_cpu99:.3f} cpu, {h_p99:.3f} wall", "pass": h_cpu99 <= 1.0})
    return out


def team_summary(scenarios: list[Scenario], agents: int) -> dict[str, Any]:
    """Steps of the k-th agent of a team, summed over scenarios, per memory mode."""
    rows = []
    for mode in MODES:
        results = [team_run(s, mode, agents) for s in scenarios]
        solved = [r for r in results if all(o >= 0 for o in r.oracle)]
        steps = np.array([r.steps for r in solved], dtype=int).reshape(len(solved), agents).sum(axis=0)
        oracle = np.array([r.oracle for r in solved], dtype=int).reshape(len(solved), agents).sum(axis=0)
        rows.append({"mode": mode, "scenarios": len(solved), "success": all(r.success for r in solved),
                     "steps_per_agent": steps.tolist(), "oracle_per_agent": oracle.tolist(),
                     "ratio_per_agent": (steps / np.maximum(oracle, 1)).round(3).tolist()})
    return {"agents": agents, "kinds": list(TEAM_KINDS), "rows": rows}


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render_table(summary: dict[str, Any]) -> str:
    """The summary as rich tables (rendered to text, so callers choose where it goes)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="nav-bench: per navigator and scenario kind", header_style="bold")
    columns = [("kind", "kind"), ("navigator", "navigator"), ("success", "ok/solv"),
               ("ratio_mean", "steps/oracle"), ("steps_total", "steps"), ("bumps_total", "bumps"),
               ("event_extra_mean", "extra after event"), ("reopen_used", "reopened used"),
               ("reopen_latency_mean", "steps to use"), ("plan_ms_median", "plan ms med"),
               ("plan_ms_p95", "plan ms p95"), ("expansions_per_step", "exp/step"),
               ("graph_nodes_mean", "nodes"), ("graph_edges_mean", "edges")]
    for _, head in columns:
        table.add_column(head, justify="left" if head in ("kind", "navigator") else "right")
    previous = None
    for row in summary["rows"]:
        if previous is not None and row["kind"] != previous:
            table.add_section()
        previous = row["kind"]
        cells = []
        for key, _ in columns:
            if key == "success":
                cells.append(f"{row['success']}/{row['solvable']}")
            else:
                digits = 3 if key.startswith("plan") else (0 if key.startswith(("graph", "exp")) else 2)
                cells.append(_fmt(row[key], digits))
        table.add_row(*cells)
    checks_table = Table(title="checks (issue 5, must show)", header_style="bold")
    for head in ("check", "value", "pass"):
        checks_table.add_column(head)
    for c in summary["checks"]:
        checks_table.add_row(c["check"], c["value"], "[green]yes[/]" if c["pass"] else "[red]NO[/]")
    buffer = io.StringIO()
    console = Console(file=buffer, width=170, force_terminal=False)
    console.print(table)
    console.print(checks_table)
    if "team" in summary:
        team = Table(title=f"team memory: {summary['team']['agents']} agents one after another "
                           f"({', '.join(summary['team']['kinds'])} scenarios)", header_style="bold")
        for head in ("memory", "scenarios", "all arrived", "steps of agent 1, 2, ...", "steps/oracle per agent"):
            team.add_column(head)
        for row in summary["team"]["rows"]:
            team.add_row(row["mode"], str(row["scenarios"]), "yes" if row["success"] else "NO",
                         ", ".join(map(str, row["steps_per_agent"])),
                         ", ".join(f"{v:.2f}" for v in row["ratio_per_agent"]))
        console.print(team)
    return buffer.getvalue()


def to_json(runs: list[Run], summary: dict[str, Any], command: str) -> str:
    """Runs and summary as a JSON document."""
    return json.dumps({"command": command, "summary": summary, "runs": [r.summary() for r in runs]}, indent=1)


def plot_png(summary: dict[str, Any]) -> bytes:
    """Bar charts of steps/oracle and median planning time per kind and navigator (PNG bytes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in summary["rows"] if r["kind"] != "all"]
    kinds = sorted({r["kind"] for r in rows})
    navs = sorted({r["navigator"] for r in rows}, key=lambda n: (n != ORACLE, n))
    fig, axes = plt.subplots(1, 2, figsize=(14, 5))
    width = 0.8 / len(navs)
    for i, nav in enumerate(navs):
        by_kind = {r["kind"]: r for r in rows if r["navigator"] == nav}
        x = np.arange(len(kinds)) + i * width
        ratio = [by_kind[k]["ratio_mean"] or 0.0 if k in by_kind else 0.0 for k in kinds]
        ms = [by_kind[k]["plan_ms_median"] if k in by_kind else 0.0 for k in kinds]
        axes[0].bar(x, ratio, width, label=nav)
        axes[1].bar(x, ms, width, label=nav)
    for ax, title in zip(axes, ("mean steps / oracle steps (solvable)", "median planning time per step (ms)"),
                         strict=True):
        ax.set_xticks(np.arange(len(kinds)) + 0.4 - width / 2)
        ax.set_xticklabels(kinds, rotation=20)
        ax.set_title(title)
    axes[0].axhline(1.0, color="grey", lw=0.8)
    axes[1].set_yscale("log")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()
