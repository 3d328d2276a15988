"""The evaluation suite: one learner on every level and in every role, measured per game.

A *game* is one level (a shipped preset or a level-parameter file) and one role (the
faction the learner plays; the opponent plays the others). Each game plays a fixed number
of episodes as :func:`training.evaluate.evaluate` does (the same evaluation seed domain,
the same quota per world, the same simulator seed for every game), with an
:class:`training.episode_stats.EpisodeMeter` measuring every episode. One difference: a
scripted NPC, on either side, is shown the simulator's navigator output (``nav``) and
follows it, as it does in the game and in ``bench/scripted_npc.py``; plain ``eval`` (and
training) show it only the network's keys, so it plays its patch-only fallback, which
draws most episodes on the big presets. Between two networks a game's episodes are
exactly those of ``main.py eval`` for that level and faction. :func:`summarise`
turns a game's episodes into figures with 95% intervals (:mod:`training.suite_stats`).
Everything returned is plain data (JSON-ready).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from game.batch import BatchedSim
from game.goals import cause_name
from levels.common.errors import UserError
from levels.params import LevelParams, load_params, preset_names
from npc.policy import Policy
from training.episode_stats import EpisodeMeter
from training.evaluate import Episode, check_eval_request, outcome_name, play_episodes
from training.ppo import EVAL_SEED_TAG, derived_seed
from training.suite_stats import mean_interval, median, median_interval, share_interval, wilson_interval

#: The roles a suite plays by default: the factions of every shipped preset.
DEFAULT_ROLES = ("hero", "monsters")
#: Worlds stepped together per game (as ``evaluate``).
SUITE_WORLDS = 100
#: Levels in each game's pool (as ``evaluate``).
SUITE_POOL = 256
OUTCOMES = ("wins", "losses", "draws")


@dataclass(frozen=True)
class SuiteLevel:
    """A level family of the suite: its display name and what ``BatchedSim`` loads."""

    name: str  # the preset name or the file path as given
    params: LevelParams


@dataclass
class GameResult:
    """One game's episodes (the learner's side of each) and how it was played."""

    level: str
    role: str
    sim_seed: int
    seconds: float
    episodes: list[Episode] = field(default_factory=list)
    faction: int = 0  # the role's faction index in the level


def resolve_levels(presets: Sequence[str], params_files: Sequence[str]) -> list[SuiteLevel]:
    """The suite's levels: presets by name, then parameter files; bad names raise :class:`UserError`."""
    shipped = preset_names()
    levels: list[SuiteLevel] = []
    for name in presets:
        if name not in shipped:
            raise UserError(f"--presets: unknown preset {name[:80]!r} (shipped: {', '.join(shipped)})")
        levels.append(SuiteLevel(name, load_params(name)))
    for path in params_files:
        if not Path(path).is_file():
            raise UserError(f"--params: {path}: file not found")
        try:
            levels.append(SuiteLevel(str(path), load_params(Path(path))))
        except UserError as exc:
            raise UserError(f"--params: {exc}") from None
    if not levels:
        raise UserError("--presets/--params: the suite needs at least one level")
    if len({level.name for level in levels}) != len(levels):
        raise UserError("--presets/--params: a level is named twice")
    return levels


def check_roles(levels: Sequence[SuiteLevel], roles: Sequence[str]) -> None:
    """Refuse no roles, a repeated role, or a role that is not a faction of every level."""
    if not roles:
        raise UserError("--roles: name at least one role (a faction, e.g. hero or monsters)")
    if len(set(roles)) != len(roles):
        raise UserError("--roles: a role is named twice")
    for level in levels:
        for role in roles:
            if role not in level.params.factions:
                raise UserError(f"--roles: {role[:80]!r} is not a faction of {level.name} "
                                f"(its factions: {', '.join(level.params.factions)})")


def play_game(learner: Policy, opponent: Policy, level: SuiteLevel, role: str, episodes: int, seed: int,
              deterministic: bool = False, num_worlds: int = SUITE_WORLDS, pool_size: int = SUITE_POOL) -> GameResult:
    """Play one game: ``episodes`` measured episodes of ``learner`` as ``role`` on ``level``."""
    sim_seed = derived_seed(EVAL_SEED_TAG, seed)
    started = time.perf_counter()
    sim = BatchedSim(level.params, num_worlds=min(num_worlds, episodes), seed=sim_seed, pool_size=pool_size)
    try:
        generator = torch.Generator().manual_seed(seed)
        played = play_episodes(sim, learner, opponent, role, episodes, generator, deterministic, EpisodeMeter(sim),
                               scripted_nav=True)
        faction = tuple(sim.layout.factions).index(role)
    finally:
        sim.close()
    return GameResult(level.name, role, sim_seed, time.perf_counter() - started, played, faction)


def run_suite(learner: Policy, opponent: Policy, levels: Sequence[SuiteLevel], roles: Sequence[str], episodes: int,
              seed: int, deterministic: bool = False, num_worlds: int = SUITE_WORLDS,
              on_game: Callable[[GameResult], None] | None = None) -> list[GameResult]:
    """Every game of ``levels`` x ``roles`` in that order (``on_game`` is called after each)."""
    check_eval_request(episodes, seed)
    check_roles(levels, roles)
    results = []
    for level in levels:
        for role in roles:
            result = play_game(learner, opponent, level, role, episodes, seed, deterministic, num_worlds)
            results.append(result)
            if on_game is not None:
                on_game(result)
    return results


def _finite(value: float) -> float | None:
    """JSON has no infinity: ``None`` for an unbounded end or a median that never happened."""
    return None if math.isinf(value) or math.isnan(value) else float(value)


def _spread(values: Sequence[float]) -> dict[str, Any]:
    """Count, mean with its t interval, median with its order-statistic interval.

    ``inf`` values (an event that never happened) leave the mean undefined (``None``) but
    not the median.
    """
    finite = all(math.isfinite(v) for v in values)
    lo, hi = mean_interval(values) if finite else (math.inf, math.inf)
    mlo, mhi = median_interval(values)
    return {"n": len(values), "mean": float(sum(values) / len(values)) if values and finite else None,
            "mean_ci": [_finite(lo), _finite(hi)], "median": _finite(median(values)),
            "median_ci": [_finite(mlo), _finite(mhi)]}


def summarise(game: GameResult) -> dict[str, Any]:
    """A game's figures with 95% intervals (plain data; ``None`` where a value is unbounded)."""
    eps = game.episodes
    n = len(eps)
    f = game.faction
    counts = {o: 0 for o in OUTCOMES}
    by_cause: dict[str, dict[str, int]] = {o: {} for o in OUTCOMES}
    for e in eps:
        o = outcome_name(e.winner, f)
        counts[o] += 1
        by_cause[o][cause_name(e.cause)] = by_cause[o].get(cause_name(e.cause), 0) + 1
    outcomes = {o: {"count": c, "rate": c / n, "ci": list(wilson_interval(c, n))} for o, c in counts.items()}
    measures = [e.measures for e in eps if e.measures is not None]
    contact = [m.first_contact(f) for m in measures]
    met = sum(1 for t in contact if t >= 0)
    first_contact = _spread([t if t >= 0 else math.inf for t in contact])
    first_contact.update(rate=met / len(contact) if contact else None,
                         rate_ci=list(wilson_interval(met, len(contact))))
    moving = [m.moving[f] for m in measures]
    undo = [m.undo[f] for m in measures]
    undo_lo, undo_hi = share_interval(undo, moving)
    explored = [float(m.explored[f]) for m in measures]
    share = [m.explored[f] / m.passable_cells for m in measures if m.passable_cells > 0]
    return {
        "level": game.level, "role": game.role, "episodes": n, "sim_seed": game.sim_seed,
        "seconds": round(game.seconds, 1), "outcomes": outcomes, "by_cause": by_cause,
        "turns_to_win": _spread([float(e.length) for e in eps if e.winner == f]),
        "episode_length": _spread([float(e.length) for e in eps]),
        "first_contact": first_contact,
        "explored_cells": _spread(explored),
        "explored_share": _spread(share),
        "undo_share": {"value": sum(undo) / sum(moving) if sum(moving) else None, "ci": [undo_lo, undo_hi],
                       "undo_moves": sum(undo), "moving_turns": sum(moving)},
        "mean_return": sum(e.learner_return for e in eps) / n,
    }
