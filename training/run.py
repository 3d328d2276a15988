"""One training run in its directory: the PPO loop with its logs, checkpoints, evaluations, resume state and Ctrl-C.

A run lives in one directory (``train --out``)::

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
full-strength opponent.

:class:`TrainRun` is library code: the ``train`` command (:mod:`training.cli`) and the
adaptation study (:mod:`training.study.adaptation`) both drive it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from safetensors import safe_open
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from levels.common.errors import UserError
from levels.common.files import atomic_write_bytes, atomic_write_text, deferred_interrupts, parse_json, read_user_bytes
from npc.checkpoint import load_checkpoint, non_finite_tensor, save_checkpoint
from training.config import TrainConfig, config_to_dict
from training.evaluate import EvalResult, evaluate
from training.metrics import MetricsLog, plot_curve
from training.ppo import SimFactory, Trainer, TrainingDivergedError

EXIT_INTERRUPTED = 130
STATE_KEY = "mindcrawl-train-state"


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
        save_checkpoint(self.run_dir / "policy.safetensors", self.trainer.loop.net, self.training_meta())
        _save_state(self.trainer, self.run_dir / "state.safetensors", self.minutes())
        if self.log.rows:
            plot_curve(self.log.rows, self.run_dir / "curve.png",
                       f"{self.cfg.policy.arch} on {self.cfg.params} (seed {self.cfg.seed})")

    def run_eval(self) -> EvalResult:
        """Evaluate the current policy against the scripted NPC on evaluation seeds."""
        e = self.cfg.eval
        result = evaluate(self.trainer.loop.net, self.trainer.scripted, self.eval_base, e.episodes, self.cfg.seed,
                          self.cfg.learner_faction, e.num_worlds, sim_factory=self.trainer.sim_factory)
        self.last_eval = result
        atomic_write_text(self.run_dir / "eval.json", json.dumps(result.to_dict(), indent=2) + "\n")
        if result.win_rate > self.best:
            self.best = result.win_rate
            save_checkpoint(self.run_dir / "best.safetensors", self.trainer.loop.net, self.training_meta())
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
