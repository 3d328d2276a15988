"""The ``train`` and ``eval`` commands (registered by ``main.py`` through :func:`add_parser`).

A training run lives in one directory (``--out``)::

    config.toml                 the resolved training config (resume reads it back)
    metrics.csv, curve.png      one row per PPO iteration; the learning curve against agent-steps
    tensorboard/                the same metrics as TensorBoard event files (x: agent-steps)
    policy.safetensors          the latest policy (loadable by ``eval`` and ``play``)
    best.safetensors            the policy of the best periodic evaluation
    state.safetensors           optimiser, snapshots and generator states (for --resume)
    eval.json                   the last evaluation

Two win rates, named by what they measure: ``train_win_rate`` over the training
episodes, against the curriculum's opponents (which may be weakened), and
``eval_win_rate`` from the periodic evaluations on unseen seeds against the
full-strength opponent. ``--set KEY=VALUE`` overrides any config key
(:mod:`training.overrides`).

``--backend ray`` runs the same loop with rollouts on Ray actors
(:mod:`training.distributed`); the run directory is the same.
"""

from __future__ import annotations

import argparse
import functools
import json
import shlex
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from safetensors import safe_open
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from levels.errors import UserError
from levels.files import atomic_write_bytes, atomic_write_text, deferred_interrupts, parse_json, read_user_bytes
from levels.limits import MAX_SEED
from levels.params import preset_names
from npc.checkpoint import ARCHITECTURES, load_checkpoint, non_finite_tensor, save_checkpoint
from npc.policy import Policy, ScriptedNPC
from training.config import TrainConfig, config_to_dict, load_config, training_memory_problem
from training.evaluate import EvalResult, check_eval_request, evaluate
from training.metrics import MetricsLog, plot_curve
from training.overrides import apply_overrides
from training.ppo import SimFactory, Trainer, TrainingDivergedError

EXIT_INTERRUPTED = 130
STATE_KEY = "mindcrawl-train-state"
BACKENDS = ("local", "ray")
DEFAULT_WORKERS = 2
MAX_WORKERS = 1024


def add_parser(subparsers: Any) -> None:
    """Register ``train`` and ``eval``."""
    train = subparsers.add_parser("train", help="train an NPC policy with PPO (headless)",
                                  description="Train an NPC policy with PPO against the scripted NPC "
                                  "and snapshots of itself.")
    train.add_argument("--config", help="training config TOML (default: training/configs/default.toml)")
    where = train.add_mutually_exclusive_group()
    where.add_argument("--params", help="level parameter TOML (overrides the config)")
    where.add_argument("--preset", help="level preset name (overrides the config)")
    train.add_argument("--policy", choices=sorted(ARCHITECTURES), help="network (overrides the config)")
    train.add_argument("--steps", type=int, help="total learner agent-steps (overrides the config)")
    train.add_argument("--seed", type=int, help="seed (overrides the config)")
    train.add_argument("--set", action="append", default=[], dest="overrides", metavar="KEY=VALUE",
                       help="override any config key, e.g. --set ppo.learning_rate=3e-4 (repeatable)")
    train.add_argument("--out", default="runs/train", help="run directory (default: runs/train)")
    train.add_argument("--resume", metavar="DIR", help="continue the run in DIR")
    train.add_argument("--no-progress", action="store_true", help="plain log lines instead of a progress bar")
    train.add_argument("--backend", choices=BACKENDS, default="local",
                       help="where rollouts run: this process, or Ray actors (needs the 'ray' extra)")
    train.add_argument("--workers", type=int, help="Ray rollout workers (default 2; --backend ray only)")
    train.add_argument("--address", help="join the Ray cluster at ADDRESS instead of starting a local one "
                       "(--backend ray only)")
    train.set_defaults(run=run_train)

    ev = subparsers.add_parser("eval", help="evaluate a policy checkpoint against an opponent",
                               description="Win rate (95% CI), mean return and episode length on "
                               "seeds disjoint from every training seed.")
    ev.add_argument("checkpoint", help="policy .safetensors file")
    where = ev.add_mutually_exclusive_group()
    where.add_argument("--params", help="level parameter TOML")
    where.add_argument("--preset", help="level preset name (default: the one it was trained on)")
    ev.add_argument("--episodes", type=int, default=500, help="episodes to play (default 500)")
    ev.add_argument("--opponent", default="scripted", help="'scripted' or a policy checkpoint")
    ev.add_argument("--seed", type=int, default=0, help="evaluation seed (default 0)")
    ev.add_argument("--deterministic", action="store_true", help="argmax actions instead of sampling")
    ev.add_argument("--json", dest="json_out", help="write the result as JSON here")
    ev.set_defaults(run=run_eval)


# ----------------------------------------------------------------------------- train


def _command_line(args: argparse.Namespace) -> str:
    """The ``train`` command that reproduces this run, rebuilt from the parsed options."""
    parts = ["python", "main.py", "train"]
    if getattr(args, "backend", "local") != "local":
        parts += ["--backend", args.backend]
    for option in ("config", "params", "preset", "policy", "steps", "seed", "out", "resume", "workers", "address"):
        value = getattr(args, option, None)
        if value is not None and not (option == "out" and args.resume):
            parts += [f"--{option}", str(value)]
    for item in getattr(args, "overrides", None) or []:
        parts += ["--set", item]
    return shlex.join(parts)


def _workers(args: argparse.Namespace) -> int:
    """The Ray worker count; refuses Ray-only options with the local backend."""
    backend = getattr(args, "backend", "local")
    if backend == "local":
        for option in ("workers", "address"):
            if getattr(args, option, None) is not None:
                raise UserError(f"--{option} only applies to --backend ray")
        return 0
    workers = DEFAULT_WORKERS if args.workers is None else args.workers
    if workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    if workers > MAX_WORKERS:
        raise UserError(f"--workers must be at most {MAX_WORKERS}, got {workers}")
    return workers


def _resolve_config(args: argparse.Namespace) -> tuple[TrainConfig, Path, bool]:
    """The config with command-line overrides, the run directory, and whether it resumes."""
    if args.resume:
        run_dir = Path(args.resume)
        if not (run_dir / "config.toml").exists() or not (run_dir / "state.safetensors").exists():
            raise UserError(f"{run_dir}: not a resumable training run (config.toml or state.safetensors missing)")
        if (args.config or args.params or args.preset or args.policy or args.seed is not None
                or getattr(args, "overrides", None)):
            raise UserError("--resume continues a run with its own config; only --steps may change")
        cfg = load_config(run_dir / "config.toml")
    else:
        run_dir = Path(args.out)
        if (run_dir / "state.safetensors").exists():
            raise UserError(f"{run_dir}: already holds a training run (use --resume {run_dir} or another --out)")
        cfg = load_config(args.config)
        if args.params or args.preset:
            cfg.params = args.params or args.preset
        if args.policy and args.policy != cfg.policy.arch:
            cfg.policy.arch, cfg.policy.options = args.policy, {}
        if args.seed is not None:
            if args.seed < 0:
                raise UserError(f"--seed must be non-negative, got {args.seed}")
            if args.seed > MAX_SEED:
                raise UserError(f"--seed must be at most {MAX_SEED}, got {args.seed}")
            cfg.seed = args.seed
        cfg = apply_overrides(cfg, getattr(args, "overrides", None) or [])
    if args.steps is not None:
        if args.steps <= 0:
            raise UserError(f"--steps must be positive, got {args.steps}")
        cfg.total_steps = args.steps
    return cfg, run_dir, bool(args.resume)


def _write_config(cfg: TrainConfig, path: Path) -> None:
    import tomli_w

    atomic_write_text(path, tomli_w.dumps(config_to_dict(cfg)))


def _save_state(trainer: Trainer, path: Path, minutes: float) -> None:
    tensors, scalars = trainer.state_tensors()
    scalars["minutes"] = minutes
    tensors = {k: v.detach().contiguous().clone() for k, v in tensors.items()}
    atomic_write_bytes(path, save_tensors(tensors, metadata={STATE_KEY: json.dumps(scalars)}))


def _load_state(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    def error(reason: str) -> UserError:
        return UserError(f"{path}: cannot read the training state ({' '.join(reason.split())})")

    data = read_user_bytes(path, error)
    try:
        with safe_open(str(path), "pt") as handle:
            meta = handle.metadata() or {}
        tensors = load_tensors(data)
        raw = meta[STATE_KEY]
    except Exception as exc:  # any damage: one clear line
        raise error(str(exc)) from None
    scalars = parse_json(raw, error)
    if not isinstance(scalars, dict):
        raise error("its metadata is not a table")
    bad = non_finite_tensor(tensors)
    if bad is not None:
        raise error(f"tensor {bad!r} holds NaN or infinite values")
    return tensors, scalars


class TrainRun:
    """One ``train`` invocation: the loop, its logs, checkpoints, evaluations and Ctrl-C."""

    def __init__(self, cfg: TrainConfig, run_dir: Path, resume: bool, sim_factory: SimFactory | None,
                 base: Any, progress: bool, console: Console, command: str,
                 make_trainer: Callable[..., Trainer] = Trainer) -> None:
        self.cfg = cfg
        self.run_dir = run_dir
        self.console = console
        self.progress = progress
        run_dir.mkdir(parents=True, exist_ok=True)
        torch.set_num_threads(cfg.threads)
        self.trainer = make_trainer(cfg, sim_factory=sim_factory, base=base)
        self.minutes0 = 0.0
        self.best = -1.0
        self.command, self.resumes = command, []
        if resume:
            net, meta = load_checkpoint(run_dir / "policy.safetensors")
            tensors, scalars = _load_state(run_dir / "state.safetensors")
            self.trainer.load_state(net, tensors, scalars)
            self.minutes0 = float(scalars.get("minutes", 0.0))
            self.best = float(meta.get("training", {}).get("best_eval_win_rate", -1.0))
            self.command = meta.get("training", {}).get("command", command)
            self.resumes = [*meta.get("training", {}).get("resumes", []), command]
        else:
            _write_config(cfg, run_dir / "config.toml")
        self.log = MetricsLog(run_dir, resume_steps=self.trainer.steps if resume else None)
        self.eval_base = self.trainer.base
        self.start = time.perf_counter()
        self.next_eval = self._next(cfg.eval.every)
        self.next_checkpoint = self._next(cfg.checkpoint_every)
        self.last_eval: EvalResult | None = None

    def _next(self, every: int) -> int:
        if every <= 0:
            return 1 << 62
        return (self.trainer.steps // every + 1) * every

    def minutes(self) -> float:
        """Wall-clock minutes of training, across resumes."""
        return self.minutes0 + (time.perf_counter() - self.start) / 60

    def training_meta(self) -> dict[str, Any]:
        """What checkpoints record about the run."""
        t = self.trainer
        stats: dict[str, Any] = {"steps": t.steps, "iterations": t.iteration, "episodes": t.episodes,
                                 "minutes": round(self.minutes(), 2)}
        if self.last_eval is not None:
            stats["eval"] = self.last_eval.to_dict()
        return {"command": self.command, "resumes": self.resumes, "params": self.cfg.params,
                "learner_faction": self.cfg.learner_faction,
                "seed": self.cfg.seed, "config": config_to_dict(self.cfg), "stats": stats,
                "best_eval_win_rate": self.best, "torch": torch.__version__}

    def save(self) -> None:
        """Policy, training state and curve, all written atomically."""
        save_checkpoint(self.run_dir / "policy.safetensors", self.trainer.net, self.training_meta())
        _save_state(self.trainer, self.run_dir / "state.safetensors", self.minutes())
        if self.log.rows:
            plot_curve(self.log.rows, self.run_dir / "curve.png",
                       f"{self.cfg.policy.arch} on {self.cfg.params} (seed {self.cfg.seed})")

    def run_eval(self) -> EvalResult:
        """Evaluate the current policy against the scripted NPC on evaluation seeds."""
        e = self.cfg.eval
        result = evaluate(self.trainer.net, self.trainer.scripted, self.eval_base, e.episodes, self.cfg.seed,
                          self.cfg.learner_faction, e.num_worlds, sim_factory=self.trainer.sim_factory)
        self.last_eval = result
        atomic_write_text(self.run_dir / "eval.json", json.dumps(result.to_dict(), indent=2) + "\n")
        if result.win_rate > self.best:
            self.best = result.win_rate
            save_checkpoint(self.run_dir / "best.safetensors", self.trainer.net, self.training_meta())
        return result

    def step(self) -> dict[str, Any]:
        """One PPO iteration plus its bookkeeping; returns the metrics row."""
        t = self.trainer
        before, clock = t.steps, time.perf_counter()
        stats, episodes = t.iterate()
        row: dict[str, Any] = {
            "iteration": t.iteration, "steps": t.steps, "minutes": self.minutes(),
            "steps_per_s": (t.steps - before) / max(time.perf_counter() - clock, 1e-9), "phase": t.phase,
            "episodes": episodes.episodes,
            "train_win_rate": episodes.wins / episodes.episodes if episodes.episodes else "",
            "mean_return": float(np.mean(episodes.returns)) if episodes.returns else "",
            "mean_length": float(np.mean(episodes.lengths)) if episodes.lengths else "",
            "rollout_s": stats.rollout_s, "update_s": stats.update_s, "policy_loss": stats.policy_loss,
            "value_loss": stats.value_loss, "entropy": stats.entropy,
            "approx_kl": stats.approx_kl, "clip_frac": stats.clip_frac,
        }
        if t.steps >= self.next_eval:
            self.next_eval = self._next(self.cfg.eval.every)
            result = self.run_eval()
            row.update(eval_win_rate=result.win_rate, eval_ci_low=result.ci95[0], eval_ci_high=result.ci95[1],
                       eval_episodes=result.episodes)
        self.log.append(row)
        if t.steps >= self.next_checkpoint:
            self.next_checkpoint = self._next(self.cfg.checkpoint_every)
            self.save()
        return row

    def loop(self) -> int:
        """Train until ``total_steps``; Ctrl-C saves and returns :data:`EXIT_INTERRUPTED`.

        A diverged update stops the run with a one-line error and saves nothing, so the
        last good checkpoint stays; a second Ctrl-C while saving waits for the save.
        """
        try:
            if self.progress:
                self._loop_with_bar()
            else:
                self._loop_plain()
        except TrainingDivergedError as exc:
            self.log.close()
            raise TrainingDivergedError(f"{self.run_dir}: at {self.trainer.steps} steps: {exc}; nothing was "
                                        "saved, the last good checkpoint is kept") from None
        except KeyboardInterrupt:
            with deferred_interrupts():
                self.save()
            self.log.close()
            self.console.print(f"interrupted at {self.trainer.steps} steps; saved. Continue with: "
                               f"python main.py train --resume {self.run_dir}")
            return EXIT_INTERRUPTED
        if self.cfg.eval.episodes > 0 and not self.log.has_eval_at(self.trainer.steps) and (
                self.last_eval is None or self.cfg.eval.every <= 0 or self.trainer.steps % self.cfg.eval.every):
            result = self.run_eval()
            self.log.append({"iteration": self.trainer.iteration, "steps": self.trainer.steps,
                             "minutes": self.minutes(), "eval_win_rate": result.win_rate,
                             "eval_ci_low": result.ci95[0], "eval_ci_high": result.ci95[1],
                             "eval_episodes": result.episodes})
        self.save()
        self.log.close()
        ev = self.last_eval
        summary = f"done: {self.trainer.steps} steps in {self.minutes():.1f} min; policy in {self.run_dir}"
        if ev is not None:
            summary += (f"; eval win rate {ev.win_rate:.3f} (95% CI {ev.ci95[0]:.3f}-{ev.ci95[1]:.3f}, "
                        f"{ev.episodes} episodes)")
        self.console.print(summary)
        return 0

    def _loop_plain(self) -> None:
        while self.trainer.steps < self.cfg.total_steps:
            row = self.step()
            self.console.print(_row_text(row))

    def _loop_with_bar(self) -> None:
        columns = (TextColumn("[bold]train"), BarColumn(), TaskProgressColumn(),
                   TextColumn("{task.completed:,.0f}/{task.total:,.0f} steps"), TextColumn("{task.fields[info]}"),
                   TimeRemainingColumn())
        with Progress(*columns, console=self.console, transient=False) as bar:
            task = bar.add_task("train", total=self.cfg.total_steps, completed=self.trainer.steps, info="")
            while self.trainer.steps < self.cfg.total_steps:
                row = self.step()
                bar.update(task, completed=self.trainer.steps, info=_row_text(row, short=True))


def _fmt(value: Any, spec: str) -> str:
    return "-" if value in ("", None) else format(value, spec)


def _row_text(row: dict[str, Any], short: bool = False) -> str:
    text = (f"{_fmt(row['steps_per_s'], '.0f')} steps/s  return {_fmt(row['mean_return'], '.2f')}  "
            f"train win {_fmt(row['train_win_rate'], '.2f')} (curriculum opponents)")
    if "eval_win_rate" in row:
        text += f"  eval win {row['eval_win_rate']:.2f} (vs full-strength opponent)"
    if short:
        return text
    return f"it {row['iteration']:5d}  steps {row['steps']:9d}  {row['minutes']:6.1f} min  " + text


def run_train(args: argparse.Namespace, sim_factory: SimFactory | None = None, base: Any = None) -> int:
    """The ``train`` command (``sim_factory``/``base`` let tests train on a toy task)."""
    workers = _workers(args)
    if workers:
        from training.distributed import import_ray

        import_ray()  # before reading anything: a missing extra is the first thing to report
    cfg, run_dir, resume = _resolve_config(args)
    memory = training_memory_problem(cfg)
    if memory:
        raise UserError(memory)
    console = Console(soft_wrap=True)
    command = _command_line(args)
    if not workers:
        run = TrainRun(cfg, run_dir, resume, sim_factory, base, not args.no_progress, console, command)
        return run.loop()
    return _run_train_on_ray(args, cfg, run_dir, resume, sim_factory, base, console, command, workers)


def _run_train_on_ray(args: argparse.Namespace, cfg: TrainConfig, run_dir: Path, resume: bool,
                      sim_factory: SimFactory | None, base: Any, console: Console, command: str, workers: int) -> int:
    """The same run as :class:`TrainRun` does locally, with rollouts on Ray actors."""
    import ray

    from training.distributed.trainer import RayTrainer, connect

    started = connect(args.address, workers)
    run: TrainRun | None = None
    try:
        run = TrainRun(cfg, run_dir, resume, sim_factory, base, not args.no_progress, console, command,
                       make_trainer=functools.partial(RayTrainer, workers=workers))
        where = args.address or "a local Ray instance"
        console.print(f"ray: {workers} rollout workers on {where} "
                      f"({ray.cluster_resources().get('CPU', 0):g} CPUs in the cluster)")
        return run.loop()
    finally:
        if run is not None:
            run.trainer.close()
        if started:
            ray.shutdown()


# ----------------------------------------------------------------------------- eval


def _opponent(spec: str, num_actions: int) -> tuple[Policy, str]:
    if spec == "scripted":
        return ScriptedNPC(), "scripted"
    net, _ = load_checkpoint(spec, num_actions=num_actions)
    return net, str(spec)


def _trained_preset(checkpoint: str, recorded: Any) -> str:
    """The preset a checkpoint was trained on; a recorded file path is never opened.

    A checkpoint is a user file too: reading the path its metadata names would let it
    make ``eval`` open any file, so only shipped preset names are taken from it.
    """
    if recorded is None:
        return "arena"
    if not isinstance(recorded, str):
        raise UserError(f"{checkpoint}: training.params is not a string")
    if recorded not in preset_names():
        raise UserError(f"{checkpoint}: trained on {recorded[:80]!r}, not a shipped preset: "
                        "name the level with --params FILE or --preset NAME")
    return recorded


def run_eval(args: argparse.Namespace, sim_factory: SimFactory | None = None) -> int:
    """The ``eval`` command."""
    check_eval_request(args.episodes, args.seed)
    net, meta = load_checkpoint(args.checkpoint)
    training = meta.get("training", {})
    params = args.params or args.preset or _trained_preset(args.checkpoint, training.get("params"))
    faction = training.get("learner_faction", "hero")
    if not isinstance(faction, str):
        raise UserError(f"{args.checkpoint}: training.learner_faction is not a string")
    opponent, opponent_name = _opponent(args.opponent, net.num_actions)
    torch.set_num_threads(2)
    result = evaluate(net, opponent, params, args.episodes, args.seed, faction,
                      deterministic=args.deterministic, sim_factory=sim_factory)
    out = {"checkpoint": str(args.checkpoint), "params": str(params), "opponent": opponent_name,
           "faction": faction, "seed": args.seed, "deterministic": args.deterministic,
           "seed_domain": "evaluation (disjoint from training seeds)", **result.to_dict()}
    table = Table(title=f"{args.checkpoint} vs {opponent_name} on {params}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("episodes", str(result.episodes))
    table.add_row("wins / losses / draws", f"{result.wins} / {result.losses} / {result.draws}")
    for outcome, causes in result.by_cause.items():
        if causes:
            table.add_row(f"  {outcome} by cause", ", ".join(f"{c} {n}" for c, n in sorted(causes.items())))
    table.add_row("win rate", f"{result.win_rate:.3f}")
    table.add_row("95% CI (Wilson)", f"{result.ci95[0]:.3f} - {result.ci95[1]:.3f}")
    table.add_row("mean return", f"{result.mean_return:.3f}")
    table.add_row("mean episode length", f"{result.mean_length:.1f}")
    Console().print(table)
    if args.json_out:
        atomic_write_text(args.json_out, json.dumps(out, indent=2) + "\n")
    return 0
