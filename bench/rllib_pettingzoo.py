"""RLlib interop: train Mindcrawl's PettingZoo env with RLlib's PPO through ``ParallelPettingZooEnv``.

Needs the ``rllib`` extra, best in its own virtual environment because RLlib pins
gymnasium (``ray[rllib]`` 2.60 requires ``gymnasium==1.2.2``; see docs/ray.md)::

    python -m venv .venv-rllib
    .venv-rllib/bin/pip install torch==2.13.0
    .venv-rllib/bin/pip install -e '.[rllib]'
    .venv-rllib/bin/python bench/rllib_pettingzoo.py --iterations 5 --json rllib.json

Each faction of the level gets its own RLlib policy (``hero_0`` -> ``hero``,
``monsters_0`` -> ``monsters``); the dict observation is flattened by RLlib's
``FlattenObservations`` connector. The action mask is part of the flattened
observation but is not used to mask logits (an illegal action costs the
``illegal_action`` reward weight and becomes a wait), so this is plain PPO, not
Mindcrawl's masked PPO. Prints one line per RLlib training iteration: env steps so
far, mean episode return (all agents and per agent), mean episode length, seconds.

The env keeps every possible agent present all episode (``all_agents=True``, padded
while absent or dead), which ``ParallelPettingZooEnv`` needs on presets that spawn
fewer agents than they have slots (dungeon, caves, labyrinth). Exit code: 0 when every
iteration trained and reported finite metrics; 1 when training raised or a metric was
missing or NaN (one line on stderr says which); 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_env(env_config: dict[str, Any]) -> Any:
    """The Mindcrawl ParallelEnv wrapped for RLlib."""
    from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv

    from game.envs.pettingzoo_env import parallel_env

    return ParallelPettingZooEnv(parallel_env(env_config.get("params", "arena"), seed=env_config.get("seed"),
                                              max_cycles=env_config.get("max_cycles")))


def bad_metrics(row: dict[str, Any]) -> list[str]:
    """Names of the row's metrics that are missing or not finite (nested dicts included)."""
    bad = []
    for key in ("env_steps", "episode_return_mean", "episode_len_mean"):
        value = row.get(key)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            bad.append(key)
    for agent, value in (row.get("agent_return_mean") or {}).items():
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            bad.append(f"agent_return_mean.{agent}")
    return bad


def faction_of(agent_id: str, *args: Any, **kwargs: Any) -> str:
    """RLlib policy id of an agent: its faction (agent names are ``<faction>_<n>``)."""
    return agent_id.rsplit("_", 1)[0]


def build(args: argparse.Namespace) -> Any:
    """The RLlib PPO algorithm (new API stack)."""
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.connectors.env_to_module import FlattenObservations
    from ray.tune.registry import register_env

    from game.envs.pettingzoo_env import parallel_env

    register_env("mindcrawl", make_env)
    factions = sorted({faction_of(a) for a in parallel_env(args.params, seed=0).possible_agents})
    config = (
        PPOConfig()
        .environment("mindcrawl", env_config={"params": args.params, "seed": args.seed,
                                             "max_cycles": args.max_cycles})
        # No sampling timeout: on a loaded machine (or while numba compiles the simulator in a
        # fresh worker) RLlib's default 60 s returns an empty batch and NaN metrics.
        .env_runners(num_env_runners=args.env_runners, num_envs_per_env_runner=1, sample_timeout_s=None,
                     env_to_module_connector=lambda env, spaces=None, device=None: FlattenObservations(
                         multi_agent=True))
        .multi_agent(policies=set(factions), policy_mapping_fn=faction_of)
        .training(train_batch_size_per_learner=args.batch, minibatch_size=256, num_epochs=3, lr=3e-4)
        .debugging(seed=args.seed)
    )
    return config.build_algo()


def main() -> int:
    """Build, train a few iterations, print (and optionally write JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--params", default="arena", help="level preset or TOML")
    parser.add_argument("--batch", type=int, default=2000, help="env steps per RLlib iteration")
    parser.add_argument("--max-cycles", type=int, default=None,
                        help="turn limit per episode (default: the level's; keep it below --batch so "
                             "every iteration finishes episodes and reports returns)")
    parser.add_argument("--env-runners", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the per-iteration figures here")
    args = parser.parse_args()

    import gymnasium
    import ray

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="warning")
    print(f"ray {ray.__version__}, gymnasium {gymnasium.__version__}")
    algo = build(args)
    rows = []
    failure = ""
    for i in range(args.iterations):
        start = time.perf_counter()
        try:
            result = algo.train()
        except Exception as exc:  # a crashed env runner or learner: report it and fail
            failure = f"iteration {i + 1}: training failed: {type(exc).__name__}: {exc}".splitlines()[0]
            break
        runners = result.get("env_runners", {})
        returns = runners.get("agent_episode_returns_mean", runners.get("policy_return_mean", {}))
        row = {"iteration": i + 1, "env_steps": result.get("num_env_steps_sampled_lifetime",
                                                           runners.get("num_env_steps_sampled_lifetime")),
               "episode_return_mean": runners.get("episode_return_mean"),
               "agent_return_mean": returns, "episode_len_mean": runners.get("episode_len_mean"),
               "seconds": time.perf_counter() - start}
        rows.append(row)
        print(json.dumps(row, default=float), flush=True)
        bad = bad_metrics(row)
        if bad:
            failure = (f"iteration {i + 1}: missing or NaN metrics: {', '.join(bad)} (env_runners "
                       f"reported: {', '.join(sorted(k for k in runners if not isinstance(runners[k], dict)))})")
            break
    algo.stop()
    ray.shutdown()
    if args.json:
        from levels.common.files import atomic_write_text

        atomic_write_text(args.json, json.dumps({"params": args.params, "rows": rows, "failure": failure},
                                                indent=2, default=float) + "\n")
    if failure:
        print(f"rllib_pettingzoo: {failure}", file=sys.stderr)
        return 1
    print(f"rllib_pettingzoo: {len(rows)} iterations on {args.params}, every metric finite")
    return 0


if __name__ == "__main__":
    sys.exit(main())
