"""Learning parity: does training on Ray reach the win rate of local training?

For each seed, trains one config (a frozen copy of the default) twice with the project's own command -- once
locally, once with ``--backend ray --workers W`` -- for the same number of learner
steps, then evaluates both policies against the scripted NPC on the same unseen
evaluation seed with ``main.py eval``. Prints each pair's win rates with 95% Wilson
intervals, the pooled rates over all seeds, and a 95% interval for the difference
(Newcombe's method); ``--json`` writes the same figures.

    .venv/bin/python bench/ray_parity.py --steps 1000000 --seeds 0 1 --json parity.json

Runs are niced (``nice -n 5`` equivalent) because the machine is shared.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from levels.common.files import atomic_write_text  # noqa: E402
from training.evaluate import wilson_interval  # noqa: E402


def _run(cmd: list[str]) -> float:
    """Run a command from the project root; returns its wall-clock seconds."""
    print("$ " + " ".join(cmd), flush=True)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _mean_rate(run_dir: Path) -> float:
    """Mean training steps/s over a run's iterations (the first, with start-up, excluded)."""
    with (run_dir / "metrics.csv").open(newline="") as handle:
        rates = [float(r["steps_per_s"]) for r in csv.DictReader(handle) if r["steps_per_s"]]
    rates = rates[1:] or rates
    return sum(rates) / max(len(rates), 1)


def frozen_config(args: argparse.Namespace) -> Path:
    """A copy of the config in the output directory, made once: every run of the comparison uses it.

    The shipped default config may be edited while a comparison runs; the copy keeps both
    backends on the same hyper-parameters.
    """
    path = Path(args.out) / "config.toml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, Path(args.config).read_text())
    return path


def train_and_eval(name: str, extra: list[str], seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """One training run plus its evaluation."""
    run_dir = Path(args.out) / f"{name}-seed{seed}"
    py = sys.executable
    if not (run_dir / "policy.safetensors").exists():
        train_s = _run([py, "main.py", "train", *extra, "--config", str(frozen_config(args)),
                        "--steps", str(args.steps), "--seed", str(seed), "--out", str(run_dir), "--no-progress"])
    else:
        train_s = float("nan")  # reused from an earlier invocation
    eval_json = run_dir / f"eval-seed{args.eval_seed}.json"
    _run([py, "main.py", "eval", str(run_dir / "policy.safetensors"), "--episodes", str(args.episodes),
          "--seed", str(args.eval_seed), "--json", str(eval_json)])
    result = json.loads(eval_json.read_text())
    return {"backend": name, "seed": seed, "train_seconds": train_s, "steps_per_s": _mean_rate(run_dir),
            "episodes": result["episodes"], "wins": result["wins"], "win_rate": result["win_rate"],
            "ci95": result["ci95"]}


def newcombe_difference(w1: int, n1: int, w2: int, n2: int) -> tuple[float, float, float]:
    """The difference of two proportions ``w1/n1 - w2/n2`` with Newcombe's 95% hybrid Wilson interval."""
    p1, p2 = w1 / n1, w2 / n2
    l1, u1 = wilson_interval(w1, n1)
    l2, u2 = wilson_interval(w2, n2)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def main() -> int:
    """Train, evaluate, print (and optionally write JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(ROOT / "training/configs/default.toml"),
                        help="training config (copied once to OUT/config.toml; every run uses the copy)")
    parser.add_argument("--steps", type=int, default=1_000_000, help="learner steps per run")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds (one pair each)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--episodes", type=int, default=500, help="evaluation episodes per policy")
    parser.add_argument("--eval-seed", type=int, default=1)
    parser.add_argument("--out", default="runs/ray-parity", help="run directories go here")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    os.nice(5)  # the machine is shared; children inherit it
    rows = []
    for seed in args.seeds:
        rows.append(train_and_eval("local", [], seed, args))
        rows.append(train_and_eval(f"ray{args.workers}", ["--backend", "ray", "--workers", str(args.workers)],
                                   seed, args))
    config = frozen_config(args)
    digest = hashlib.sha256(config.read_bytes()).hexdigest()[:12]
    print(f"\n{args.steps:,} learner steps per run, config {config} (sha256 {digest}); "
          f"eval: {args.episodes} episodes on eval seed {args.eval_seed} vs the scripted NPC")
    print(f"{'backend':8} {'seed':>4} {'train s':>8} {'steps/s':>8} {'wins':>9} {'win rate':>8}  95% CI")
    for r in rows:
        print(f"{r['backend']:8} {r['seed']:4d} {r['train_seconds']:8.0f} {r['steps_per_s']:8.0f} "
              f"{r['wins']:4d}/{r['episodes']:<4d} {r['win_rate']:8.3f}  {r['ci95'][0]:.3f}-{r['ci95'][1]:.3f}")
    pooled = {}
    for name in ("local", f"ray{args.workers}"):
        mine = [r for r in rows if r["backend"] == name]
        wins, n = sum(r["wins"] for r in mine), sum(r["episodes"] for r in mine)
        pooled[name] = {"wins": wins, "episodes": n, "win_rate": wins / n, "ci95": list(wilson_interval(wins, n))}
        print(f"pooled {name:8}: {wins}/{n} = {wins / n:.3f} (95% CI {pooled[name]['ci95'][0]:.3f}-"
              f"{pooled[name]['ci95'][1]:.3f})")
    a, b = pooled[f"ray{args.workers}"], pooled["local"]
    d, lo, hi = newcombe_difference(a["wins"], a["episodes"], b["wins"], b["episodes"])
    verdict = "contains 0: no detectable difference" if lo <= 0 <= hi else "excludes 0: the backends differ"
    print(f"ray - local: {d:+.3f} (95% CI {lo:+.3f} to {hi:+.3f}; {verdict})")
    if args.json:
        atomic_write_text(args.json, json.dumps({"steps": args.steps, "episodes": args.episodes,
                                               "config_sha256": digest, "eval_seed": args.eval_seed,
                                               "runs": rows, "pooled": pooled,
                                               "difference": {"ray_minus_local": d, "ci95": [lo, hi]}},
                                              indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
