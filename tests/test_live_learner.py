"""The learner process: updates, rejected updates, snapshots and revert, crash and restart,
parameter changes, clean shutdown. One small learner (arena, 8 worlds x 8 steps) serves
the whole module, in order, to keep process start-ups few."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from levels.params import load_params, params_from_dict, params_to_dict
from npc.checkpoint import SHIPPED_CHECKPOINT, load_checkpoint
from training.live.client import LearnerClient
from training.live.weights import SharedWeights, flatten

SHIPPED = SHIPPED_CHECKPOINT
TIMEOUT = 180.0  # generous: the machine is shared and a first start may compile the simulator


def wait(client: LearnerClient, done: Callable[[], bool], what: str) -> None:
    """Poll the client until ``done()`` or fail after TIMEOUT seconds."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        client.poll()
        if done():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what} (state {client.state}, error {client.error!r}, "
                f"notes {client.notes[-3:]})")


@pytest.fixture(scope="module")
def client() -> Iterator[LearnerClient]:
    torch.set_num_threads(1)
    net, _ = load_checkpoint(SHIPPED)
    c = LearnerClient(net, load_params("arena"), ["monsters"], num_worlds=8, rollout_steps=8)
    c.start()
    yield c
    c.close()


def test_learner_publishes_increasing_versions(client: LearnerClient) -> None:
    wait(client, lambda: len(client.curve) >= 3, "three published versions")
    versions = [p.version for p in client.curve]
    assert versions == sorted(set(versions)) and versions[0] >= 1
    published = client.read_weights(-1)
    assert published is not None and np.isfinite(published.weights).all()
    assert client.state == "running"


def test_a_non_finite_loss_is_rejected_and_not_published(client: LearnerClient) -> None:
    client.pause()
    wait(client, lambda: client.status is not None and client.status.state == "paused", "pause")
    before = client.read_weights(-1)
    client.inject("nan_loss")
    client.resume()
    count = len(client.rejections)
    wait(client, lambda: len(client.rejections) > count, "a rejection")
    assert "non-finite loss" in client.rejections[-1].reason
    client.pause()
    wait(client, lambda: client.status is not None and client.status.state == "paused", "pause")
    after = client.read_weights(-1)
    assert after is not None and np.isfinite(after.weights).all()
    # Updates after the rejected one may have been published, but never NaN weights.
    assert after.version >= before.version
    client.resume()


def test_an_update_that_blows_up_is_rejected(client: LearnerClient) -> None:
    count = len(client.rejections)
    client.inject("blowup")
    wait(client, lambda: len(client.rejections) > count, "a rejection")
    assert "too far" in client.rejections[-1].reason or "too much" in client.rejections[-1].reason


def test_revert_publishes_the_snapshot_as_a_new_version(client: LearnerClient, tmp_path: Path) -> None:
    client.snapshot("test")
    wait(client, lambda: client.status is not None and any(s.label == "test" for s in client.status.snapshots),
         "the snapshot")
    snap = next(s for s in client.status.snapshots if s.label == "test")
    wait(client, lambda: client.version > snap.version + 1, "training past the snapshot")
    client.pause()
    wait(client, lambda: client.status is not None and client.status.state == "paused", "pause")
    old = client.version
    client.revert(snap.snapshot_id)
    wait(client, lambda: client.version > old, "the reverted version")
    reverted = client.read_weights(-1)
    # Save the same snapshot as a checkpoint: its weights are what the revert published.
    path = tmp_path / "snap.safetensors"
    client.save_checkpoint(str(path), snap.snapshot_id)
    wait(client, path.exists, "the checkpoint file")
    net, meta = load_checkpoint(path)
    assert np.array_equal(flatten(net), reverted.weights)
    assert meta["training"]["live_version"] == snap.version
    client.resume()


def test_parameter_change_reaches_training_and_old_data_is_not_mixed(client: LearnerClient) -> None:
    table = params_to_dict(load_params("arena"))
    table["rules"]["max_turns"] = 50
    client.set_params(params_from_dict(table))
    generation = client.generation
    wait(client, lambda: any(p.generation == generation for p in client.curve), "an update on the new parameters")
    generations = [p.generation for p in client.curve]
    assert generations == sorted(generations)  # never an update from older parameters after a newer one


def test_crash_keeps_the_last_weights_and_restart_continues(client: LearnerClient) -> None:
    wait(client, lambda: client.version >= 1, "a version")
    old_pid = client.pid
    os.kill(old_pid, signal.SIGKILL)
    wait(client, lambda: client.state == "crashed", "the crash to be noticed")
    assert "exit" in client.error
    kept = client.read_weights(-1)  # the game's copy survives in shared memory
    assert kept is not None and np.isfinite(kept.weights).all()
    client.restart()
    assert client.pid != old_pid
    wait(client, lambda: client.curve[-1].version > kept.version, "an update after the restart")
    assert client.state in ("running", "paused") and client.version > kept.version


def test_a_crashing_learner_reports_why(client: LearnerClient) -> None:
    client.inject("crash")
    wait(client, lambda: client.state == "crashed", "the crash")
    assert "injected learner crash" in client.error
    client.restart()
    wait(client, lambda: client.state == "running", "the restarted learner")


def test_close_stops_the_process_and_frees_the_memory(client: LearnerClient) -> None:
    wait(client, lambda: client.state == "running", "the learner")
    process, name = client.process, client.shared.name
    client.close(timeout=60.0)  # generous: a loaded machine can hold a learner mid-update for seconds
    assert not process.is_alive() and process.exitcode == 0  # it stopped on request, not killed
    with pytest.raises(FileNotFoundError):
        SharedWeights.attach(name)
