"""End-to-end PPO throughput (rollouts + updates) and, in the same run, a peer figure.

    .venv/bin/python bench/train_throughput.py [--iterations N] [--peer-python PEER_VENV/bin/python]
    .venv/bin/python bench/train_throughput.py --sweep      # width/depth/token-count micro-benchmark

Mindcrawl: learner agent-steps per second of ``Trainer.iterate`` (the default training
config on the ``arena`` preset against the scripted NPC), measured after warm-up
iterations (numba compilation, level generation), with a level pool of 256 levels
(``--pool-size``): the default config's 16,384-level pool is generated lazily, a
one-off ~1 ms per level (about 16 s of a 4M-step run) that a short benchmark would
otherwise count on almost every episode. Peer: Stable-Baselines3 PPO with
``MlpPolicy`` on ``MiniGrid-Empty-8x8-v0`` with 8 environments, run as a subprocess of
a Python that has ``stable_baselines3`` and ``minigrid`` (keep them out of the
project's venv). The ratio of the two is the figure to quote: the machine is shared,
so absolute numbers move with its load.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PEER_SCRIPT = r"""
import json, sys, time
import gymnasium as gym
import minigrid  # noqa: F401  (registers the environments)
import torch
from minigrid.wrappers import ImgObsWrapper
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
torch.set_num_threads(int(sys.argv[2]))
steps = int(sys.argv[1])
env = make_vec_env("MiniGrid-Empty-8x8-v0", n_envs=8, seed=0, wrapper_class=ImgObsWrapper)
model = PPO("MlpPolicy", env, n_steps=256, batch_size=256, seed=0, verbose=0, device="cpu")
model.learn(total_timesteps=2048)  # warm-up
start = time.perf_counter()
model.learn(total_timesteps=steps, reset_num_timesteps=False)
elapsed = time.perf_counter() - start
print(json.dumps({"steps": steps, "seconds": elapsed, "steps_per_s": steps / elapsed}))
"""


def bench_mindcrawl(iterations: int, warmup: int, threads: int, config: str | None,
                    pool_size: int | None = 256) -> dict[str, float]:
    """Learner agent-steps/s of full PPO iterations with the default training config.

    ``pool_size`` replaces the config's level pool (None keeps it; see the module docstring).
    """
    import torch

    from training.config import load_config
    from training.ppo import Trainer

    torch.set_num_threads(threads)
    cfg = load_config(config)
    cfg.curriculum = []  # measure the final phase: the full arena
    if pool_size is not None:
        cfg.pool_size = pool_size
    trainer = Trainer(cfg)
    for _ in range(warmup):
        trainer.iterate()
    steps0, start = trainer.steps, time.perf_counter()
    for _ in range(iterations):
        trainer.iterate()
    elapsed = time.perf_counter() - start
    return {"steps": trainer.steps - steps0, "seconds": elapsed,
            "steps_per_s": (trainer.steps - steps0) / elapsed, "worlds": cfg.ppo.num_worlds,
            "rollout_steps": cfg.ppo.rollout_steps, "pool_size": cfg.pool_size, "arch": cfg.policy.arch,
            "options": cfg.policy.options}


def bench_peer(python: str, steps: int, threads: int) -> dict[str, float] | None:
    """SB3 PPO on MiniGrid in a subprocess of ``python``; None when it cannot run."""
    try:
        done = subprocess.run([python, "-c", PEER_SCRIPT, str(steps), str(threads)], capture_output=True,
                              text=True, timeout=1800, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"peer: cannot run {python}: {exc}", file=sys.stderr)
        return None
    if done.returncode != 0:
        print(f"peer: failed ({done.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def sweep(threads: int, batch: int, repeats: int) -> list[dict[str, float]]:
    """Inference and training throughput of EntityTransformer shapes at one batch size."""
    import torch

    from game.actions import CORE_ACTIONS
    from game.spec import ENTITY_DIM, MAX_ENTITIES, PATCH, SELF_DIM
    from npc.transformer import EntityTransformer

    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    obs = {"patch": torch.randint(0, 11, (batch, PATCH, PATCH, 4), generator=g, dtype=torch.uint8),
           "entities": torch.randn(batch, MAX_ENTITIES, ENTITY_DIM, generator=g) * 0.3,
           "entity_mask": torch.randint(0, 2, (batch, MAX_ENTITIES), generator=g, dtype=torch.int8),
           "self": torch.randn(batch, SELF_DIM, generator=g),
           "action_mask": torch.ones(batch, CORE_ACTIONS, dtype=torch.int8)}
    actions = torch.zeros(batch, dtype=torch.long)
    rows = []
    for d, layers, grid in [(32, 1, 0), (32, 1, 1), (32, 2, 1), (32, 2, 2), (64, 1, 1), (64, 2, 1), (64, 2, 2),
                            (96, 2, 1)]:
        net = EntityTransformer(CORE_ACTIONS, d=d, layers=layers, heads=2 if d == 32 else 4, patch_grid=grid)
        net.act(obs, generator=g)
        start = time.perf_counter()
        for _ in range(repeats):
            net.act(obs, generator=g)
        infer = batch * repeats / (time.perf_counter() - start)
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        start = time.perf_counter()
        for _ in range(repeats):
            log_probs, entropy, values = net.evaluate(obs, actions)
            (log_probs.mean() + values.pow(2).mean() - entropy.mean()).backward()
            opt.step()
            opt.zero_grad()
        train = batch * repeats / (time.perf_counter() - start)
        rows.append({"d": d, "layers": layers, "patch_grid": grid, "tokens": net.num_tokens,
                     "params": net.num_parameters(), "infer_per_s": round(infer), "train_per_s": round(train)})
        print(f"d={d:3d} layers={layers} tokens={net.num_tokens:2d} params={net.num_parameters():7d}  "
              f"inference {infer:8.0f}/s  training {train:7.0f} samples/s", flush=True)
    return rows


def main() -> int:
    """Parse arguments, run the benchmarks, print figures and optional JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=10, help="timed PPO iterations (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed iterations first (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--config", help="training config TOML (default: the shipped default)")
    parser.add_argument("--pool-size", type=int, default=256,
                        help="levels per training simulator (default 256: steady state; 0 keeps the config's)")
    parser.add_argument("--peer-python", help="a Python with stable_baselines3 and minigrid")
    parser.add_argument("--peer-steps", type=int, default=16384, help="peer timesteps to time (default 16384)")
    parser.add_argument("--sweep", action="store_true", help="only the transformer shape micro-benchmark")
    parser.add_argument("--batch", type=int, default=1024, help="sweep batch size (default 1024)")
    parser.add_argument("--json", help="write the figures as JSON here")
    args = parser.parse_args()
    if args.sweep:
        result = {"sweep": sweep(args.threads, args.batch, repeats=5)}
    else:
        ours = bench_mindcrawl(args.iterations, args.warmup, args.threads, args.config,
                               args.pool_size or None)
        print(f"mindcrawl PPO ({ours['arch']}, {ours['worlds']} worlds): {ours['steps_per_s']:.0f} "
              f"agent-steps/s ({ours['steps']} steps in {ours['seconds']:.1f} s)", flush=True)
        result = {"mindcrawl": ours}
        if args.peer_python:
            peer = bench_peer(args.peer_python, args.peer_steps, args.threads)
            if peer is not None:
                ratio = ours["steps_per_s"] / peer["steps_per_s"]
                print(f"peer SB3 PPO MlpPolicy, MiniGrid-Empty-8x8, 8 envs: {peer['steps_per_s']:.0f} steps/s")
                print(f"ratio: {ratio:.2f}x the peer (target 5x, resolve at 1.5x)")
                result.update(peer=peer, ratio=ratio)
        else:
            print("peer: skipped (pass --peer-python PATH to a Python with stable_baselines3 and minigrid)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
