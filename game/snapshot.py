"""Snapshots of a simulation: save and load the full state of a :class:`~game.batch.BatchedSim` (RNG included).

A save is one ``.npz`` file (written atomically, ``allow_pickle=False``): every
:class:`~game.state.World` array under its field name, plus ``meta``, a JSON document
stored as uint8 bytes with the format name and version, the observation and action
versions, the level parameters, the seed and options needed to rebuild the level pool,
and explicit levels when the simulator was given some. Loading rebuilds the simulator
from the metadata, checks every array's dtype and shape, and refuses foreign,
truncated or incompatible files with a one-line :class:`SaveFileError`.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from game.file_format import check_format, format_header
from game.navigate import grow_nav_items
from game.state import FOV_CELL, World, grow_items
from levels.common.errors import LevelFileError, ParamError, UserError
from levels.common.files import atomic_write_bytes, parse_json, read_user_bytes
from levels.level import Level
from levels.params import params_from_dict, params_to_dict

if TYPE_CHECKING:
    from game.batch import BatchedSim

FORMAT_NAME = "mindcrawl-save"
FORMAT_VERSION = 1
#: A save's arrays, unpacked, may take at most this much (far above any budgeted world).
MAX_UNPACKED_BYTES = 8 * 2**30


class SaveFileError(UserError, ValueError):
    """A save file that cannot be loaded (missing, truncated, foreign or incompatible)."""


def save_sim(sim: BatchedSim, path: str | Path) -> None:
    """Write ``sim``'s full state to ``path`` atomically."""
    meta = {
        **format_header(FORMAT_NAME, FORMAT_VERSION), "params": params_to_dict(sim.params),
        "seed": sim.seed, "num_worlds": sim.num_worlds, "pool_size": sim.pool_size,
        "max_turns": sim.max_turns, "num_actions": sim.num_actions,
        "nav_actions": list(sim.nav_actions.factions) if sim.nav_actions is not None else None,
        "agents": list(sim.agent_names),
        "levels": [lv.to_dict() for lv in sim.fixed_levels] if sim.fixed_levels else None,
    }
    arrays = {name: getattr(sim.world, name) for name in World._fields}
    if sim.navigation is not None:  # the navigator's memory: a resumed game navigates the same
        arrays.update({NAV_PREFIX + k: v for k, v in sim.navigation.state._asdict().items()})
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def _read(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    data = read_user_bytes(path, lambda reason: SaveFileError(f"{path}: {reason}"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise SaveFileError(f"{path}: arrays claim {unpacked} bytes unpacked, more than the "
                                f"{MAX_UNPACKED_BYTES} a save may hold")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    # RuntimeError: encrypted members; NotImplementedError: unknown compression methods.
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, RuntimeError,
            NotImplementedError, zlib.error) as exc:
        raise SaveFileError(f"{path}: not a Mindcrawl save or truncated ({exc})") from None
    if "meta" not in arrays:
        raise SaveFileError(f"{path}: not a Mindcrawl save (no metadata)")
    meta = parse_json(arrays.pop("meta").tobytes(),
                      lambda reason: SaveFileError(f"{path}: corrupt metadata ({reason})"))
    check_format(meta, FORMAT_NAME, FORMAT_VERSION, str(path), "save", SaveFileError)
    return meta, arrays


NAV_PREFIX = "nav_"
#: Navigator arrays a save may lack (added later; their defaults are right for old saves).
_NAV_OPTIONAL = frozenset({"plan"})


def _load_navigation(sim: BatchedSim, arrays: dict[str, np.ndarray], path: str | Path) -> None:
    """Restore the navigator's state saved with the world (a save without it starts afresh)."""
    nav = sim.navigation
    assert nav is not None
    state = grow_nav_items(nav.state, sim.world.it.shape[1])
    restored = {}
    for name, want in state._asdict().items():
        got = arrays.get(NAV_PREFIX + name)
        if got is None and name in _NAV_OPTIONAL:
            got = want  # saved before the array existed: its default
        if got is None or got.dtype != want.dtype or got.shape != want.shape:
            shown = "missing" if got is None else f"{got.dtype}{list(got.shape)}"
            raise SaveFileError(f"{path}: navigator array {name!r} is {shown}, "
                                f"expected {want.dtype}{list(want.shape)}")
        restored[name] = np.ascontiguousarray(got)
    nav.state = type(state)(**restored)


def load_sim(path: str | Path, threads: int | None = None) -> BatchedSim:
    """Rebuild the simulator saved at ``path``; stepping it continues bit-identically."""
    from game.batch import BatchedSim

    meta, arrays = _read(path)
    try:
        params = params_from_dict(meta["params"])
        levels = [Level.from_dict(d) for d in meta["levels"]] if meta["levels"] else None
        sim = BatchedSim(params, meta["num_worlds"], meta["seed"], pool_size=meta["pool_size"],
                         levels=levels, max_turns=meta["max_turns"],
                         num_actions=meta["num_actions"], threads=threads,
                         nav_actions=meta.get("nav_actions") or False)
    except (KeyError, TypeError, ParamError, LevelFileError) as exc:
        raise SaveFileError(f"{path}: bad metadata ({exc})") from None
    if list(sim.agent_names) != meta.get("agents"):
        raise SaveFileError(f"{path}: agent slots differ from the saved ones")
    items = arrays.get("it")
    if items is None or items.ndim != 3:
        raise SaveFileError(f"{path}: missing or malformed item array")
    world = sim.world._replace(it=grow_items(sim.world.it, items.shape[1]))
    loaded = {}
    stale_view = False
    for name in World._fields:
        want = getattr(world, name)
        got = arrays.get(name)
        if name == "fov" and got is not None and got.shape != want.shape:
            got = np.zeros_like(want)  # a cache in an older layout: dropped and rebuilt
            stale_view = True
        if got is None:
            raise SaveFileError(f"{path}: missing array {name!r}")
        if got.dtype != want.dtype or got.shape != want.shape:
            raise SaveFileError(f"{path}: array {name!r} has {got.dtype}{list(got.shape)}, "
                                f"expected {want.dtype}{list(want.shape)}")
        loaded[name] = np.ascontiguousarray(got)
    if stale_view:
        loaded["ag"][:, :, FOV_CELL] = -1  # the next observation recomputes every view
    sim.world = World(**loaded)
    if sim.pool.item_capacity < items.shape[1]:
        sim.pool.grow(items.shape[1])
    if sim.navigation is not None and NAV_PREFIX + "conf" in arrays:
        _load_navigation(sim, arrays, path)
    sim.refresh_observations()
    return sim
