"""Policy checkpoints: safetensors weights with JSON metadata, checked on load.

A checkpoint is one ``.safetensors`` file. Its header metadata holds a single key,
``"mindcrawl"``, whose value is a JSON document::

    {"format": "mindcrawl-policy", "format_version": 1,
     "arch": "transformer", "config": {...constructor arguments...},
     "obs_version": 1, "actions_version": 1, "num_actions": 19,
     "spec": {...game.spec.spec_dict...}, "sha256": "<digest of the tensor bytes>",
     "training": {"command": "...", "stats": {...}, ...}}

Loading refuses, with one line naming the file and the reason, a file that is
missing, truncated, not safetensors, not a Mindcrawl policy, of another format
version, observation-spec version or action-table version, of an unknown
architecture, whose tensors do not match the architecture, or whose bytes do not
match the recorded digest. Nothing is ever unpickled. Writes are atomic.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from game.actions import ACTIONS_VERSION
from game.spec import OBS_VERSION, spec_dict
from levels.errors import UserError
from levels.files import atomic_write_bytes, read_user_bytes
from npc.baseline import IdBaseline
from npc.dense import DenseEmbedding
from npc.nav_transformer import NavTransformer
from npc.policy import PolicyNet
from npc.transformer import EntityTransformer

FORMAT_NAME = "mindcrawl-policy"
FORMAT_VERSION = 1
METADATA_KEY = "mindcrawl"

#: Architecture name -> network class (the names checkpoints and ``--policy`` use).
ARCHITECTURES: dict[str, type[PolicyNet]] = {
    cls.arch: cls for cls in (EntityTransformer, DenseEmbedding, IdBaseline, NavTransformer)
}


class CheckpointError(UserError, ValueError):
    """A checkpoint that cannot be loaded; the message names the file and the reason."""


def build_policy(arch: str, num_actions: int, config: dict[str, Any] | None = None) -> PolicyNet:
    """A fresh network of architecture ``arch`` (see :data:`ARCHITECTURES`)."""
    if arch not in ARCHITECTURES:
        raise UserError(f"unknown policy architecture {arch!r} (choose from {', '.join(ARCHITECTURES)})")
    options = {k: v for k, v in (config or {}).items() if k != "num_actions"}
    try:
        return ARCHITECTURES[arch](num_actions, **options)
    except TypeError as exc:
        raise UserError(f"bad options for policy {arch!r}: {exc}") from None


def _digest(tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 over tensor names, dtypes, shapes and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def save_checkpoint(path: str | os.PathLike[str], net: PolicyNet,
                    training: dict[str, Any] | None = None) -> None:
    """Write ``net`` (weights + metadata, ``training`` included) atomically to ``path``."""
    tensors = {k: v.detach().contiguous().cpu().clone() for k, v in net.state_dict().items()}
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "arch": net.arch,
        "config": net.config,
        "obs_version": OBS_VERSION,
        "actions_version": ACTIONS_VERSION,
        "num_actions": net.num_actions,
        "spec": spec_dict(net.num_actions),
        "sha256": _digest(tensors),
        "training": training or {},
    }
    data = save_tensors(tensors, metadata={METADATA_KEY: json.dumps(meta, sort_keys=True)})
    atomic_write_bytes(path, data)


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked metadata of a checkpoint, without building the network."""
    return _read(Path(path))[1]


def load_checkpoint(path: str | os.PathLike[str], num_actions: int | None = None
                    ) -> tuple[PolicyNet, dict[str, Any]]:
    """The network (in eval mode) and metadata stored at ``path``, after every check.

    With ``num_actions``, also refuse a policy trained for an action space of another size.
    """
    path = Path(path)
    tensors, meta = _read(path)
    if num_actions is not None and meta["num_actions"] != num_actions:
        raise CheckpointError(f"{path}: trained for {meta['num_actions']} actions, the simulator "
                              f"has {num_actions}")
    try:
        net = build_policy(meta["arch"], meta["num_actions"], meta["config"])
    except UserError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    expected = net.state_dict()
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise CheckpointError(f"{path}: tensors do not match architecture {meta['arch']!r} "
                              f"(missing {missing[:3]}, unexpected {extra[:3]})")
    for name, tensor in tensors.items():
        if tensor.shape != expected[name].shape or tensor.dtype != expected[name].dtype:
            raise CheckpointError(f"{path}: tensor {name!r} is {tuple(tensor.shape)} {tensor.dtype}, the "
                                  f"architecture needs {tuple(expected[name].shape)} {expected[name].dtype}")
    net.load_state_dict(tensors, strict=True)
    net.eval()
    return net, meta


def _read(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors and metadata of ``path``, with every file-level check."""
    data = read_user_bytes(path, lambda reason: CheckpointError(f"{path}: {reason}"),
                           missing="no such checkpoint file")
    header = _header(path, data)
    raw = header.get("__metadata__", {}).get(METADATA_KEY)
    if raw is None:
        raise CheckpointError(f"{path}: a safetensors file but not a Mindcrawl policy checkpoint "
                              "(no 'mindcrawl' metadata)")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError:
        raise CheckpointError(f"{path}: checkpoint metadata is not valid JSON") from None
    _check_metadata(path, meta)
    try:
        tensors = load_tensors(data)
    except Exception as exc:  # safetensors raises its own error type for damaged data
        raise CheckpointError(f"{path}: damaged tensor data ({' '.join(str(exc).split())})") from None
    if _digest(tensors) != meta["sha256"]:
        raise CheckpointError(f"{path}: tensor bytes do not match the recorded SHA-256 (file corrupted)")
    return tensors, meta


def _header(path: Path, data: bytes) -> dict[str, Any]:
    """The safetensors JSON header, checking that the file holds everything it declares."""
    if len(data) < 8:
        raise CheckpointError(f"{path}: not a safetensors file (too short: {len(data)} bytes)")
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8:
        if data[8:9] == b"{":
            raise CheckpointError(f"{path}: truncated (header declares {size} bytes, file has {len(data) - 8})")
        raise CheckpointError(f"{path}: not a safetensors file")
    try:
        header = json.loads(data[8:8 + size])
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CheckpointError(f"{path}: not a safetensors file (header is not JSON)") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: not a safetensors file (header is not a table)")
    end = max((v["data_offsets"][1] for k, v in header.items()
               if k != "__metadata__" and isinstance(v, dict) and "data_offsets" in v), default=0)
    if 8 + size + end > len(data):
        raise CheckpointError(f"{path}: truncated (tensor data needs {end} bytes, file has "
                              f"{len(data) - 8 - size})")
    return header


def _check_metadata(path: Path, meta: Any) -> None:
    """Refuse metadata of another format, version, spec or action table."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path}: not a Mindcrawl policy checkpoint (format "
                              f"{meta.get('format') if isinstance(meta, dict) else None!r})")
    for key in ("format_version", "arch", "config", "obs_version", "actions_version", "num_actions", "sha256"):
        if key not in meta:
            raise CheckpointError(f"{path}: checkpoint metadata lacks {key!r}")
    if meta["format_version"] != FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format version {meta['format_version']}, this "
                              f"Mindcrawl reads version {FORMAT_VERSION}")
    if meta["obs_version"] != OBS_VERSION:
        raise CheckpointError(f"{path}: trained for observation spec version {meta['obs_version']}, the "
                              f"game now produces version {OBS_VERSION}: retrain the policy")
    if meta["actions_version"] != ACTIONS_VERSION:
        raise CheckpointError(f"{path}: trained for action table version {meta['actions_version']}, the "
                              f"game now uses version {ACTIONS_VERSION}: retrain the policy")
    if meta["arch"] not in ARCHITECTURES:
        raise CheckpointError(f"{path}: unknown architecture {meta['arch']!r} "
                              f"(known: {', '.join(ARCHITECTURES)})")
    spec = meta.get("spec")
    if spec is not None and spec != json.loads(json.dumps(spec_dict(meta["num_actions"]))):
        raise CheckpointError(f"{path}: observation spec details differ from the game's "
                              "(same version number, different fields or scales)")
