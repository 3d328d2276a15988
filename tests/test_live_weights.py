"""Shared-memory weight publishing, the live-trajectory buffer and the update guards (no process)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from npc.checkpoint import build_policy
from training.live import protocol as P
from training.live.learner import LiveBuffer, concat_batches, habit_rates
from training.live.weights import SharedWeights, flatten, state_numel, unflatten_into


def small_net() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_policy("transformer", 19, {"d": 16, "layers": 1, "heads": 2})


def test_flatten_round_trip_is_exact() -> None:
    a, b = small_net(), build_policy("transformer", 19, {"d": 16, "layers": 1, "heads": 2})
    flat = flatten(a)
    assert flat.size == state_numel(a)
    unflatten_into(b, flat)
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y), name
    with pytest.raises(ValueError):
        unflatten_into(b, flat[:-1])


def test_versions_only_go_forward_and_readers_skip_what_they_have() -> None:
    block = SharedWeights.create(4, np.zeros(4, np.float32), version=3)
    try:
        reader = SharedWeights.attach(block.name)
        first = reader.read()
        assert first is not None and first.version == 3
        assert reader.read(newer_than=3) is None
        block.publish(np.full(4, 7, np.float32), 4)
        got = reader.read(newer_than=3)
        assert got is not None and got.version == 4 and (got.weights == 7).all()
        with pytest.raises(ValueError):
            block.publish(np.zeros(4, np.float32), 4)  # not newer
        reader.close()
    finally:
        block.close()


def test_concurrent_reads_are_never_torn() -> None:
    """A writer publishing constant vectors as fast as it can; every read a reader accepts
    must be one whole vector, matching its version."""
    numel = 50_000  # about the shipped network
    block = SharedWeights.create(numel, np.zeros(numel, np.float32))
    reader = SharedWeights.attach(block.name)
    stop = threading.Event()

    def write() -> None:
        v = 0
        while not stop.is_set() and v < 3000:
            v += 1
            block.publish(np.full(numel, v, np.float32), v)

    thread = threading.Thread(target=write)
    thread.start()
    accepted = 0
    last = -1
    try:
        for _ in range(3000):
            got = reader.read()
            if got is None:
                continue
            accepted += 1
            assert got.weights.min() == got.weights.max() == got.version
            assert got.version >= last
            last = got.version
    finally:
        stop.set()
        thread.join()
        reader.close()
        block.close()
    assert accepted > 0


def turn(version: int, generation: int = 0, n: int = 2, value: float = 0.5) -> P.Trajectory:
    """A hand-made game turn of ``n`` learning NPCs."""
    obs = {"patch": np.zeros((n, 13, 13, 4), np.uint8), "entities": np.zeros((n, 10, 34), np.float32),
           "entity_mask": np.zeros((n, 10), np.int8), "self": np.zeros((n, 28), np.float32),
           "action_mask": np.ones((n, 19), np.int8)}
    return P.Trajectory(generation, version, "monsters", obs, np.full(n, 17), np.zeros(n, np.float32),
                        np.full(n, value, np.float32), np.ones(n, np.float32), np.zeros(n, bool),
                        np.zeros(n, bool), np.ones(n, bool))


def test_live_buffer_cuts_batches_and_drops_stale_data() -> None:
    buffer = LiveBuffer(steps=4)
    for t in range(5):
        buffer.add(turn(version=10 + t, value=float(t)), generation=0)
    ready, old = buffer.take(version=14, max_lag=4)
    assert old == 0 and len(ready) == 1
    batch = ready[0]
    assert batch.actions.shape == (4, 2) and batch.obs["patch"].shape == (4, 2, 13, 13, 4)
    assert batch.next_values[:, 0].tolist() == [1.0, 2.0, 3.0, 4.0]  # bootstrapped from the next turn
    assert habit_rates(batch)[0] == 1.0  # every action was the potion
    buffer.add(turn(version=20, generation=1), generation=2)  # another parameter generation
    assert buffer.dropped == 2
    for t in range(4):
        buffer.add(turn(version=15 + t), generation=0)
    ready, old = buffer.take(version=30, max_lag=3)  # collected by weights too old now
    assert ready == [] and old == 8
    both = concat_batches(batch, batch)
    assert both.actions.shape == (4, 4)
