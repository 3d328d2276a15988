"""The scripted NPC beats a random policy clearly, from either side."""

from __future__ import annotations

import numpy as np

from game.batch import BatchedSim
from npc.scripted import ScriptedNPC, random_legal_actions


def _wins(scripted_slot: int, episodes: int = 120) -> np.ndarray:
    sim = BatchedSim("arena", 32, seed=11, pool_size=16)
    obs = sim.reset()
    policy, rng = ScriptedNPC(), np.random.default_rng(0)
    wins = np.zeros(3, int)  # draw, hero, monsters
    while wins.sum() < episodes:
        actions = random_legal_actions(obs["action_mask"], rng)
        actions[:, scripted_slot] = policy(obs)[:, scripted_slot]
        obs, _, _, _, info = sim.step(actions)
        for b in np.flatnonzero(info["finished"]):
            wins[info["winner"][b] + 1] += 1
    return wins


def test_scripted_hero_beats_random_monster():
    draw, hero, monsters = _wins(0)
    assert hero > 0.8 * (draw + hero + monsters) and monsters < hero / 5


def test_scripted_monster_beats_random_hero():
    draw, hero, monsters = _wins(1)
    assert monsters > 0.7 * (draw + hero + monsters) and hero < monsters / 5


def test_scripted_actions_are_legal_in_dungeons():
    sim = BatchedSim("dungeon", 4, seed=3, pool_size=4)
    obs = sim.reset()
    policy = ScriptedNPC()
    for _ in range(150):
        actions = policy(obs)
        chosen = np.take_along_axis(obs["action_mask"], actions[..., None], axis=-1)[..., 0]
        assert chosen.all()
        obs, *_ = sim.step(actions)


def test_for_agents_is_the_full_call_on_those_slots():
    """ScriptedNPC.for_agents (what the vector envs call for their opponents) computes only
    the listed slots and gives exactly the full call's actions there."""
    sim = BatchedSim("dungeon", 6, seed=5, pool_size=4)
    obs = sim.reset()
    policy = ScriptedNPC()
    slots = np.array([1, 3, 4])
    for _ in range(80):
        full = policy(obs)
        assert np.array_equal(policy.for_agents(obs, slots), full[:, slots])
        obs = sim.step(full).obs
