"""sb3-contrib's MaskablePPO on Mindcrawl's native vector env: arena, against the scripted NPC.

    .venv/bin/python examples/sb3_maskable_ppo.py                  # ~10 minutes here
    .venv/bin/python examples/sb3_maskable_ppo.py --steps 4000 --eval-episodes 20   # smoke run

All worlds step in one BatchedSim (``game.envs.vector.MindcrawlVectorEnv``), seen by SB3
through ``training.sb3_vec.SB3VecEnv``; MaskablePPO reads the legal actions from
``action_masks()``. Its ``MultiInputPolicy`` gets the spec's dict observation, encoded
by Mindcrawl's entity transformer (``npc.checkpoint.build_policy``) as an SB3 features
extractor: its self token feeds SB3's policy and value heads. SB3's orthogonal init is
off (it would overwrite the transformer's own small-weight init) and the two heads start
as the transformer's own do, so this is the CleanRL example's network and PPO settings.
Training uses two tricks from
Mindcrawl's own trainer (training/configs/default.toml): weaker monsters for the first
``--warmup-steps`` (1-6 HP, then 6-14 HP until twice that) and a small reward for
damage dealt. At the
end the policy plays ``--eval-episodes`` episodes of the unchanged arena on unseen
seeds, sampling its actions (as ``main.py eval`` does), then the same episodes greedy
(argmax, as the CleanRL example evaluates), and the script prints both win rates
(wins / episodes) against the scripted NPC, the sampled one first.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib import MaskablePPO
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from game.envs.vector import MindcrawlVectorEnv  # noqa: E402
from levels.params import LevelParams, deep_merge, load_params, params_from_dict, params_to_dict  # noqa: E402
from npc.checkpoint import build_policy  # noqa: E402
from training.sb3_vec import SB3VecEnv  # noqa: E402

STARTED = time.perf_counter()  # after the imports (torch, SB3: a few seconds)

NETWORK = {"d": 32, "layers": 1, "heads": 2, "mlp_ratio": 2, "patch_grid": 1, "cell_dim": 16, "local": 2}


class EntityFeatures(BaseFeaturesExtractor):
    """Mindcrawl's entity transformer as SB3 features: the encoded self token (``d`` values)."""

    def __init__(self, space: gym.spaces.Dict) -> None:
        super().__init__(space, features_dim=NETWORK["d"])
        self.net = build_policy("transformer", int(space["action_mask"].shape[0]), NETWORK)

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """The self token after the transformer block (what the transformer's own heads read)."""
        return self.net.self_features(obs)


def init_heads(model: MaskablePPO) -> None:
    """Start SB3's heads as the transformer starts its own: near-uniform policy, small values.

    With ``ortho_init=False`` (SB3's orthogonal init would overwrite the transformer's
    own small-weight init) SB3's two linear heads keep PyTorch's default init instead.
    """
    for head, std in ((model.policy.action_net, 0.01), (model.policy.value_net, 0.1)):
        torch.nn.init.normal_(head.weight, std=std)
        torch.nn.init.zeros_(head.bias)


def training_arena(monster_hp: list[int] | None) -> LevelParams:
    """Arena with +0.05 reward per HP of damage the hero deals; optionally other monster HP."""
    data = deep_merge(params_to_dict(load_params("arena")),
                      {"factions": {"hero": {"objective": {"damage_dealt": 0.05}}}})
    for group in data["spawns"]:
        if monster_hp and group["faction"] == "monsters":
            group["hp"] = monster_hp
    return params_from_dict(data)


def win_rate(model: MaskablePPO, episodes: int, seed: int, deterministic: bool) -> float:
    """Wins / episodes of ``model`` against the scripted NPC on unseen arena seeds."""
    env = MindcrawlVectorEnv(min(50, episodes), "arena", seed=seed)
    obs, _ = env.reset(seed=seed)
    wins = played = 0
    while played < episodes:
        actions, _ = model.predict(obs, action_masks=env.action_masks(), deterministic=deterministic)
        obs, _, _, _, info = env.step(actions)
        if "episode_stats" in info:
            done = info["_episode_stats"]
            wins += int(info["episode_stats"]["won"][done].sum())
            played += int(done.sum())
    return wins / played


def main() -> None:
    """Train, then print the evaluation win rate."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2_000_000, help="learner steps to train")
    parser.add_argument("--minutes", type=float, default=9.0, help="stop training after this long")
    parser.add_argument("--envs", type=int, default=256, help="worlds stepped together")
    parser.add_argument("--warmup-steps", type=int, default=300_000, help="steps against 1-6 HP monsters first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-episodes", type=int, default=500)
    args = parser.parse_args()
    torch.set_num_threads(1)  # small networks gain nothing from more threads

    def make_env(monster_hp: list[int] | None) -> SB3VecEnv:
        return SB3VecEnv(MindcrawlVectorEnv(args.envs, training_arena(monster_hp), seed=args.seed + phase,
                                            autoreset_mode="same_step"))

    phases = [(args.warmup_steps, [1, 6]), (2 * args.warmup_steps, [6, 14]), (None, None)]
    phase = 0 if args.warmup_steps > 0 else 2
    lr = {"now": 7e-4}
    model = MaskablePPO("MultiInputPolicy", make_env(phases[phase][1]), n_steps=32, batch_size=512, n_epochs=2,
                        learning_rate=lambda _: lr["now"], gamma=0.97, gae_lambda=0.9, ent_coef=0.01,
                        policy_kwargs={"features_extractor_class": EntityFeatures, "net_arch": [],
                                       "normalize_images": False, "ortho_init": False},
                        seed=args.seed, device="cpu")
    init_heads(model)
    start = time.perf_counter()
    while model.num_timesteps < args.steps and time.perf_counter() - start < 60 * args.minutes:
        if phases[phase][0] is not None and model.num_timesteps >= phases[phase][0]:  # next phase
            phase += 1
            model.set_env(make_env(phases[phase][1]))
        progress = max(model.num_timesteps / args.steps, (time.perf_counter() - start) / (60 * args.minutes))
        lr["now"] = 7e-4 * max(1.0 - progress, 0.05)
        model.learn(min(args.envs * 32 * 8, args.steps - model.num_timesteps), reset_num_timesteps=False)
        rate = np.mean([e["won"] for e in model.ep_info_buffer]) if model.ep_info_buffer else 0.0
        print(f"{model.num_timesteps:>9,} steps  {time.perf_counter() - start:6.1f} s  "
              f"training win rate (last {len(model.ep_info_buffer)} episodes) {rate:.3f}", flush=True)
    minutes = (time.perf_counter() - start) / 60
    rate = win_rate(model, args.eval_episodes, args.seed + 10_000, deterministic=False)
    greedy = win_rate(model, args.eval_episodes, args.seed + 10_000, deterministic=True)
    print(f"MaskablePPO: {model.num_timesteps:,} steps in {minutes:.1f} min; win rate against the scripted "
          f"NPC on arena: {rate:.3f} over {args.eval_episodes} unseen episodes, sampled actions "
          f"(greedy: {greedy:.3f}; "
          f"{(time.perf_counter() - STARTED) / 60:.1f} min in all after the imports, evaluations included)")


if __name__ == "__main__":
    main()
