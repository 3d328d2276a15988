"""Recordings of runs: the level, the seed and every agent's action of every turn.

A recording is one JSON document (written atomically)::

    {"format": "mindcrawl-recording", "version": 1, "obs_version": 1, "actions_version": 1,
     "level": {...levels.Level.to_dict()...}, "seed": 7, "max_turns": 1000,
     "num_actions": 19, "agents": ["hero_0", ...], "player": "hero_0" or null,
     "controller": "scripted NPC", "actions": [[a_0, a_1, ...], ...],
     "checksums": [crc32 of the state after each turn, ...]}

Every agent's action is stored (not only the player's), so a replay never depends on
the NPC policy or its random draws: rebuilding the simulator from the level and seed
and feeding the actions back reproduces every turn bit for bit, which the per-turn
checksums verify. :func:`write_gif` writes replay frames as an animated GIF with Pillow.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from game.actions import CORE_ACTIONS
from game.batch import BatchedSim
from game.file_format import check_format, format_header
from levels.common.errors import LevelFileError, UserError
from levels.common.files import atomic_write_bytes, atomic_write_text, parse_json, read_user_text
from levels.level import Level
from levels.limits import MAX_NUM_ACTIONS
from levels.validate import MAX_LEVEL_SEED

FORMAT_NAME = "mindcrawl-recording"
FORMAT_VERSION = 1
#: The schema's bound on ``rules.max_turns``: no recording holds more turns.
MAX_TURNS = 1_000_000
#: Recordings are JSON text of a few bytes per action: far below the general read limit.
MAX_RECORDING_BYTES = 64 * 2**20


class RecordingError(UserError, ValueError):
    """A recording that cannot be read or does not replay identically."""


def _count(value: Any, low: int, high: int, name: str, bad: Any) -> int:
    """``value`` if it is an integer in [low, high], else ``bad(reason)`` is raised."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad(f"{name}: expected an integer in [{low}, {high}], got {str(value)[:40]}")
    return value


def new_sim(level: Level, seed: int, max_turns: int | None = None,
            num_actions: int = CORE_ACTIONS) -> BatchedSim:
    """The one-world simulator every run (and its replay) uses: ``level`` and ``seed``."""
    return BatchedSim(level.params, 1, seed, levels=[level], pool_size=1, max_turns=max_turns,
                      num_actions=num_actions, threads=1)


def state_checksum(sim: BatchedSim) -> int:
    """CRC-32 of world 0's full state (RNG, counters, agents, items, tiles, memory)."""
    w = sim.world
    crc = 0
    for array in (w.rng, w.wi, w.ag, w.it, w.tiles, w.locks, w.memory):
        crc = zlib.crc32(np.ascontiguousarray(array[0]).tobytes(), crc)
    return crc


@dataclass
class Recording:
    """A run: how to rebuild its start, and the actions and checksums of every turn."""

    level: Level
    seed: int
    max_turns: int
    num_actions: int
    agents: tuple[str, ...]
    player: str | None = None
    controller: str = ""
    actions: list[list[int]] = field(default_factory=list)
    checksums: list[int] = field(default_factory=list)

    @classmethod
    def start(cls, sim: BatchedSim, level: Level, player: str | None, controller: str) -> Recording:
        """An empty recording of a run that starts now on ``sim`` (freshly reset)."""
        return cls(level, sim.seed, sim.max_turns, sim.num_actions, tuple(sim.agent_names),
                   player, controller)

    def append(self, actions: np.ndarray, sim: BatchedSim) -> None:
        """Record one turn: the ``[A]`` actions played and the state they led to."""
        self.actions.append([int(a) for a in np.asarray(actions).reshape(-1)])
        self.checksums.append(state_checksum(sim))

    @property
    def turns(self) -> int:
        """Turns recorded so far."""
        return len(self.actions)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (see the module docstring)."""
        return {**format_header(FORMAT_NAME, FORMAT_VERSION), "level": self.level.to_dict(), "seed": self.seed,
                "max_turns": self.max_turns, "num_actions": self.num_actions,
                "agents": list(self.agents), "player": self.player, "controller": self.controller,
                "actions": self.actions, "checksums": self.checksums}

    @classmethod
    def from_dict(cls, data: Any, source: str = "recording") -> Recording:
        """Rebuild a recording from :meth:`to_dict` data, checking its format."""
        check_format(data, FORMAT_NAME, FORMAT_VERSION, source, "recording", RecordingError)
        def bad(reason: str) -> RecordingError:
            return RecordingError(f"{source}: malformed recording ({reason})")

        for key in ("level", "seed", "max_turns", "num_actions", "agents", "actions", "checksums"):
            if key not in data:
                raise bad(f"missing field {key!r}")
        seed = _count(data["seed"], 0, MAX_LEVEL_SEED, "seed", bad)
        max_turns = _count(data["max_turns"], 1, MAX_TURNS, "max_turns", bad)
        num_actions = _count(data["num_actions"], CORE_ACTIONS, MAX_NUM_ACTIONS, "num_actions", bad)
        agents, actions, checksums = data["agents"], data["actions"], data["checksums"]
        if not isinstance(agents, list) or not all(isinstance(a, str) for a in agents):
            raise bad("agents: expected a list of names")
        if not isinstance(actions, list) or len(actions) > max_turns:
            raise bad(f"actions: expected a list of at most max_turns ({max_turns}) turns")
        if not isinstance(checksums, list) or len(checksums) != len(actions):
            raise bad(f"{len(actions)} turns but {len(checksums) if isinstance(checksums, list) else 'no'} checksums")
        for turn, row in enumerate(actions):
            if not isinstance(row, list) or len(row) != len(agents) or not all(
                    isinstance(a, int) and not isinstance(a, bool) and 0 <= a < num_actions for a in row):
                raise bad(f"actions[{turn}]: expected {len(agents)} integers in [0, {num_actions})")
        if not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < 2**32 for c in checksums):
            raise bad("checksums: expected CRC-32 values (integers in [0, 2^32))")
        player = data.get("player")
        if player is not None and not isinstance(player, str):
            raise bad("player: expected a name or null")
        try:
            level = Level.from_dict(data["level"])
        except LevelFileError as exc:
            raise bad(f"level: {exc}") from None
        return cls(level, seed, max_turns, num_actions, tuple(agents), player,
                   str(data.get("controller", ""))[:200], actions, checksums)

    def save(self, path: str | Path) -> None:
        """Write the recording as JSON, atomically."""
        atomic_write_text(path, json.dumps(self.to_dict(), separators=(",", ":")))

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        """Read a recording file; errors name the file and the reason."""
        def error(reason: str) -> RecordingError:
            return RecordingError(f"{path}: {reason}")

        return cls.from_dict(parse_json(read_user_text(path, error, limit=MAX_RECORDING_BYTES), error), str(path))


def replay_sim(rec: Recording) -> BatchedSim:
    """A simulator at the start of ``rec``'s run (reset, before the first turn)."""
    sim = new_sim(rec.level, rec.seed, rec.max_turns, rec.num_actions)
    if tuple(sim.agent_names) != rec.agents or sim.num_actions != rec.num_actions:
        raise RecordingError("the recording's agent slots or action table differ from this game's")
    sim.reset()
    return sim


def replay_step(sim: BatchedSim, rec: Recording, turn: int) -> None:
    """Play turn ``turn`` of ``rec`` on ``sim`` and check that it lands on the recorded state."""
    actions = np.asarray(rec.actions[turn], dtype=np.int64).reshape(1, -1)
    sim.step(actions)
    if state_checksum(sim) != rec.checksums[turn]:
        raise RecordingError(f"replay diverged from the recording at turn {turn + 1}")


def replay(rec: Recording) -> Iterator[BatchedSim]:
    """Yield the simulator at the start and after every turn of ``rec`` (checked)."""
    sim = replay_sim(rec)
    yield sim
    for turn in range(rec.turns):
        replay_step(sim, rec, turn)
        yield sim


def write_gif(frames: Iterable[Any], out: str | Path, frame_ms: int = 150) -> int:
    """Write pygame surfaces as an animated GIF (atomically); returns the frame count."""
    import pygame

    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        raise UserError("GIF export needs Pillow (pip install pillow)") from None
    images = [Image.frombytes("RGB", f.get_size(), pygame.image.tobytes(f, "RGB")) for f in frames]
    if not images:
        raise UserError("nothing to write: the recording has no frames")
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=frame_ms, loop=0)
    atomic_write_bytes(out, buffer.getvalue())
    return len(images)
