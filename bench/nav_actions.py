"""Do navigator actions help NPCs find and beat the hero? Same budget, with and without them.

Trains the `monsters` faction of the multi-floor `dungeon` preset against the scripted
hero twice, with the same PPO settings, seed and number of learner agent-steps:

* `primitive`: the entity transformer over the game's 19 primitive actions;
* `navigator`: :class:`npc.nav_transformer.NavTransformer` over the extended space
  (primitives + go to entity token k + explore + flee + goal), turned into moves inside
  the step by ``BatchedSim(..., nav_actions=["monsters"])`` (:mod:`game.nav_actions`).

Prints the training wall time of each variant and the ratio navigator / primitive. Then
plays both against the scripted hero on the same evaluation levels (evaluation seed
domain) and prints, per variant: win rate (monsters kill the hero) with a 95 % Wilson
interval, the share of episodes with contact (a monster sees the hero) with its 95 %
Wilson interval, the mean turn of first contact over episodes with contact and over all
episodes (no contact counted as the turn limit, "censored"), the mean length of won
episodes, and how often navigator actions were chosen. ``--json OUT`` writes the same
figures.

Usage::

    nice -n 5 .venv/bin/python bench/nav_actions.py --steps 200000 --json nav_actions.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from game.actions import CORE_ACTIONS  # noqa: E402
from game.batch import BatchedSim  # noqa: E402
from game.nav_actions import NAV_ACTION_NAMES  # noqa: E402
from game.spec import ENTITY_COLUMN  # noqa: E402
from levels.common.files import atomic_write_text  # noqa: E402
from npc.nav_transformer import GOTO_FIRST, NAV_ACTIONS, NavTransformer  # noqa: E402
from npc.policy import PolicyNet  # noqa: E402
from npc.scripted import ScriptedNPC  # noqa: E402
from training.config import OpponentConfig, PolicyConfig, PPOConfig, TrainConfig  # noqa: E402
from training.evaluate import wilson_interval  # noqa: E402
from training.ppo import EVAL_SEED_TAG, Trainer, derived_seed  # noqa: E402
from training.rollout import VecSim, slots_of, take_slots  # noqa: E402

FACTION = "monsters"
PRESET = "dungeon"
POLICY = {"d": 32, "layers": 1, "heads": 2, "mlp_ratio": 2, "patch_grid": 1, "cell_dim": 16, "local": 2}
_ENEMY = ENTITY_COLUMN["enemy"]


def make_sim(variant: str, num_worlds: int, seed: int, max_turns: int, pool_size: int) -> VecSim:
    """The simulator a variant trains and plays on."""
    options = {"pool_size": pool_size, "threads": 1, "max_turns": max_turns}
    if variant == "navigator":
        return BatchedSim(PRESET, num_worlds=num_worlds, seed=seed, nav_actions=[FACTION], **options)
    return BatchedSim(PRESET, num_worlds=num_worlds, seed=seed, **options)


def config(steps: int, seed: int, worlds: int) -> TrainConfig:
    """The training configuration both variants share."""
    return TrainConfig(params=PRESET, learner_faction=FACTION, total_steps=steps, seed=seed, threads=1,
                       ppo=PPOConfig(num_worlds=worlds, rollout_steps=32, learning_rate=5e-4, anneal_lr=True,
                                     gamma=0.97, gae_lambda=0.9, update_epochs=2, minibatch_size=1024),
                       policy=PolicyConfig("transformer", dict(POLICY)),
                       opponents=OpponentConfig(scripted_fraction=1.0))


def train(variant: str, cfg: TrainConfig, max_turns: int, pool_size: int) -> tuple[PolicyNet, dict[str, Any]]:
    """Train one variant for ``cfg.total_steps`` learner agent-steps."""
    trainer = Trainer(cfg, sim_factory=lambda p, b, s: make_sim(variant, b, s, max_turns, pool_size))
    if variant == "navigator":
        with torch.random.fork_rng():
            torch.manual_seed(cfg.seed)
            net = NavTransformer(NAV_ACTIONS, **cfg.policy.options)
        trainer.loop.attach(net)
    started = time.perf_counter()
    wins = episodes = 0
    while trainer.steps < cfg.total_steps:
        _, eps = trainer.iterate()
        wins += eps.wins
        episodes += eps.episodes
        if trainer.iteration % 10 == 0:
            print(f"  {variant}: {trainer.steps:,} steps, {episodes} episodes, "
                  f"win rate so far {wins / max(episodes, 1):.2f}, {time.perf_counter() - started:.0f} s", flush=True)
    seconds = time.perf_counter() - started
    return trainer.loop.net, {"steps": trainer.steps, "iterations": trainer.iteration, "seconds": round(seconds, 1),
                         "train_episodes": episodes, "train_wins": wins}


def evaluate(variant: str, net: PolicyNet, episodes: int, worlds: int, seed: int, max_turns: int,
             pool_size: int) -> dict[str, Any]:
    """Play ``episodes`` episodes against the scripted hero; wins, first contact, lengths."""
    sim = make_sim(variant, min(worlds, episodes), derived_seed(EVAL_SEED_TAG, seed), max_turns, pool_size)
    B = sim.num_worlds
    quota = np.full(B, episodes // B)
    quota[: episodes % B] += 1
    mine = slots_of(sim, FACTION)
    theirs = np.array([s for s in range(sim.num_agents) if s not in set(mine)], np.int64)
    faction = tuple(sim.layout.factions).index(FACTION)
    hero = ScriptedNPC()
    generator = torch.Generator().manual_seed(seed)
    done = np.zeros(B, np.int64)
    contact = np.full(B, -1)
    results: list[tuple[bool, int, int]] = []  # (won, length, first contact turn or -1)
    chosen = np.zeros(NAV_ACTIONS if variant == "navigator" else CORE_ACTIONS, np.int64)
    obs = sim.reset()
    while (done < quota).any():
        mine_obs = take_slots(obs, slice(None), mine)
        sees = ((mine_obs["entity_mask"] != 0) & (mine_obs["entities"][..., _ENEMY] > 0.5)).any(axis=1)
        turn = np.asarray(sim.info()["turn"])
        first = sees.reshape(B, len(mine)).any(axis=1) & (contact < 0)
        contact[first] = turn[first]
        actions = np.zeros((B, sim.num_agents), np.int64)
        with torch.no_grad():
            act = net.act({k: torch.from_numpy(v) for k, v in mine_obs.items()}, False, generator).actions.numpy()
        alive = np.asarray(sim.info()["alive"], bool)[:, mine].reshape(-1)
        np.add.at(chosen, act[alive], 1)
        actions[:, mine] = act.reshape(B, len(mine))
        actions[:, theirs] = hero.act(take_slots(obs, slice(None), theirs)).actions.numpy().reshape(B, len(theirs))
        obs, _, _, _, info = sim.step(actions)
        for b in np.flatnonzero(np.asarray(info["finished"])):
            if done[b] < quota[b]:
                results.append((int(info["winner"][b]) == faction, int(info["episode_length"][b]), int(contact[b])))
                done[b] += 1
        contact[np.asarray(info["reset"], bool)] = -1
    wins = sum(w for w, _, _ in results)
    contacts = [c for _, _, c in results if c >= 0]
    won_lengths = [n for w, n, _ in results if w]
    nav_share = float(chosen[GOTO_FIRST:].sum() / max(chosen.sum(), 1)) if variant == "navigator" else 0.0
    by_action = {name: int(n) for name, n in zip(NAV_ACTION_NAMES, chosen[GOTO_FIRST:], strict=True)} \
        if variant == "navigator" else {}
    return {"episodes": len(results), "wins": wins, "win_rate": wins / len(results),
            "ci95": list(wilson_interval(wins, len(results))),
            "contact_share": len(contacts) / len(results),
            "contact_ci95": list(wilson_interval(len(contacts), len(results))),
            "mean_first_contact": float(np.mean(contacts)) if contacts else None,
            # censored at the turn limit: episodes without contact count as max_turns
            "mean_contact_or_limit": float(np.mean([c if c >= 0 else max_turns for _, _, c in results])),
            "mean_win_length": float(np.mean(won_lengths)) if won_lengths else None,
            "mean_length": float(np.mean([n for _, n, _ in results])),
            "navigator_action_share": nav_share, "navigator_actions_chosen": by_action}


def sim_cost(ticks: int, worlds: int, seed: int, pool_size: int) -> dict[str, float]:
    """Microseconds per monster-step of the navigator actions' kernels, against the whole step.

    Steps ``dungeon`` ``ticks`` times with random legal actions (navigator actions for the
    monsters, primitives for the hero), timing :meth:`NavActions.translate`, the masks and
    the step they are part of; then the same without ``nav_actions`` (random primitives).
    """
    rng = np.random.default_rng(seed)

    def random_legal(mask: np.ndarray) -> np.ndarray:
        u = rng.random(mask.shape[:2])[..., None]
        cum = np.cumsum(mask, axis=-1)
        return (cum < u * cum[..., -1:]).sum(axis=-1).astype(np.int64)

    result: dict[str, float] = {}
    for variant in ("primitive", "navigator"):
        sim = make_sim(variant, worlds, seed, 300, pool_size)
        obs = sim.reset()
        monsters = len(slots_of(sim, FACTION))
        nav = sim.nav_actions
        spent = {"translate": 0.0, "masks": 0.0}
        if nav is not None:  # time the two kernels by wrapping them (the step calls both once)
            for name, method in (("translate", "translate"), ("masks", "update_masks")):
                inner = getattr(nav, method)

                def timed(*a: Any, _inner: Any = inner, _name: str = name, _spent: dict = spent) -> Any:
                    t0 = time.perf_counter()
                    out = _inner(*a)
                    _spent[_name] += time.perf_counter() - t0
                    return out
                setattr(nav, method, timed)
        sim.step(random_legal(obs["action_mask"]))  # warm-up (compilation)
        for name in spent:
            spent[name] = 0.0
        total = 0.0
        for _ in range(ticks):
            actions = random_legal(obs["action_mask"])
            t0 = time.perf_counter()
            obs, *_ = sim.step(actions)
            total += time.perf_counter() - t0
        per = 1e6 / (ticks * worlds * monsters)
        result[f"{variant}_step_us_per_monster_step"] = round(total * per, 2)
        if nav is not None:
            result["translate_us_per_monster_step"] = round(spent["translate"] * per, 2)
            result["masks_us_per_monster_step"] = round(spent["masks"] * per, 2)
        sim.close()
    return result


def main() -> int:
    """Train and evaluate both variants; print a table and optionally JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000, help="learner agent-steps per variant")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worlds", type=int, default=32, help="training worlds per variant")
    parser.add_argument("--max-turns", type=int, default=300, help="episode length limit (both variants)")
    parser.add_argument("--eval-episodes", type=int, default=100)
    parser.add_argument("--eval-worlds", type=int, default=50)
    parser.add_argument("--pool-size", type=int, default=64, help="levels per simulator")
    parser.add_argument("--variants", default="primitive,navigator")
    parser.add_argument("--json", metavar="OUT")
    parser.add_argument("--sim-ticks", type=int, default=0,
                        help="only time the simulator for this many ticks (random legal actions), no training")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.sim_ticks > 0:
        cost = sim_cost(args.sim_ticks, args.worlds, args.seed, args.pool_size)
        print(json.dumps(cost, indent=2))
        if args.json:
            atomic_write_text(args.json, json.dumps({"command": " ".join(sys.argv), **cost}, indent=2))
        return 0
    cfg = config(args.steps, args.seed, args.worlds)
    report: dict[str, Any] = {"command": " ".join(sys.argv), "preset": PRESET, "faction": FACTION,
                              "max_turns": args.max_turns, "seed": args.seed, "variants": {}}
    for variant in [v.strip() for v in args.variants.split(",") if v.strip()]:
        if variant not in ("primitive", "navigator"):
            print(f"error: --variants: unknown variant {variant!r} (primitive, navigator)", file=sys.stderr)
            return 2
        print(f"training {variant} ...", flush=True)
        net, trained = train(variant, cfg, args.max_turns, args.pool_size)
        print(f"evaluating {variant} ...", flush=True)
        started = time.perf_counter()
        result = evaluate(variant, net, args.eval_episodes, args.eval_worlds, args.seed, args.max_turns,
                          args.pool_size)
        result["eval_seconds"] = round(time.perf_counter() - started, 1)
        report["variants"][variant] = {"training": trained, "evaluation": result}
        print(json.dumps(report["variants"][variant]), flush=True)
    print()
    print(f"{'variant':10} {'steps':>8} {'train s':>8} {'episodes':>8} {'win rate':>8} {'95% CI':>13} "
          f"{'contact':>7} {'95% CI':>13} {'1st contact':>11} {'censored':>8} {'win len':>7} {'len':>6} "
          f"{'nav share':>9}")
    for variant, r in report["variants"].items():
        t, e = r["training"], r["evaluation"]

        def fmt(v: float | None, spec: str = ".1f") -> str:
            return "-" if v is None else format(v, spec)

        print(f"{variant:10} {t['steps']:>8} {t['seconds']:>8.0f} {e['episodes']:>8} {e['win_rate']:>8.2f} "
              f"{e['ci95'][0]:>6.2f}-{e['ci95'][1]:<6.2f} {e['contact_share']:>7.2f} "
              f"{e['contact_ci95'][0]:>6.2f}-{e['contact_ci95'][1]:<6.2f} "
              f"{fmt(e['mean_first_contact']):>11} {e['mean_contact_or_limit']:>8.1f} "
              f"{fmt(e['mean_win_length']):>7} {e['mean_length']:>6.1f} "
              f"{e['navigator_action_share']:>9.2f}")
    runs = report["variants"]
    if "primitive" in runs and "navigator" in runs:
        ratio = runs["navigator"]["training"]["seconds"] / max(runs["primitive"]["training"]["seconds"], 1e-9)
        report["train_time_ratio"] = round(ratio, 2)
        print(f"\ntraining wall time, navigator / primitive: {ratio:.2f}x")
    if args.json:
        atomic_write_text(args.json, json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
