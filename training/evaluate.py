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

from game.goals import cause_name
from levels.common.errors import UserError
from levels.limits import MAX_SEED
from npc.policy import Policy
from training.episode_stats import EpisodeMeter, EpisodeRecord
from training.ppo import EVAL_SEED_TAG, SimFactory, default_sim_factory, derived_seed
from training.rollout import VecSim, shown_to, slots_of
from training.suite_stats import wilson_interval

#: Most episodes one evaluation may ask for.
MAX_EPISODES = 10**7

__all__ = ["Episode", "EvalResult", "check_eval_request", "evaluate", "outcome_name", "play",
           "play_episodes", "wilson_interval"]


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


@dataclass
class Episode:
    """One counted episode: the world it was played in, who won, why, and the learner's return."""

    world: int
    winner: int  # faction index, -1 for a draw
    learner_return: float  # mean episode return of the learner's slots
    length: int
    cause: int  # game.state.CAUSES index
    #: The :class:`training.episode_stats.EpisodeMeter` figures, when a meter was given.
    measures: EpisodeRecord | None = None


def play_episodes(sim: VecSim, learner: Policy, opponent: Policy, faction: str, episodes: int,
                  generator: torch.Generator, deterministic: bool = False,
                  meter: EpisodeMeter | None = None, scripted_nav: bool = False) -> list[Episode]:
    """Play ``episodes`` episodes on ``sim`` (already seeded); every counted one, world by world.

    The learner plays every slot of ``faction``, ``opponent`` the others. Each world owes a
    quota fixed before play (``episodes`` spread evenly) and only its first ``quota``
    episodes count, so short episodes are not favoured. With ``meter`` (a BatchedSim only)
    each episode also carries its measurements; the meter only reads the state, so the
    episodes are the same with or without it. With ``scripted_nav`` a scripted NPC on
    either side is also shown the simulator's ``nav`` key (it then follows the navigator,
    as in the game); without it, it sees what a network sees (:data:`npc.policy.OBS_KEYS`),
    as training has always shown it.
    """
    B = sim.num_worlds
    quota = np.full(B, episodes // B)
    quota[: episodes % B] += 1
    mine = slots_of(sim, faction)
    theirs = np.array([s for s in range(sim.num_agents) if s not in set(mine)], np.int64)
    done = np.zeros(B, np.int64)
    outcomes: list[list[Episode]] = [[] for _ in range(B)]
    obs = sim.reset()
    if meter is not None:
        meter.begin()
    while (done < quota).any():
        actions = np.zeros((B, sim.num_agents), np.int64)
        chosen = learner.act(shown_to(learner, obs, slice(None), mine, scripted_nav), deterministic, generator).actions
        actions[:, mine] = chosen.numpy().reshape(B, len(mine))
        if len(theirs):
            other = opponent.act(shown_to(opponent, obs, slice(None), theirs, scripted_nav), False, generator).actions
            actions[:, theirs] = other.numpy().reshape(B, len(theirs))
        obs, _, _, _, info = sim.step(actions)
        measured = {} if meter is None else {r.world: r for r in meter.observe(info, done < quota)}
        for b in np.flatnonzero(np.asarray(info["finished"])):
            if done[b] < quota[b]:
                ret = float(np.asarray(info["episode_return"])[b, mine].mean())
                outcomes[b].append(Episode(int(b), int(info["winner"][b]), ret, int(info["episode_length"][b]),
                                           int(info["cause"][b]), measured.get(int(b))))
                done[b] += 1
    return [o for world in outcomes for o in world]


def play(sim: VecSim, learner: Policy, opponent: Policy, faction: str, episodes: int,
         generator: torch.Generator, deterministic: bool = False) -> EvalResult:
    """Play ``episodes`` episodes on ``sim`` (already seeded) and count the learner's wins."""
    f = tuple(sim.layout.factions).index(faction)
    flat = play_episodes(sim, learner, opponent, faction, episodes, generator, deterministic)
    wins = sum(1 for e in flat if e.winner == f)
    draws = sum(1 for e in flat if e.winner < 0)
    by_cause: dict[str, dict[str, int]] = {"wins": {}, "losses": {}, "draws": {}}
    for e in flat:
        row = by_cause[outcome_name(e.winner, f)]
        row[cause_name(e.cause)] = row.get(cause_name(e.cause), 0) + 1
    return EvalResult(
        episodes=len(flat), wins=wins, losses=len(flat) - wins - draws, draws=draws,
        win_rate=wins / len(flat), ci95=wilson_interval(wins, len(flat)),
        mean_return=float(np.mean([e.learner_return for e in flat])),
        mean_length=float(np.mean([e.length for e in flat])), sim_seed=-1, by_cause=by_cause,
    )


def outcome_name(winner: int, faction: int) -> str:
    """``"wins"``, ``"losses"`` or ``"draws"``: how an episode ``winner`` went for ``faction``."""
    return "wins" if winner == faction else "draws" if winner < 0 else "losses"


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
