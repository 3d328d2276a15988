"""A CleanRL-style single-file PPO on Mindcrawl's multi-agent vector env (parameter sharing).

    .venv/bin/python examples/cleanrl_ppo_multiagent.py             # ~10 minutes here
    .venv/bin/python examples/cleanrl_ppo_multiagent.py --steps 4000 --eval-episodes 20   # smoke run

``game.envs.vector.MindcrawlMultiAgentVectorEnv`` makes every agent slot of the learning
factions in every world one row of a Gymnasium vector env, all stepped in one
BatchedSim. Here the hero faction learns on arena and the scripted NPC plays the
monsters; with ``--factions hero,monsters`` one shared network plays every side
(self-play). Rows of absent or dead agents are padded (``info["active"]`` False, only
``wait`` legal): their samples are left out of the loss. The network is Mindcrawl's
entity transformer (``npc.checkpoint.build_policy``, 48k parameters) on the spec's
dict observation; its ``act``/``evaluate`` mask illegal actions. The loop itself (GAE,
clipped surrogate, value loss, entropy bonus) is CleanRL's.

Training uses two tricks from Mindcrawl's own trainer (training/configs/default.toml):
weaker monsters for the first ``--warmup-steps`` (1-6 HP, then 6-14 HP until twice
that) and a small reward for damage dealt; the evaluation plays the unchanged arena
on unseen seeds and the script prints the hero's win rate against the scripted NPC.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from game.envs.vector import MindcrawlMultiAgentVectorEnv  # noqa: E402
from levels.params import LevelParams, deep_merge, load_params, params_from_dict, params_to_dict  # noqa: E402
from npc.checkpoint import build_policy  # noqa: E402

NETWORK = {"d": 32, "layers": 1, "heads": 2, "mlp_ratio": 2, "patch_grid": 1, "cell_dim": 16, "local": 2}


def training_arena(monster_hp: list[int] | None) -> LevelParams:
    """Arena with +0.05 reward per HP of damage the hero deals; optionally other monster HP."""
    data = deep_merge(params_to_dict(load_params("arena")),
                      {"factions": {"hero": {"objective": {"damage_dealt": 0.05}}}})
    for group in data["spawns"]:
        if monster_hp and group["faction"] == "monsters":
            group["hp"] = monster_hp
    return params_from_dict(data)


def tensors(obs: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """The env's observation arrays as tensors (no copy)."""
    return {k: torch.from_numpy(v) for k, v in obs.items()}


def evaluate(net: nn.Module, episodes: int, seed: int, factions: list[str]) -> float:
    """Wins / episodes of the first learning faction's rows on unseen arena seeds (greedy)."""
    env = MindcrawlMultiAgentVectorEnv(min(50, episodes), "arena", seed=seed, factions=factions)
    obs, _ = env.reset(seed=seed)
    first = np.array([a.rsplit("_", 1)[0] == factions[0] for a in env.row_agents] * env.sim.num_worlds)
    wins = played = 0
    while played < episodes:
        obs, _, _, _, info = env.step(net.act(tensors(obs), deterministic=True).actions.numpy())
        if "episode_stats" in info:
            done = info["_episode_stats"] & first
            wins += int(info["episode_stats"]["won"][done].sum())
            played += int(done.sum())
    return wins / played


def main() -> None:  # noqa: PLR0915 (one training loop, CleanRL-style)
    """Train with PPO, then print the evaluation win rate."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=4_000_000, help="row steps to train (live rows)")
    p.add_argument("--minutes", type=float, default=9.0, help="stop training after this long")
    p.add_argument("--worlds", type=int, default=128)
    p.add_argument("--warmup-steps", type=int, default=300_000, help="steps against 1-6 HP monsters first")
    p.add_argument("--factions", default="hero", help="comma-separated learning factions")
    p.add_argument("--num-steps", type=int, default=32, help="rollout length per iteration")
    p.add_argument("--lr", type=float, default=7e-4, help="annealed linearly to 0 over the budget")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--minibatch-size", type=int, default=512)
    p.add_argument("--gamma", type=float, default=0.97)
    p.add_argument("--gae-lambda", type=float, default=0.9)
    p.add_argument("--clip", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-episodes", type=int, default=500)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # the env steps on the other core; a small net gains nothing from more
    factions = args.factions.split(",")
    phases = [(args.warmup_steps, [1, 6]), (2 * args.warmup_steps, [6, 14]), (None, None)]

    def make_env(monster_hp: list[int] | None) -> MindcrawlMultiAgentVectorEnv:
        return MindcrawlMultiAgentVectorEnv(args.worlds, training_arena(monster_hp), seed=args.seed,
                                            factions=factions, autoreset_mode="same_step")

    phase = 0 if args.warmup_steps > 0 else 2
    env = make_env(phases[phase][1])
    N, T = env.num_envs, args.num_steps
    net = build_policy("transformer", int(env.single_action_space.n), NETWORK)
    optim = torch.optim.Adam(net.parameters(), lr=args.lr, eps=1e-5)
    spaces = env.single_observation_space.spaces
    b_obs = {k: torch.zeros((T, N) + s.shape, dtype=torch.from_numpy(s.sample()).dtype) for k, s in spaces.items()}
    b_act, b_logp, b_rew, b_done, b_val, b_live = (torch.zeros(T, N) for _ in range(6))

    def restart() -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
        obs, info = env.reset(seed=args.seed + phase)
        return tensors(obs), torch.zeros(N), torch.as_tensor(info["active"]).float()

    next_obs, next_done, next_live = restart()
    start, steps, recent = time.perf_counter(), 0, []
    while steps < args.steps and time.perf_counter() - start < 60 * args.minutes:
        if phases[phase][0] is not None and steps >= phases[phase][0]:  # the next curriculum phase
            phase += 1
            env.close()
            env = make_env(phases[phase][1])
            next_obs, next_done, next_live = restart()
        progress = max(steps / args.steps, (time.perf_counter() - start) / (60 * args.minutes))
        optim.param_groups[0]["lr"] = args.lr * max(1.0 - progress, 0.05)
        for t in range(T):
            for k in b_obs:
                b_obs[k][t] = next_obs[k]
            b_done[t], b_live[t] = next_done, next_live
            result = net.act(next_obs)  # masked sampling, no gradient
            b_act[t], b_logp[t], b_val[t] = result.actions, result.log_probs, result.values
            obs, reward, term, trunc, info = env.step(result.actions.numpy())
            b_rew[t] = torch.as_tensor(reward)
            next_obs = tensors(obs)
            next_done = torch.as_tensor(term | trunc).float()
            next_live = torch.as_tensor(info["active"]).float()
            if "episode_stats" in info:
                recent.extend(info["episode_stats"]["won"][info["_episode_stats"]].tolist())
        steps += int(b_live.sum())

        with torch.no_grad():  # generalised advantage estimation, as in CleanRL
            next_value = net.act(next_obs).values
            adv = torch.zeros(T, N)
            last = torch.zeros(N)
            for t in reversed(range(T)):
                nonterminal = 1.0 - (next_done if t == T - 1 else b_done[t + 1])
                following = next_value if t == T - 1 else b_val[t + 1]
                delta = b_rew[t] + args.gamma * following * nonterminal - b_val[t]
                last = delta + args.gamma * args.gae_lambda * nonterminal * last
                adv[t] = last
            returns = adv + b_val

        live = b_live.reshape(-1).bool()  # padded rows teach nothing
        f_obs = net.prepare({k: v.reshape((T * N,) + v.shape[2:])[live] for k, v in b_obs.items()})
        f_act, f_logp = b_act.reshape(-1)[live], b_logp.reshape(-1)[live]
        f_adv, f_ret = adv.reshape(-1)[live], returns.reshape(-1)[live]
        size = min(args.minibatch_size, len(f_act))
        for _ in range(args.epochs):
            order = torch.randperm(len(f_act))
            for k in range(len(f_act) // size):
                mb = order[k * size:(k + 1) * size]
                logp, entropy, value = net.evaluate({key: v[mb] for key, v in f_obs.items()}, f_act[mb])
                ratio = (logp - f_logp[mb]).exp()
                a = f_adv[mb]
                a = (a - a.mean()) / (a.std() + 1e-8)
                pg = torch.max(-a * ratio, -a * ratio.clamp(1 - args.clip, 1 + args.clip)).mean()
                loss = pg + args.vf_coef * ((value - f_ret[mb]) ** 2).mean() - args.ent_coef * entropy.mean()
                optim.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 0.5)
                optim.step()
        recent = recent[-500:]
        print(f"{steps:>9,} steps  {time.perf_counter() - start:6.1f} s  phase {phase}  training win rate "
              f"(last {len(recent)} row-episodes) {np.mean(recent) if recent else 0:.3f}", flush=True)

    minutes = (time.perf_counter() - start) / 60
    rate = evaluate(net, args.eval_episodes, args.seed + 10_000, factions)
    print(f"CleanRL-style PPO: {steps:,} steps in {minutes:.1f} min; win rate against the scripted "
          f"NPC on arena: {rate:.3f} over {args.eval_episodes} unseen episodes")


if __name__ == "__main__":
    main()
