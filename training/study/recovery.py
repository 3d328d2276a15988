"""Retraining a study's policies on a shift with the live learner's settings, and the recovery table.

``study recovery --out DIR`` continues training finished runs of an adaptation study on
each shift (:func:`retrain_on_shift`) and records how many learner steps and minutes
each needs to get back within a margin of its base win rate
(``recovery/<arch>-s<seed>/<shift>.json``, ``recovery.md``, ``recovery.json``).
:mod:`training.study.regret` retrains with the same function for a fixed budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from levels.params import LevelParams
from npc.scripted import ScriptedNPC
from training.evaluate import evaluate
from training.live.learner import LIVE_STREAM, live_config, live_worlds
from training.ppo import TRAIN_SEED_TAG, PPOLoop, derived_seed
from training.study.kind_ids import sim_factory_for

#: A retrained policy has recovered on a shift when its win rate there is at least its base win rate minus this.
RECOVERY_MARGIN = 0.05


@dataclass
class RecoveryPoint:
    """One evaluation of a policy being retrained on a shift."""

    steps: int  # retraining learner steps so far
    minutes: float  # wall-clock minutes of rollouts and updates so far (evaluations excluded)
    win_rate: float
    ci95: tuple[float, float]


def retrain_on_shift(arch: str, net: Any, params: LevelParams, seed: int, faction: str, pool_size: int,
                     target: float, steps: int, every: int, episodes: int, eval_worlds: int,
                     first: RecoveryPoint) -> list[RecoveryPoint]:
    """Train ``net`` (in place) on ``params`` the way the live learner does, until it recovers or ``steps``.

    The live learner's loop without its process, shared memory and game trajectories: a
    :class:`training.ppo.PPOLoop` with the learner's settings (:func:`live_config` with
    its defaults, a fresh Adam at a constant rate, the learner's generator stream and
    world count), rollouts against the scripted NPC on a simulator of the shifted
    parameters (the baseline's with kind ids, as in the study). Every ``every`` learner
    steps the policy is evaluated as the study evaluates (same evaluation seed); the curve
    stops at the first point whose win rate reaches ``target``. ``first`` is the point at 0
    steps (the study's own evaluation of the shift).
    """
    loop = PPOLoop(live_config(seed), LIVE_STREAM, net)
    factory = sim_factory_for(arch, pool_size, faction)
    worlds = live_worlds(loop.cfg, params, faction)
    sim = factory(params, worlds, derived_seed(TRAIN_SEED_TAG, seed, 1_000_003, 0))  # not a training run's seed
    collector = loop.collector(sim, faction)
    scripted = ScriptedNPC()
    points = [first]
    trained, seconds, next_eval = 0, 0.0, every
    while first.win_rate < target and trained < steps:
        stats = loop.step(collector, [scripted], [1.0])
        trained += stats.samples
        seconds += stats.rollout_s + stats.update_s
        if trained >= next_eval or trained >= steps:
            next_eval += every
            result = evaluate(net, ScriptedNPC(), params, episodes, 1000 + seed, faction, eval_worlds,
                              sim_factory=sim_factory_for(arch, pool_size, faction))
            points.append(RecoveryPoint(trained, seconds / 60, result.win_rate, result.ci95))
            if result.win_rate >= target:
                break
    return points


def recovery_summary(records: Sequence[dict[str, Any]], archs: Sequence[str], shifts: Sequence[str]
                     ) -> dict[str, Any]:
    """Per architecture and shift: recovered runs, and mean steps and minutes to recover (recovered runs only)."""
    table: dict[str, dict[str, Any]] = {}
    for arch in archs:
        table[arch] = {}
        for shift in shifts:
            rows = [r for r in records if r["arch"] == arch and r["shift"] == shift]
            done = [r for r in rows if r["recovered_at"] is not None]
            table[arch][shift] = {
                "runs": len(rows), "recovered": len(done),
                "steps": float(np.mean([r["recovered_at"]["steps"] for r in done])) if done else None,
                "minutes": float(np.mean([r["recovered_at"]["minutes"] for r in done])) if done else None,
                "max_steps": max((r["max_steps"] for r in rows), default=0),
                "drop": float(np.mean([r["target"] + r["margin"] - r["points"][0]["win_rate"] for r in rows]))
                if rows else None,
            }
    return table


def recovery_markdown(summary: dict[str, Any], archs: Sequence[str], shifts: Sequence[str], margin: float,
                      seeds: Sequence[int], command: str) -> str:
    """The recovery table as Markdown: learner steps and minutes to recover per architecture and shift."""
    lines = [f"# Retraining to recover on each shift (seeds {', '.join(map(str, seeds))})", "",
             f"Command: `{command}`", "",
             f"Cell: drop at the start; learner steps (thousands) and wall-clock minutes of retraining until the "
             f"win rate on the shift is within {margin} of the run's base win rate (mean over recovered seeds; "
             f"recovered seeds / seeds). `0k` = within the margin before any retraining; `no` = not within the "
             f"budget.", "", "| shift | " + " | ".join(archs) + " |", "|---|" + "---|" * len(archs)]
    for shift in shifts:
        cells = []
        for arch in archs:
            c = summary[arch][shift]
            if not c["runs"]:
                cells.append("")
            elif not c["recovered"]:
                cells.append(f"drop {c['drop']:+.3f}; no (> {c['max_steps'] // 1000}k steps)")
            else:
                cells.append(f"drop {c['drop']:+.3f}; {c['steps'] / 1000:.0f}k steps, {c['minutes']:.2f} min "
                             f"({c['recovered']}/{c['runs']})")
        lines.append(f"| {shift} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
