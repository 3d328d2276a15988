"""Game save files: the simulator's full state, the app's own state and the recording.

A game save is one zip archive written atomically (:func:`levels.common.files.atomic_write_bytes`:
temporary file, fsync, rename), so killing the game during a save leaves the previous
save intact. It holds three members:

- ``sim.npz``: the simulator's full-state save (:func:`game.snapshot.save_sim`, RNG
  included), so a loaded game continues bit-identically;
- ``state.json``: what the app adds (the player's facing, view, message log, the NPC
  controller's random state, ...), with the format name and version;
- ``recording.json``: the run's recording so far, so the finished run's recording
  covers the turns before the save too.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from game.batch import BatchedSim
from game.snapshot import load_sim, save_sim
from game.ui.recording import Recording, RecordingError
from levels.common.errors import UserError
from levels.common.files import MAX_FILE_BYTES, atomic_write_bytes, parse_json, read_user_bytes

FORMAT_NAME = "mindcrawl-game-save"
FORMAT_VERSION = 1
_MEMBERS = ("sim.npz", "state.json", "recording.json")


class GameSaveError(UserError, ValueError):
    """A game save that cannot be loaded (missing, truncated, foreign or incompatible)."""


@dataclass
class LoadedGame:
    """What :func:`load_game` returns."""

    sim: BatchedSim
    state: dict[str, Any]
    recording: Recording


def _sim_bytes(sim: BatchedSim) -> bytes:
    """The simulator's own save format, as bytes (it only writes to paths)."""
    with tempfile.TemporaryDirectory(prefix="mindcrawl-save-") as tmp:
        path = Path(tmp) / "sim.npz"
        save_sim(sim, path)
        return path.read_bytes()


def save_game(path: str | Path, sim: BatchedSim, state: dict[str, Any], recording: Recording) -> None:
    """Write a game save to ``path`` atomically (see the module docstring)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("sim.npz", _sim_bytes(sim))
        archive.writestr("state.json", json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION,
                                                   **state}))
        archive.writestr("recording.json", json.dumps(recording.to_dict(), separators=(",", ":")))
    atomic_write_bytes(path, buffer.getvalue())


def load_game(path: str | Path) -> LoadedGame:
    """Read a game save written by :func:`save_game`; errors name the file and the reason."""
    data = read_user_bytes(path, lambda reason: GameSaveError(f"{path}: {reason}"), missing="no saved game")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            missing = [m for m in _MEMBERS if m not in names]
            if missing:
                raise GameSaveError(f"{path}: not a Mindcrawl game save (no {missing[0]})")
            for name in _MEMBERS:
                if archive.getinfo(name).file_size > MAX_FILE_BYTES:
                    raise GameSaveError(f"{path}: member {name} claims {archive.getinfo(name).file_size} "
                                        f"bytes, more than the {MAX_FILE_BYTES} a save may hold")
            members = {name: archive.read(name) for name in _MEMBERS}
    # RuntimeError: encrypted members; NotImplementedError: unknown compression methods.
    except (zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError, zlib.error, ValueError) as exc:
        raise GameSaveError(f"{path}: not a Mindcrawl game save or damaged ({exc})") from None

    def corrupt(reason: str) -> GameSaveError:
        return GameSaveError(f"{path}: corrupt save ({reason})")

    state = parse_json(members["state.json"], corrupt)
    rec_data = parse_json(members["recording.json"], corrupt)
    if not isinstance(state, dict) or state.get("format") != FORMAT_NAME:
        raise GameSaveError(f"{path}: not a Mindcrawl game save")
    if state.get("version") != FORMAT_VERSION:
        raise GameSaveError(f"{path}: save version {state.get('version')!r} is not supported "
                            f"(this Mindcrawl reads {FORMAT_VERSION})")
    try:
        recording = Recording.from_dict(rec_data, str(path))
    except RecordingError as exc:
        raise GameSaveError(str(exc)) from None
    with tempfile.TemporaryDirectory(prefix="mindcrawl-load-") as tmp:
        sim_path = Path(tmp) / "sim.npz"
        sim_path.write_bytes(members["sim.npz"])
        try:
            sim = load_sim(sim_path, threads=1)
        except UserError as exc:
            raise GameSaveError(f"{path}: {str(exc).replace(str(sim_path) + ': ', '')}") from None
    return LoadedGame(sim, state, recording)


def peek_state(path: str | Path) -> dict[str, Any]:
    """The app state of a game save without rebuilding the simulator ({} if unreadable)."""
    try:
        with zipfile.ZipFile(path) as archive:
            state = json.loads(archive.read("state.json"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError,
            RuntimeError, NotImplementedError, zlib.error, ValueError, RecursionError):
        return {}
    return state if isinstance(state, dict) else {}
