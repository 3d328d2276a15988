"""Fuzz the simulator: random legal agent-steps over every preset, invariants after every step.

    .venv/bin/python bench/fuzz_sim.py [--agent-steps 1000000] [--worlds 32] [--json out.json]

An agent-step is one agent slot of one world advancing one turn. The budget is split
evenly over the shipped presets; each preset runs ``--worlds`` worlds with short
episodes (so resets, stairs and deaths happen often) and calls
``game.invariants.check_world`` after every step. Every level of the pool is also read
back through ``Level.from_dict`` (the load-time checks of ``levels.validate``). Prints
the figures and, with ``--json``, writes them; exits 1 on the first broken invariant.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.batch import BatchedSim  # noqa: E402
from game.invariants import InvariantError, check_world  # noqa: E402
from levels.common.files import atomic_write_text  # noqa: E402
from levels.level import Level  # noqa: E402
from levels.params import preset_names  # noqa: E402
from npc.scripted import random_legal_actions  # noqa: E402


def fuzz_preset(preset: str, agent_steps: int, worlds: int, seed: int) -> dict[str, float]:
    """Run ``agent_steps`` random agent-steps on ``preset``; returns its figures."""
    sim = BatchedSim(preset, worlds, seed=seed, pool_size=16, max_turns=40, threads=1)
    obs = sim.reset()
    rng = np.random.default_rng(seed)
    items = check_world(sim.world)
    per_step = sim.num_worlds * sim.num_agents
    steps = max(1, -(-agent_steps // per_step))  # rounded up: at least the budget
    episodes = 0
    start = time.perf_counter()
    for _ in range(steps):
        obs, _, _, _, info = sim.step(random_legal_actions(obs["action_mask"], rng))
        items = check_world(sim.world, items)
        episodes += int(np.count_nonzero(info["finished"]))
    levels = [lv for lv in sim.pool.levels if lv is not None]
    for level in levels:
        Level.from_dict(level.to_dict())
    return {"agent_steps": steps * per_step, "worlds": worlds, "agents": sim.num_agents,
            "episodes": episodes, "levels_checked": len(levels), "seconds": time.perf_counter() - start}


def main() -> int:
    """Run the fuzzer; print and optionally write its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent-steps", type=int, default=1_000_000)
    parser.add_argument("--worlds", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    presets = preset_names()
    results = {}
    try:
        for preset in presets:
            results[preset] = fuzz_preset(preset, args.agent_steps // len(presets), args.worlds, args.seed)
            r = results[preset]
            print(f"{preset:10s} {r['agent_steps']:9,d} agent-steps  {r['episodes']:6,d} episodes  "
                  f"{r['levels_checked']:3d} levels re-read  {r['seconds']:6.1f} s  invariants ok", flush=True)
    except InvariantError as exc:
        print(f"INVARIANT BROKEN on {preset}: {exc}")
        return 1
    total = sum(r["agent_steps"] for r in results.values())
    print(f"total: {total:,d} agent-steps over {len(presets)} presets, no invariant broken")
    if args.json:
        atomic_write_text(args.json, json.dumps({"total_agent_steps": total, "presets": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
