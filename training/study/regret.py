"""Adaptation net of difficulty: ``python main.py study regret --out DIR``.

A design shift lowers a policy's win rate for two reasons: the policy has not adapted to
the new design, or the new design is harder whatever one does (tanky opponents survive
more fights). The adaptation study's *drop* mixes the two. This study separates them:
every finished run of an adaptation study is retrained for the same fixed budget on the
base level and on each shift (the live learner's settings, as ``study recovery`` uses),
then evaluated there exactly as the study evaluates. For one run and shift ``s``, with
``W0`` the study's own (zero-shot) win rates and ``W1`` the retrained ones::

    drop        = W0(base) - W0(s)    the adaptation study's measure
    difficulty  = W1(base) - W1(s)    what the shift costs a policy trained for it
    excess drop = drop - difficulty   the part of the drop that retraining removes

Retraining on the base as well keeps "more training" out of the excess drop: both win
rates of ``difficulty`` come from the same amount of extra training.

Layout, inside the study directory::

    regret/<arch>-s<seed>/<condition>.json   one retrained evaluation (rerun skips it)
    regret/<arch>-s<seed>/<condition>.claim/ holds the pid of the process retraining it
    regret.json, regret.md, regret.png       the summary, the issue's goal on excess drops, a plot

Several processes may share one directory: each claims a record before computing it.
"""

from __future__ import annotations

import dataclasses
import io
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from levels.common.errors import UserError
from levels.common.files import atomic_write_bytes
from levels.shifts import BASE, apply_shift, load_shift
from npc.checkpoint import load_checkpoint
from training.curriculum import base_params
from training.study.adaptation import goal_check
from training.study.recovery import RecoveryPoint, retrain_on_shift
from training.study.runs import WAIT_SECONDS, claim, load_study, read_json, release, run_name, write_json

#: Default retraining budget per run and condition (learner steps): the id baseline needed
#: about 500k to plateau on tanky opponents (docs/adaptation.md).
REGRET_STEPS = 500_000


def retrained_win_rate(record: dict[str, Any]) -> float:
    """The win rate of a retrained record: its last evaluation."""
    return float(record["points"][-1]["win_rate"])


def regret_summary(zero_shot: dict[tuple[str, int, str], float], retrained: dict[tuple[str, int, str], float],
                   archs: Sequence[str], shifts: Sequence[str], seeds: Sequence[int]) -> dict[str, Any]:
    """Drops split into difficulty and excess drop, per architecture and shift, and the goal on excess drops.

    ``zero_shot`` and ``retrained`` map ``(arch, seed, condition)`` to a win rate; every
    combination with condition ``base`` or one of ``shifts`` must be present. Per shift the
    figures are means over seeds (with each seed's value kept); ``summary[arch]`` averages
    them over shifts, with each seed's mean excess drop and its standard error over seeds.
    ``claim`` is :func:`training.study.adaptation.goal_check` with the excess drop in place of the drop.
    """
    table: dict[str, dict[str, Any]] = {}
    summary: dict[str, dict[str, Any]] = {}
    for arch in archs:
        table[arch] = {}
        for shift in shifts:
            drop = [zero_shot[(arch, s, BASE)] - zero_shot[(arch, s, shift)] for s in seeds]
            difficulty = [retrained[(arch, s, BASE)] - retrained[(arch, s, shift)] for s in seeds]
            excess = [d - h for d, h in zip(drop, difficulty, strict=True)]
            table[arch][shift] = {
                "zero_shot": float(np.mean([zero_shot[(arch, s, shift)] for s in seeds])),
                "retrained": float(np.mean([retrained[(arch, s, shift)] for s in seeds])),
                "drop": float(np.mean(drop)), "difficulty": float(np.mean(difficulty)),
                "excess": float(np.mean(excess)), "excess_per_seed": excess,
            }
        per_seed = [float(np.mean([table[arch][c]["excess_per_seed"][i] for c in shifts])) for i in range(len(seeds))]
        se = float(np.std(per_seed, ddof=1) / np.sqrt(len(per_seed))) if len(per_seed) > 1 else float("nan")
        summary[arch] = {
            "base_zero_shot": float(np.mean([zero_shot[(arch, s, BASE)] for s in seeds])),
            "base_retrained": float(np.mean([retrained[(arch, s, BASE)] for s in seeds])),
            "mean_shift_win_rate": float(np.mean([table[arch][c]["zero_shot"] for c in shifts])),
            "mean_drop": float(np.mean([table[arch][c]["drop"] for c in shifts])),
            "mean_difficulty": float(np.mean([table[arch][c]["difficulty"] for c in shifts])),
            "mean_excess": float(np.mean(per_seed)), "mean_excess_per_seed": per_seed, "mean_excess_se": se,
        }
    # goal_check reads "mean_drop": hand it the excess drop under that name.
    as_drops = {a: {"mean_drop": s["mean_excess"], "mean_drop_se": s["mean_excess_se"],
                    "mean_drop_per_seed": s["mean_excess_per_seed"],
                    "mean_shift_win_rate": s["mean_shift_win_rate"]} for a, s in summary.items()}
    per_shift = {a: {c: {"mean": table[a][c]["excess"]} for c in shifts} for a in archs}
    return {"archs": list(archs), "shifts": list(shifts), "seeds": list(seeds), "table": table,
            "summary": summary, "claim": goal_check(as_drops, per_shift, shifts)}


def regret_markdown(results: dict[str, Any], command: str, steps: int) -> str:
    """The regret study as Markdown: per shift drop / difficulty / excess, the averages and the goal."""
    archs, shifts = results["archs"], results["shifts"]
    lines = [f"# Drops split into difficulty and excess (seeds {', '.join(map(str, results['seeds']))})", "",
             f"Command: `{command}`", "",
             f"Each run retrained {steps:,} learner steps on the base and on each shift (live learner settings). "
             "Cell: drop = difficulty + excess. *Drop*: the study's base win rate minus the shift's; *difficulty*: "
             "the same for the retrained policies; *excess*: what retraining removes (not adapting).", "",
             "| shift | " + " | ".join(archs) + " |", "|---|" + "---|" * len(archs)]
    for shift in shifts:
        cells = [f"{c['drop']:+.3f} = {c['difficulty']:+.3f} {c['excess']:+.3f}"
                 for c in (results["table"][a][shift] for a in archs)]
        lines.append(f"| {shift} | " + " | ".join(cells) + " |")
    lines += ["", "| arch | base win rate (study / retrained) | mean drop | mean difficulty | mean excess (+- SE) |",
              "|---|---|---|---|---|"]
    for arch in archs:
        s = results["summary"][arch]
        se = "one seed" if math.isnan(s["mean_excess_se"]) else f"+- {s['mean_excess_se']:.3f}"
        lines.append(f"| {arch} | {s['base_zero_shot']:.3f} / {s['base_retrained']:.3f} | {s['mean_drop']:+.3f} | "
                     f"{s['mean_difficulty']:+.3f} | {s['mean_excess']:+.3f} ({se}) |")
    claim = results["claim"]
    if "margin" in claim:
        m = claim["margin"]
        verdict = "met" if claim["half_of_baseline_drop"] else "not met"
        se = "" if math.isnan(m["se"]) else f" +- {m['se']:.3f}"
        lines += ["", f"Goal on excess drops, transformer <= half the baseline's: **{verdict}** "
                  f"(margin {m['value']:+.3f}{se}; below 0 meets it)."]
    if "drop_at_most_dense" in claim:
        verdict = "yes" if claim["drop_at_most_dense"] else "no"
        lines.append(f"Transformer's excess drop at most dense's: **{verdict}**.")
    return "\n".join(lines) + "\n"


def regret_plot(results: dict[str, Any], path: Path) -> None:
    """Two panels per shift and architecture: the difficulty, and the excess drop (+- SE over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    archs, shifts, table = results["archs"], results["shifts"], results["table"]
    fig, axes = plt.subplots(2, 1, figsize=(max(8.0, 0.9 * len(shifts) + 2), 8.0), dpi=100, sharex=True)
    width, x = 0.8 / len(archs), np.arange(len(shifts))
    for i, arch in enumerate(archs):
        offset = x + (i - (len(archs) - 1) / 2) * width
        axes[0].bar(offset, [table[arch][c]["difficulty"] for c in shifts], width, label=arch)
        per_seed = [table[arch][c]["excess_per_seed"] for c in shifts]
        se = [float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0 for v in per_seed]
        axes[1].bar(offset, [table[arch][c]["excess"] for c in shifts], width, yerr=se, capsize=2, label=arch)
    for ax, label in zip(axes, ("difficulty: drop of the retrained policies", "excess drop: what retraining wins back"),
                         strict=True):
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_ylabel(label, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    axes[1].set_xticks(x, shifts, rotation=30, ha="right")
    axes[0].set_title(f"Win-rate drops split: {results['steps']:,} retraining steps per run and condition, "
                      f"seeds {', '.join(map(str, results['seeds']))}", fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())


class RegretStudy:
    """The retraining work of ``study regret`` over one adaptation-study directory."""

    def __init__(self, out: Path, archs: Sequence[str], shifts_option: str | None, seeds: int, steps: int,
                 every: int, console: Console) -> None:
        meta, self.cfg, self.shifts = load_study(out, shifts_option)
        self.episodes = int(meta["key"]["episodes"])
        self.out, self.archs, self.steps, self.every, self.console = out, list(archs), steps, every, console
        self.seeds = [self.cfg.seed + i for i in range(seeds)]
        base = base_params(self.cfg.params)
        self.conditions = {BASE: base, **{name: apply_shift(base, load_shift(name)) for name in self.shifts}}
        for seed in self.seeds:
            for arch in self.archs:
                run = self.out / "runs" / run_name(arch, seed)
                if not (run / "done.json").exists():
                    raise UserError(f"{run}: the run is not finished (finish the study first)")
                for condition in self.conditions:
                    if not (self.out / "evals" / run_name(arch, seed) / f"{condition}.json").exists():
                        raise UserError(f"{self.out / 'evals' / run_name(arch, seed)}: no {condition}.json "
                                        f"(finish the study first)")

    def zero_shot(self, arch: str, seed: int, condition: str) -> dict[str, Any]:
        """The study's own evaluation of a run on a condition."""
        return read_json(self.out / "evals" / run_name(arch, seed) / f"{condition}.json")

    def _record_path(self, arch: str, seed: int, condition: str) -> Path:
        return self.out / "regret" / run_name(arch, seed) / f"{condition}.json"

    def finished(self, arch: str, seed: int, condition: str) -> dict[str, Any] | None:
        """The stored record if it was made with this budget and evaluation spacing."""
        path = self._record_path(arch, seed, condition)
        if not path.exists():
            return None
        record = read_json(path)
        return record if record["steps"] == self.steps and record["every"] == self.every else None

    def retrain(self, arch: str, seed: int, condition: str) -> dict[str, Any] | None:
        """Retrain one run on one condition and store the record; ``None`` if another process holds it."""
        lock = self._record_path(arch, seed, condition).with_suffix(".claim")
        if not claim(lock):
            return None
        try:
            done = self.finished(arch, seed, condition)
            if done is not None:
                return done
            start = self.zero_shot(arch, seed, condition)
            net, _meta = load_checkpoint(self.out / "runs" / run_name(arch, seed) / "policy.safetensors")
            first = RecoveryPoint(0, 0.0, start["win_rate"], tuple(start["ci95"]))
            points = retrain_on_shift(arch, net, self.conditions[condition], seed, self.cfg.learner_faction,
                                      self.cfg.pool_size, math.inf, self.steps, self.every, self.episodes,
                                      self.cfg.eval.num_worlds, first)
            record = {"arch": arch, "seed": seed, "condition": condition, "steps": self.steps, "every": self.every,
                      "points": [dataclasses.asdict(p) for p in points]}
            write_json(self._record_path(arch, seed, condition), record)
            return record
        finally:
            release(lock)

    def run(self) -> dict[str, Any]:
        """Retrain everything not yet done (waiting for other processes' claims), then summarise."""
        pending = [(a, s, c) for s in self.seeds for a in self.archs for c in self.conditions]
        zero: dict[tuple[str, int, str], float] = {}
        retrained: dict[tuple[str, int, str], float] = {}
        while pending:
            busy = []
            for key in pending:
                record = self.finished(*key) or self.retrain(*key)
                if record is None:
                    busy.append(key)
                    continue
                zero[key] = float(self.zero_shot(*key)["win_rate"])
                retrained[key] = retrained_win_rate(record)
                self.console.print(f"{run_name(key[0], key[1])} retrained on {key[2]}: win {zero[key]:.3f} -> "
                                   f"{retrained[key]:.3f} ({record['points'][-1]['minutes']:.1f} min)")
            if busy and len(busy) == len(pending):
                time.sleep(WAIT_SECONDS)
            pending = busy
        return regret_summary(zero, retrained, self.archs, self.shifts, self.seeds)
