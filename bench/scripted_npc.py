"""The scripted NPC on every preset: draws, pacing and first contact, with and without the navigator.

    .venv/bin/python bench/scripted_npc.py [--presets arena,dungeon,caves,labyrinth] [--episodes 500]
                                           [--seed 0] [--json out.json]

Both factions are driven by the scripted NPC (so both roles are measured at once). Each of
``--episodes`` worlds plays exactly its first episode (no bias towards short episodes).
Per preset and variant (``nav``: the simulator's navigator on, the scripted NPC follows it;
``patch``: the previous scripted NPC, the observation without ``nav``), in the same run:

* draws: episodes that reach the turn limit with more than one faction alive (95% Wilson interval);
* pacing: the share of an agent's moving turns (its cell changed) on which it returns to the
  cell it left on its previous moving turn (A, then back to A), per faction;
* first contact: the first turn on which an agent of the second faction (monsters) sees one of
  the first (the hero) in its field of view; median over episodes (episodes without contact
  count as their length);
* hunting: episodes in which the hero is killed, in all and by turn 100 (95% Wilson intervals),
  and the median turn of the kill. ``nav_shortest`` drives the monsters with the same policy
  and the navigator's D* Lite model (free-space shortest paths, no learning, no memory of where
  enemies were) for the comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.batch import BatchedSim  # noqa: E402
from game.state import FACTION  # noqa: E402
from npc.scripted import ScriptedNPC  # noqa: E402
from training.episode_stats import EpisodeMeter, EpisodeRecord  # noqa: E402
from training.suite_stats import wilson_interval  # noqa: E402


def play(preset: str, episodes: int, seed: int, use_nav: bool, mode: int = 0,
         hero_nav: bool = True) -> dict[str, object]:
    """Run ``episodes`` first episodes of scripted vs scripted; returns the figures.

    The measurements are :class:`training.episode_stats.EpisodeMeter`'s (the same code as
    ``main.py eval --suite``): pacing is its undoing moves over moving turns, first contact
    its turn on which a monster (faction 1) first saw the hero (faction 0).
    """
    sim = BatchedSim(preset, episodes, seed=seed, nav=use_nav)
    nav = sim.navigation
    if nav is not None:
        nav.set_mode(1, mode)  # monsters: the navigator under test
    policy = ScriptedNPC()
    obs = sim.reset()
    fac = sim.world.ag[:, :, FACTION].copy()
    meter = EpisodeMeter(sim, contact_at_start=False)  # first contact from turn 1, as this bench always did
    meter.begin()
    records: dict[int, EpisodeRecord] = {}
    started = time.perf_counter()
    while len(records) < episodes:
        if nav is not None and not hero_nav:
            out = nav.out.copy()
            out[fac == 0] = 0
            obs = dict(obs, nav=out)
        actions = policy(obs).astype(np.int32)
        obs, _, _, _, info = sim.step(actions)
        active = np.array([b not in records for b in range(episodes)])
        for record in meter.observe(info, active):
            records[record.world] = record
    seconds = time.perf_counter() - started
    sim.close()
    ordered = [records[b] for b in range(episodes)]
    winner = np.array([r.winner for r in ordered])
    length = np.array([r.length for r in ordered])
    contact = np.array([r.contact[1][0] for r in ordered])
    killed_hero = np.array([r.alive_end[0] == 0 for r in ordered])
    moving = [sum(r.moving[f] for r in ordered) for f in (0, 1)]
    undo = [sum(r.undo[f] for r in ordered) for f in (0, 1)]
    draws = int((winner < 0).sum())
    contact_turns = np.where(contact >= 0, contact, length)
    killed_len = length[killed_hero]
    return {"preset": preset, "variant": ("nav" if mode == 0 else "nav_shortest") if use_nav else "patch",
            "episodes": episodes, "draws": draws, "draw_rate": draws / episodes,
            "draw_ci": wilson_interval(draws, episodes),
            "wins": {str(f): int((winner == f).sum()) for f in (0, 1)},
            "hero_killed": int(killed_hero.sum()), "hero_killed_ci": wilson_interval(int(killed_hero.sum()), episodes),
            "hero_killed_median_turn": float(np.median(killed_len)) if len(killed_len) else None,
            "hero_killed_by_100": int((killed_hero & (length <= 100)).sum()),
            "hero_killed_by_100_ci": wilson_interval(int((killed_hero & (length <= 100)).sum()), episodes),
            "pacing": {str(f): (undo[f] / moving[f] if moving[f] else 0.0) for f in (0, 1)},
            "moving_turns": {str(f): int(moving[f]) for f in (0, 1)},
            "first_contact_median": float(np.median(contact_turns)),
            "contact_rate": float((contact >= 0).mean()),
            "mean_length": float(length.mean()), "seconds": round(seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally save) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="arena,dungeon,caves,labyrinth")
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", default="nav,patch", help="nav, patch and/or nav_shortest")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results = []
    for preset in args.presets.split(","):
        for variant in args.variants.split(","):
            r = play(preset, args.episodes, args.seed, variant != "patch", 1 if variant == "nav_shortest" else 0)
            results.append(r)
            lo, hi = r["draw_ci"]
            print(f"{preset:10s} {r['variant']:12s} draws {r['draw_rate']:.3f} [{lo:.3f}, {hi:.3f}]  "
                  f"wins hero/monsters {r['wins']['0']}/{r['wins']['1']}  "
                  f"pacing hero {r['pacing']['0']:.3f} monsters {r['pacing']['1']:.3f}  "
                  f"first contact median {r['first_contact_median']:.0f} (contact {r['contact_rate']:.2f})  "
                  f"hero killed {r['hero_killed']} (median turn {r['hero_killed_median_turn']}, "
                  f"by turn 100: {r['hero_killed_by_100']})  "
                  f"mean length {r['mean_length']:.0f}  {r['seconds']} s", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "argv": sys.argv}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
