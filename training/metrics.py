"""Training metrics: a CSV log, a TensorBoard log, and the learning-curve PNG (against agent-steps).

``train_win_rate`` is over training episodes, against the curriculum's (possibly
weakened) opponents; ``eval_win_rate`` is from evaluations on unseen seeds against the
full-strength opponent.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from levels.common.files import atomic_write_bytes

COLUMNS = ("iteration", "steps", "minutes", "steps_per_s", "phase", "episodes", "train_win_rate", "mean_return",
           "mean_length", "rollout_s", "update_s", "policy_loss", "value_loss", "entropy", "approx_kl",
           "clip_frac",
           "eval_win_rate", "eval_ci_low", "eval_ci_high", "eval_episodes")


class MetricsLog:
    """Appends rows to ``metrics.csv`` and to TensorBoard (``tensorboard/``, x: agent-steps)."""

    def __init__(self, run_dir: Path, resume_steps: int | None = None, tensorboard: bool = True) -> None:
        self.path = run_dir / "metrics.csv"
        self.rows: list[dict[str, Any]] = []
        if resume_steps is not None and self.path.exists():
            with self.path.open(newline="") as handle:
                self.rows = [r for r in csv.DictReader(handle) if _steps(r) <= resume_steps]
        for row in self.rows:  # runs logged before the column was renamed
            if "win_rate" in row and "train_win_rate" not in row:
                row["train_win_rate"] = row.pop("win_rate")
        self._rewrite()
        self.writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard is optional
                SummaryWriter = None
            if SummaryWriter is not None:
                self.writer = SummaryWriter(str(run_dir / "tensorboard"))

    def _rewrite(self) -> None:
        lines = [",".join(COLUMNS)]
        lines += [",".join(str(row.get(c, "")) for c in COLUMNS) for row in self.rows]
        atomic_write_bytes(self.path, ("\n".join(lines) + "\n").encode())

    def has_eval_at(self, steps: int) -> bool:
        """Whether a row at ``steps`` agent steps already holds an evaluation (a finished run resumed)."""
        return any(str(r.get("steps")) == str(steps) and r.get("eval_win_rate") not in ("", None)
                   for r in self.rows)

    def append(self, row: dict[str, Any]) -> None:
        """Add one row (missing columns stay empty)."""
        row = {k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()}
        self.rows.append(row)
        with self.path.open("a", newline="") as handle:
            csv.writer(handle).writerow([row.get(c, "") for c in COLUMNS])
        if self.writer is not None:
            for key, value in row.items():
                if key not in ("iteration", "steps") and value not in ("", None):
                    self.writer.add_scalar(key, float(value), int(row["steps"]))

    def close(self) -> None:
        """Flush TensorBoard."""
        if self.writer is not None:
            self.writer.close()


def _steps(row: dict[str, Any]) -> int:
    """A logged row's step count; a damaged row counts as past the resume point (dropped)."""
    try:
        return int(row.get("steps") or "")
    except (TypeError, ValueError):
        return 1 << 62


def _floats(rows: Sequence[dict[str, Any]], key: str) -> list[float]:
    return [float(r[key]) if r.get(key) not in ("", None) else math.nan for r in rows]


def plot_curve(rows: Sequence[dict[str, Any]], path: Path, title: str) -> None:
    """Win rates (training episodes; evaluations with 95% CI) and return against agent-steps."""
    import matplotlib

    matplotlib.use("Agg")
    import io

    import matplotlib.pyplot as plt

    steps = _floats(rows, "steps")
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    ax1.plot(steps, _floats(rows, "train_win_rate"), lw=1, alpha=0.6,
             label="training episodes (vs curriculum opponents)")
    evals = [(m, w, lo, hi) for m, w, lo, hi in zip(steps, _floats(rows, "eval_win_rate"),
                                                    _floats(rows, "eval_ci_low"), _floats(rows, "eval_ci_high"),
                                                    strict=True) if not math.isnan(w)]
    if evals:
        m, w, lo, hi = (list(x) for x in zip(*evals, strict=True))
        ax1.errorbar(m, w, yerr=[[a - b for a, b in zip(w, lo, strict=True)],
                                 [b - a for a, b in zip(w, hi, strict=True)]],
                     fmt="o-", color="C3", capsize=3, label="evaluation vs full-strength opponent (95% CI)")
    ax1.axhline(0.8, color="grey", ls="--", lw=0.8)
    ax1.set_ylim(0, 1)
    ax1.set_ylabel("win rate")
    ax1.legend(loc="lower right")
    ax1.set_title(title)
    ax2.plot(steps, _floats(rows, "mean_return"), lw=1)
    ax2.set_ylabel("mean episode return")
    ax2.set_xlabel("learner agent-steps")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
