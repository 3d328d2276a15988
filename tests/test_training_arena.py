"""Training and evaluation against the real batched simulator and scripted NPC (small sizes)."""
from __future__ import annotations

import numpy as np
import torch

from npc.scripted import ScriptedNPC
from training.config import config_from_dict
from training.evaluate import evaluate
from training.ppo import Trainer

SMALL = {"threads": 1, "pool_size": 8, "ppo": {"num_worlds": 8, "rollout_steps": 40, "minibatch_size": 128,
                                               "update_epochs": 1},
         "policy": {"arch": "transformer", "options": {"d": 16, "heads": 2, "layers": 1}},
         "curriculum": [{"until": 10**9, "spawns": {"monsters": {"hp": [1, 2]}}}],
         "loot": {"enabled": True, "spread": 1}}


def test_one_ppo_iteration_on_the_arena_against_the_scripted_npc() -> None:
    torch.set_num_threads(1)
    trainer = Trainer(config_from_dict(SMALL))
    stats, episodes = trainer.iterate()
    # Only the hero slot is trained: at most one sample per world per step.
    assert 0 < stats.samples <= 8 * 40
    assert np.isfinite([stats.policy_loss, stats.value_loss, stats.entropy]).all()
    assert trainer.phase == 0 and isinstance(trainer.scripted, ScriptedNPC)
    assert episodes.episodes >= 1 and 0 <= episodes.wins <= episodes.episodes


def test_evaluation_plays_exactly_the_requested_episodes() -> None:
    torch.set_num_threads(1)
    trainer = Trainer(config_from_dict(SMALL))
    trainer.iterate()
    result = evaluate(trainer.loop.net, ScriptedNPC(), "arena", episodes=10, seed=3, num_worlds=4, pool_size=8)
    assert result.episodes == 10 == result.wins + result.losses + result.draws
    assert result.sim_seed >> 61 == 1
