"""Game saves: round trip, refusal of bad files, and a crash in the middle of a save."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from game.ui.recording import Recording, new_sim, state_checksum
from game.ui.saved_game import GameSaveError, load_game, peek_state, save_game
from levels.generate import generate

ROOT = Path(__file__).resolve().parents[1]


def started(seed: int = 2, turns: int = 3):
    """A sim on an arena level after ``turns`` waits, with its recording."""
    level = generate("arena", seed)
    sim = new_sim(level, seed)
    sim.reset()
    rec = Recording.start(sim, level, "hero_0", "test")
    for _ in range(turns):
        actions = np.zeros(sim.num_agents, np.int64)
        sim.step(actions.reshape(1, -1))
        rec.append(actions, sim)
    return sim, rec


def test_round_trip(tmp_path: Path) -> None:
    sim, rec = started()
    path = tmp_path / "game.mcsave"
    save_game(path, sim, {"facing": {"0": 3}, "run_id": "abc"}, rec)
    loaded = load_game(path)
    assert state_checksum(loaded.sim) == state_checksum(sim)
    assert loaded.state["facing"] == {"0": 3}
    assert loaded.recording.actions == rec.actions and loaded.recording.checksums == rec.checksums
    assert peek_state(path)["run_id"] == "abc"
    # Both continue identically.
    actions = np.zeros((1, sim.num_agents), np.int64)
    sim.step(actions)
    loaded.sim.step(actions)
    assert state_checksum(loaded.sim) == state_checksum(sim)


def test_bad_files_are_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(GameSaveError, match="no saved game"):
        load_game(tmp_path / "missing.mcsave")
    junk = tmp_path / "junk.mcsave"
    junk.write_bytes(b"not a zip")
    with pytest.raises(GameSaveError, match="not a Mindcrawl game save"):
        load_game(junk)
    sim, rec = started(turns=1)
    good = tmp_path / "good.mcsave"
    save_game(good, sim, {}, rec)
    truncated = tmp_path / "truncated.mcsave"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(GameSaveError):
        load_game(truncated)
    assert peek_state(truncated) == {}


CRASH = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    sys.path.insert(0, {root!r})
    from tests.test_ui_saves import started
    from game.ui.saved_game import save_game
    import levels.common.files

    sim, rec = started(turns=5)
    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)  # killed after writing the new bytes, before the rename
    levels.common.files.os.replace = die
    save_game({path!r}, sim, {{"run_id": "second"}}, rec)
""")


def test_killed_during_save_keeps_the_previous_save(tmp_path: Path) -> None:
    sim, rec = started(turns=2)
    path = tmp_path / "game.mcsave"
    save_game(path, sim, {"run_id": "first"}, rec)
    before = path.read_bytes()
    script = CRASH.format(root=str(ROOT), path=str(path))
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=300)
    assert result.returncode == -9, result.stderr.decode()[-2000:]
    assert path.read_bytes() == before
    loaded = load_game(path)
    assert loaded.state["run_id"] == "first" and loaded.recording.turns == 2
    assert state_checksum(loaded.sim) == state_checksum(sim)
