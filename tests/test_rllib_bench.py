"""bench/rllib_pettingzoo.py's failure check (RLlib itself runs in its own venv: `make rllib`)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "rllib_pettingzoo.py"


def _load():
    spec = importlib.util.spec_from_file_location("rllib_pettingzoo", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_or_nan_metrics_are_named():
    bench = _load()
    good = {"env_steps": 2000.0, "episode_return_mean": -3.5, "episode_len_mean": 100.0,
            "agent_return_mean": {"hero_0": -1.0, "monsters_0": -2.5}}
    assert bench.bad_metrics(good) == []
    bad = {**good, "episode_return_mean": math.nan, "episode_len_mean": None,
           "agent_return_mean": {"hero_0": float("inf"), "monsters_0": -2.5}}
    assert bench.bad_metrics(bad) == ["episode_return_mean", "episode_len_mean", "agent_return_mean.hero_0"]
    assert bench.bad_metrics({}) == ["env_steps", "episode_return_mean", "episode_len_mean"]


def test_agents_map_to_their_faction_policy():
    bench = _load()
    assert bench.faction_of("monsters_12") == "monsters" and bench.faction_of("hero_0") == "hero"
