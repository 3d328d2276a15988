"""The in-game navigator's own cost, timed on replayed inputs: microseconds per agent-step.

    .venv/bin/python bench/nav_replay.py [--params dungeon] [--worlds 256] [--captures 20] [--repeats 3] \
        [--json out.json]

Runs ``--worlds`` worlds of ``--params`` with every agent following the navigator (as
``bench/sim_throughput.py --nav`` does) for 150 warm-up steps, then saves the inputs of
``game.navigate.nav_range`` (every array it reads or writes) at ``--captures`` steps, 4
steps apart. Each saved step is then replayed ``--repeats`` times on a fresh copy of its
inputs, on one thread, and only the kernel call is timed (process CPU time), so the
figure is the navigator alone, on the same inputs for any two versions of the code, free
of the simulation step and of Python. Also reported: the share of agent slots that had a
route (a navigator output of some kind) going into the replayed steps. Prints one line
and, with ``--json``, writes the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import game.batch as batch  # noqa: E402
from bench.sim_throughput import _navigating_actions  # noqa: E402
from game.navigate import NAV_KIND, nav_range  # noqa: E402


def _copy(args: tuple) -> list:
    return [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]


def capture(params: str, worlds: int, captures: int, seed: int = 0) -> tuple[list[tuple], int, int]:
    """Saved nav_range inputs of ``captures`` steps of a navigating run, the agent slots per
    world, and where the navigator's output ``out`` is among the inputs."""
    saved: list[tuple] = []
    taking = [False]

    def recording(*args: object) -> None:
        if taking[0]:
            saved.append(tuple(_copy(args)))
        nav_range(*args)

    batch.nav_range = recording  # the simulator calls the kernel through its module's name
    try:
        sim = batch.BatchedSim(params, worlds, seed=seed, pool_size=64, threads=1, nav=True)
        sim.pool.ensure(np.arange(64))
        obs = sim.reset()
        rng = np.random.default_rng(seed)
        for _ in range(150):
            obs, *_ = sim.step(_navigating_actions(obs, rng))
        for _ in range(captures):
            taking[0] = True
            obs, *_ = sim.step(_navigating_actions(obs, rng))
            taking[0] = False
            for _ in range(3):
                obs, *_ = sim.step(_navigating_actions(obs, rng))
        agents = sim.num_agents
        out_at = next(i for i, a in enumerate(sim.navigation.kernel_args(np.zeros((worlds, agents), np.int64)))
                      if a is sim.navigation.state.out)
        sim.close()
    finally:
        batch.nav_range = nav_range
    return saved, agents, out_at


def replay(saved: list[tuple], repeats: int) -> float:
    """CPU seconds of nav_range over every saved step, ``repeats`` times each (inputs restored)."""
    nav_range(*_copy(saved[0]))  # compiled already; warm the caches of the first step's code paths
    total = 0.0
    for _ in range(repeats):
        for args in saved:
            work = _copy(args)
            start = time.process_time()
            nav_range(*work)
            total += time.process_time() - start
    return total


def main(argv: list[str] | None = None) -> int:
    """Capture, replay and print the navigator's cost per agent-step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="dungeon", help="preset or TOML file (default dungeon)")
    parser.add_argument("--worlds", type=int, default=256, help="worlds of the run (default 256)")
    parser.add_argument("--captures", type=int, default=20, help="steps whose inputs are saved (default 20)")
    parser.add_argument("--repeats", type=int, default=3, help="replays of each saved step (default 3)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    if args.worlds < 1 or args.captures < 1 or args.repeats < 1:
        print("nav_replay: --worlds, --captures and --repeats must be at least 1", file=sys.stderr)
        return 2
    saved, agents, out_at = capture(args.params, args.worlds, args.captures)
    seconds = replay(saved, args.repeats)
    agent_steps = args.repeats * len(saved) * args.worlds * agents
    planned = sum(int((np.asarray(a[out_at])[..., NAV_KIND] != 0).sum()) for a in saved)
    result = {"params": args.params, "worlds": args.worlds, "agents": agents, "captures": len(saved),
              "repeats": args.repeats, "nav_us_per_agent_step": seconds / agent_steps * 1e6,
              "routed_share_before": planned / (len(saved) * args.worlds * agents)}
    print(f"{args.params}, {args.worlds} worlds x {agents} agent slots, {len(saved)} replayed steps x {args.repeats}: "
          f"navigator {result['nav_us_per_agent_step']:.3f} us per agent-step (CPU, one thread); "
          f"{result['routed_share_before']:.2f} of agent slots had a route before the replayed step")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
