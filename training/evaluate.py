"""Evaluation: play a fixed number of episodes against an opponent and report win rates.

Episodes are counted without a bias towards short ones: each world owes a quota of
episodes decided before play starts, and only the first ``quota`` episodes of each
world count. Simulator seeds come from the evaluation seed domain
(:func:`training.ppo.derived_seed` with ``EVAL_SEED_TAG``), disjoint from every
training seed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from scipy.stats import binomtest

from game.goals import cause_name
from levels.common.errors import UserError
from levels.limits import MAX_SEED
from npc.policy import Policy
from training.ppo import EVAL_SEED_TAG, SimFactory, default_sim_factory, derived_seed
from training.rollout import VecSim, slots_of, take_slots

#: Most episodes one evaluation may ask for.
MAX_EPISODES = 10**7

def check_eval_request(episodes: int, seed: int) -> None:
    """Refuse an evaluation of no episodes or on a negative seed (one-line CLI errors)."""
    if episodes <= 0:
        raise UserError(f"--episodes must be positive, got {episodes}")
    if episodes > MAX_EPISODES:
        raise UserError(f"--episodes must be at most {MAX_EPISODES}, got {episodes}")
    if seed < 0:
        raise UserError(f"--seed must be non-negative, got {seed}")
    if seed > MAX_SEED:
        raise UserError(f"--seed must be at most {MAX_SEED}, got {seed}")


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (``(0, 1)`` for no trials)."""
    if n == 0:
        return 0.0, 1.0
    interval = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


@dataclass
class EvalResult:
    """Outcome of an evaluation (JSON-ready through :meth:`to_dict`)."""

    episodes: int
    wins: int
    losses: int
    draws: int
    win_rate: float
    ci95: tuple[float, float]
    mean_return: float
    mean_length: float
    sim_seed: int
    #: Episodes by outcome ("wins", "losses", "draws") and then by cause
    #: (:data:`game.state.CAUSES`: eliminated, escaped, fetched, survived, last_standing,
    #: out_of_time, all_dead).
    by_cause: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        out = asdict(self)
        out["ci95"] = list(self.ci95)
        return out


def play(sim: VecSim, learner: Policy, opponent: Policy, faction: str, episodes: int,
         generator: torch.Generator, deterministic: bool = False) -> EvalResult:
    """Play ``episodes`` episodes on ``sim`` (already seeded) and count the learner's wins."""
    B = sim.num_worlds
    quota = np.full(B, episodes // B)
    quota[: episodes % B] += 1
    mine = slots_of(sim, faction)
    theirs = np.array([s for s in range(sim.num_agents) if s not in set(mine)], np.int64)
    f = tuple(sim.layout.factions).index(faction)
    done = np.zeros(B, np.int64)
    outcomes: list[list[tuple[int, float, int, int]]] = [[] for _ in range(B)]
    obs = sim.reset()
    while (done < quota).any():
        actions = np.zeros((B, sim.num_agents), np.int64)
        chosen = learner.act(take_slots(obs, slice(None), mine), deterministic, generator).actions
        actions[:, mine] = chosen.numpy().reshape(B, len(mine))
        if len(theirs):
            other = opponent.act(take_slots(obs, slice(None), theirs), False, generator).actions
            actions[:, theirs] = other.numpy().reshape(B, len(theirs))
        obs, _, _, _, info = sim.step(actions)
        for b in np.flatnonzero(np.asarray(info["finished"])):
            if done[b] < quota[b]:
                winner = int(info["winner"][b])
                ret = float(np.asarray(info["episode_return"])[b, mine].mean())
                outcomes[b].append((winner, ret, int(info["episode_length"][b]), int(info["cause"][b])))
                done[b] += 1
    flat = [o for world in outcomes for o in world]
    wins = sum(1 for w, *_ in flat if w == f)
    draws = sum(1 for w, *_ in flat if w < 0)
    by_cause: dict[str, dict[str, int]] = {"wins": {}, "losses": {}, "draws": {}}
    for w, _, _, cause in flat:
        row = by_cause["wins" if w == f else "draws" if w < 0 else "losses"]
        row[cause_name(cause)] = row.get(cause_name(cause), 0) + 1
    return EvalResult(
        episodes=len(flat), wins=wins, losses=len(flat) - wins - draws, draws=draws,
        win_rate=wins / len(flat), ci95=wilson_interval(wins, len(flat)),
        mean_return=float(np.mean([r for _, r, _, _ in flat])),
        mean_length=float(np.mean([n for _, _, n, _ in flat])), sim_seed=-1, by_cause=by_cause,
    )


def evaluate(learner: Policy, opponent: Policy, params: Any, episodes: int, seed: int,
             faction: str = "hero", num_worlds: int = 100, deterministic: bool = False,
             sim_factory: SimFactory | None = None, pool_size: int = 256) -> EvalResult:
    """Evaluate on a fresh simulator seeded from the evaluation domain of ``seed``."""
    sim_seed = derived_seed(EVAL_SEED_TAG, seed)
    factory = sim_factory or (lambda p, b, s: default_sim_factory(p, b, s, pool_size))
    sim = factory(params, min(num_worlds, episodes), sim_seed)
    generator = torch.Generator().manual_seed(seed)
    result = play(sim, learner, opponent, faction, episodes, generator, deterministic)
    result.sim_seed = sim_seed
    return result
