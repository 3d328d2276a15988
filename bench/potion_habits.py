"""Do a study's policies read the potion they carry? Health-potion drinking, healing vs poisoned.

Run from anywhere::

    .venv/bin/python bench/potion_habits.py --out runs/study-ids-e1000 [--seeds 5] [--archs A,B] [--json OUT|-]

For every architecture and seed of an adaptation study (``python main.py study
adaptation``), the hero policy plays the scripted NPC on the ``arena`` preset and on the
``potions_poison`` shift (the health potion takes 8 HP instead of healing 5), through
the simulators the study trained it on (the id baseline's through
``training.study.kind_ids.KindIdSim``). It counts, over the turns on which the hero carries a
health potion and may drink, how often it drinks it. A policy that reads the potion's
``heal`` attribute should drink the poison less; an id policy cannot tell the two apart.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.actions import USE_POTION  # noqa: E402
from game.spec import SELF_COLUMN  # noqa: E402
from levels.common.errors import UserError  # noqa: E402
from levels.common.files import atomic_write_text  # noqa: E402
from levels.params import LevelParams, load_params  # noqa: E402
from levels.shifts import apply_shift, load_shift  # noqa: E402
from npc.checkpoint import load_checkpoint  # noqa: E402
from npc.scripted import ScriptedNPC  # noqa: E402
from training.rollout import Collector  # noqa: E402
from training.study.kind_ids import sim_factory_for  # noqa: E402
from training.study.runs import ARCHS, parse_study_archs, run_name  # noqa: E402

_HAS_POTION, _HEAL = SELF_COLUMN["has_potion"], SELF_COLUMN["heal"]


def drink_rate(arch: str, policy_path: Path, params: LevelParams, worlds: int, turns: int,
               seed: int) -> tuple[float, float]:
    """(health-potion drinks per turn carrying one with drinking legal, win rate) of one hero policy."""
    net, _ = load_checkpoint(policy_path)
    sim = sim_factory_for(arch, worlds)(params, worlds, seed)
    collector = Collector(sim, "hero", np.random.default_rng(seed), torch.Generator().manual_seed(seed))
    batch = collector.collect(net, [ScriptedNPC()], [1.0], turns)
    own = batch.obs["self"]
    legal = batch.obs["action_mask"][..., USE_POTION].bool() & batch.valid & (own[..., _HAS_POTION] > 0)
    if arch == "baseline":  # KindIdSim wrote the kind's code where the heal was
        holding = legal & torch.isclose(own[..., _HEAL], torch.tensor(sim.code_of("health_potion")))
    else:  # only health potions (healing or poisoned) have a non-zero heal in the arena
        holding = legal & (own[..., _HEAL] != 0)
    drank = (batch.actions == USE_POTION) & holding
    stats = collector.stats.take()
    return float(drank.sum()) / max(1, int(holding.sum())), stats.wins / max(1, stats.episodes)


def main(argv: list[str] | None = None) -> int:
    """Print (and optionally write as JSON) each architecture's drinking on the base and poisoned arena."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="the study directory (holds runs/<arch>-s<seed>/)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 per architecture (default 5)")
    parser.add_argument("--archs", default=",".join(ARCHS),
                        help=f"comma-separated architectures (default: {','.join(ARCHS)})")
    parser.add_argument("--worlds", type=int, default=64, help="evaluation worlds (default 64)")
    parser.add_argument("--turns", type=int, default=300, help="turns played in each (default 300)")
    parser.add_argument("--json", help="write the figures as JSON to this path (- for stdout)")
    args = parser.parse_args(argv)
    try:
        archs = parse_study_archs(args.archs)
    except UserError as err:
        print(err, file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    base = load_params("arena")
    conditions = {"base": base, "potions_poison": apply_shift(base, load_shift("potions_poison"))}
    results: dict[str, dict[str, dict[str, list[float]]]] = {}
    for arch in archs:
        results[arch] = {}
        for name, params in conditions.items():
            rates, wins = [], []
            for seed in range(args.seeds):
                path = Path(args.out) / "runs" / run_name(arch, seed) / "policy.safetensors"
                if not path.exists():
                    print(f"{path}: no such checkpoint (train the study first)", file=sys.stderr)
                    return 2
                # Evaluation seeds outside the study's (1000 + seed) and training's domains.
                rate, win = drink_rate(arch, path, params, args.worlds, args.turns, 777 + seed)
                rates.append(rate)
                wins.append(win)
            results[arch][name] = {"drink_rate": rates, "win_rate": wins}
            print(f"{arch:12s} {name:15s} drinks per turn carrying a health potion {np.mean(rates):.3f} "
                  f"(seeds {', '.join(f'{r:.3f}' for r in rates)}); win rate {np.mean(wins):.3f}", flush=True)
    if args.json:
        text = json.dumps({"out": args.out, "worlds": args.worlds, "turns": args.turns, "results": results}, indent=2)
        if args.json == "-":
            print(text)
        else:
            atomic_write_text(Path(args.json), text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
