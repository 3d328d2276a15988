"""The native vector envs (game.envs.vector), the observation layouts and the padded agents."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import game.envs.pettingzoo_env as game_env
from game.actions import WAIT
from game.batch import BatchedSim
from game.envs.gym_env import MindcrawlGymEnv
from game.envs.obs_layout import flat_segments
from game.envs.vector import MindcrawlMultiAgentVectorEnv, MindcrawlVectorEnv
from game.spec import observation_space
from levels.common.errors import UserError


def random_legal(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random legal action per row of bool ``masks``."""
    return np.array([rng.choice(np.flatnonzero(m)) for m in masks], np.int64)


def test_flat_layout_is_gymnasiums_flatten_and_segments_recover_every_key():
    sim = BatchedSim("dungeon", 1, seed=0, pool_size=2)
    obs = sim.reset()
    space = observation_space(sim.num_actions)
    one = {k: v[0, 0] for k, v in obs.items()}
    env = MindcrawlGymEnv("dungeon", seed=0, pool_size=2, obs_layout="flat")
    flat = env.layout.apply(one, ())
    assert np.array_equal(flat, gym.spaces.utils.flatten(space, one))
    assert env.observation_space.contains(flat)
    for seg in flat_segments(space):
        assert np.array_equal(flat[seg.start:seg.stop].reshape(seg.shape), one[seg.key])


def test_masked_layout_splits_off_the_action_mask():
    env = MindcrawlGymEnv("arena", seed=0, obs_layout="masked")
    obs, _ = env.reset(seed=0)
    assert set(obs) == {"observation", "action_mask"}
    assert env.observation_space.contains(obs)
    assert np.array_equal(obs["action_mask"].astype(bool), env.action_masks())
    with pytest.raises(UserError, match="obs_layout"):
        MindcrawlGymEnv("arena", obs_layout="image")


def test_vector_env_matches_the_single_env_world_for_world():
    """World 0 of a one-world vector env plays exactly as Mindcrawl-v0 with the same seed."""
    single = MindcrawlGymEnv("arena", seed=5, max_cycles=30, pool_size=64)
    vec = MindcrawlVectorEnv(1, "arena", seed=5, max_cycles=30, threads=1)
    o1, _ = single.reset(seed=5)
    o2, _ = vec.reset(seed=5)
    rng = np.random.default_rng(1)
    for _ in range(25):
        assert all(np.array_equal(o1[k], o2[k][0]) for k in o1)
        a = random_legal(vec.action_masks(), rng)
        assert np.array_equal(vec.action_masks()[0], single.action_masks())
        o1, r1, t1, u1, _ = single.step(int(a[0]))
        o2, r2, t2, u2, _ = vec.step(a)
        assert (r1, t1, u1) == (r2[0], t2[0], u2[0])
        if t1 or u1:
            break


@pytest.mark.parametrize("mode", ["next_step", "same_step"])
def test_autoreset_modes(mode):
    envs = MindcrawlVectorEnv(6, "dungeon", seed=3, max_cycles=8, autoreset_mode=mode)
    obs, _ = envs.reset(seed=3)
    done_before = np.zeros(6, bool)
    rng = np.random.default_rng(0)
    restarts = 0
    for _ in range(30):
        obs, reward, term, trunc, info = envs.step(random_legal(envs.action_masks(), rng))
        turn = np.asarray(envs.sim.info()["turn"])
        if mode == "next_step":
            # The step after an end returns the new episode's first observation, reward 0.
            assert (reward[done_before] == 0).all() and (turn[done_before] == 0).all()
            restarts += int(done_before.sum())
        else:
            done = term | trunc
            assert (turn[done] == 0).all()  # already the new episode
            if done.any():
                assert info["_final_obs"].tolist() == done.tolist()
                restarts += int(done.sum())
        done_before = term | trunc
        assert envs.observation_space.contains(obs)
    assert restarts >= 6


def test_learner_death_ends_its_episode_in_a_running_world():
    """A dungeon monster can die while the world goes on; the vector env restarts its world."""
    envs = MindcrawlVectorEnv(8, "dungeon", seed=0, agent="monsters_0")
    envs.reset(seed=0)
    sim = envs.sim
    slot = envs.slots[0]
    rng = np.random.default_rng(0)
    early = 0
    for _ in range(400):
        _, _, term, _, _ = envs.step(random_legal(envs.action_masks(), rng))
        alive = np.asarray(sim.info()["alive"])[:, slot]
        finished = np.asarray(sim.info()["finished"])
        early += int((term & ~finished & ~alive).sum())
        pending = envs._pending.copy()
        if pending.any():
            envs.step(random_legal(envs.action_masks(), rng))
            assert (np.asarray(sim.info()["turn"])[pending] == 0).all()
    assert early > 0


def test_multi_agent_rows_pad_absent_and_dead_slots():
    envs = MindcrawlMultiAgentVectorEnv(4, "dungeon", seed=1, max_cycles=60)
    obs, info = envs.reset(seed=1)
    A = len(envs.row_agents)
    assert envs.num_envs == 4 * A
    present = np.asarray(envs.sim.info()["alive"]).reshape(-1)
    assert (info["active"] == present).all() and not present.all()  # dungeon spawns fewer than its slots
    rng = np.random.default_rng(0)
    for _ in range(60):
        before = info["active"]
        masks = envs.action_masks()
        pad = ~before
        assert (masks[pad, WAIT]).all() and (masks[pad].sum(axis=1) == 1).all()
        assert (obs["entities"][pad] == 0).all() and (obs["self"][pad] == 0).all()
        obs, reward, term, trunc, info = envs.step(random_legal(masks, rng))
        assert (reward[pad & ~info["active"]] == 0).all()
        # Rows of one world end together.
        done = (term | trunc).reshape(4, A)
        assert (done.all(axis=1) == done.any(axis=1)).all()


def test_multi_agent_learning_factions_and_bad_input():
    envs = MindcrawlMultiAgentVectorEnv(2, "arena", seed=0, factions=["hero"])
    assert envs.row_agents == ("hero_0",) and envs.num_envs == 2
    with pytest.raises(UserError, match="unknown faction"):
        MindcrawlMultiAgentVectorEnv(2, "arena", factions=["dragons"])
    with pytest.raises(UserError, match="autoreset_mode"):
        MindcrawlVectorEnv(2, "arena", autoreset_mode="never")
    envs.reset(seed=0)
    with pytest.raises(UserError, match="shape"):
        envs.step(np.zeros(3, np.int64))


def test_pettingzoo_all_agents_semantics():
    padded = game_env.parallel_env("dungeon", seed=4, max_cycles=30)
    live = game_env.parallel_env("dungeon", seed=4, max_cycles=30, all_agents=False)
    obs, infos = padded.reset(seed=4)
    live_obs, _ = live.reset(seed=4)
    assert padded.agents == padded.possible_agents
    assert set(live.agents) == {a for a in padded.agents if infos[a]["active"]}
    assert len(live.agents) < len(padded.agents)
    for a in padded.agents:
        if not infos[a]["active"]:
            assert obs[a]["action_mask"].tolist() == [1] + [0] * (len(obs[a]["action_mask"]) - 1)
            assert not obs[a]["entities"].any()
        else:
            assert all(np.array_equal(obs[a][k], live_obs[a][k]) for k in obs[a])
    while padded.agents:
        _, rewards, term, trunc, infos = padded.step({a: 0 for a in padded.agents})
        assert set(term) == set(padded.possible_agents)
        assert len(set(term.values())) == 1  # everyone ends together
    assert padded.state_space.contains(padded.state())
