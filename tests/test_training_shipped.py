"""The shipped NPC: loads with every check and beats the scripted NPC on unseen seeds."""

from __future__ import annotations

import pytest
import torch

from npc.checkpoint import SHIPPED_CHECKPOINT, load_checkpoint
from npc.scripted import ScriptedNPC
from training.evaluate import evaluate

SHIPPED = SHIPPED_CHECKPOINT

def test_shipped_checkpoint_is_small_and_records_its_command() -> None:
    assert SHIPPED.stat().st_size < 5 * 1024 * 1024
    _, meta = load_checkpoint(SHIPPED)
    assert meta["training"]["command"].startswith("python main.py train")


@pytest.mark.slow
def test_shipped_checkpoint_beats_the_scripted_npc_on_unseen_seeds() -> None:
    """Issue 4's bar: at least 80% of 200 episodes on seeds the shipped NPC never saw.

    The shipped NPC (one from-scratch run of the default config after the observation
    gained goals, OBS_VERSION 2) wins 0.825 here and 0.840 over 500 episodes on
    evaluation seed 1 against the scripted NPC as ``evaluate`` shows it (without the
    navigator's output; against the navigating one: 0.74, docs/training.md).
    """
    torch.set_num_threads(1)
    net, meta = load_checkpoint(SHIPPED)
    # Evaluation seeds are disjoint from every training seed (training.ppo.derived_seed).
    result = evaluate(net, ScriptedNPC(), meta["training"].get("params", "arena"), episodes=200, seed=12345,
                      faction=meta["training"].get("learner_faction", "hero"), num_worlds=100)
    assert result.win_rate >= 0.8, result.to_dict()
