"""Save and load: resuming continues bit-identically; bad files are refused clearly."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from game.batch import BatchedSim
from game.snapshot import SaveFileError, load_sim, save_sim
from npc.scripted import random_legal_actions


def _play(sim: BatchedSim, steps: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    digest = hashlib.sha256()
    for _ in range(steps):
        obs, reward, term, trunc, _ = sim.step(random_legal_actions(sim.action_mask, rng))
        for array in (obs["patch"], obs["entities"], obs["self"], reward, term, trunc):
            digest.update(array.tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize("preset", ["arena", "dungeon"])
def test_resume_is_bit_identical(tmp_path, preset):
    sim = BatchedSim(preset, 3, seed=4, pool_size=4)
    sim.reset()
    _play(sim, 40, seed=0)
    path = tmp_path / "game.npz"
    save_sim(sim, path)
    before = {k: v.copy() for k, v in sim.observations().items()}
    expected = _play(sim, 150, seed=1)
    resumed = load_sim(path)
    for key, value in resumed.observations().items():
        np.testing.assert_array_equal(value, before[key])
    assert _play(resumed, 150, seed=1) == expected


def test_bad_files_are_refused(tmp_path):
    sim = BatchedSim("arena", 1, seed=0, pool_size=2)
    sim.reset()
    good = tmp_path / "good.npz"
    save_sim(sim, good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:300])
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.zeros(3))
    for path, message in ((truncated, "truncated"), (foreign, "not a Mindcrawl save"),
                          (tmp_path / "missing.npz", "not found")):
        with pytest.raises(SaveFileError, match=message):
            load_sim(path)


def test_a_save_with_an_older_view_cache_layout_resumes_bit_identically(tmp_path):
    """Saves written before the field-of-view grid (a flat ray-tree cache) still load."""
    sim = BatchedSim("dungeon", 2, seed=6, pool_size=4)
    sim.reset()
    _play(sim, 30, seed=0)
    path = tmp_path / "game.npz"
    save_sim(sim, path)
    expected = _play(sim, 100, seed=1)
    with np.load(path) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["fov"] = np.full(arrays["fov"].shape[:2] + (113,), 3, np.uint8)  # old shape, junk
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)
    assert _play(load_sim(old), 100, seed=1) == expected
