"""Simulation throughput of this tree against an earlier commit, measured in one run.

    .venv/bin/python bench/sim_versions.py --base 9812e5b [--presets arena,dungeon] [--rounds 5] [--json out.json]

The base commit is checked out in a temporary git worktree (removed afterwards) and both
trees step a :class:`~game.batch.BatchedSim` with random legal actions and full
observations on one thread (the plain step: optional per-step work that later trees add,
such as the navigator, is switched off) in alternation, ``--rounds`` times per preset, so that load
on this shared machine hits both alike. Reported per preset: the median agent-steps per
second of wall-clock and of process CPU time for each tree, the ratio new / base, and
the ratio of world-steps per second (which does not count a change in the number of
agent slots per world). A preset whose file changed since the base commit is measured
twice: as each tree defines it, and from the base commit's file in both trees (the same
levels and agents: the cost of the code alone). The CPU-time figure is the steadier one
when other processes share the cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SNIPPET = """
import inspect, json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import game
assert game.__file__.startswith(sys.argv[1]), game.__file__  # this tree's code, not the installed one
from game.batch import BatchedSim
from npc.scripted import random_legal_actions
params, worlds, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
# The plain step: later trees may add optional per-step work (the navigator), switched off here.
options = {"nav": False} if "nav" in inspect.signature(BatchedSim).parameters else {}
sim = BatchedSim(params, worlds, seed=0, pool_size=64, threads=1, **options)
obs = sim.reset()
rng = np.random.default_rng(0)
for _ in range(3):
    obs = sim.step(random_legal_actions(obs["action_mask"], rng)).obs
steps, start, cpu = 0, time.perf_counter(), time.process_time()
while time.perf_counter() - start < seconds:
    obs = sim.step(random_legal_actions(obs["action_mask"], rng)).obs
    steps += 1
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
n = steps * worlds * sim.num_agents
print(json.dumps({"agents": sim.num_agents, "agent_steps_per_s": n / wall, "agent_steps_per_cpu_s": n / cpu,
                  "world_steps_per_s": steps * worlds / wall}))
"""


def run(tree: Path, preset: str, worlds: int, seconds: float) -> dict[str, float]:
    """One measurement in ``tree`` (a fresh interpreter, its own numba cache)."""
    out = subprocess.run([sys.executable, "-c", _SNIPPET, str(tree), preset, str(worlds), str(seconds)],
                         check=True, capture_output=True, text=True, cwd=tree)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    """Compare both trees and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare against")
    parser.add_argument("--presets", default="arena,dungeon", help="comma-separated presets")
    parser.add_argument("--rounds", type=int, default=5, help="alternating measurements per tree")
    parser.add_argument("--worlds", type=int, default=256, help="worlds per simulator")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per measurement")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="mindcrawl-base-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.base],
                       check=True, capture_output=True)
        try:
            # Each preset as this tree defines it, and as the base commit's preset file
            # defines it (the same level content in both trees: the code's cost alone).
            targets = []
            for preset in args.presets.split(","):
                targets.append((preset, preset))
                old = base / "levels" / "presets" / f"{preset}.toml"
                if old.exists() and old.read_bytes() != (ROOT / "levels" / "presets" / f"{preset}.toml").read_bytes():
                    targets.append((f"{preset} (base's file)", str(old)))
            for preset, source in targets:
                for tree in (base, ROOT):  # compile both first, outside the timed rounds
                    run(tree, source, 16, 0.2)
                rows: dict[str, list[dict[str, float]]] = {"base": [], "new": []}
                for _ in range(args.rounds):
                    rows["base"].append(run(base, source, args.worlds, args.seconds))
                    rows["new"].append(run(ROOT, source, args.worlds, args.seconds))
                summary = {}
                for name, measured in rows.items():
                    summary[name] = {key: statistics.median(m[key] for m in measured)
                                     for key in ("agent_steps_per_s", "agent_steps_per_cpu_s", "world_steps_per_s")}
                    summary[name]["agents"] = measured[0]["agents"]
                new, old = summary["new"], summary["base"]
                summary["ratio_wall"] = new["agent_steps_per_s"] / old["agent_steps_per_s"]
                summary["ratio_cpu"] = new["agent_steps_per_cpu_s"] / old["agent_steps_per_cpu_s"]
                summary["ratio_world_steps"] = new["world_steps_per_s"] / old["world_steps_per_s"]
                results[preset] = summary
                print(f"{preset:<22} base {summary['base']['agent_steps_per_s']:>10,.0f} /s "
                      f"({summary['base']['agent_steps_per_cpu_s']:,.0f} per CPU-s, {summary['base']['agents']} agents)"
                      f"   new {summary['new']['agent_steps_per_s']:>10,.0f} /s "
                      f"({summary['new']['agent_steps_per_cpu_s']:,.0f} per CPU-s, {summary['new']['agents']} agents)"
                      f"   new/base {summary['ratio_wall']:.3f} wall, {summary['ratio_cpu']:.3f} CPU, "
                      f"{summary['ratio_world_steps']:.3f} world-steps")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                           check=False, capture_output=True)
    if args.json:
        args.json.write_text(json.dumps({"base": args.base, "presets": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
