"""The adaptation study: train every architecture, evaluate each on the base and every shift, summarise.

:class:`Study` trains each architecture (transformer, dense embedding, id baseline) with
the same config and budget for every seed (a :class:`training.run.TrainRun` per run),
evaluates every trained policy against the scripted NPC on the base level parameters and
on every design shift, then :func:`summarise` pools the evaluations, :func:`goal_check`
checks the issue's goal, and :func:`markdown` and :func:`plot` write ``results.md`` and
``adaptation.png`` (the directory layout: :mod:`training.study`).
"""

from __future__ import annotations

import copy
import io
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from levels.common.errors import UserError
from levels.common.files import atomic_write_bytes, atomic_write_text
from levels.params import LevelParams
from levels.shifts import BASE, apply_shift
from npc.checkpoint import load_checkpoint
from npc.scripted import ScriptedNPC
from training.config import TrainConfig
from training.curriculum import base_params
from training.evaluate import evaluate, wilson_interval
from training.run import TrainRun
from training.study.kind_ids import ID_SOURCE, sim_factory_for
from training.study.runs import OWNER_FILE, WAIT_SECONDS, StudySettings, claim, read_json, release, run_name, write_json


class Study:
    """One adaptation study in one directory (see the module docstring)."""

    def __init__(self, settings: StudySettings, out: Path, console: Console, progress: bool = True) -> None:
        self.s = settings
        self.out = out
        self.console = console
        self.progress = progress
        self.base = base_params(settings.config.params)
        self.conditions: dict[str, LevelParams] = {BASE: self.base}
        for shift in settings.shifts:
            self.conditions[shift.name] = apply_shift(self.base, shift)
        self.log: Callable[[str], None] = console.print

    def check_directory(self) -> None:
        """Refuse a directory that holds a study with other settings; record ours."""
        meta_path = self.out / "study.json"
        key = json.loads(json.dumps(self.s.key()))
        if meta_path.exists():
            old = read_json(meta_path).get("key", {})
            if isinstance(old.get("config"), dict):
                old["config"].pop("checkpoint_every", None)  # recorded by the first version of this file
            for field_name in ("version", "config", "episodes"):
                if old.get(field_name) != key[field_name]:
                    raise UserError(f"{meta_path}: this directory holds a study with another {field_name} "
                                    f"(the training config includes --steps); use another --out")
            for name, content in key["shifts"].items():
                if name in old.get("shifts", {}) and old["shifts"][name] != content:
                    raise UserError(f"{meta_path}: shift {name!r} differs from the one this study evaluated; "
                                    f"rename it or use another --out")
            key["shifts"] = {**old.get("shifts", {}), **key["shifts"]}
        self.out.mkdir(parents=True, exist_ok=True)
        write_json(meta_path, {"key": key, "command": self.s.command})

    def arch_config(self, arch: str, seed: int) -> TrainConfig:
        """The config of one run: the study config with this architecture and seed."""
        cfg = copy.deepcopy(self.s.config)
        if arch != cfg.policy.arch:
            cfg.policy.arch, cfg.policy.options = arch, {}
        cfg.seed = seed
        return cfg

    def train(self, arch: str, seed: int, advance: Callable[[int], None]) -> float | None:
        """Train one run unless it is finished; returns its training minutes.

        ``None`` when another live process is training that run (several ``study``
        processes may share one directory: each claims a run before training it).
        """
        run_dir = self.out / "runs" / run_name(arch, seed)
        done = run_dir / "done.json"
        if not done.exists() and not claim(run_dir):
            return None
        try:
            if done.exists():  # finished earlier, or by another process just before we claimed it
                minutes = float(read_json(done)["minutes"])
                advance(self.s.config.total_steps)
                return minutes
            return self._train(run_dir, arch, seed, advance)
        finally:
            if (run_dir / OWNER_FILE).exists() and claim(run_dir):  # ours: let go
                release(run_dir)

    def _train(self, run_dir: Path, arch: str, seed: int, advance: Callable[[int], None]) -> float:
        done = run_dir / "done.json"
        cfg = self.arch_config(arch, seed)
        resume = (run_dir / "state.safetensors").exists() and (run_dir / "policy.safetensors").exists()
        command = f"{self.s.command}  # run {run_name(arch, seed)}"
        factory = sim_factory_for(arch, cfg.pool_size, cfg.learner_faction)
        run = TrainRun(cfg, run_dir, resume, factory, None, False, self.console, command)
        advance(run.trainer.steps)
        try:
            while run.trainer.steps < cfg.total_steps:
                before = run.trainer.steps
                run.step()
                advance(run.trainer.steps - before)
        except KeyboardInterrupt:
            run.save()
            run.log.close()
            raise
        run.save()
        run.log.close()
        minutes = run.minutes()
        record = {"arch": arch, "seed": seed, "steps": run.trainer.steps, "minutes": minutes}
        if arch == "baseline":
            record["item_ids"] = ID_SOURCE
        write_json(done, record)
        return minutes

    def evaluate(self, arch: str, seed: int, condition: str) -> dict[str, Any]:
        """Evaluate one run on one condition unless already done; returns the result."""
        path = self.out / "evals" / run_name(arch, seed) / f"{condition}.json"
        if path.exists():
            return read_json(path)
        cfg = self.arch_config(arch, seed)
        torch.set_num_threads(cfg.threads)
        net, _meta = load_checkpoint(self.out / "runs" / run_name(arch, seed) / "policy.safetensors")
        clock = time.perf_counter()
        # One evaluation seed per training seed, shared by every architecture and condition:
        # the architectures meet the same levels.
        result = evaluate(net, ScriptedNPC(), self.conditions[condition], self.s.episodes, 1000 + seed,
                          cfg.learner_faction, cfg.eval.num_worlds,
                          sim_factory=sim_factory_for(arch, cfg.pool_size, cfg.learner_faction))
        out = {"arch": arch, "seed": seed, "condition": condition, "eval_seed": 1000 + seed,
               "seconds": time.perf_counter() - clock, **result.to_dict()}
        if arch == "baseline":
            out["item_ids"] = ID_SOURCE
        write_json(path, out)
        return out

    def run(self) -> dict[str, Any]:
        """Train and evaluate everything not yet done, then write the results; returns them."""
        self.check_directory()
        clock = time.perf_counter()
        runs = [(a, s) for s in self.s.seeds for a in self.s.archs]
        total_steps = len(runs) * self.s.config.total_steps
        total_evals = len(runs) * len(self.conditions)
        minutes: dict[str, float] = {}
        evals: list[dict[str, Any]] = []
        columns = (TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
                   TextColumn("{task.fields[info]}"), TimeElapsedColumn())
        with Progress(*columns, console=self.console, disable=not self.progress) as bar:
            train_task = bar.add_task("train", total=total_steps, info="")
            eval_task = bar.add_task("eval ", total=total_evals, info="")
            pending = runs
            while pending:
                busy = []  # runs another live process is training in this directory
                for arch, seed in pending:
                    name = run_name(arch, seed)
                    bar.update(train_task, info=name)
                    trained = self.train(arch, seed, lambda n: bar.advance(train_task, n))
                    if trained is None:
                        busy.append((arch, seed))
                        continue
                    minutes[name] = trained
                    if not self.progress:
                        self.log(f"trained {name} ({minutes[name]:.1f} min)")
                    for condition in self.conditions:
                        bar.update(eval_task, info=f"{name} on {condition}")
                        evals.append(self.evaluate(arch, seed, condition))
                        bar.advance(eval_task)
                        if not self.progress:
                            e = evals[-1]
                            self.log(f"eval {name} on {condition}: win {e['win_rate']:.3f}")
                if len(busy) == len(pending):
                    bar.update(train_task, info=f"waiting for {len(busy)} run(s) trained by another process")
                    time.sleep(WAIT_SECONDS)
                pending = busy
        results = summarise(evals, self.s.archs, list(self.conditions), self.s.seeds)
        results.update(
            command=self.s.command, params=self.s.config.params, steps=self.s.config.total_steps,
            episodes=self.s.episodes, seeds=self.s.seeds, train_minutes=minutes,
            this_invocation_minutes=(time.perf_counter() - clock) / 60,
            shifts={s.name: s.description for s in self.s.shifts},
            baseline_item_ids=sorted({e["item_ids"] for e in evals if "item_ids" in e}),
        )
        write_json(self.out / "results.json", results)
        atomic_write_text(self.out / "results.md", markdown(results))
        plot(results, self.out / "adaptation.png")
        return results


def summarise(evals: Sequence[dict[str, Any]], archs: Sequence[str], conditions: Sequence[str],
              seeds: Sequence[int]) -> dict[str, Any]:
    """Pool evaluations per architecture and condition; win-rate drops from the base per shift.

    ``table[arch][condition]`` pools the seeds' episodes (Wilson 95% interval on the pooled
    count) and averages return and length. ``drop[arch][shift]`` is the mean over seeds of
    (base win rate - shift win rate) with its standard error over seeds; ``relative_drop``
    is the mean drop over shifts divided by the base win rate. ``claim`` compares
    the mean drop over shifts of the transformer with half the baseline's, and the
    transformer's mean shifted win rate and mean drop with the dense embedding's.
    """
    by = {(e["arch"], e["seed"], e["condition"]): e for e in evals}
    shifts = [c for c in conditions if c != BASE]
    table: dict[str, dict[str, Any]] = {}
    drop: dict[str, dict[str, Any]] = {}
    summary: dict[str, dict[str, float]] = {}
    for arch in archs:
        table[arch], drop[arch] = {}, {}
        for cond in conditions:
            rows = [by[(arch, s, cond)] for s in seeds]
            wins, n = sum(r["wins"] for r in rows), sum(r["episodes"] for r in rows)
            low, high = wilson_interval(wins, n)
            table[arch][cond] = {
                "wins": wins, "episodes": n, "win_rate": wins / n, "ci95": [low, high],
                "seed_win_rates": [r["win_rate"] for r in rows],
                "mean_return": float(np.mean([r["mean_return"] for r in rows])),
                "mean_length": float(np.mean([r["mean_length"] for r in rows])),
            }
        for cond in shifts:
            per_seed = [by[(arch, s, BASE)]["win_rate"] - by[(arch, s, cond)]["win_rate"] for s in seeds]
            se = float(np.std(per_seed, ddof=1) / np.sqrt(len(per_seed))) if len(per_seed) > 1 else float("nan")
            drop[arch][cond] = {"mean": float(np.mean(per_seed)), "se": se, "per_seed": per_seed}
        summary[arch] = {
            "base_win_rate": table[arch][BASE]["win_rate"],
            "mean_shift_win_rate": float(np.mean([table[arch][c]["win_rate"] for c in shifts])) if shifts else
            float("nan"),
            "mean_drop": float(np.mean([drop[arch][c]["mean"] for c in shifts])) if shifts else float("nan"),
        }
        if shifts:
            seed_drops = [float(np.mean([drop[arch][c]["per_seed"][i] for c in shifts])) for i in range(len(seeds))]
            summary[arch]["mean_drop_per_seed"] = seed_drops
            summary[arch]["mean_drop_se"] = float(np.std(seed_drops, ddof=1) / np.sqrt(len(seeds))) \
                if len(seeds) > 1 else float("nan")
        base_rate = summary[arch]["base_win_rate"]
        # The drop as a share of what there was to lose: a weaker policy has less win rate to give up.
        summary[arch]["relative_drop"] = summary[arch]["mean_drop"] / base_rate if base_rate > 0 else float("nan")
    return {"archs": list(archs), "conditions": list(conditions), "table": table, "drop": drop,
            "summary": summary, "claim": goal_check(summary, drop, shifts)}


def goal_check(summary: dict[str, dict[str, float]], drop: dict[str, dict[str, Any]],
          shifts: Sequence[str]) -> dict[str, Any]:
    """The issue's goal, checked on the averages and shift by shift (``None`` where an arch is missing)."""
    out: dict[str, Any] = {}
    if "transformer" in summary and "baseline" in summary:
        t, b = summary["transformer"]["mean_drop"], summary["baseline"]["mean_drop"]
        out["half_of_baseline_drop"] = bool(t <= 0.5 * b)
        out["per_shift_half_of_baseline_drop"] = {
            c: bool(drop["transformer"][c]["mean"] <= 0.5 * drop["baseline"][c]["mean"]) for c in shifts}
        t_se = summary["transformer"].get("mean_drop_se", float("nan"))
        b_se = summary["baseline"].get("mean_drop_se", float("nan"))
        # Below 0 meets the goal; the runs of the two architectures are independent.
        out["margin"] = {"value": float(t - 0.5 * b), "se": float(np.hypot(t_se, 0.5 * b_se))}
        t_seeds = summary["transformer"].get("mean_drop_per_seed", [])
        b_seeds = summary["baseline"].get("mean_drop_per_seed", [])
        if t_seeds and len(t_seeds) == len(b_seeds):
            # Same seed index, same evaluation levels: the goal within each pair of runs.
            out["per_seed_half_of_baseline_drop"] = [bool(x <= 0.5 * y) for x, y in zip(t_seeds, b_seeds, strict=True)]
        if "relative_drop" in summary["transformer"] and "relative_drop" in summary["baseline"]:
            out["relative_half_of_baseline_drop"] = bool(
                summary["transformer"]["relative_drop"] <= 0.5 * summary["baseline"]["relative_drop"])
    if "transformer" in summary and "dense" in summary:
        t, d = summary["transformer"], summary["dense"]
        out["shift_win_rate_at_least_dense"] = bool(t["mean_shift_win_rate"] >= d["mean_shift_win_rate"])
        out["drop_at_most_dense"] = bool(t["mean_drop"] <= d["mean_drop"])
    return out


def _pct(x: float) -> str:
    return f"{x:.3f}"


def markdown(results: dict[str, Any]) -> str:
    """The results as Markdown: the win-rate table, the drops, the averages and the claim."""
    archs, conds = results["archs"], results["conditions"]
    table, drop = results["table"], results["drop"]
    lines = [f"# Adaptation study: {results['params']}, {results['steps']:,} learner steps per run, "
             f"seeds {', '.join(map(str, results['seeds']))}, {results['episodes']} evaluation episodes "
             f"per run and condition", "", f"Command: `{results['command']}`", ""]
    if results.get("baseline_item_ids"):
        lines += [f"The id baseline saw items by: {'; '.join(results['baseline_item_ids'])}.", ""]
    lines += ["## Win rate against the scripted NPC (seeds pooled, Wilson 95% CI), mean return, mean length", ""]
    lines.append("| condition | " + " | ".join(archs) + " |")
    lines.append("|---|" + "---|" * len(archs))
    for cond in conds:
        cells = []
        for arch in archs:
            r = table[arch][cond]
            cells.append(f"{_pct(r['win_rate'])} ({_pct(r['ci95'][0])}-{_pct(r['ci95'][1])}); "
                         f"ret {r['mean_return']:.2f}; len {r['mean_length']:.1f}")
        lines.append(f"| {cond} | " + " | ".join(cells) + " |")
    shifts = [c for c in conds if c != BASE]
    if shifts:
        lines += ["", "## Win-rate drop from the base (mean over seeds +- standard error; negative: better)", ""]
        lines.append("| shift | " + " | ".join(archs) + " |")
        lines.append("|---|" + "---|" * len(archs))
        for cond in shifts:
            lines.append(f"| {cond} | " + " | ".join(
                f"{drop[a][cond]['mean']:+.3f} +- {drop[a][cond]['se']:.3f}" for a in archs) + " |")
        lines += ["", "| arch | base win rate | mean win rate over shifts | mean drop (+- SE over seeds) | "
                  "mean drop per seed | mean drop / base win rate |", "|---|---|---|---|---|---|"]
        for arch in archs:
            s = results["summary"][arch]
            per_seed = ", ".join(f"{x:+.3f}" for x in s.get("mean_drop_per_seed", []))
            lines.append(f"| {arch} | {_pct(s['base_win_rate'])} | {_pct(s['mean_shift_win_rate'])} | "
                         f"{s['mean_drop']:+.3f} +- {s.get('mean_drop_se', float('nan')):.3f} | {per_seed} | "
                         f"{s.get('relative_drop', float('nan')):+.3f} |")
        c = results["claim"]
        lines += ["", "## The goal", ""]
        if "half_of_baseline_drop" in c:
            held = [k for k, v in c["per_shift_half_of_baseline_drop"].items() if v]
            lines.append(f"- transformer's mean drop <= half the baseline's: **{c['half_of_baseline_drop']}** "
                         f"(per shift it holds on {len(held)} of {len(shifts)}: {', '.join(held) or 'none'})")
            if "margin" in c:
                lines.append(f"- the margin, transformer's mean drop minus half the baseline's: "
                             f"{c['margin']['value']:+.3f} +- {c['margin']['se']:.3f} (standard error over seeds; "
                             f"below 0 meets the goal)")
            if "per_seed_half_of_baseline_drop" in c:
                pairs = c["per_seed_half_of_baseline_drop"]
                lines.append(f"- the same within each pair of runs with the same seed: holds for {sum(pairs)} of "
                             f"{len(pairs)} seeds")
            if "relative_half_of_baseline_drop" in c:
                lines.append(f"- not the issue's criterion, for reading it: the same with drops relative to each "
                             f"architecture's base win rate: **{c['relative_half_of_baseline_drop']}**")
        if "shift_win_rate_at_least_dense" in c:
            lines.append(f"- transformer's mean win rate over shifts >= dense's: "
                         f"**{c['shift_win_rate_at_least_dense']}**; mean drop <= dense's: "
                         f"**{c['drop_at_most_dense']}**")
    if results.get("shifts"):
        lines += ["", "## Shifts", ""] + [f"- `{k}`: {v}" for k, v in results["shifts"].items()]
    return "\n".join(lines) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    """Two panels: pooled win rate per condition (Wilson 95% CI), and the drop from the base per shift (+- SE)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    archs, conds, table, drop = results["archs"], results["conditions"], results["table"], results["drop"]
    shifts = [c for c in conds if c != BASE]
    fig, axes = plt.subplots(2, 1, figsize=(max(8.0, 0.9 * len(conds) + 2), 8.0), dpi=100)
    width = 0.8 / len(archs)
    top = 0.0
    for panel, names in ((0, conds), (1, shifts)):
        ax = axes[panel]
        x = np.arange(len(names))
        for i, arch in enumerate(archs):
            offset = x + (i - (len(archs) - 1) / 2) * width
            if panel == 0:
                rates = np.array([table[arch][c]["win_rate"] for c in names])
                low = rates - np.array([table[arch][c]["ci95"][0] for c in names])
                high = np.array([table[arch][c]["ci95"][1] for c in names]) - rates
                top = max(top, float((rates + high).max()))
                ax.bar(offset, rates, width, yerr=[low, high], capsize=2, label=arch)
            else:
                means = np.array([drop[arch][c]["mean"] for c in names])
                se = np.nan_to_num(np.array([drop[arch][c]["se"] for c in names]))
                ax.bar(offset, means, width, yerr=se, capsize=2, label=arch)
        ax.set_xticks(x, names, rotation=30, ha="right")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylim(0, min(1.0, top + 0.05))
    axes[0].set_ylabel("win rate vs scripted NPC (95% CI)")
    axes[0].set_title(f"Adaptation to design shifts on {results['params']}\n{results['steps']:,} learner steps "
                      f"per run, {len(results['seeds'])} seed(s), {results['episodes']} episodes per run and condition",
                      fontsize=10)
    axes[1].axhline(0.0, color="black", linewidth=0.8)
    axes[1].set_ylabel("win-rate drop from base (+- SE over seeds)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
