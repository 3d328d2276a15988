"""A CleanRL-style single-file PPO on Mindcrawl's multi-agent vector env (parameter sharing).

    .venv/bin/python examples/cleanrl_ppo_multiagent.py             # ~10 minutes here
    .venv/bin/python examples/cleanrl_ppo_multiagent.py --steps 4000 --eval-episodes 20   # smoke run

``game.vector.MindcrawlMultiAgentVectorEnv`` makes every agent slot of the learning
factions in every world one row of a Gymnasium vector env, all stepped in one
BatchedSim. Here the hero faction learns on arena and the scripted NPC plays the
monsters; with ``--factions hero,monsters`` one shared network plays every side
(self-play). Rows of absent or dead agents are padded (``info["active"]`` False, only
``wait`` legal): their samples are left out of the loss. Observations use the
``{"observation", "action_mask"}`` layout; illegal actions get logit -inf. At the end
the policy plays ``--eval-episodes`` fresh episodes on unseen seeds and the script
prints the hero's win rate against the scripted NPC.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from game.vector import MindcrawlMultiAgentVectorEnv  # noqa: E402


class Agent(nn.Module):
    """An MLP actor-critic over the flat observation, with masked logits."""

    def __init__(self, obs_dim: int, num_actions: int, hidden: int = 256) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.actor = nn.Linear(hidden, num_actions)
        self.critic = nn.Linear(hidden, 1)
        nn.init.orthogonal_(self.actor.weight, 0.01)

    def forward(self, obs: torch.Tensor, mask: torch.Tensor) -> tuple[Categorical, torch.Tensor]:
        """The masked action distribution and the value of each row."""
        h = self.body(obs)
        logits = self.actor(h).masked_fill(~mask, float("-inf"))
        return Categorical(logits=logits), self.critic(h).squeeze(-1)


def tensors(obs: dict[str, np.ndarray], scale: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Observation (scaled into [-1, 1] by the space's bounds) and bool mask tensors."""
    return torch.as_tensor(obs["observation"] * scale), torch.as_tensor(obs["action_mask"]).bool()


def obs_scale(env: MindcrawlMultiAgentVectorEnv) -> np.ndarray:
    """1 / the largest magnitude each observation column can take (from the space)."""
    box = env.single_observation_space["observation"]
    return (1.0 / np.maximum(np.maximum(np.abs(box.low), np.abs(box.high)), 1e-6)).astype(np.float32)


def evaluate(agent: Agent, episodes: int, seed: int, factions: list[str]) -> float:
    """Wins / episodes of the first learning faction's rows on unseen arena seeds (greedy)."""
    env = MindcrawlMultiAgentVectorEnv(min(50, episodes), "arena", seed=seed, factions=factions,
                                       obs_layout="masked")
    obs, _ = env.reset(seed=seed)
    first = np.array([a.rsplit("_", 1)[0] == factions[0] for a in env.row_agents] * env.sim.num_worlds)
    scale = obs_scale(env)
    wins = played = 0
    while played < episodes:
        with torch.no_grad():
            dist, _ = agent(*tensors(obs, scale))
        obs, _, _, _, info = env.step(dist.probs.argmax(-1).numpy())
        if "episode_stats" in info:
            done = info["_episode_stats"] & first
            wins += int(info["episode_stats"]["won"][done].sum())
            played += int(done.sum())
    return wins / played


def main() -> None:  # noqa: PLR0915 (one training loop, CleanRL-style)
    """Train with PPO, then print the evaluation win rate."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=3_000_000, help="row steps to train")
    p.add_argument("--minutes", type=float, default=9.0, help="stop training after this long")
    p.add_argument("--worlds", type=int, default=128)
    p.add_argument("--factions", default="hero", help="comma-separated learning factions")
    p.add_argument("--num-steps", type=int, default=64, help="rollout length per iteration")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--minibatches", type=int, default=4)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--gae-lambda", type=float, default=0.95)
    p.add_argument("--clip", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-episodes", type=int, default=500)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # the env steps on the other core; small nets gain nothing from more
    factions = args.factions.split(",")

    env = MindcrawlMultiAgentVectorEnv(args.worlds, "arena", seed=args.seed, factions=factions,
                                       obs_layout="masked", autoreset_mode="same_step")
    N, T = env.num_envs, args.num_steps
    obs_dim = env.single_observation_space["observation"].shape[0]
    num_actions = env.single_action_space.n
    agent = Agent(obs_dim, num_actions)
    optim = torch.optim.Adam(agent.parameters(), lr=args.lr, eps=1e-5)

    b_obs = torch.zeros(T, N, obs_dim)
    b_mask = torch.zeros(T, N, num_actions, dtype=torch.bool)
    b_act, b_logp, b_rew, b_done, b_val, b_live = (torch.zeros(T, N) for _ in range(6))
    scale = obs_scale(env)
    obs, info = env.reset(seed=args.seed)
    next_obs, next_mask = tensors(obs, scale)
    next_done, next_live = torch.zeros(N), torch.as_tensor(info["active"]).float()
    start, steps, recent = time.perf_counter(), 0, []
    while steps < args.steps and time.perf_counter() - start < 60 * args.minutes:
        for t in range(T):
            b_obs[t], b_mask[t], b_done[t], b_live[t] = next_obs, next_mask, next_done, next_live
            with torch.no_grad():
                dist, value = agent(next_obs, next_mask)
                action = dist.sample()
            b_act[t], b_logp[t], b_val[t] = action, dist.log_prob(action), value
            obs, reward, term, trunc, info = env.step(action.numpy())
            b_rew[t] = torch.as_tensor(reward)
            next_obs, next_mask = tensors(obs, scale)
            next_done = torch.as_tensor(term | trunc).float()
            next_live = torch.as_tensor(info["active"]).float()
            if "episode_stats" in info:
                recent.extend(info["episode_stats"]["won"][info["_episode_stats"]].tolist())
        steps += int(b_live.sum())

        with torch.no_grad():  # generalised advantage estimation, as in CleanRL
            _, next_value = agent(next_obs, next_mask)
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
        f_obs, f_mask = b_obs.reshape(-1, obs_dim)[live], b_mask.reshape(-1, num_actions)[live]
        f_act, f_logp = b_act.reshape(-1)[live], b_logp.reshape(-1)[live]
        f_adv, f_ret = adv.reshape(-1)[live], returns.reshape(-1)[live]
        size = len(f_act) // args.minibatches
        for _ in range(args.epochs):
            order = torch.randperm(len(f_act))
            for k in range(args.minibatches):
                mb = order[k * size:(k + 1) * size]
                dist, value = agent(f_obs[mb], f_mask[mb])
                ratio = (dist.log_prob(f_act[mb]) - f_logp[mb]).exp()
                a = f_adv[mb]
                a = (a - a.mean()) / (a.std() + 1e-8)
                pg = torch.max(-a * ratio, -a * ratio.clamp(1 - args.clip, 1 + args.clip)).mean()
                loss = pg + args.vf_coef * ((value - f_ret[mb]) ** 2).mean() - args.ent_coef * dist.entropy().mean()
                optim.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
                optim.step()
        recent = recent[-500:]
        print(f"{steps:>9,} steps  {time.perf_counter() - start:6.1f} s  training win rate "
              f"(last {len(recent)} row-episodes) {np.mean(recent) if recent else 0:.3f}", flush=True)

    minutes = (time.perf_counter() - start) / 60
    rate = evaluate(agent, args.eval_episodes, args.seed + 10_000, factions)
    print(f"CleanRL-style PPO: {steps:,} steps in {minutes:.1f} min; win rate against the scripted "
          f"NPC on arena: {rate:.3f} over {args.eval_episodes} unseen episodes")


if __name__ == "__main__":
    main()
