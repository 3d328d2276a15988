"""Recordings: every run records seed and actions and replays bit-identically."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

import pygame  # noqa: E402
import pytest  # noqa: E402

from game.ui import cli  # noqa: E402
from game.ui.app import SPEEDS, App, GameOptions  # noqa: E402
from game.ui.recording import Recording, RecordingError, replay, state_checksum  # noqa: E402
from levels.params import load_preset  # noqa: E402


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """A short spectated arena run, quit after some turns: its recording and final checksum."""
    data = tmp_path_factory.mktemp("data")
    app = App(GameOptions(load_preset("arena"), 4, spectate=True, data_dir=data, checkpoint="scripted"),
              surface=pygame.Surface((480, 300)))
    app.speed = len(SPEEDS) - 1  # the fastest speed
    app.run(frames=40, headless=True)
    assert app.session.turn > 5
    checksum = state_checksum(app.session.sim)
    outcome = app.session.outcome  # "" unless the episode ended within the recorded turns
    app.quit()
    (path,) = (data / "recordings").glob("*.json")
    return path, checksum, outcome


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers())
    return parser.parse_args(argv)


def test_replay_is_bit_identical(recorded: tuple[Path, int, str]) -> None:
    path, checksum, _ = recorded
    rec = Recording.load(path)
    assert rec.player is None and rec.turns == len(rec.checksums)
    *_, sim = replay(rec)
    assert state_checksum(sim) == checksum


def test_a_changed_action_is_detected(recorded: tuple[Path, int, str]) -> None:
    rec = Recording.load(recorded[0])
    rec.actions[0] = [(a + 1) % 9 for a in rec.actions[0]]
    with pytest.raises(RecordingError, match="diverged"):
        for _ in replay(rec):
            pass


def test_bad_recording_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(RecordingError, match="not a Mindcrawl recording"):
        Recording.load(bad)
    with pytest.raises(RecordingError, match="not found"):
        Recording.load(tmp_path / "missing.json")


def test_replay_command_gif_and_headless(recorded: tuple[Path, int, str], tmp_path: Path) -> None:
    path, _, _ = recorded
    gif = tmp_path / "run.gif"
    args = parse(["replay", str(path), "--gif", str(gif), "--size", "320x200"])
    assert args.run(args) == 0
    data = gif.read_bytes()
    assert data[:6] == b"GIF89a"
    from PIL import Image

    with Image.open(gif) as image:  # Pillow merges identical consecutive frames
        assert 1 < image.n_frames <= Recording.load(path).turns + 1
    shot = tmp_path / "replay.png"
    args = parse(["replay", str(path), "--headless", "--frames", "20", "--screenshot", str(shot)])
    assert args.run(args) == 0
    assert pygame.image.load(str(shot)).get_size() == (960, 600)


def test_replay_in_the_app_ends_and_starts_over(recorded: tuple[Path, int, str]) -> None:
    path, checksum, outcome = recorded
    rec = Recording.load(path)
    app = App(GameOptions(rec.level.params, rec.seed, replay=rec), surface=pygame.Surface((480, 300)))
    assert app.spectate and app.session.player == -1
    while not app.session.finished:
        app.take_turn()
    assert app.session.outcome == (outcome or "End of the recording.")
    assert state_checksum(app.session.sim) == checksum
    app.handle_key(pygame.K_RETURN)
    assert app.session.turn == 0 and app.session.replay_of is rec


def test_spectating_and_replays_show_the_goals(tmp_path: Path) -> None:
    app = App(GameOptions(load_preset("dungeon"), 5, spectate=True, data_dir=tmp_path, checkpoint="scripted"),
              surface=pygame.Surface((480, 300)))
    goals = app.session.sim.goals()
    opening = [line for line in app.session.log if line.startswith("Goals: ")]
    assert opening and f"hero {'escape' if goals['hero'] == 'escape' else 'find'}" in opening[0]
    badges = app.status_lines()
    assert badges[0].startswith("Goal: ") and badges[1] == "Turns left: 1000 of 1000"
    for _ in range(3):
        app.take_turn()
    assert app.status_lines()[1] == "Turns left: 997 of 1000"
    app.quit()
    (path,) = (tmp_path / "recordings").glob("*.json")
    rec = Recording.load(path)
    assert rec.level.goals == {k: v for k, v in goals.items()}
    replay_app = App(GameOptions(rec.level.params, rec.seed, replay=rec), surface=pygame.Surface((480, 300)))
    assert any(line.startswith("Goals: ") for line in replay_app.session.log)
    assert replay_app.status_lines()[0] == badges[0]
