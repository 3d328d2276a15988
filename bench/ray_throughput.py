"""Training throughput: local PPO vs rollouts on 1..N Ray workers, and where the time goes.

Runs the default config (``training/configs/default.toml``) for a few PPO iterations
per mode after warm-up iterations, in one process, one mode after the other:

- ``local``: :class:`training.ppo.Trainer` (the simulator on its own thread pool);
- ``rayK``: :class:`training.distributed.trainer.RayTrainer` with K rollout actors.

For each mode it prints learner agent-steps/s (rollout + update, wall clock), the
learner's rollout and update seconds per iteration, and for Ray the slowest worker's
own collection time, the rest of the rollout time (transport, joining, waiting), the
weights broadcast per update and the batch bytes returned::

    .venv/bin/python bench/ray_throughput.py --workers 1 2 --iterations 10 --json throughput.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from levels.common.files import atomic_write_text  # noqa: E402
from training.config import load_config  # noqa: E402
from training.ppo import Trainer  # noqa: E402


def measure(trainer: Trainer, warmup: int, iterations: int) -> dict[str, Any]:
    """Time ``iterations`` PPO iterations after ``warmup`` ones (start-up included in warm-up)."""
    start = time.perf_counter()
    for _ in range(warmup):
        trainer.iterate()
    startup = time.perf_counter() - start
    rows = []
    for _ in range(iterations):
        clock = time.perf_counter()
        stats, _ = trainer.iterate()
        row = {"wall": time.perf_counter() - clock, "samples": stats.samples, "rollout": stats.rollout_s,
               "update": stats.update_s}
        pool = getattr(trainer, "pool", None)
        if pool is not None:
            row["worker_max"] = max(s.seconds for s in pool.stats.last_sources)
            row["weights_bytes"], row["batch_bytes"] = trainer.collector.last_bytes
        rows.append(row)

    def mean(key: str) -> float:
        return sum(r[key] for r in rows) / len(rows)

    out = {"warmup_seconds": startup, "steps_per_s": sum(r["samples"] for r in rows) / sum(r["wall"] for r in rows),
           "samples_per_iteration": mean("samples"), "rollout_s": mean("rollout"), "update_s": mean("update")}
    if "worker_max" in rows[0]:
        out.update(worker_collect_s=mean("worker_max"), overhead_s=mean("rollout") - mean("worker_max"),
                   weights_bytes=rows[-1]["weights_bytes"], batch_bytes=mean("batch_bytes"))
    return out


def main() -> int:
    """Measure every mode, print a table (and optionally JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Ray worker counts to measure")
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--no-local", action="store_true", help="skip the local baseline")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg = load_config(None)
    results: dict[str, Any] = {}
    if not args.no_local:
        results["local"] = measure(Trainer(cfg), args.warmup, args.iterations)
    if args.workers:
        import ray

        from training.distributed.trainer import RayTrainer

        ray.init(address="local", num_cpus=max(max(args.workers), os.cpu_count() or 1), include_dashboard=False,
                 logging_level="warning")
        for k in args.workers:
            trainer = RayTrainer(cfg, workers=k)
            try:
                results[f"ray{k}"] = measure(trainer, args.warmup, args.iterations)
            finally:
                trainer.close()
        ray.shutdown()
    load = os.getloadavg()[0]
    print(f"default config: {cfg.ppo.num_worlds} worlds x {cfg.ppo.rollout_steps} steps per iteration, "
          f"{args.iterations} timed iterations after {args.warmup} warm-up; load average {load:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(f"{'mode':6} {'steps/s':>8} {'rollout s':>9} {'update s':>8} {'worker s':>8} {'overhead s':>10} "
          f"{'weights kB':>10} {'batch MB':>8} {'warm-up s':>9}")
    for name, r in results.items():
        if "worker_collect_s" in r:
            extra = (f"{r['worker_collect_s']:8.3f} {r['overhead_s']:10.3f} {r['weights_bytes'] / 1e3:10.0f} "
                     f"{r['batch_bytes'] / 1e6:8.1f}")
        else:
            extra = f"{'-':>8} {'-':>10} {'-':>10} {'-':>8}"
        print(f"{name:6} {r['steps_per_s']:8.0f} {r['rollout_s']:9.3f} {r['update_s']:8.3f} {extra} "
              f"{r['warmup_seconds']:9.1f}")
    if args.json:
        atomic_write_text(args.json, json.dumps({"load_average": load, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
