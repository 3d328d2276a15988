"""The ``study`` command: ``study adaptation``, ``recovery``, ``regret`` and ``shifts`` (registered by ``main.py``).

Each ``run_*`` function checks its command line and drives the library modules of
:mod:`training.study`; the layout of a study directory is described there.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

from levels.common.errors import UserError
from levels.common.files import atomic_write_text
from levels.shifts import BASE, apply_shift, load_shift, shift_names
from npc.checkpoint import ARCHITECTURES, load_checkpoint
from npc.scripted import ScriptedNPC
from training.config import load_config
from training.curriculum import base_params
from training.evaluate import check_eval_request, evaluate
from training.run import EXIT_INTERRUPTED
from training.study.adaptation import Study
from training.study.recovery import (
    RECOVERY_MARGIN,
    RecoveryPoint,
    recovery_markdown,
    recovery_summary,
    retrain_on_shift,
)
from training.study.regret import REGRET_STEPS, RegretStudy, regret_markdown, regret_plot
from training.study.runs import (
    ARCHS,
    STUDY_EPISODES,
    StudySettings,
    load_study,
    parse_names,
    parse_study_archs,
    read_json,
    run_name,
    scaled_config,
    write_json,
)


def add_parser(subparsers: Any) -> None:
    """Register ``study`` (with the ``adaptation`` study)."""
    study = subparsers.add_parser("study", help="experiments built from training runs",
                                  description="Experiments built from training runs.")
    studies = study.add_subparsers(dest="study", required=True, metavar="STUDY")
    ad = studies.add_parser(
        "adaptation", help="train every architecture and measure its win rate under design shifts",
        description="Train the transformer, dense-embedding and id-baseline policies with the same "
        "budget, evaluate each against the scripted NPC on the base level and on every design shift "
        "(levels/shifts/), and write results.md, results.json and adaptation.png. Resumable.")
    ad.add_argument("--config", help="training config TOML (default: training/configs/default.toml)")
    ad.add_argument("--seeds", type=int, default=3, help="training seeds per architecture (default 3)")
    ad.add_argument("--out", default="runs/study-adaptation", help="study directory (default: runs/study-adaptation)")
    ad.add_argument("--steps", type=int, help="learner agent-steps per run (default: the config's total_steps); "
                    "curriculum phase ends scale with it")
    ad.add_argument("--episodes", type=int, default=STUDY_EPISODES,
                    help=f"evaluation episodes per run and condition (default {STUDY_EPISODES:,})")
    ad.add_argument("--shifts", help="comma-separated shift names or TOML paths (default: every shipped shift)")
    ad.add_argument("--archs", default=",".join(ARCHS),
                    help=f"comma-separated architectures (default {','.join(ARCHS)})")
    ad.add_argument("--no-progress", action="store_true", help="plain log lines instead of a progress bar")
    ad.set_defaults(run=run_adaptation)

    rc = studies.add_parser(
        "recovery", help="retrain a study's policies on each shift and measure how long they need to recover",
        description="For trained runs of an adaptation study (--out), continue training each policy on each "
        "design shift with the live learner's PPO settings (training.live.learner.live_config: fresh Adam, "
        "constant rate, the scripted NPC as opponent), evaluate it every --every learner steps, and record the "
        "learner steps and minutes until its win rate on the shift is back within --margin of its base win "
        "rate. Writes recovery.md and recovery.json. Resumable.")
    add_trained_runs_arguments(rc)
    rc.add_argument("--steps", type=int, default=200_000,
                    help="most retraining learner steps per shift (default 200000)")
    rc.add_argument("--every", type=int, default=25_000, help="learner steps between evaluations (default 25000)")
    rc.add_argument("--margin", type=float, default=RECOVERY_MARGIN,
                    help=f"recovered: shift win rate >= base win rate - margin (default {RECOVERY_MARGIN})")
    rc.set_defaults(run=run_recovery)

    _add_regret_parser(studies)

    sh = studies.add_parser(
        "shifts", help="evaluate one policy checkpoint on the base level and on every design shift",
        description="Win rate (Wilson 95% CI), mean return and episode length of one checkpoint against the "
        "scripted NPC on the base level parameters and on each design shift (no training).")
    sh.add_argument("checkpoint", help="policy .safetensors file")
    sh.add_argument("--params", help="level preset or TOML (default: the one the checkpoint was trained on)")
    sh.add_argument("--episodes", type=int, default=STUDY_EPISODES,
                    help=f"episodes per condition (default {STUDY_EPISODES:,})")
    sh.add_argument("--seed", type=int, default=1000, help="evaluation seed (default 1000)")
    sh.add_argument("--shifts", help="comma-separated shift names or TOML paths (default: every shipped shift)")
    sh.add_argument("--json", dest="json_out", help="write the results as JSON here")
    sh.set_defaults(run=run_shifts)


def _add_regret_parser(studies: Any) -> None:
    """Register ``study regret`` under the ``study`` command's subparsers."""
    rg = studies.add_parser(
        "regret", help="retrain a study's policies on the base and on each shift: how much of each drop is "
        "not adapting, and how much is a harder game",
        description="For the finished runs of an adaptation study (--out), continue training each policy for "
        "--steps learner steps on the base level and on each design shift with the live learner's PPO settings, "
        "evaluate it as the study does, and split each win-rate drop into difficulty (the drop of the retrained "
        "policies) and excess drop (the rest: what retraining removes). Writes regret.md, regret.json (with the "
        "issue's goal checked on excess drops) and regret.png. Resumable; several processes may share --out.")
    add_trained_runs_arguments(rg)
    rg.add_argument("--steps", type=int, default=REGRET_STEPS,
                    help=f"retraining learner steps per run and condition (default {REGRET_STEPS})")
    rg.add_argument("--every", type=int, help="learner steps between evaluations (default: half of --steps)")
    rg.set_defaults(run=run_regret)


def add_trained_runs_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that pick a finished study's runs and shifts: ``--out --seeds --archs --shifts``."""
    parser.add_argument("--out", default="runs/study-adaptation",
                        help="the study directory (default: runs/study-adaptation)")
    parser.add_argument("--seeds", type=int, default=1, help="training seeds per architecture (default 1: the first)")
    parser.add_argument("--archs", default=",".join(ARCHS),
                        help=f"comma-separated architectures (default {','.join(ARCHS)})")
    parser.add_argument("--shifts", help="comma-separated shift names (default: every shift of the study)")


def _command_line(args: argparse.Namespace) -> str:
    parts = ["python", "main.py", "study", "adaptation"]
    for option in ("config", "seeds", "out", "steps", "episodes", "shifts", "archs"):
        value = getattr(args, option, None)
        if value is not None:
            parts += [f"--{option}", str(value)]
    return shlex.join(parts)


def resolve_settings(args: argparse.Namespace) -> StudySettings:
    """Check the command line and build the study's settings."""
    if args.seeds <= 0:
        raise UserError(f"--seeds must be positive, got {args.seeds}")
    if args.episodes <= 0:
        raise UserError(f"--episodes must be positive, got {args.episodes}")
    if args.steps is not None and args.steps <= 0:
        raise UserError(f"--steps must be positive, got {args.steps}")
    archs = parse_names(args.archs, "archs")
    for arch in archs:
        if arch not in ARCHITECTURES:
            raise UserError(f"--archs: unknown architecture {arch!r} (known: {', '.join(sorted(ARCHITECTURES))})")
    cfg = scaled_config(load_config(args.config), args.steps)
    shifts = [load_shift(n) for n in parse_names(args.shifts, "shifts")] if args.shifts else \
        [load_shift(n) for n in shift_names()]
    names = [s.name for s in shifts]
    if BASE in names or len(set(names)) != len(names):
        raise UserError(f"--shifts: shift names must be unique and not {BASE!r}: {', '.join(names)}")
    base = base_params(cfg.params)
    for shift in shifts:
        apply_shift(base, shift)  # every shift's errors before any training starts
    seeds = [cfg.seed + i for i in range(args.seeds)]
    return StudySettings(cfg, archs, seeds, shifts, args.episodes, _command_line(args))


def run_adaptation(args: argparse.Namespace) -> int:
    """The ``study adaptation`` command."""
    settings = resolve_settings(args)
    console = Console(soft_wrap=True)
    study = Study(settings, Path(args.out), console, progress=not args.no_progress)
    try:
        results = study.run()
    except KeyboardInterrupt:
        console.print(f"interrupted; finished runs and evaluations are saved. Continue with: {settings.command}")
        return EXIT_INTERRUPTED
    for arch, s in results["summary"].items():
        console.print(f"{arch}: base {s['base_win_rate']:.3f}, mean over shifts {s['mean_shift_win_rate']:.3f}, "
                      f"mean drop {s['mean_drop']:+.3f}")
    console.print(f"results in {args.out}/results.md, results.json, adaptation.png")
    return 0


def run_recovery(args: argparse.Namespace) -> int:
    """The ``study recovery`` command."""
    out = Path(args.out)
    for name in ("seeds", "steps", "every"):
        if getattr(args, name) <= 0:
            raise UserError(f"--{name} must be positive, got {getattr(args, name)}")
    if not 0 <= args.margin < 1:
        raise UserError(f"--margin must lie in [0, 1), got {args.margin}")
    meta, cfg, shifts = load_study(out, args.shifts)
    archs = parse_study_archs(args.archs)
    seeds = [cfg.seed + i for i in range(args.seeds)]
    base = base_params(cfg.params)
    conditions = {name: apply_shift(base, load_shift(name)) for name in shifts}
    torch.set_num_threads(cfg.threads)
    console = Console(soft_wrap=True)
    command = shlex.join(["python", "main.py", "study", "recovery", "--out", str(out), "--seeds", str(args.seeds),
                          "--archs", args.archs, *(["--shifts", args.shifts] if args.shifts else []),
                          "--steps", str(args.steps), "--every", str(args.every), "--margin", str(args.margin)])
    records = []
    for seed in seeds:
        for arch in archs:
            run = run_name(arch, seed)
            policy = out / "runs" / run / "policy.safetensors"
            if not (out / "runs" / run / "done.json").exists():
                raise UserError(f"{out / 'runs' / run}: the run is not finished (finish the study first)")
            base_eval = read_json(out / "evals" / run / f"{BASE}.json")
            for shift in shifts:
                path = out / "recovery" / run / f"{shift}.json"
                if path.exists():
                    record = read_json(path)
                    same = record["margin"] == args.margin and record["every"] == args.every
                    if same and (record["recovered_at"] is not None or record["max_steps"] >= args.steps):
                        records.append(record)
                        continue
                start = read_json(out / "evals" / run / f"{shift}.json")
                net, _meta = load_checkpoint(policy)
                target = base_eval["win_rate"] - args.margin
                first = RecoveryPoint(0, 0.0, start["win_rate"], tuple(start["ci95"]))
                points = retrain_on_shift(arch, net, conditions[shift], seed, cfg.learner_faction, cfg.pool_size,
                                          target, args.steps, args.every, int(meta["key"]["episodes"]),
                                          cfg.eval.num_worlds, first)
                reached = next((p for p in points if p.win_rate >= target), None)
                record = {"arch": arch, "seed": seed, "shift": shift, "target": target, "margin": args.margin,
                          "max_steps": args.steps, "every": args.every,
                          "points": [dataclasses.asdict(p) for p in points],
                          "recovered_at": dataclasses.asdict(reached) if reached else None}
                write_json(path, record)
                records.append(record)
                console.print(f"{run} on {shift}: " + (f"recovered after {reached.steps} steps "
                              f"({reached.minutes:.2f} min)" if reached else f"not recovered in {args.steps} steps"))
    summary = recovery_summary(records, archs, shifts)
    write_json(out / "recovery.json", {"command": command, "seeds": seeds, "margin": args.margin,
                                        "summary": summary, "records": records})
    atomic_write_text(out / "recovery.md", recovery_markdown(summary, archs, shifts, args.margin, seeds, command))
    console.print(f"results in {out}/recovery.md and recovery.json")
    return 0


def run_regret(args: argparse.Namespace) -> int:
    """The ``study regret`` command."""
    every = args.every if args.every is not None else max(1, args.steps // 2)
    for name, value in (("seeds", args.seeds), ("steps", args.steps), ("every", every)):
        if value <= 0:
            raise UserError(f"--{name} must be positive, got {value}")
    out = Path(args.out)
    console = Console(soft_wrap=True)
    archs = parse_study_archs(args.archs)
    study = RegretStudy(out, archs, args.shifts, args.seeds, args.steps, every, console)
    torch.set_num_threads(study.cfg.threads)
    command = shlex.join(["python", "main.py", "study", "regret", "--out", str(out), "--seeds", str(args.seeds),
                          "--archs", args.archs, *(["--shifts", args.shifts] if args.shifts else []),
                          "--steps", str(args.steps), "--every", str(every)])
    results = study.run()
    results.update(command=command, steps=args.steps, every=every, episodes=study.episodes)
    write_json(out / "regret.json", results)
    atomic_write_text(out / "regret.md", regret_markdown(results, command, args.steps))
    regret_plot(results, out / "regret.png")
    for arch, s in results["summary"].items():
        console.print(f"{arch}: mean drop {s['mean_drop']:+.3f} = difficulty {s['mean_difficulty']:+.3f} "
                      f"+ excess {s['mean_excess']:+.3f}")
    console.print(f"results in {out}/regret.md, regret.json and regret.png")
    return 0


def run_shifts(args: argparse.Namespace) -> int:
    """The ``study shifts`` command: one checkpoint, the base and every shift, a table."""
    from rich.table import Table

    check_eval_request(args.episodes, args.seed)
    net, meta = load_checkpoint(args.checkpoint)
    training = meta.get("training", {})
    base = base_params(args.params or training.get("params") or "arena")
    faction = training.get("learner_faction", "hero")
    shifts = [load_shift(n) for n in parse_names(args.shifts, "shifts")] if args.shifts else \
        [load_shift(n) for n in shift_names()]
    conditions = {BASE: base, **{s.name: apply_shift(base, s) for s in shifts}}
    torch.set_num_threads(1)
    table = Table(title=f"{args.checkpoint} vs scripted NPC ({args.episodes} episodes per condition)")
    for column in ("condition", "win rate", "95% CI", "drop", "return", "length"):
        table.add_column(column, justify="left" if column == "condition" else "right")
    rows = {}
    for name, params in conditions.items():
        result = evaluate(net, ScriptedNPC(), params, args.episodes, args.seed, faction)
        rows[name] = result.to_dict()
        drop = rows[BASE]["win_rate"] - result.win_rate
        table.add_row(name, f"{result.win_rate:.3f}", f"{result.ci95[0]:.3f}-{result.ci95[1]:.3f}",
                      "" if name == BASE else f"{drop:+.3f}", f"{result.mean_return:.2f}", f"{result.mean_length:.1f}")
    Console().print(table)
    if args.json_out:
        out = {"checkpoint": str(args.checkpoint), "seed": args.seed, "episodes": args.episodes,
               "faction": faction, "conditions": rows}
        atomic_write_text(args.json_out, json.dumps(out, indent=2) + "\n")
    return 0
