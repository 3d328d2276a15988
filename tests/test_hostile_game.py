"""Issue 17 in the game: a failed save or load is a line in the log, and play goes on.

The app runs headless on a real level; saves fail for real (the save slot is a
directory) or with the error a full or read-only disk returns, injected at the write
layer (see tests/test_hostile_files.py for why).
"""

from __future__ import annotations

import errno
import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from pathlib import Path  # noqa: E402

import pygame  # noqa: E402
import pytest  # noqa: E402

import levels.common.files  # noqa: E402
from game.ui.app import App, GameOptions  # noqa: E402
from game.ui.saved_game import GameSaveError, load_game  # noqa: E402
from levels.params import load_preset  # noqa: E402
from tests.test_hostile_cli import S_CASES, _save_files  # noqa: E402


def make_app(data_dir: Path, **options: object) -> App:
    """A headless app on the arena preset with the scripted NPC."""
    return App(GameOptions(load_preset("arena"), 3, checkpoint="scripted", data_dir=data_dir, **options),
               surface=pygame.Surface((640, 400)))


def log_text(app: App) -> str:
    """Every line of the app's message log."""
    return "\n".join(str(line) for line in app.session.log)


@pytest.fixture(scope="module")
def saves(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile save files of the CLI table."""
    d = tmp_path_factory.mktemp("saves")
    _save_files(d)
    return d


@pytest.mark.parametrize("case", sorted(S_CASES))
def test_hostile_save_files_are_refused_in_one_line(case: str, saves: Path) -> None:
    with pytest.raises(GameSaveError, match=S_CASES[case]) as info:
        load_game(saves / f"s/{case}/save.mcsave")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("case", ["encrypted", "state_nested"])
def test_continue_with_a_hostile_save_logs_it_and_starts_a_new_run(case: str, saves: Path) -> None:
    app = make_app(saves / f"s/{case}", load=True)
    assert "not a Mindcrawl game save" in log_text(app) or "corrupt save" in log_text(app)
    app.take_turn()
    assert app.running and app.session.turn == 1


FAULTS = {"disk_full": errno.ENOSPC, "read_only": errno.EROFS}


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_a_failed_save_is_a_log_line_and_the_previous_save_is_kept(case: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path)
    app.take_turn()
    assert app.save()
    before = app.save_path.read_bytes()
    app.take_turn()
    code = FAULTS[case]

    def fail(*args: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(levels.common.files.os, "fsync", fail)
    assert not app.save()
    assert f"Could not save: {os.strerror(code)}; the previous save is kept." in log_text(app)
    app.take_turn()  # play goes on
    assert app.running and app.session.turn == 3
    # Quitting cannot save either: the game stays, and says so; a second quit leaves.
    app.quit()
    assert app.running and "quit again" in log_text(app)
    monkeypatch.undo()
    assert app.save_path.read_bytes() == before
    assert load_game(app.save_path).recording.turns == 1


def test_a_save_slot_that_is_a_directory(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.save_path.mkdir(parents=True)
    app.take_turn()
    assert not app.save()
    assert "Could not save: it is a directory; the previous save is kept." in log_text(app)
    app.take_turn()
    assert app.running and app.session.turn == 2
