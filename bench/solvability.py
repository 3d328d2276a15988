"""Solvability of generated games: a full-knowledge test hero plays each level's goal.

    .venv/bin/python bench/solvability.py [--dungeon 1000] [--others 300] [--games 0] [--json out.json]

For every preset whose hero may play ``escape`` or ``fetch`` (and for ``arena`` with the
hero's goal switched to escape, to cover the one-room generator), levels with seeds
0..n-1 are generated, their monsters removed, and :class:`game.oracle.OracleHero` plays
the hero's goal through the real rules. Printed per preset: levels, solved within the
time limit, the goals played, and the turns taken (median, p95, max) against the limit.
With ``--games N``, also the sampled games (``levels/distribution.py``, default knobs):
level 0 of each of the N training games from ``TRAIN_SEED_BASE`` on whose hero drew
escape or fetch, each against its own turn limit (the row's limit is the largest).
Exits 1 when any level is not solved.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.oracle import play_goal  # noqa: E402
from levels import generate  # noqa: E402
from levels.distribution import TRAIN_SEED_BASE, sample_game  # noqa: E402
from levels.params import LevelParams, load_preset, preset_names  # noqa: E402


def arena_escape() -> LevelParams:
    """The arena with the hero's goal switched to escape (exits on the one floor)."""
    base = load_preset("arena")
    hero = dataclasses.replace(base.factions["hero"], goal={"escape": 1.0})
    return dataclasses.replace(base, name="arena-escape", factions={**base.factions, "hero": hero})


def families(dungeon: int, others: int) -> list[tuple[LevelParams, int]]:
    """The level families to check, with how many levels of each."""
    out = []
    for name in preset_names():
        params = load_preset(name)
        if not {"escape", "fetch"} & set(params.goal_weights(params.rules.hero_faction)):
            continue
        out.append((params, dungeon if name == "dungeon" else others))
    out.append((arena_escape(), others))
    return out


def check(params: LevelParams, n: int) -> dict[str, object]:
    """Play ``n`` levels of ``params``; a summary row."""
    turns, goals, failures = [], {}, []
    for seed in range(n):
        level = generate(params, seed)
        goal = level.goal_of(params.rules.hero_faction)
        goals[goal] = goals.get(goal, 0) + 1
        result = play_goal(level)
        turns.append(result.turns)
        if not result.won:
            failures.append({"seed": seed, "goal": goal, "cause": result.cause})
    t = np.array(turns)
    return {"family": params.name, "levels": n, "solved": n - len(failures), "goals": goals,
            "max_turns": params.rules.max_turns, "turns_median": float(np.median(t)),
            "turns_p95": float(np.percentile(t, 95)), "turns_max": int(t.max()), "failures": failures}


def check_games(n: int) -> dict[str, object]:
    """Level 0 of each of ``n`` sampled training games whose hero plays escape or fetch; a row."""
    turns, goals, failures, limits = [], {}, [], []
    for seed in range(TRAIN_SEED_BASE, TRAIN_SEED_BASE + n):
        params = sample_game(seed)
        level = generate(params, 0)
        goal = level.goal_of(params.rules.hero_faction)
        if goal not in ("escape", "fetch"):
            continue
        goals[goal] = goals.get(goal, 0) + 1
        result = play_goal(level)
        turns.append(result.turns)
        limits.append(params.rules.max_turns)
        if not result.won:
            failures.append({"seed": seed, "goal": goal, "cause": result.cause, "turns": result.turns,
                             "max_turns": params.rules.max_turns})
    t = np.array(turns or [0])
    return {"family": "sampled games", "levels": len(turns), "solved": len(turns) - len(failures),
            "goals": goals, "max_turns": max(limits, default=0), "turns_median": float(np.median(t)),
            "turns_p95": float(np.percentile(t, 95)), "turns_max": int(t.max()), "failures": failures,
            "turns_over_limit_max": float(max((a / b for a, b in zip(turns, limits, strict=True)), default=0))}


def main() -> int:
    """Run the check and print the table (and JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dungeon", type=int, default=1000, help="dungeon levels (default 1000)")
    parser.add_argument("--others", type=int, default=300, help="levels of every other family (default 300)")
    parser.add_argument("--games", type=int, default=0, help="sampled training games to check (default 0)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()
    rows = []
    start = time.perf_counter()
    print(f"{'family':<14} {'levels':>6} {'solved':>6}  {'goals':<24} turns median / p95 / max (limit)")
    checks = [(check, params, n) for params, n in families(args.dungeon, args.others) if n > 0]
    if args.games:
        checks.append((lambda _params, n: check_games(n), None, args.games))
    for run_check, params, n in checks:
        row = run_check(params, n)
        rows.append(row)
        goals = ", ".join(f"{g} {k}" for g, k in sorted(row["goals"].items()))
        print(f"{row['family']:<14} {row['levels']:>6} {row['solved']:>6}  {goals:<24} "
              f"{row['turns_median']:.0f} / {row['turns_p95']:.0f} / {row['turns_max']} ({row['max_turns']})")
        for failure in row["failures"][:5]:
            print(f"  not solved: seed {failure['seed']} ({failure['goal']}): {failure['cause']}")
    print(f"{time.perf_counter() - start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0 if all(r["solved"] == r["levels"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
