"""Training's scripted opponent and the navigator: shown ``nav`` only when asked, episodes unchanged without it."""

from __future__ import annotations

import numpy as np
import torch

from npc.policy import OBS_KEYS
from npc.scripted import ScriptedNPC, random_legal_actions
from npc.transformer import EntityTransformer
from training.config import TrainConfig
from training.overrides import apply_overrides
from training.ppo import Trainer, default_sim_factory
from training.rollout import shown_to, take_slots


def _trajectory(nav: bool) -> list[np.ndarray]:
    sim = default_sim_factory("dungeon", 6, seed=3, pool_size=4, nav=nav)
    obs = sim.reset()
    rng = np.random.default_rng(0)
    seen = []
    for _ in range(60):
        obs, reward, terminated, truncated, _ = sim.step(random_legal_actions(obs["action_mask"], rng))
        assert ("nav" in obs) == nav
        seen += [obs[k].copy() for k in OBS_KEYS] + [reward.copy(), terminated.copy(), truncated.copy()]
    return seen


def test_the_navigator_changes_no_episode_so_training_may_skip_it() -> None:
    """The rules never read the navigator: the same seed and actions give the same episodes without it."""
    with_nav, without = _trajectory(True), _trajectory(False)
    assert len(with_nav) == len(without)
    assert all(np.array_equal(a, b) for a, b in zip(with_nav, without, strict=True))


def test_only_a_scripted_npc_is_shown_the_navigator() -> None:
    sim = default_sim_factory("dungeon", 4, seed=1, pool_size=4, nav=True)
    obs = sim.reset()
    slots = np.array([1, 2], np.int64)
    worlds = np.array([0, 3], np.int64)
    scripted = shown_to(ScriptedNPC(), obs, worlds, slots, scripted_nav=True)
    assert np.array_equal(scripted["nav"], obs["nav"][worlds][:, slots].reshape(4, -1))
    net = EntityTransformer(sim.num_actions)
    assert set(shown_to(net, obs, worlds, slots, True)) == set(take_slots(obs, worlds, slots)) == set(OBS_KEYS)
    # not asked: the scripted NPC plays its patch-only fallback even where the simulator navigates
    assert set(shown_to(ScriptedNPC(), obs, worlds, slots, scripted_nav=False)) == set(OBS_KEYS)


def test_scripted_nav_builds_navigating_simulators() -> None:
    """``opponents.scripted_nav`` (settable from the command line) gives the collector a navigating simulator."""
    torch.manual_seed(0)
    for on in (False, True):
        cfg = apply_overrides(TrainConfig(params="dungeon", pool_size=4), [f"opponents.scripted_nav={str(on).lower()}"])
        cfg.ppo.num_worlds = 4
        trainer = Trainer(cfg)
        trainer._ensure_phase()
        sim = trainer.collector.sim
        assert (sim.navigation is not None) == on
        assert ("nav" in trainer.collector.obs) == on
        assert trainer.collector.scripted_nav == on
