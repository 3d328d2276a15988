"""Training over sampled games (``[games]`` in a training config) and sampled games in the simulator."""

from __future__ import annotations

import numpy as np
import pytest

from game.batch import BatchedSim
from levels.distribution import TRAIN_SEED_BASE, sample_game
from levels.knobs import GameKnobs
from levels.params import load_params
from tests.test_heldout_games import HELDOUT
from tests.test_training_ppo import TOY
from training.config import ConfigError, config_from_dict
from training.curriculum import game_index, game_params
from training.ppo import Trainer
from training.toy import FetchTask

SMALL_KNOBS = {"width": [12, 20], "height": [12, 16], "floors": [1, 2]}


def _recording_trainer(games: dict[str, object], curriculum: list[dict[str, object]] | None = None):
    built: list[object] = []

    def factory(params: object, num_worlds: int, seed: int) -> FetchTask:
        built.append(params)
        return FetchTask(num_worlds, seed)

    data = {**TOY, "seed": 1, "total_steps": 10**6, "games": games, "curriculum": curriculum or []}
    return Trainer(config_from_dict(data), sim_factory=factory, base="toy"), built


def test_games_switch_every_block_of_steps_from_the_training_seed_range() -> None:
    every = 1500
    trainer, built = _recording_trainer({"enabled": True, "every": every, "first": 5, "knobs": SMALL_KNOBS})
    expected = []
    for _ in range(6):
        index = trainer.steps // every  # the game in force for the coming iteration
        if not expected or expected[-1] != index:
            expected.append(index)
        trainer.iterate()
    assert len(expected) >= 3  # the run did switch games
    assert [p.name for p in built] == [f"game-{TRAIN_SEED_BASE + 5 + i}" for i in expected]
    knobs = GameKnobs(width=(12, 20), height=(12, 16), floors=(1, 2))
    assert built[1] == sample_game(TRAIN_SEED_BASE + 5 + expected[1], knobs)
    assert trainer.game == expected[-1]


def test_a_curriculum_phase_applies_on_top_of_the_sampled_game() -> None:
    trainer, built = _recording_trainer({"enabled": True, "every": 10**9, "knobs": SMALL_KNOBS},
                                        [{"until": 10**8, "spawns": {"monsters": {"hp": 1}}}])
    trainer.iterate()
    (params,) = built
    assert params.name == f"game-{TRAIN_SEED_BASE}"
    assert all(g.hp == (1, 1) for g in params.spawns if g.faction == "monsters")


def test_without_games_the_run_keeps_its_level_parameters() -> None:
    trainer, built = _recording_trainer({})
    for _ in range(3):
        trainer.iterate()
    assert built == ["toy"]
    assert game_index(trainer.cfg, 10**9) == 0


@pytest.mark.parametrize(("games", "fragment"), [
    ({"every": 0}, "games.every: must be positive"),
    ({"first": -1}, "games.first: must be non-negative"),
    ({"knobs": {"width": [50, 10]}}, "games.knobs.width: expected [low, high]"),
    ({"knobs": {"size": 3}}, "games.knobs.size: unknown key"),
    ({"color": 1}, "games.color: unknown key"),
])
def test_bad_games_tables_are_refused(games: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict({"games": games}, "run.toml")
    assert str(info.value).startswith("run.toml: ")
    assert fragment in str(info.value)


def _step_randomly(params: object, seed: int) -> None:
    """Build a simulator over ``params``, reset it and play 120 random legal steps."""
    sim = BatchedSim(params, num_worlds=4, seed=seed, pool_size=4, threads=1)
    obs = sim.reset()
    rng = np.random.default_rng(seed)
    for _ in range(120):
        mask = obs["action_mask"].astype(bool)
        actions = np.array([[rng.choice(np.flatnonzero(m)) if m.any() else 0 for m in world] for world in mask])
        result = sim.step(actions)
        obs = result.obs
        assert np.isfinite(result.reward).all()
    assert set(sim.layout.factions) == {"hero", "monsters"}


@pytest.mark.parametrize("index", range(4))
def test_sampled_training_games_run_in_the_simulator(index: int) -> None:
    cfg = config_from_dict({"games": {"enabled": True, "knobs": SMALL_KNOBS}})
    _step_randomly(game_params(cfg, index), index)


@pytest.mark.parametrize("name", sorted(p.name for p in HELDOUT.glob("*.toml")))
def test_held_out_games_run_in_the_simulator(name: str) -> None:
    _step_randomly(load_params(HELDOUT / name), 0)
