"""Builders of hostile files for the tests of issue 17 (docs/reliability.md).

Each builder starts from a real, valid file written by the project's own code (a
generated level, a recorded run, a saved checkpoint, a game save) and breaks one
thing, the way a hand edit, a damaged disk or an attacker would.
"""

from __future__ import annotations

import copy
import json
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from game.ui.recording import Recording, new_sim
from levels.generate import generate
from npc import checkpoint
from npc.checkpoint import build_policy, save_checkpoint

#: A tiny transformer: quick to build and save.
TINY = {"d": 16, "heads": 2, "layers": 1, "patch_grid": 0}


def level_dict(preset: str = "dungeon", seed: int = 2) -> dict[str, Any]:
    """A generated level as JSON data."""
    return generate(preset, seed).to_dict()


def first_cell(data: dict[str, Any], char: str, floor: int = 0) -> tuple[int, int]:
    """(y, x) of the first ``char`` tile on ``floor``."""
    for y, row in enumerate(data["floors"][floor]):
        if char in row:
            return y, row.index(char)
    raise LookupError(char)


def set_tile(data: dict[str, Any], floor: int, y: int, x: int, char: str) -> None:
    """Overwrite one tile character."""
    row = data["floors"][floor][y]
    data["floors"][floor][y] = row[:x] + char + row[x + 1:]


def recording_dict(seed: int = 2, turns: int = 3) -> dict[str, Any]:
    """A short recorded arena run as JSON data."""
    level = generate("arena", seed)
    sim = new_sim(level, seed)
    sim.reset()
    rec = Recording.start(sim, level, "hero_0", "test")
    for _ in range(turns):
        actions = np.zeros(sim.num_agents, np.int64)
        sim.step(actions.reshape(1, -1))
        rec.append(actions, sim)
    return rec.to_dict()


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` (``allow_nan``: hostile files may hold NaN) and return ``path``."""
    path.write_text(json.dumps(data))
    return path


def good_checkpoint(path: Path, training: dict[str, Any] | None = None) -> Path:
    """A valid checkpoint of the tiny transformer."""
    torch.manual_seed(0)
    save_checkpoint(path, build_policy("transformer", 19, TINY), training or {"params": "arena"})
    return path


def split(data: bytes) -> tuple[dict[str, Any], bytes]:
    """A safetensors file's header and tensor bytes."""
    (size,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + size]), data[8 + size:]


def join(header: dict[str, Any], body: bytes) -> bytes:
    """A safetensors file from a header and tensor bytes."""
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


def with_header(source: Path, target: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """``source`` with its safetensors header changed by ``change``."""
    header, body = split(source.read_bytes())
    change(header)
    target.write_bytes(join(header, body))
    return target


def with_meta(source: Path, target: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """``source`` with its Mindcrawl metadata document changed by ``change``."""
    def edit(header: dict[str, Any]) -> None:
        meta = json.loads(header["__metadata__"]["mindcrawl"])
        change(meta)
        header["__metadata__"]["mindcrawl"] = json.dumps(meta)

    return with_header(source, target, edit)


def with_tensor_values(source: Path, target: Path, value: float) -> Path:
    """``source`` with every value of one weight set to ``value``, digest recomputed (a diverged run)."""
    header, _ = split(source.read_bytes())
    meta = json.loads(header["__metadata__"]["mindcrawl"])
    tensors = load_tensors(source.read_bytes())
    name = sorted(k for k, v in tensors.items() if v.is_floating_point())[0]
    tensors[name] = torch.full_like(tensors[name], value)
    meta["sha256"] = checkpoint._digest(tensors)
    target.write_bytes(save_tensors(tensors, metadata={"mindcrawl": json.dumps(meta)}))
    return target


def encrypted_flag(source: Path, target: Path) -> Path:
    """A zip with the 'encrypted' flag set on every member (local and central headers)."""
    data = bytearray(source.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + offset] |= 0x01
            start += 4
    target.write_bytes(bytes(data))
    return target


def zip_of(target: Path, members: dict[str, bytes]) -> Path:
    """A zip archive holding ``members``."""
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return target


def nested_json(depth: int) -> str:
    """A JSON document of ``depth`` nested lists."""
    return "[" * depth + "]" * depth


def nested_toml(depth: int) -> str:
    """A TOML document with an array nested ``depth`` deep."""
    return "a = " + "[" * depth + "]" * depth + "\n"


def deep_copy(data: Any) -> Any:
    """A deep copy (the builders mutate their input)."""
    return copy.deepcopy(data)
