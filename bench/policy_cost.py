"""Cost per learner step of the three study architectures, end to end and split, in one run.

    .venv/bin/python bench/policy_cost.py [--config FILE] [--iterations N] [--archs A,B,C] [--json OUT|-]

For each architecture (``transformer``, ``dense``, ``baseline``; the dense and baseline
networks with their default options, as ``study adaptation`` builds them) a
:class:`training.ppo.Trainer` runs full PPO iterations (rollout against the scripted
NPC + update) on the config's final curriculum phase. After warm-up, the
architectures take turns iteration by iteration, so a change in the shared machine's
load hits all of them alike; the ratios to the transformer are the figures to quote.
Printed: learner steps/s end to end, seconds per iteration in the rollout and in the
update, trainable parameters, and the ratio of each architecture's cost per step to
the transformer's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ARCHS = ("transformer", "dense", "baseline")


def make_trainer(arch: str, config: str | None, seed: int):  # noqa: ANN201 (training.ppo.Trainer, imported lazily)
    """A trainer of ``arch`` on the config's last curriculum phase (``study adaptation``'s options)."""
    from training.config import load_config
    from training.ppo import Trainer

    cfg = load_config(config)
    cfg.curriculum = []  # the full arena: the phase most of a run spends its steps in
    cfg.seed = seed
    if arch != cfg.policy.arch:
        cfg.policy.arch, cfg.policy.options = arch, {}
    cfg.eval.every = 0
    return Trainer(cfg)


def measure(archs: list[str], config: str | None, iterations: int, warmup: int) -> list[dict[str, float]]:
    """Interleaved PPO iterations per architecture; one row of figures per architecture."""
    trainers = {a: make_trainer(a, config, seed=0) for a in archs}
    for trainer in trainers.values():
        for _ in range(warmup):
            trainer.iterate()
    totals = {a: {"steps": 0, "seconds": 0.0, "rollout_s": 0.0, "update_s": 0.0} for a in archs}
    for _ in range(iterations):
        for arch, trainer in trainers.items():
            start = time.perf_counter()
            stats, _ = trainer.iterate()
            t = totals[arch]
            t["seconds"] += time.perf_counter() - start
            t["steps"] += stats.samples
            t["rollout_s"] += stats.rollout_s
            t["update_s"] += stats.update_s
    rows = []
    for arch in archs:
        t = totals[arch]
        rows.append({"arch": arch, "params": trainers[arch].loop.net.num_parameters(),
                     "options": trainers[arch].loop.net.config, "steps": t["steps"], "seconds": t["seconds"],
                     "steps_per_s": t["steps"] / t["seconds"],
                     "rollout_s_per_iter": t["rollout_s"] / iterations,
                     "update_s_per_iter": t["update_s"] / iterations,
                     "us_per_step": 1e6 * t["seconds"] / t["steps"]})
    ref = next((r for r in rows if r["arch"] == "transformer"), rows[0])
    for row in rows:
        row["cost_vs_" + ref["arch"]] = row["us_per_step"] / ref["us_per_step"]
    return rows


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, measure, print the table (and JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", help="training config TOML (default: training/configs/default.toml)")
    parser.add_argument("--iterations", type=int, default=6, help="measured iterations per architecture")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured iterations per architecture first")
    parser.add_argument("--archs", default=",".join(ARCHS), help="comma-separated architectures")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--json", dest="json_out", help="write the figures as JSON here ('-' for stdout)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    archs = [a.strip() for a in args.archs.split(",") if a.strip()]
    rows = measure(archs, args.config, args.iterations, args.warmup)
    ref = [k for k in rows[0] if k.startswith("cost_vs_")][0]
    print(f"{'arch':12s} {'params':>8s} {'steps/s':>8s} {'us/step':>8s} {'rollout s/it':>12s} "
          f"{'update s/it':>11s} {ref:>20s}")
    for r in rows:
        print(f"{r['arch']:12s} {r['params']:8d} {r['steps_per_s']:8.0f} {r['us_per_step']:8.0f} "
              f"{r['rollout_s_per_iter']:12.3f} {r['update_s_per_iter']:11.3f} {r[ref]:20.2f}")
    report = {"iterations": args.iterations, "warmup": args.warmup, "threads": args.threads,
              "config": args.config or "training/configs/default.toml", "rows": rows}
    if args.json_out == "-":
        print(json.dumps(report, indent=2))
    elif args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
