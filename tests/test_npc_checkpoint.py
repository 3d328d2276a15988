"""Checkpoints: exact round trip, atomic writes, and one test per loader refusal."""

from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from game.actions import CORE_ACTIONS
from levels.common.errors import UserError
from npc.checkpoint import (
    ARCHITECTURES,
    METADATA_KEY,
    CheckpointError,
    build_policy,
    load_checkpoint,
    read_metadata,
    save_checkpoint,
)
from tests.test_npc_policy import actions_for, random_obs


def _small(arch: str):
    options = {"transformer": {"d": 32, "heads": 2}, "nav_transformer": {"d": 32, "heads": 2},
               "dense": {"hidden": 64}, "baseline": {"hidden": 64}}[arch]
    return build_policy(arch, actions_for(arch), options)


def _rewrite_metadata(src: Path, dst: Path, change) -> None:
    """Copy a checkpoint with its metadata JSON edited by ``change`` (tensors unchanged)."""
    data = src.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    meta = json.loads(header["__metadata__"][METADATA_KEY])
    change(meta)
    header["__metadata__"][METADATA_KEY] = json.dumps(meta)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    dst.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + size:])


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "policy.safetensors"
    save_checkpoint(path, _small("transformer"), {"command": "train --steps 1", "stats": {"win_rate": 0.5}})
    return path


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_round_trip_is_exact(tmp_path: Path, arch: str) -> None:
    net = _small(arch)
    path = tmp_path / f"{arch}.safetensors"
    save_checkpoint(path, net, {"command": "x"})
    loaded, meta = load_checkpoint(path)
    assert type(loaded) is type(net) and loaded.config == net.config
    for (k1, v1), (k2, v2) in zip(net.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert k1 == k2 and torch.equal(v1, v2)
    obs = random_obs(16, num_actions=actions_for(arch))
    with torch.no_grad():
        assert torch.equal(net(obs)[0], loaded(obs)[0])
    assert meta["training"] == {"command": "x"} and meta["arch"] == arch


def test_metadata_records_versions_and_training(saved: Path) -> None:
    meta = read_metadata(saved)
    assert meta["obs_version"] >= 1 and meta["actions_version"] >= 1
    assert meta["num_actions"] == CORE_ACTIONS and meta["training"]["stats"]["win_rate"] == 0.5
    assert meta["spec"]["max_entities"] == 10


def test_write_is_atomic_and_leaves_no_temporary_files(saved: Path) -> None:
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]


def test_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "nope.safetensors")


@pytest.mark.parametrize("keep", [0, 5, 40, -100, -1])
def test_refuses_a_truncated_file(saved: Path, keep: int) -> None:
    data = saved.read_bytes()
    saved.write_bytes(data[:keep] if keep >= 0 else data[:len(data) + keep])
    with pytest.raises(CheckpointError, match="truncated|not a safetensors|too short"):
        load_checkpoint(saved)


def test_refuses_a_foreign_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "foreign.safetensors"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(CheckpointError, match="not a safetensors"):
        load_checkpoint(path)


def test_refuses_a_pickle_without_unpickling_it(tmp_path: Path) -> None:
    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('unpickled!')",))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"state": Boom()}))
    with pytest.raises(CheckpointError, match="not a safetensors"):
        load_checkpoint(path)


def test_refuses_a_safetensors_file_that_is_not_a_policy(tmp_path: Path) -> None:
    path = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(3)}, str(path), metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match="not a Mindcrawl policy"):
        load_checkpoint(path)


def test_refuses_metadata_that_is_not_json(saved: Path, tmp_path: Path) -> None:
    data = saved.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    header["__metadata__"][METADATA_KEY] = "{not json"
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + size:])
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(bad)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(format="something-else"), "not a Mindcrawl policy"),
        (lambda m: m.update(format_version=99), "format version 99"),
        (lambda m: m.update(obs_version=m["obs_version"] + 1), "observation spec version"),
        (lambda m: m.update(actions_version=m["actions_version"] + 1), "action table version"),
        (lambda m: m.update(arch="lstm"), "unknown architecture 'lstm'"),
        (lambda m: m.pop("sha256"), "lacks 'sha256'"),
        (lambda m: m["spec"].update(max_entities=99), "spec details differ"),
        (lambda m: m["config"].update(d=64), "tensor .* architecture needs"),
        (lambda m: m["config"].update(layers=1), "do not match architecture"),
        (lambda m: m["config"].update(bogus=1), "bad options"),
        (lambda m: m.update(sha256="0" * 64), "SHA-256"),
    ],
)
def test_refuses_mismatched_metadata(saved: Path, tmp_path: Path, change, message: str) -> None:
    bad = tmp_path / "bad.safetensors"
    _rewrite_metadata(saved, bad, change)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(bad)


def test_refuses_corrupted_tensor_bytes(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    data[-3] ^= 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_checkpoint(saved)


def test_refuses_another_action_count(saved: Path) -> None:
    with pytest.raises(CheckpointError, match="trained for 19 actions"):
        load_checkpoint(saved, num_actions=CORE_ACTIONS + 4)


def test_errors_are_one_line_user_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.safetensors"
    path.write_bytes(b"")
    with pytest.raises(UserError) as info:
        load_checkpoint(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_loader_never_calls_torch_load(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("torch.load must not be used")

    monkeypatch.setattr(torch, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    load_checkpoint(saved)
