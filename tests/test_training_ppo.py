"""PPO: GAE by hand, learning a tiny task in seconds, reproducibility, resume state."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from training.config import config_from_dict
from training.ppo import EVAL_SEED_TAG, TRAIN_SEED_TAG, Trainer, compute_gae, derived_seed
from training.rollout import Batch
from training.toy import FetchTask

TOY = {
    "policy": {"arch": "transformer", "options": {"d": 32, "heads": 2, "layers": 1, "patch_grid": 0}},
    "ppo": {"num_worlds": 64, "rollout_steps": 16, "minibatch_size": 256, "update_epochs": 4,
            "learning_rate": 2e-3, "gamma": 0.95, "gae_lambda": 0.9},
}


def toy_trainer(seed: int = 1, arch: str = "transformer") -> Trainer:
    data = {**TOY, "seed": seed, "total_steps": 10**6}
    if arch != "transformer":
        data = {**data, "policy": {"arch": arch, "options": {"hidden": 64}}}
    return Trainer(config_from_dict(data), sim_factory=lambda params, b, s: FetchTask(b, s), base="toy")


def _batch(rewards, values, next_values, terminated, done) -> Batch:
    t = lambda x: torch.tensor(x, dtype=torch.float32).reshape(-1, 1)  # noqa: E731
    b = lambda x: torch.tensor(x, dtype=torch.bool).reshape(-1, 1)  # noqa: E731
    n = len(rewards)
    return Batch(obs={}, actions=torch.zeros(n, 1, dtype=torch.long), log_probs=torch.zeros(n, 1),
                 values=t(values), rewards=t(rewards), terminated=b(terminated), done=b(done),
                 valid=torch.ones(n, 1, dtype=torch.bool), next_values=t(next_values))


def test_gae_matches_a_hand_computation() -> None:
    gamma, lam = 0.9, 0.8
    # Steps 0-1: an episode that terminates at step 1; step 2: truncated (bootstraps); step 3: open.
    batch = _batch(rewards=[1.0, 2.0, 0.5, 0.0], values=[0.1, 0.2, 0.3, 0.4],
                   next_values=[0.2, 9.0, 0.7, 0.6],
                   terminated=[False, True, False, False], done=[False, True, True, False])
    adv, ret = compute_gae(batch, gamma, lam)
    d1 = 2.0 - 0.2
    d0 = 1.0 + gamma * 0.2 - 0.1
    d2 = 0.5 + gamma * 0.7 - 0.3
    d3 = 0.0 + gamma * 0.6 - 0.4
    expected = [d0 + gamma * lam * d1, d1, d2, d3]
    assert torch.allclose(adv.reshape(-1), torch.tensor(expected), atol=1e-6)
    assert torch.allclose(ret, adv + batch.values)


def test_ppo_learns_the_fetch_task_in_seconds() -> None:
    torch.set_num_threads(1)
    trainer = toy_trainer()
    start = time.perf_counter()
    win_rates = []
    for _ in range(40):
        _, episodes = trainer.iterate()
        win_rates.append(episodes.wins / max(episodes.episodes, 1))
        if len(win_rates) >= 3 and np.mean(win_rates[-3:]) >= 0.9:
            break
    elapsed = time.perf_counter() - start
    # A random walk reaches the item in about a third of the episodes.
    assert np.mean(win_rates[-3:]) >= 0.9, f"win rates {np.round(win_rates, 2)} after {elapsed:.0f}s"
    print(f"fetch task: {len(win_rates)} iterations, {trainer.steps} agent steps, {elapsed:.1f}s")


def test_same_seed_gives_the_same_curve() -> None:
    torch.set_num_threads(1)
    curves = []
    for _ in range(2):
        trainer = toy_trainer(seed=3)
        curves.append([(s.policy_loss, s.value_loss, e.wins, e.episodes)
                       for s, e in (trainer.iterate() for _ in range(3))])
    assert curves[0] == curves[1]
    other = toy_trainer(seed=4)
    assert [other.iterate()[0].policy_loss for _ in range(3)] != [c[0] for c in curves[0]]


@pytest.mark.parametrize("arch", ["dense", "baseline"])
def test_other_architectures_train(arch: str) -> None:
    trainer = toy_trainer(arch=arch)
    stats, _ = trainer.iterate()
    assert np.isfinite([stats.policy_loss, stats.value_loss, stats.entropy]).all()


def test_state_round_trip_restores_optimizer_and_generators() -> None:
    trainer = toy_trainer(seed=5)
    trainer.cfg.opponents.scripted_fraction = 0.5
    trainer.cfg.opponents.snapshot_every = 1
    trainer.iterate()
    tensors, scalars = trainer.state_tensors()
    clone = toy_trainer(seed=99)
    clone.load_state(trainer.loop.net, tensors, scalars)
    assert clone.steps == trainer.steps and clone.iteration == trainer.iteration
    assert len(clone.snapshots) == len(trainer.snapshots) == 1
    assert torch.equal(clone.loop.generator.get_state(), trainer.loop.generator.get_state())
    assert clone.loop.rng.bit_generator.state == trainer.loop.rng.bit_generator.state


def test_training_and_evaluation_seeds_are_disjoint() -> None:
    train = {derived_seed(TRAIN_SEED_TAG, s, p, 0) for s in range(50) for p in range(3)}
    evals = {derived_seed(EVAL_SEED_TAG, s) for s in range(150)}
    assert not train & evals
    assert all(s >> 61 == 0 for s in train) and all(s >> 61 == 1 for s in evals)


def test_training_leaves_the_global_torch_rng_alone() -> None:
    before = torch.get_rng_state()
    toy_trainer(seed=6).iterate()
    assert torch.equal(before, torch.get_rng_state())
