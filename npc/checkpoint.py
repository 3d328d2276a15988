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
import inspect
import json
import os
import struct
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from game.actions import ACTIONS_VERSION
from game.spec import OBS_VERSION, PATCH, PATCH_RADIUS, spec_dict
from levels.common.errors import UserError
from levels.common.files import atomic_write_bytes, parse_json, read_user_bytes
from levels.limits import MAX_NUM_ACTIONS
from npc.baseline import IdBaseline
from npc.dense import DenseEmbedding
from npc.nav_transformer import NavTransformer
from npc.policy import PolicyNet
from npc.transformer import EntityTransformer

FORMAT_NAME = "mindcrawl-policy"
FORMAT_VERSION = 1
METADATA_KEY = "mindcrawl"

#: Architecture name -> network class (the names checkpoints and ``--policy`` use).
#: The shipped NPC: the checkpoint the game, spectate, the live learner and the study start from.
SHIPPED_CHECKPOINT = Path(__file__).resolve().parent / "checkpoints" / "default.safetensors"

ARCHITECTURES: dict[str, type[PolicyNet]] = {
    cls.arch: cls for cls in (EntityTransformer, DenseEmbedding, IdBaseline, NavTransformer)
}


class CheckpointError(UserError, ValueError):
    """A checkpoint that cannot be loaded; the message names the file and the reason."""


class NonFiniteWeightsError(UserError, ValueError):
    """Weights with NaN or infinite values (a diverged update), refused on write and on read."""


#: Inclusive bounds of every integer policy option (sizes that decide memory and time).
OPTION_BOUNDS: dict[str, tuple[int, int]] = {
    "d": (4, 1024), "layers": (1, 16), "heads": (1, 64), "mlp_ratio": (1, 16), "patch_grid": (0, PATCH),
    "cell_dim": (1, 256), "local": (0, PATCH_RADIUS), "embed": (1, 1024), "conv1": (1, 1024),
    "conv2": (1, 1024), "hidden": (1, 8192), "item_ids": (1, 4096), "held_embed": (1, 256),
}


def policy_options_problem(arch: str, options: dict[str, Any]) -> str | None:
    """Why ``options`` cannot build a policy of ``arch`` (names the option), or None.

    Checked before any tensor is allocated: unknown names, wrong types, integers
    outside :data:`OPTION_BOUNDS`, and ``d`` not a multiple of ``heads``.
    """
    if arch not in ARCHITECTURES:
        return f"unknown policy architecture {arch!r} (choose from {', '.join(ARCHITECTURES)})"
    cls = ARCHITECTURES[arch]
    signature = inspect.signature(cls.__init__ if cls is not NavTransformer else EntityTransformer.__init__)
    defaults = {name: p.default for name, p in signature.parameters.items()
                if name not in ("self", "num_actions") and p.kind is p.POSITIONAL_OR_KEYWORD}
    for name, value in options.items():
        if name not in defaults:
            return f"{name}: not an option of policy {arch!r} (options: {', '.join(defaults)})"
        default = defaults[name]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                return f"{name}: expected true or false, got {value!r}"
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                return f"{name}: expected an integer, got {value!r}"
            low, high = OPTION_BOUNDS.get(name, (0, 4096))
            if not low <= value <= high:
                return f"{name}: {value} is outside [{low}, {high}]"
    merged = {**{k: v for k, v in defaults.items() if v is not inspect.Parameter.empty}, **options}
    if "d" in merged and "heads" in merged and merged["d"] % merged["heads"]:
        return f"d: {merged['d']} is not a multiple of heads ({merged['heads']})"
    return None


def build_policy(arch: str, num_actions: int, config: dict[str, Any] | None = None) -> PolicyNet:
    """A fresh network of architecture ``arch`` (see :data:`ARCHITECTURES`)."""
    if arch not in ARCHITECTURES:
        raise UserError(f"unknown policy architecture {arch!r} (choose from {', '.join(ARCHITECTURES)})")
    if not isinstance(config or {}, dict):
        raise UserError(f"policy options must be a table, got {type(config).__name__}")
    if isinstance(num_actions, bool) or not isinstance(num_actions, int) or not 1 <= num_actions <= MAX_NUM_ACTIONS:
        raise UserError(f"num_actions must be an integer in [1, {MAX_NUM_ACTIONS}], got {num_actions!r}")
    options = {k: v for k, v in (config or {}).items() if k != "num_actions"}
    problem = policy_options_problem(arch, options)
    if problem:
        raise UserError(f"bad options for policy {arch!r}: {problem}")
    try:
        return ARCHITECTURES[arch](num_actions, **options)
    except (TypeError, ValueError) as exc:
        raise UserError(f"bad options for policy {arch!r}: {exc}") from None


def non_finite_tensor(tensors: dict[str, torch.Tensor]) -> str | None:
    """The name of the first floating-point tensor holding NaN or infinity, or None."""
    for name in sorted(tensors):
        tensor = tensors[name]
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            return name
    return None


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
    bad = non_finite_tensor(tensors)
    if bad is not None:  # never replace a good checkpoint with a diverged network
        raise NonFiniteWeightsError(f"{path}: not written: tensor {bad!r} holds NaN or infinite values")
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
    bad = non_finite_tensor(tensors)
    if bad is not None:
        raise CheckpointError(f"{path}: tensor {bad!r} holds NaN or infinite values (a diverged run?)")
    net.load_state_dict(tensors, strict=True)
    net.eval()
    return net, meta


def _read(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors and metadata of ``path``, with every file-level check."""
    data = read_user_bytes(path, lambda reason: CheckpointError(f"{path}: {reason}"),
                           missing="no such checkpoint file")
    header = _header(path, data)
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{path}: not a safetensors file (__metadata__ is not a table)")
    raw = metadata.get(METADATA_KEY)
    if raw is None:
        raise CheckpointError(f"{path}: a safetensors file but not a Mindcrawl policy checkpoint "
                              "(no 'mindcrawl' metadata)")
    if not isinstance(raw, str):
        raise CheckpointError(f"{path}: checkpoint metadata is not a string")
    meta = parse_json(raw, lambda reason: CheckpointError(f"{path}: checkpoint metadata: {reason}"))
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
    # Not safetensors.safe_open(...).metadata(): it refuses the same hostile headers, but its
    # messages ("invalid type: null, expected a tuple of size 2 at line 1 column 4520") do
    # not name the field (data_offsets, shape, __metadata__) or the tensor, which ours do.
    if len(data) < 8:
        raise CheckpointError(f"{path}: not a safetensors file (too short: {len(data)} bytes)")
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8:
        if data[8:9] == b"{":
            raise CheckpointError(f"{path}: truncated (header declares {size} bytes, file has {len(data) - 8})")
        raise CheckpointError(f"{path}: not a safetensors file")
    header = parse_json(data[8:8 + size],
                        lambda reason: CheckpointError(f"{path}: not a safetensors file (header: {reason})"))
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: not a safetensors file (header is not a table)")
    end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_count(v) for v in offsets)
                and offsets[0] <= offsets[1] and isinstance(shape, list) and all(_is_count(v) for v in shape)
                and isinstance(entry.get("dtype"), str)):
            raise CheckpointError(f"{path}: not a safetensors file (tensor {str(name)[:40]!r}: malformed "
                                  "dtype, shape or data_offsets)")
        end = max(end, offsets[1])
    if 8 + size + end > len(data):
        raise CheckpointError(f"{path}: truncated (tensor data needs {end} bytes, file has "
                              f"{len(data) - 8 - size})")
    return header


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**48


def _check_metadata(path: Path, meta: Any) -> None:
    """Refuse metadata of another format, version, spec or action table."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path}: not a Mindcrawl policy checkpoint (format "
                              f"{meta.get('format') if isinstance(meta, dict) else None!r})")
    for key in ("format_version", "arch", "config", "obs_version", "actions_version", "num_actions", "sha256"):
        if key not in meta:
            raise CheckpointError(f"{path}: checkpoint metadata lacks {key!r}")
    if isinstance(meta["num_actions"], bool) or not isinstance(meta["num_actions"], int) \
            or not 1 <= meta["num_actions"] <= MAX_NUM_ACTIONS:
        raise CheckpointError(f"{path}: num_actions {meta['num_actions']!r} is not an integer in "
                              f"[1, {MAX_NUM_ACTIONS}]")
    if not isinstance(meta["config"], dict) or not isinstance(meta["sha256"], str):
        raise CheckpointError(f"{path}: checkpoint metadata has a malformed config or sha256")
    if not isinstance(meta.get("training", {}), dict):
        raise CheckpointError(f"{path}: checkpoint metadata 'training' is not a table")
    if meta["format_version"] != FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format version {meta['format_version']}, this "
                              f"Mindcrawl reads version {FORMAT_VERSION}")
    if meta["obs_version"] != OBS_VERSION:
        raise CheckpointError(f"{path}: trained for observation spec version {meta['obs_version']}, the "
                              f"game now produces version {OBS_VERSION}: retrain the policy")
    if meta["actions_version"] != ACTIONS_VERSION:
        raise CheckpointError(f"{path}: trained for action table version {meta['actions_version']}, the "
                              f"game now uses version {ACTIONS_VERSION}: retrain the policy")
    if not isinstance(meta["arch"], str) or meta["arch"] not in ARCHITECTURES:
        raise CheckpointError(f"{path}: unknown architecture {meta['arch']!r} "
                              f"(known: {', '.join(ARCHITECTURES)})")
    spec = meta.get("spec")
    if spec is not None and spec != json.loads(json.dumps(spec_dict(meta["num_actions"]))):
        raise CheckpointError(f"{path}: observation spec details differ from the game's "
                              "(same version number, different fields or scales)")
