"""Issue 17: level files, recordings and checkpoint metadata under generated hostile edits;
memory budgets decided before allocation.

Hypothesis replaces one node of a real document (a generated level, a recorded run,
a checkpoint's metadata) with a hostile value or deletes it; the loader must then
either accept it or raise its own one-line :class:`~levels.common.errors.UserError`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.batch import BatchedSim
from game.ui.recording import Recording, RecordingError
from levels.common.errors import LevelFileError, UserError
from levels.generate import generate
from levels.level import Level
from levels.limits import BUDGET_ENV, world_bytes
from levels.params import load_preset, params_from_dict, preset_names
from npc.checkpoint import CheckpointError, load_checkpoint
from tests import hostile as H
from tests.level_strategies import level_documents

HOSTILE = st.sampled_from([None, True, False, -1, 0, 2**31, 2**70, -(2**63), 1e30, -0.5, "", "x", [], {},
                           [1, 2, 3], [[0]], {"a": 1}, [None]])
LEVEL = H.level_dict()
RECORDING = H.recording_dict()


def _nodes(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _nodes(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc[:3]):  # the first rows stand for the rest
            out += _nodes(value, (*prefix, i))
    return out


LEVEL_NODES = [p for p in _nodes(LEVEL) if p[0] != "floors" or len(p) < 3]
RECORDING_NODES = [p for p in _nodes(RECORDING) if p[:2] != ("level", "floors") or len(p) < 4]


def _edit(doc: dict[str, Any], path: tuple[Any, ...], value: Any, delete: bool) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


FAST = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(path=st.sampled_from(LEVEL_NODES), value=HOSTILE, delete=st.booleans())
def test_edited_level_files_load_or_fail_in_one_line(path: tuple[Any, ...], value: Any, delete: bool) -> None:
    try:
        Level.from_dict(_edit(LEVEL, path, value, delete))
    except LevelFileError as exc:
        assert "\n" not in str(exc)


@FAST
@given(path=st.sampled_from(RECORDING_NODES), value=HOSTILE, delete=st.booleans())
def test_edited_recordings_load_or_fail_in_one_line(path: tuple[Any, ...], value: Any, delete: bool) -> None:
    try:
        rec = Recording.from_dict(_edit(RECORDING, path, value, delete))
    except RecordingError as exc:
        assert "\n" not in str(exc)
        return
    for row in rec.actions:  # what was accepted is safe to feed to the simulator
        assert all(0 <= a < rec.num_actions for a in row)


@pytest.fixture(scope="module")
def checkpoint_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid tiny checkpoint."""
    return H.good_checkpoint(tmp_path_factory.mktemp("ckpt") / "good.safetensors")


META_KEYS = ["format", "format_version", "arch", "config", "obs_version", "actions_version", "num_actions",
             "spec", "sha256", "training"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(key=st.sampled_from(META_KEYS), value=HOSTILE, delete=st.booleans())
def test_edited_checkpoint_metadata_loads_or_fails_in_one_line(key: str, value: Any, delete: bool,
                                                               checkpoint_file: Path, tmp_path_factory) -> None:
    target = tmp_path_factory.mktemp("edit") / "edited.safetensors"
    H.with_meta(checkpoint_file, target, lambda m: m.pop(key) if delete else m.update({key: value}))
    try:
        load_checkpoint(target)
    except CheckpointError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=level_documents(), seed=st.integers(0, 2**31))
def test_generated_levels_pass_the_load_time_checks(doc: dict[str, Any], seed: int) -> None:
    """The load-time validation accepts everything the generator makes (it is not stricter)."""
    level = generate(params_from_dict(doc), seed)
    again = Level.from_json(level.to_json())
    assert again == level


# ----------------------------------------------------------------------------- budgets


def _allocated(sim: BatchedSim) -> int:
    return sim.memory_per_world() * sim.num_worlds + sum(a.nbytes for a in sim.pool.arrays)


@pytest.mark.parametrize("preset", preset_names())
def test_the_estimate_covers_what_a_simulator_allocates(preset: str) -> None:
    params = load_preset(preset)
    sim = BatchedSim(params, 8, seed=1, pool_size=8, threads=1)
    sim.reset()
    estimate = world_bytes(params, 8, 8, sim.num_actions, sim.num_agents)
    assert _allocated(sim) <= estimate <= 4 * _allocated(sim) + 200_000


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=level_documents(max_side=32, max_floors=2), seed=st.integers(0, 1000))
def test_the_estimate_covers_random_levels(doc: dict[str, Any], seed: int) -> None:
    params = params_from_dict(doc)
    sim = BatchedSim(params, 2, seed=seed, pool_size=2, threads=1)
    sim.reset()
    assert _allocated(sim) <= world_bytes(params, 2, 2, sim.num_actions, sim.num_agents)


BUDGETS = {"1M_refuses_128_worlds": ("1M", 128, True), "8G_accepts_128_worlds": ("8G", 128, False),
           "garbage": ("lots", 1, True), "100k_refuses_one": ("100K", 1, True)}


@pytest.mark.parametrize("case", sorted(BUDGETS))
def test_the_budget_is_checked_before_allocation(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    budget, worlds, refused = BUDGETS[case]
    monkeypatch.setenv(BUDGET_ENV, budget)
    if not refused:
        assert BatchedSim("dungeon", worlds, seed=0, pool_size=64, threads=1).num_worlds == worlds
        return
    with pytest.raises(UserError) as info:
        BatchedSim("dungeon", worlds, seed=0, pool_size=64, threads=1)
    assert "\n" not in str(info.value)
    assert "budget" in str(info.value) or BUDGET_ENV in str(info.value)


def test_a_level_within_the_schema_but_beyond_the_budget_is_refused_with_its_estimate() -> None:
    doc = {"floors": {"count": 16, "width": 256, "height": 256},
           "spawns": [{"faction": "hero", "count": 1, "floors": [0]}] +
                     [{"faction": "monsters", "count": [64, 64]}] * 8}
    with pytest.raises(UserError, match=r"would need about \d+\.\d GiB of memory, above the 8\.0 GiB budget"):
        params_from_dict(doc)


def test_regression_recording_action_of_1e30_is_refused_before_numpy() -> None:
    data = copy.deepcopy(RECORDING)
    data["actions"][0][0] = 1e30
    with pytest.raises(RecordingError, match=r"actions\[0\]"):
        Recording.from_dict(json.loads(json.dumps(data)))
    assert np.iinfo(np.int64).max < 1e30  # what used to overflow
