"""Native vector env vs Gymnasium's SyncVectorEnv of the same size, and SB3 MaskablePPO through it.

    .venv/bin/python bench/vector_env.py [--envs 64,256] [--seconds 3] [--rounds 3] [--ppo-steps N] [--json out.json]

Measured in one run, on ``--preset`` (default arena), learner steps/s (one step = one
env row advancing one turn, the scripted NPC playing every other agent, a uniformly
random legal action for the learner, the sampling timed too), for each size in
``--envs``:

1. ``gymnasium.vector.SyncVectorEnv`` over that many ``Mindcrawl-v0`` envs (one
   one-world BatchedSim each), the same observation layout and actions;
2. ``game.envs.vector.MindcrawlVectorEnv`` with that many worlds (one BatchedSim), on
   1 thread and on every CPU (the simulator's default);
3. the ratios to SyncVectorEnv (target: >= 30x).

The three envs of a size are built (and their level pools generated) first, then timed
in ``--rounds`` rounds of ``--seconds`` each, alternating (sync, native 1 thread,
native all threads), so that a change in the machine's load hits every side; a figure
is its steps over its time summed over the rounds. The load average (1 minute) is
recorded before and after. Finally ``--ppo-steps`` (0: skip) times sb3-contrib
``MaskablePPO`` (``MlpPolicy``, flat observations) learning through the native env of
the first size (``training.sb3_vec.SB3VecEnv``): env steps/s of whole ``learn`` calls,
rollouts and updates, after one warm-up call.

Prints one line per figure and, with ``--json``, writes them all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gymnasium as gym  # noqa: E402

from game.envs.vector import MindcrawlVectorEnv  # noqa: E402
from npc.scripted import random_legal_actions  # noqa: E402


def fill_pools(sims: list) -> None:
    """Generate every level of each simulator's pool now, so that no timing includes it."""
    for sim in sims:
        sim.pool.ensure(np.arange(sim.pool.size))


class Timed:
    """One env under test: steps it with random legal actions, accumulating steps and time."""

    def __init__(self, envs: gym.vector.VectorEnv, masks: Callable[[], np.ndarray], seed: int) -> None:
        self.envs, self.masks = envs, masks
        self.rng = np.random.default_rng(seed)
        self.steps, self.seconds = 0, 0.0
        envs.reset(seed=seed)
        for _ in range(5):  # warm-up (numba dispatch, first levels)
            envs.step(random_legal_actions(masks(), self.rng))

    def run(self, seconds: float) -> None:
        """Step for about ``seconds`` more."""
        start = time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            self.envs.step(random_legal_actions(self.masks(), self.rng))
            self.steps += self.envs.num_envs
        self.seconds += elapsed

    @property
    def rate(self) -> float:
        """Row-steps/s so far."""
        return self.steps / self.seconds


def sync_masks(envs: gym.vector.SyncVectorEnv) -> np.ndarray:
    """The sub-envs' action masks, stacked."""
    return np.stack([e.unwrapped.action_masks() for e in envs.envs])


def maskable_ppo_steps_per_s(num_envs: int, preset: str, steps: int, seed: int) -> float:
    """Env steps/s of MaskablePPO.learn through the native vector env (after a warm-up call)."""
    from sb3_contrib import MaskablePPO

    from training.sb3_vec import SB3VecEnv

    env = SB3VecEnv(MindcrawlVectorEnv(num_envs, preset, seed=seed, obs_layout="flat",
                                       autoreset_mode="same_step"))
    n_steps = 128
    model = MaskablePPO("MlpPolicy", env, n_steps=n_steps, batch_size=2048, n_epochs=4, seed=seed,
                        device="cpu", policy_kwargs={"net_arch": [256, 256]})
    model.learn(num_envs * n_steps)
    start, before = time.perf_counter(), model.num_timesteps
    model.learn(max(steps, num_envs * n_steps), reset_num_timesteps=False)
    return (model.num_timesteps - before) / (time.perf_counter() - start)


def measure_size(num_envs: int, preset: str, seconds: float, rounds: int, seed: int) -> dict[str, float]:
    """The three figures of one size, timed alternately over ``rounds`` rounds."""
    sync = gym.vector.SyncVectorEnv([lambda: gym.make("game:Mindcrawl-v0", params=preset)
                                     for _ in range(num_envs)])
    native_1 = MindcrawlVectorEnv(num_envs, preset, seed=seed, threads=1)
    native_n = MindcrawlVectorEnv(num_envs, preset, seed=seed)
    fill_pools([e.unwrapped.sim for e in sync.envs] + [native_1.sim, native_n.sim])
    sides = {"sync": Timed(sync, lambda: sync_masks(sync), seed),
             "native_1_thread": Timed(native_1, native_1.action_masks, seed),
             "native_default_threads": Timed(native_n, native_n.action_masks, seed)}
    for _ in range(rounds):
        for side in sides.values():
            side.run(seconds)
    out: dict[str, float] = {"threads_default": native_n.sim.threads}
    for name, side in sides.items():
        out[f"{name}_steps_per_s"] = side.rate
        out[f"{name}_steps"] = side.steps
    for name in ("native_1_thread", "native_default_threads"):
        out[f"ratio_{name}"] = sides[name].rate / sides["sync"].rate
    for env in (sync, native_1, native_n):
        env.close()
    return out


def main() -> int:
    """Measure, print, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", default="64,256", help="comma-separated env counts (one size each)")
    parser.add_argument("--preset", default="arena")
    parser.add_argument("--seconds", type=float, default=3.0, help="timing window of each figure per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per size")
    parser.add_argument("--ppo-steps", type=int, default=32_768, help="MaskablePPO steps timed (0: skip)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    try:
        sizes = [int(n) for n in args.envs.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1 or args.seconds <= 0 or args.rounds < 1 or args.ppo_steps < 0:
        print("vector_env: --envs must list positive integers, --seconds > 0, --rounds >= 1, "
              "--ppo-steps >= 0", file=sys.stderr)
        return 2

    figures: dict[str, object] = {"preset": args.preset, "seconds": args.seconds, "rounds": args.rounds,
                                  "cpus": os.cpu_count(), "load_before": os.getloadavg()[0], "sizes": {}}
    for n in sizes:
        size = measure_size(n, args.preset, args.seconds, args.rounds, args.seed)
        figures["sizes"][str(n)] = size
        print(f"{n} envs: SyncVectorEnv {size['sync_steps_per_s']:,.0f} steps/s; native, 1 thread "
              f"{size['native_1_thread_steps_per_s']:,.0f} ({size['ratio_native_1_thread']:.1f}x); native, "
              f"{size['threads_default']} threads {size['native_default_threads_steps_per_s']:,.0f} "
              f"({size['ratio_native_default_threads']:.1f}x; target >= 30x)  [load {os.getloadavg()[0]:.2f}]",
              flush=True)
    figures["load_after"] = os.getloadavg()[0]
    print(f"load average (1 min): {figures['load_before']:.2f} before, {figures['load_after']:.2f} after, "
          f"on {os.cpu_count()} CPUs")
    if args.ppo_steps:
        ppo = maskable_ppo_steps_per_s(sizes[0], args.preset, args.ppo_steps, args.seed)
        print(f"sb3-contrib MaskablePPO (MlpPolicy) through the native env: {ppo:,.0f} steps/s")
        figures["maskable_ppo_steps_per_s"] = ppo
    if args.json:
        from levels.common.files import atomic_write_text

        atomic_write_text(args.json, json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
