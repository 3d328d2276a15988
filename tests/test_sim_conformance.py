"""The conformance suites on every preset (each is a different game: goals, floors, sizes)."""

from __future__ import annotations

import os

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test

import game.envs.pettingzoo_env as game_env
from levels.params import preset_names

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")


@pytest.mark.parametrize("preset", preset_names())
def test_pettingzoo_suites_on_every_preset(preset: str) -> None:
    parallel_api_test(game_env.parallel_env(preset, seed=0, max_cycles=60), num_cycles=60)
    api_test(game_env.env(preset, seed=0, max_cycles=60), num_cycles=60)
    parallel_seed_test(lambda: game_env.parallel_env(preset, max_cycles=60))
    seed_test(lambda: game_env.env(preset, max_cycles=60))


@pytest.mark.parametrize("preset", preset_names())
def test_gymnasium_check_env_on_every_preset(preset: str) -> None:
    env = gym.make("game:Mindcrawl-v0", params=preset, max_cycles=30)
    check_env(env.unwrapped)
    _, info = env.reset(seed=1)
    assert info["goal"] in ("eliminate", "escape", "fetch", "survive")
