"""Curriculum phases and loot domain randomisation, as level-parameter transforms.

A phase changes the level parameters the simulator generates from (DeepCrawl-style:
weak opponents first, more loot early); the phase in force is the first whose
``until`` exceeds the agent steps done so far, and the base parameters apply after the
last phase. Loot randomisation widens every kind's attribute ranges (see
:class:`training.config.LootRandomisation`).
"""

from __future__ import annotations

import copy
import dataclasses

from levels.common.errors import ParamError, UserError
from levels.distribution import sample_game, training_seed
from levels.knobs import knobs_from_dict
from levels.params import LevelParams, deep_merge, load_params, params_from_dict, params_to_dict
from training.config import RANDOMISED_ATTRIBUTES, SIGNED_ATTRIBUTES, LootRandomisation, Phase, TrainConfig


def phase_index(cfg: TrainConfig, steps: int) -> int:
    """Index of the phase in force after ``steps`` agent steps (``len(phases)``: none)."""
    for i, phase in enumerate(cfg.curriculum):
        if steps < phase.until:
            return i
    return len(cfg.curriculum)


def apply_phase(params: LevelParams, phase: Phase, where: str) -> LevelParams:
    """``params`` with the phase's ``params`` merged in and its ``spawns`` applied."""
    data = deep_merge(params_to_dict(params), phase.params)
    for faction, changes in phase.spawns.items():
        groups = [g for g in data.get("spawns", []) if g.get("faction") == faction]
        if not groups:
            raise UserError(f"{where}.spawns.{faction}: no spawn group of that faction in the level parameters")
        for group in groups:
            group.update(copy.deepcopy(changes))
    try:
        return params_from_dict(data)
    except ParamError as exc:
        raise UserError(f"{where}: {exc}") from None


def randomise_loot(params: LevelParams, loot: LootRandomisation) -> LevelParams:
    """``params`` whose loot kinds have widened attribute ranges (unchanged when disabled)."""
    if not loot.enabled or all(loot.spread_of(a) <= 0 for a in RANDOMISED_ATTRIBUTES):
        return params
    kinds = {}
    for name, kind in params.loot.all_kinds().items():
        changes = {}
        for attribute in RANDOMISED_ATTRIBUTES:
            lo, hi = getattr(kind, attribute)
            spread = loot.spread_of(attribute)
            if (lo == 0 and hi == 0) or spread <= 0:
                continue  # attributes that do not apply to the category stay 0
            floor = lo - spread if attribute in SIGNED_ATTRIBUTES else max(0, lo - spread)
            if attribute == "buff_turns":
                floor = max(1, floor)
            changes[attribute] = (floor, hi + spread)
        kinds[name] = dataclasses.replace(kind, **changes) if changes else kind
    new_loot = dataclasses.replace(params.loot, kinds=kinds, inherit_default_kinds=False)
    return dataclasses.replace(params, loot=new_loot)


def phase_params(cfg: TrainConfig, base: LevelParams, index: int) -> LevelParams:
    """The level parameters of phase ``index`` (``len(phases)``: the base), loot randomised."""
    params = base
    if index < len(cfg.curriculum):
        params = apply_phase(base, cfg.curriculum[index], f"curriculum[{index}]")
    params = randomise_loot(params, cfg.loot)
    params.check("")
    return params


def game_index(cfg: TrainConfig, steps: int) -> int:
    """Index of the sampled game in force after ``steps`` agent steps (0 when ``[games]`` is off)."""
    return steps // cfg.games.every if cfg.games.enabled else 0


def game_params(cfg: TrainConfig, index: int) -> LevelParams:
    """The level parameters of the run's ``index``-th sampled game (``[games]``)."""
    knobs = knobs_from_dict(cfg.games.knobs, "games.knobs")
    return sample_game(training_seed(cfg.games.first + index), knobs)


def base_params(source: str) -> LevelParams:
    """Level parameters from a preset name or a TOML path."""
    return load_params(source)

