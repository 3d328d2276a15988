"""The adaptation demonstration, headless: a designer turns potions into poison, NPCs adapt.

``python -m training.live.demo [--minutes 5] [--heal -20] [--death -2] [--json OUT]``

1. Load the shipped checkpoint; the NPCs (the ``monsters`` faction of the ``arena``
   preset) play the scripted hero. Measure their habit: how often they drink the
   health potion they carry (drinks / turns on which they carry one and may drink).
2. Start the learner on the unchanged parameters, then change them the way the
   designer panel does (``LearnerClient.set_params``): the health potion now "heals"
   ``--heal`` HP, i.e. poisons (-20 kills any monster of the arena). The learner drops
   its stale rollout and trains on the new parameters.
3. Every ``--every`` seconds, take the newest published weights (the game's side of
   the shared memory) and evaluate them on fixed evaluation seeds of the poisoned
   level: potion drinking and win rate against the hero. Print the curve.
4. Pass when, within the time limit, drinking falls to at most ``--ratio`` (0.5) of
   the rate right after the change and the win rate is at least the win rate right
   after the change (it recovers); exit code 1 otherwise.

Why ``--death``: in the shipped arena a monster's death costs nothing while every turn
alive costs 0.01, so a lethal potion is an escape from a lost fight, and live
retraining duly learns to drink *more* of it (measured: 0.056 -> 0.166 drinks per
turn within a minute at heal -20). The demonstration therefore plays an arena whose
monsters pay ``--death`` (default -2) for dying -- before and after the change, so the
only change the learner adapts to is the potion.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from levels.params import LevelParams, load_params, params_from_dict, params_to_dict
from npc.checkpoint import SHIPPED_CHECKPOINT, load_checkpoint
from npc.policy import PolicyNet
from npc.scripted import ScriptedNPC
from training.live.client import LearnerClient
from training.live.learner import habit_rates
from training.live.weights import unflatten_into
from training.ppo import EVAL_SEED_TAG, derived_seed
from training.rollout import Collector

FACTION = "monsters"


def with_death_cost(params: LevelParams, death: float) -> LevelParams:
    """``params`` where a monster's death costs ``death`` reward (arena's default is 0)."""
    table = params_to_dict(params)
    table.setdefault("factions", {}).setdefault(FACTION, {}).setdefault("objective", {})["death"] = death
    return params_from_dict(table)


def poisoned(params: LevelParams, heal: int) -> LevelParams:
    """``params`` whose health potion heals ``heal`` HP (negative: it poisons)."""
    table = params_to_dict(params)
    kinds = params.loot.all_kinds()
    potion = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(kinds["health_potion"]).items()}
    potion["heal"] = [heal, heal]
    table["loot"].setdefault("kinds", {})["health_potion"] = potion
    return params_from_dict(table)


@dataclass
class Evaluation:
    """What fixed evaluation episodes measured for one set of weights."""

    drink_rate: float  # health/poison potion drinks per turn carrying one (drinking legal)
    win_rate: float
    episodes: int
    mean_return: float


def evaluate(net: PolicyNet, params: LevelParams, worlds: int = 64, steps: int = 200, seed: int = 0) -> Evaluation:
    """Play ``steps`` turns in ``worlds`` evaluation worlds (always the same levels for ``seed``)."""
    from game.batch import BatchedSim

    sim = BatchedSim(params, num_worlds=worlds, seed=derived_seed(EVAL_SEED_TAG, seed), pool_size=worlds,
                     num_actions=net.num_actions, threads=1)
    collector = Collector(sim, FACTION, np.random.default_rng(seed), torch.Generator().manual_seed(seed))
    batch = collector.collect(net, [ScriptedNPC()], [1.0], steps)
    stats = collector.stats.take()
    _, heal_rate = habit_rates(batch)
    n = stats.episodes
    return Evaluation(heal_rate, stats.wins / n if n else float("nan"), n,
                      float(np.mean(stats.returns)) if n else float("nan"))


def run(minutes: float, heal: int, every: float, ratio: float, seed: int, quiet: bool = False,
        stop_early: bool = False, learning_rate: float = 5e-4, death: float = -2.0) -> dict[str, Any]:
    """The demonstration (see the module docstring); returns the curve and the verdict."""
    torch.set_num_threads(1)
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    net, _ = load_checkpoint(SHIPPED_CHECKPOINT)
    base = with_death_cost(load_params("arena"), death)
    poison = poisoned(base, heal)
    before = evaluate(net, base, seed=seed)
    after_change = evaluate(net, poison, seed=seed)
    say(f"shipped checkpoint, healing potions:  drinking {before.drink_rate:.3f}  win rate {before.win_rate:.3f} "
        f"({before.episodes} episodes)")
    say(f"shipped checkpoint, potions heal {heal}: drinking {after_change.drink_rate:.3f}  win rate "
        f"{after_change.win_rate:.3f} ({after_change.episodes} episodes)")
    client = LearnerClient(net, base, [FACTION], seed=seed, learning_rate=learning_rate)
    probe = load_checkpoint(SHIPPED_CHECKPOINT)[0]
    curve: list[dict[str, Any]] = [{"seconds": 0.0, "version": 0, "steps": 0, **asdict(after_change)}]
    try:
        client.start()
        deadline = time.monotonic() + 120
        while client.version < 1 and not client.error and time.monotonic() < deadline:
            client.poll()
            time.sleep(0.1)
        if client.error or client.version < 1:
            raise RuntimeError(f"the learner did not start: {client.error or 'no update in 120 s'}")
        client.set_params(poison)  # the designer's change, as the panel sends it
        changed_at_version = client.version
        start = time.monotonic()
        say(f"parameters changed at version {changed_at_version}; retraining for {minutes:g} min")
        say(f"{'s':>6} {'version':>7} {'steps':>8} {'drink':>6} {'win':>6} {'return':>7}")
        next_eval = start + every
        while time.monotonic() - start < minutes * 60:
            client.poll()
            if client.error:
                raise RuntimeError(f"the learner crashed: {client.error}")
            if time.monotonic() < next_eval:
                time.sleep(0.2)
                continue
            next_eval += every
            published = client.read_weights(-1)
            if published is None:
                continue
            unflatten_into(probe, published.weights)
            result = evaluate(probe, poison, seed=seed)
            steps = client.curve[-1].steps if client.curve else 0
            row = {"seconds": round(time.monotonic() - start, 1), "version": published.version, "steps": steps,
                   **asdict(result)}
            curve.append(row)
            say(f"{row['seconds']:6.0f} {row['version']:7d} {steps:8d} {result.drink_rate:6.3f} "
                f"{result.win_rate:6.3f} {result.mean_return:7.2f}")
            if stop_early and _passed(after_change, result, ratio):
                break
        client.poll()
        dropped = [n for n in client.notes if n.startswith("dropped")]
    finally:
        client.close()
    final = curve[-1]
    passed = len(curve) > 1 and _passed(after_change, Evaluation(final["drink_rate"], final["win_rate"],
                                                                  final["episodes"], final["mean_return"]), ratio)
    verdict = {
        "passed": passed, "heal": heal, "death": death, "minutes": minutes, "ratio": ratio,
        "before_change": asdict(before), "after_change": asdict(after_change), "final": final,
        "drink_fell_to": final["drink_rate"] / after_change.drink_rate if after_change.drink_rate else None,
        "curve": curve, "learner_curve": [asdict(p) for p in client.curve], "dropped": dropped,
    }
    say(f"drinking {after_change.drink_rate:.3f} -> {final['drink_rate']:.3f} "
        f"({verdict['drink_fell_to']:.2f}x; need <= {ratio}); win rate {after_change.win_rate:.3f} -> "
        f"{final['win_rate']:.3f} (before the change {before.win_rate:.3f}): {'PASS' if passed else 'FAIL'}")
    return verdict


def _passed(after_change: Evaluation, now: Evaluation, ratio: float) -> bool:
    return now.drink_rate <= ratio * after_change.drink_rate and now.win_rate >= after_change.win_rate


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m training.live.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="retraining time limit (default 5)")
    parser.add_argument("--heal", type=int, default=-20, help="the health potion's new heal value (default -20)")
    parser.add_argument("--death", type=float, default=-2.0,
                        help="reward of a monster's death on the level (arena's default is 0; default -2)")
    parser.add_argument("--every", type=float, default=20.0, help="seconds between evaluations (default 20)")
    parser.add_argument("--ratio", type=float, default=0.5, help="drinking must fall to this share (default 0.5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=5e-4, help="the learner's learning rate (default 5e-4)")
    parser.add_argument("--stop-early", action="store_true", help="stop at the first evaluation that passes")
    parser.add_argument("--json", help="write the curve and verdict as JSON to this file ('-': stdout)")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.every <= 0:
        print("--minutes and --every must be positive", file=sys.stderr)
        return 2
    verdict = run(args.minutes, args.heal, args.every, args.ratio, args.seed, quiet=args.json == "-",
                  stop_early=args.stop_early, learning_rate=args.lr,
                  death=args.death)
    if args.json == "-":
        print(json.dumps(verdict, indent=2))
    elif args.json:
        from levels.common.files import atomic_write_text

        atomic_write_text(args.json, json.dumps(verdict, indent=2))
    return 0 if verdict["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
