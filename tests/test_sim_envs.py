"""The standard conformance suites on the PettingZoo and Gymnasium views."""

from __future__ import annotations

import os

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import (
    api_test,
    max_cycles_test,
    parallel_api_test,
    parallel_seed_test,
    render_test,
    seed_test,
)

import game
import game.envs.pettingzoo_env as game_env
from game.batch import BatchedSim
from game.spec import observation_space
from levels.common.errors import ParamError, ParamsTypeError, UserError

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


def test_parallel_api():
    parallel_api_test(game_env.parallel_env(seed=0), num_cycles=200)


def test_aec_api():
    api_test(game_env.env(seed=0), num_cycles=200)


def test_seeds():
    parallel_seed_test(game_env.parallel_env)
    seed_test(game_env.env)


def test_max_cycles():
    max_cycles_test(game_env)


def test_render_modes():
    render_test(game_env.env)
    env = game_env.parallel_env(seed=1, render_mode="rgb_array")
    env.reset()
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3


def test_spaces_are_cached_and_observations_fit():
    env = game_env.parallel_env(seed=2)
    obs, _ = env.reset()
    for agent in env.possible_agents:
        assert env.observation_space(agent) is env.observation_space(agent)
        assert env.action_space(agent) is env.action_space(agent)
    for agent, o in obs.items():
        assert env.observation_space(agent).contains(o)


def test_gymnasium_check_env_and_make():
    assert game.OBS_VERSION >= 1
    env = gym.make("Mindcrawl-v0", max_cycles=30)
    check_env(env.unwrapped)
    obs, _ = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    total = 0
    for _ in range(40):
        obs, reward, term, trunc, info = env.step(env.action_space.sample())
        total += 1
        if term or trunc:
            break
    assert total <= 30


def test_batched_observations_match_the_spec():
    sim = BatchedSim("dungeon", 3, seed=0, pool_size=3)
    obs = sim.reset()
    space = observation_space(sim.num_actions)
    # "nav" is the navigator's optional output (game.navigate), outside the versioned spec
    assert set(obs) == set(space.spaces) | {"nav"}
    for b in range(3):
        for a in range(sim.num_agents):
            assert space.contains({k: obs[k][b, a] for k in space.spaces})


def test_bad_inputs_are_one_line_user_errors():
    with pytest.raises(ParamError, match="no preset"):
        BatchedSim("no_such_preset")
    with pytest.raises(ParamsTypeError):
        BatchedSim(42)  # type: ignore[arg-type]
    with pytest.raises(UserError):
        BatchedSim("arena", num_worlds=0)
    with pytest.raises(UserError):
        game_env.parallel_env(render_mode="video")
