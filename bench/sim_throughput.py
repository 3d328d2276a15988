"""Simulation throughput: agent-steps/s with full observations and random legal actions.

    .venv/bin/python bench/sim_throughput.py [--peer-python PEER_VENV/bin/python] [--json out.json]
    .venv/bin/python bench/sim_throughput.py --soak 1000000     # invariant soak instead

An agent-step is one agent slot of one world advancing one turn (B x A per call), with
every agent's observation built and a uniformly random legal action chosen for each
(the sampling is timed too). Measured: one world with two agents through the batched
API (B=1), a sweep of batch sizes (the best is reported), memory per world, and, when
``--peer-python`` points at an interpreter with ``minigrid`` installed, MiniGrid's
single-env random-action steps/s measured in the same run, with the ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.batch import BatchedSim  # noqa: E402
from game.invariants import check_world, trajectory_digest  # noqa: E402
from game.navigate import NAV_ACTION, NAV_KIND  # noqa: E402
from npc.scripted import random_legal_actions  # noqa: E402

_MINIGRID = """
import sys, time, gymnasium as gym, minigrid  # noqa
secs = float(sys.argv[1])
for name in ("MiniGrid-Empty-16x16-v0", "MiniGrid-MultiRoom-N6-v0"):
    env = gym.make(name); env.reset(seed=0); n = 0; t0 = time.perf_counter()
    while time.perf_counter() - t0 < secs:
        _, _, term, trunc, _ = env.step(env.action_space.sample()); n += 1
        if term or trunc: env.reset()
    print(name, n / (time.perf_counter() - t0))
"""


def _navigating_actions(obs: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Each agent's navigator action where it is legal and leads somewhere, else a random legal one."""
    actions = random_legal_actions(obs["action_mask"], rng)
    go = obs["nav"][..., NAV_ACTION].astype(np.int64)
    legal = np.take_along_axis(obs["action_mask"], go[..., None], axis=-1)[..., 0] != 0
    follow = legal & (obs["nav"][..., NAV_KIND] != 0)
    return np.where(follow, go, actions)


def measure(params: str, worlds: int, seconds: float, seed: int = 0,
            threads: int | None = None, nav: bool = False) -> dict[str, float]:
    """Agent-steps/s of ``worlds`` worlds stepping random legal actions for ``seconds``.

    With ``nav`` the simulator runs the navigator for every agent and every agent follows
    it (its navigator action when legal, else a random legal one).
    """
    sim = BatchedSim(params, worlds, seed=seed, pool_size=64, threads=threads, nav=nav)
    # Generate every level of the pool first: levels are made lazily on first use, so
    # short episodes (navigating agents finish sooner) would otherwise time level generation.
    sim.pool.ensure(np.arange(64))
    obs = sim.reset()
    rng = np.random.default_rng(seed)
    choose = _navigating_actions if nav else (lambda o, r: random_legal_actions(o["action_mask"], r))
    for _ in range(3):  # warm-up: compile, pool levels, thread start
        obs, *_ = sim.step(choose(obs, rng))
    steps = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(max(1, 2048 // worlds)):
            obs, *_ = sim.step(choose(obs, rng))
            steps += 1
    cpu = time.process_time() - cpu_start
    used_threads = sim.threads
    sim.close()
    return {"worlds": worlds, "agents": sim.num_agents, "threads": used_threads,
            "agent_steps_per_s": steps * worlds * sim.num_agents / elapsed,
            "agent_steps_per_cpu_s": steps * worlds * sim.num_agents / cpu,
            "world_steps_per_s": steps * worlds / elapsed,
            "memory_per_world_bytes": sim.memory_per_world()}


def minigrid_sps(python: str, seconds: float) -> dict[str, float]:
    """MiniGrid single-env random-action steps/s, measured by ``python`` (has minigrid)."""
    out = subprocess.run([python, "-c", _MINIGRID, str(seconds)], capture_output=True, text=True,
                         check=True, timeout=120 + 4 * seconds).stdout
    return {line.split()[0]: float(line.split()[1]) for line in out.splitlines() if line.strip()}


def cold_compile_seconds() -> float:
    """Seconds to import and first-step a simulator with an empty numba cache (subprocess)."""
    code = ("import time; t=time.perf_counter(); from game.batch import BatchedSim;"
            "from npc.scripted import random_legal_actions; import numpy as np;"
            "s=BatchedSim('arena', 2, seed=0, pool_size=2); o=s.reset();"
            "s.step(random_legal_actions(o['action_mask'], np.random.default_rng(0)));"
            "print(time.perf_counter()-t)")
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="mindcrawl-cold-") as cache:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env=dict(os.environ, NUMBA_CACHE_DIR=cache), cwd=root).stdout
    return float(out.strip().splitlines()[-1])


def soak(params: list[str], agent_steps: int, worlds: int, seed: int) -> dict[str, object]:
    """Random legal actions with invariants checked every step; replayed for the hash."""
    results: dict[str, object] = {}
    for name in params:
        digests = []
        for _ in range(2):
            sim = BatchedSim(name, worlds, seed=seed, pool_size=16)
            obs = sim.reset()
            rng = np.random.default_rng(seed)
            digest = hashlib.sha256()
            items = check_world(sim.world)
            done = 0
            while done < agent_steps // len(params):
                obs, reward, term, trunc, _ = sim.step(random_legal_actions(obs["action_mask"], rng))
                items = check_world(sim.world, items)
                trajectory_digest(digest, obs, reward, term, trunc)
                done += worlds * sim.num_agents
            digests.append(digest.hexdigest())
            sim.close()
        results[name] = {"agent_steps": done, "hash": digests[0][:16],
                         "replay_identical": digests[0] == digests[1]}
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally save) the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="arena", help="preset or TOML file (default arena)")
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per measurement")
    parser.add_argument("--batches", default="16,64,256,1024,4096", help="batch sizes to sweep")
    parser.add_argument("--threads", type=int, default=None, help="worker threads (default: CPUs)")
    parser.add_argument("--peer-python", help="interpreter with minigrid installed")
    parser.add_argument("--cold-compile", action="store_true", help="time a cold numba compile")
    parser.add_argument("--soak", type=int, default=0, metavar="AGENT_STEPS",
                        help="run the invariant soak over presets instead of timing")
    parser.add_argument("--nav", action="store_true",
                        help="also measure every agent navigating (the simulator's navigator on, agents "
                             "following it) at each batch size, in the same run, with the ratio to the plain step")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if args.soak:
        results = soak(["arena", "dungeon", "caves", "labyrinth"], args.soak, 64, seed=0)
        table = Table("params", "agent-steps", "trajectory hash", "replay identical",
                      title="Soak: invariants checked every step")
        for name, r in results.items():
            table.add_row(name, f"{r['agent_steps']:,}", r["hash"], str(r["replay_identical"]))
        console.print(table)
        ok = all(r["replay_identical"] for r in results.values())
        if args.json:
            args.json.write_text(json.dumps({"soak": results}, indent=2))
        return 0 if ok else 1

    single = measure(args.params, 1, args.seconds, threads=1)
    sweep = [measure(args.params, int(b), args.seconds, threads=args.threads)
             for b in args.batches.split(",")]
    best = max(sweep, key=lambda r: r["agent_steps_per_s"])
    results: dict[str, object] = {"params": args.params, "single": single, "sweep": sweep,
                                  "best": best, "cpus": os.cpu_count(),
                                  "load_average": os.getloadavg()}
    if args.nav:
        # plain and navigating alternate per batch size, so both see the same machine load
        pairs = []
        for b in args.batches.split(","):
            plain = measure(args.params, int(b), args.seconds, threads=args.threads)
            navigating = measure(args.params, int(b), args.seconds, threads=args.threads, nav=True)
            pairs.append({"worlds": int(b), "plain": plain, "nav": navigating,
                          "ratio": navigating["agent_steps_per_s"] / plain["agent_steps_per_s"],
                          "ratio_per_cpu_s": navigating["agent_steps_per_cpu_s"] / plain["agent_steps_per_cpu_s"]})
        results["nav"] = pairs
    if args.peer_python:
        peers = minigrid_sps(args.peer_python, args.seconds)
        results["minigrid"] = peers
        base = max(peers.values())  # the faster MiniGrid env: the conservative ratio
        results["ratio_best_vs_minigrid"] = best["agent_steps_per_s"] / base
        results["ratio_single_vs_minigrid"] = single["agent_steps_per_s"] / base
    if args.cold_compile:
        results["cold_compile_s"] = cold_compile_seconds()

    table = Table("case", "worlds", "agents", "threads", "agent-steps/s", "per CPU-s",
                  "world-steps/s", "bytes/world",
                  title=f"Mindcrawl simulation throughput ({args.params})")
    for label, r in [("single world", single)] + [("batch", r) for r in sweep]:
        mark = " *" if r is best else ""
        table.add_row(label + mark, str(r["worlds"]), str(r["agents"]), str(r["threads"]),
                      f"{r['agent_steps_per_s']:,.0f}", f"{r['agent_steps_per_cpu_s']:,.0f}",
                      f"{r['world_steps_per_s']:,.0f}",
                      f"{r['memory_per_world_bytes']:,}")
    console.print(table)
    if "nav" in results:
        nav_table = Table("worlds", "plain agent-steps/s", "navigating agent-steps/s", "ratio",
                          "plain per CPU-s", "navigating per CPU-s", "ratio per CPU-s",
                          title=f"Every agent navigating vs the plain step ({args.params}, same run)")
        for pair in results["nav"]:
            nav_table.add_row(str(pair["worlds"]), f"{pair['plain']['agent_steps_per_s']:,.0f}",
                              f"{pair['nav']['agent_steps_per_s']:,.0f}", f"{pair['ratio']:.2f}",
                              f"{pair['plain']['agent_steps_per_cpu_s']:,.0f}",
                              f"{pair['nav']['agent_steps_per_cpu_s']:,.0f}", f"{pair['ratio_per_cpu_s']:.2f}")
        console.print(nav_table)
    if "minigrid" in results:
        for name, sps in results["minigrid"].items():
            console.print(f"{name}: {sps:,.0f} steps/s (peer, same run)")
        console.print(f"best batch / fastest MiniGrid: {results['ratio_best_vs_minigrid']:.1f}x;  "
                      f"single world / MiniGrid: {results['ratio_single_vs_minigrid']:.1f}x")
    console.print(f"load average during the run: {results['load_average'][0]:.1f} "
                  f"on {os.cpu_count()} CPUs (the machine is shared)")
    if "cold_compile_s" in results:
        console.print(f"cold numba compile + first step: {results['cold_compile_s']:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
