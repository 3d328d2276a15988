"""Mindcrawl through third-party RL clients, on every preset: SuperSuit, torchrl,
Gymnasium's recorders and vector entry point, PettingZoo's state test."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
import supersuit as ss
from gymnasium.wrappers import RecordEpisodeStatistics
from gymnasium.wrappers.vector import RecordEpisodeStatistics as VectorRecordEpisodeStatistics
from pettingzoo.test import parallel_api_test, state_test
from torchrl.envs import GymEnv, PettingZooWrapper
from torchrl.envs.utils import check_env_specs

import game.envs.pettingzoo_env as game_env
from game.envs.vector import MindcrawlMultiAgentVectorEnv, MindcrawlVectorEnv
from levels.params import preset_names

PRESETS = preset_names()
TURNS = 12  # short episodes: every test crosses at least one episode end


def legal_actions(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random legal action per row of bool ``masks``."""
    return np.array([rng.choice(np.flatnonzero(m)) for m in masks], np.int64)


def test_presets_are_all_covered():
    assert {"arena", "dungeon", "caves", "labyrinth"} <= set(PRESETS)


@pytest.mark.parametrize("preset", PRESETS)
def test_supersuit_vec_env(preset):
    env = game_env.parallel_env(preset, seed=0, max_cycles=TURNS)
    vec = ss.pettingzoo_env_to_vec_env_v1(env)
    vec = ss.concat_vec_envs_v1(vec, 2, num_cpus=0, base_class="gymnasium")
    assert vec.num_envs == 2 * len(env.possible_agents)
    obs, _ = vec.reset(seed=0)
    ended = 0
    for _ in range(2 * TURNS + 2):
        obs, rewards, term, trunc, _ = vec.step(np.zeros(vec.num_envs, np.int64))
        assert rewards.shape == (vec.num_envs,) and np.isfinite(rewards).all()
        ended += int((term | trunc).sum())
    assert obs["action_mask"].shape[0] == vec.num_envs
    assert ended >= vec.num_envs  # every row saw an episode end and went on


@pytest.mark.parametrize("preset", PRESETS)
def test_torchrl_pettingzoo_wrapper(preset):
    env = PettingZooWrapper(env=game_env.parallel_env(preset, seed=0, max_cycles=TURNS),
                            return_state=True)
    check_env_specs(env, seed=0)
    rollout = env.rollout(TURNS + 5, break_when_any_done=False)
    assert rollout.batch_size[0] == TURNS + 5
    assert "state" in rollout


@pytest.mark.parametrize("preset", PRESETS)
def test_torchrl_gym_env(preset):
    env = GymEnv("game:Mindcrawl-v0", params=preset, max_cycles=TURNS)
    check_env_specs(env, seed=0)
    assert env.rollout(TURNS + 5, break_when_any_done=False).batch_size[0] == TURNS + 5


@pytest.mark.parametrize("preset", PRESETS)
def test_record_episode_statistics_single_env(preset):
    env = RecordEpisodeStatistics(gym.make("game:Mindcrawl-v0", params=preset, max_cycles=TURNS))
    env.reset(seed=1)
    rng = np.random.default_rng(0)
    own, length = 0.0, 0
    for _ in range(3 * TURNS):
        _, reward, term, trunc, info = env.step(int(legal_actions(env.unwrapped.action_masks()[None], rng)[0]))
        own, length = own + reward, length + 1
        if term or trunc:
            assert info["episode"]["l"] == length == info["episode_stats"]["l"]
            assert info["episode"]["r"] == pytest.approx(own) == pytest.approx(info["episode_stats"]["r"])
            return
    pytest.fail("no episode ended")


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("cls", [MindcrawlVectorEnv, MindcrawlMultiAgentVectorEnv])
def test_record_episode_statistics_vector_env(preset, cls):
    envs = VectorRecordEpisodeStatistics(cls(4, params=preset, seed=0, max_cycles=TURNS))
    envs.reset(seed=2)
    rng = np.random.default_rng(0)
    seen = 0
    for _ in range(2 * TURNS + 2):
        _, _, _, _, info = envs.step(legal_actions(envs.unwrapped.action_masks(), rng))
        if "episode" in info:
            done = info["_episode"]
            mine = info["_episode_stats"]
            # Both recorders agree on every row they both report.
            both = done & mine
            assert np.allclose(info["episode"]["r"][both], info["episode_stats"]["r"][both])
            assert (info["episode"]["l"][both] == info["episode_stats"]["l"][both]).all()
            seen += int(both.sum())
    assert seen > 0


@pytest.mark.parametrize("preset", PRESETS)
def test_make_vec_vector_entry_point(preset):
    envs = gym.make_vec("game:Mindcrawl-v0", num_envs=3, vectorization_mode="vector_entry_point",
                        params=preset, seed=0, max_cycles=TURNS)
    assert isinstance(envs, MindcrawlVectorEnv) and envs.num_envs == 3
    assert envs.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    obs, _ = envs.reset(seed=0)
    assert envs.observation_space.contains(obs)
    for _ in range(TURNS + 1):
        obs, *_ = envs.step(np.zeros(3, np.int64))
        assert envs.observation_space.contains(obs)


@pytest.mark.parametrize("preset", PRESETS)
def test_pettingzoo_state_and_parallel_api(preset):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state_test(game_env.env(preset, seed=0, max_cycles=TURNS),
                   game_env.parallel_env(preset, seed=0, max_cycles=TURNS))
        parallel_api_test(game_env.parallel_env(preset, seed=0, max_cycles=TURNS), num_cycles=TURNS + 3)
