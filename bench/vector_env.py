"""Native vector env vs Gymnasium's SyncVectorEnv of the same size, and SB3 MaskablePPO through it.

    .venv/bin/python bench/vector_env.py [--envs 64] [--seconds 10] [--ppo-steps 32768] [--json out.json]

Measured in one run, on ``--preset`` (default arena), learner steps/s (one step = one
env row advancing one turn, the scripted NPC playing every other agent, a uniformly
random legal action for the learner, the sampling timed too):

1. ``game.envs.vector.MindcrawlVectorEnv`` with ``--envs`` worlds (one BatchedSim);
2. ``gymnasium.vector.SyncVectorEnv`` over ``--envs`` ``Mindcrawl-v0`` envs (one
   one-world BatchedSim each), the same observation layout and actions;
3. the ratio (target: >= 30x);
4. sb3-contrib ``MaskablePPO`` (``MlpPolicy``, flat observations) learning through
   the native vector env (``training.sb3_vec.SB3VecEnv``): env steps/s of whole
   ``learn`` calls, rollouts and updates, after one warm-up call.

Prints one line per figure and, with ``--json``, writes them all.
"""

from __future__ import annotations

import argparse
import json
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


def steps_per_s(envs: gym.vector.VectorEnv, masks: Callable[[], np.ndarray], seconds: float,
                seed: int) -> tuple[float, int]:
    """Row-steps/s of ``envs`` with random legal actions from ``masks()``, over ``seconds``."""
    rng = np.random.default_rng(seed)
    envs.reset(seed=seed)
    for _ in range(5):  # warm-up (numba dispatch, first levels)
        envs.step(random_legal_actions(masks(), rng))
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        envs.step(random_legal_actions(masks(), rng))
        n += envs.num_envs
    return n / elapsed, n


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


def main() -> int:
    """Measure, print, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", type=int, default=64)
    parser.add_argument("--preset", default="arena")
    parser.add_argument("--seconds", type=float, default=10.0, help="timing window of each env figure")
    parser.add_argument("--ppo-steps", type=int, default=32_768, help="MaskablePPO steps timed (0: skip)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    if args.envs < 1 or args.seconds <= 0 or args.ppo_steps < 0:
        print("vector_env: --envs must be >= 1, --seconds > 0, --ppo-steps >= 0", file=sys.stderr)
        return 2

    figures: dict[str, object] = {"preset": args.preset, "envs": args.envs}
    sync = gym.vector.SyncVectorEnv([lambda: gym.make("game:Mindcrawl-v0", params=args.preset)
                                     for _ in range(args.envs)])
    fill_pools([e.unwrapped.sim for e in sync.envs])
    sync_rate, sync_n = steps_per_s(sync, lambda: sync_masks(sync), args.seconds, args.seed)
    print(f"SyncVectorEnv of {args.envs} Mindcrawl-v0: {sync_rate:,.0f} steps/s")
    figures.update(sync_steps_per_s=sync_rate, sync_steps=sync_n)
    for label, threads in (("1_thread", 1), ("default_threads", None)):
        native = MindcrawlVectorEnv(args.envs, args.preset, seed=args.seed, threads=threads)
        fill_pools([native.sim])
        rate, n = steps_per_s(native, native.action_masks, args.seconds, args.seed)
        print(f"native MindcrawlVectorEnv, {args.envs} envs, {native.sim.threads} thread(s): {rate:,.0f} "
              f"steps/s = {rate / sync_rate:.1f}x SyncVectorEnv (target >= 30x)")
        native.close()
        figures.update({f"native_{label}_steps_per_s": rate, f"native_{label}_steps": n,
                        f"ratio_{label}": rate / sync_rate})
    if args.ppo_steps:
        ppo = maskable_ppo_steps_per_s(args.envs, args.preset, args.ppo_steps, args.seed)
        print(f"sb3-contrib MaskablePPO (MlpPolicy) through the native env: {ppo:,.0f} steps/s")
        figures["maskable_ppo_steps_per_s"] = ppo
    if args.json:
        from levels.common.files import atomic_write_text

        atomic_write_text(args.json, json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
