"""Fingerprints of the project's behaviour, to show a refactor changed none of it.

Prints (and with ``--json`` writes) SHA-256 digests of:

- the levels every preset generates for a few seeds (tiles, entities, goals);
- batched-simulation trajectories on every preset, driven by random legal actions and by
  the scripted NPC (with and without the navigator);
- the Gymnasium and PettingZoo envs' trajectories on ``arena`` and ``dungeon``;
- the shipped checkpoint's evaluation against the scripted NPC on the test seed
  (the full :class:`training.evaluate.EvalResult`).

``--compare before.json`` exits 1 and names every digest that differs.

    python bench/behaviour_digest.py --json before.json
    python bench/behaviour_digest.py --compare before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.batch import BatchedSim  # noqa: E402
from game.invariants import trajectory_digest  # noqa: E402
from levels.generate import generate  # noqa: E402
from levels.params import load_params  # noqa: E402
from npc.scripted import ScriptedNPC, random_legal_actions  # noqa: E402

PRESETS = ("arena", "dungeon", "caves", "labyrinth")


def level_digests(seeds: int) -> dict[str, str]:
    """One digest per preset over the levels of seeds ``0..seeds-1`` (their JSON form)."""
    out = {}
    for name in PRESETS:
        params = load_params(name)
        digest = hashlib.sha256()
        for seed in range(seeds):
            digest.update(json.dumps(generate(params, seed).to_dict(), sort_keys=True).encode())
        out[f"levels/{name}"] = digest.hexdigest()
    return out


def sim_digest(name: str, driver: str, nav: bool, steps: int) -> str:
    """The digest of a batched run of ``steps`` steps on 8 worlds of preset ``name``."""
    sim = BatchedSim(name, 8, seed=7, pool_size=8, nav=nav)
    obs = sim.reset()
    rng = np.random.default_rng(7)
    rules = ScriptedNPC()
    digest = hashlib.sha256()
    for _ in range(steps):
        actions = random_legal_actions(obs["action_mask"], rng) if driver == "random" else rules(obs)
        obs, reward, term, trunc, _ = sim.step(actions)
        trajectory_digest(digest, obs, reward, term, trunc)
    sim.close()
    return digest.hexdigest()


def env_digests(steps: int) -> dict[str, str]:
    """Gymnasium (single agent) and PettingZoo (parallel) trajectories, random legal actions."""
    from game.envs.gym_env import MindcrawlGymEnv
    from game.envs.pettingzoo_env import MindcrawlParallelEnv

    out = {}
    for name in ("arena", "dungeon"):
        env = MindcrawlGymEnv(params=name, seed=3)
        obs, _ = env.reset(seed=3)
        rng = np.random.default_rng(3)
        digest = hashlib.sha256()
        for _ in range(steps):
            action = int(random_legal_actions(obs["action_mask"], rng))
            obs, reward, term, trunc, _ = env.step(action)
            for key in sorted(obs):
                digest.update(np.asarray(obs[key]).tobytes())
            digest.update(np.float64(reward).tobytes() + bytes([term, trunc]))
            if term or trunc:
                obs, _ = env.reset()
        out[f"gym/{name}"] = digest.hexdigest()
        penv = MindcrawlParallelEnv(params=name)
        pobs, _ = penv.reset(seed=3)
        digest = hashlib.sha256()
        for _ in range(steps):
            if not penv.agents:
                pobs, _ = penv.reset()
            acts = {a: int(random_legal_actions(pobs[a]["action_mask"], rng)) for a in penv.agents}
            pobs, rewards, terms, truncs, _ = penv.step(acts)
            for agent in sorted(pobs):
                for key in sorted(pobs[agent]):
                    digest.update(np.asarray(pobs[agent][key]).tobytes())
                digest.update(np.float64(rewards[agent]).tobytes() + bytes([terms[agent], truncs[agent]]))
        out[f"pettingzoo/{name}"] = digest.hexdigest()
    return out


def shipped_eval(episodes: int, seed: int) -> dict[str, object]:
    """The shipped checkpoint against the scripted NPC on ``arena`` (as trained)."""
    from npc.checkpoint import SHIPPED_CHECKPOINT, load_checkpoint
    from training.evaluate import evaluate

    net, _ = load_checkpoint(SHIPPED_CHECKPOINT)
    result = evaluate(net, ScriptedNPC(), "arena", episodes, seed)
    return result.to_dict()


def main() -> int:
    """Compute the digests; write or compare them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the digests here")
    parser.add_argument("--compare", type=Path, help="compare with an earlier --json file")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()

    results: dict[str, object] = dict(level_digests(5))
    for name in PRESETS:
        for driver, nav in (("random", True), ("scripted", True), ("scripted", False)):
            key = f"sim/{name}/{driver}/{'nav' if nav else 'plain'}"
            results[key] = sim_digest(name, driver, nav, args.steps)
    results.update(env_digests(args.steps))
    evaluation = shipped_eval(args.episodes, args.seed)
    # Every outcome bit for bit; the interval is rounded to 1e-8 (it came from a rounded z
    # before scipy's Wilson interval replaced the hand-written one: they differ by < 4e-9).
    outcome = dict(evaluation, ci95=[round(bound, 8) for bound in evaluation["ci95"]])
    results["eval/shipped"] = hashlib.sha256(json.dumps(outcome, sort_keys=True).encode()).hexdigest()
    for key, value in results.items():
        print(f"{key:32s} {str(value)[:16]}")
    print(f"shipped checkpoint, {args.episodes} episodes, seed {args.seed}: win rate "
          f"{evaluation['win_rate']:.3f} {evaluation['ci95']}")
    results["eval/shipped/result"] = evaluation
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True))
    if args.compare:
        before = json.loads(args.compare.read_text())
        differ = [k for k in sorted(set(before) | set(results))
                  if k != "eval/shipped/result" and before.get(k) != results.get(k)]
        for key in differ:
            print(f"DIFFERS: {key}")
        print("identical" if not differ else f"{len(differ)} digests differ")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
