"""sb3-contrib's MaskablePPO on Mindcrawl's native vector env: arena, against the scripted NPC.

    .venv/bin/python examples/sb3_maskable_ppo.py                  # ~10 minutes here
    .venv/bin/python examples/sb3_maskable_ppo.py --steps 4000 --eval-episodes 20   # smoke run

All worlds step in one BatchedSim (``game.vector.MindcrawlVectorEnv``), seen by SB3
through ``training.sb3_vec.SB3VecEnv``; observations use the flat layout
(``obs_layout="flat"``, a Box) and MaskablePPO reads the legal actions from
``action_masks()``. At the end the policy plays ``--eval-episodes`` fresh episodes on
unseen seeds and the script prints its win rate (wins / episodes) against the scripted NPC.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sb3_contrib import MaskablePPO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from game.vector import MindcrawlVectorEnv  # noqa: E402
from training.sb3_vec import SB3VecEnv  # noqa: E402


def win_rate(model: MaskablePPO, episodes: int, seed: int, num_envs: int = 50) -> float:
    """Wins / episodes of ``model`` against the scripted NPC on unseen arena seeds."""
    env = MindcrawlVectorEnv(min(num_envs, episodes), "arena", seed=seed, obs_layout="flat")
    obs, _ = env.reset(seed=seed)
    wins, played = 0, 0
    while played < episodes:
        actions, _ = model.predict(obs, action_masks=env.action_masks(), deterministic=True)
        obs, _, _, _, info = env.step(actions)
        if "episode_stats" in info:
            done = info["_episode_stats"]
            wins += int(info["episode_stats"]["won"][done].sum())
            played += int(done.sum())
    return wins / played


def main() -> None:
    """Train, then print the evaluation win rate."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1_500_000, help="learner steps to train")
    parser.add_argument("--minutes", type=float, default=9.0, help="stop training after this long")
    parser.add_argument("--envs", type=int, default=64, help="worlds stepped together")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-episodes", type=int, default=500)
    args = parser.parse_args()
    torch.set_num_threads(1)  # small networks gain nothing from more threads

    env = SB3VecEnv(MindcrawlVectorEnv(args.envs, "arena", seed=args.seed, obs_layout="flat",
                                       autoreset_mode="same_step"))
    model = MaskablePPO("MlpPolicy", env, n_steps=128, batch_size=2048, n_epochs=4,
                        learning_rate=5e-4, ent_coef=0.01, gamma=0.99,
                        policy_kwargs={"net_arch": [256, 256]}, seed=args.seed, device="cpu")
    start = time.perf_counter()
    done_steps = 0
    while done_steps < args.steps and time.perf_counter() - start < 60 * args.minutes:
        chunk = min(args.envs * 128 * 8, args.steps - done_steps)
        model.learn(chunk, reset_num_timesteps=False)
        done_steps = model.num_timesteps
        rate = np.mean([e["won"] for e in model.ep_info_buffer]) if model.ep_info_buffer else 0.0
        print(f"{done_steps:>9,} steps  {time.perf_counter() - start:6.1f} s  "
              f"training win rate (last {len(model.ep_info_buffer)} episodes) {rate:.3f}", flush=True)
    minutes = (time.perf_counter() - start) / 60
    rate = win_rate(model, args.eval_episodes, seed=args.seed + 10_000)
    print(f"MaskablePPO: {done_steps:,} steps in {minutes:.1f} min; win rate against the scripted "
          f"NPC on arena: {rate:.3f} over {args.eval_episodes} unseen episodes")


if __name__ == "__main__":
    main()
