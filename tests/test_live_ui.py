"""The F5 live-retraining panel in the headless game: start, versions on NPCs, game turns
used for training, who learns, snapshots and revert, a learner crash and its restart,
forwarding the designer panel's parameter changes, and quitting cleanly."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import signal  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import pygame  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from game.ui.app import App, GameOptions  # noqa: E402
from game.ui.controls import Context  # noqa: E402
from levels.params import load_params  # noqa: E402

TIMEOUT = 180.0


def run_until(app: App, done: Callable[[], bool], what: str) -> None:
    """Advance the game (turns keep coming; a finished run restarts) until ``done()``."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        app.update(1 / 15)
        if app.session.finished:
            app.new_run(app.session.level, app.session.level.seed + 1)
        if done():
            return
        time.sleep(0.005)
    client = app.live.client
    pytest.fail(f"timed out waiting for {what} ({client.state if client else 'no learner'}: "
                f"{client.notes[-3:] if client else ''})")


def test_live_panel_end_to_end(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    app = App(GameOptions(load_params("arena"), seed=0, spectate=True, data_dir=tmp_path, size=(640, 400)),
              surface=pygame.Surface((640, 400)))
    try:
        app.live.learner_options = {"num_worlds": 16, "rollout_steps": 8}  # small updates: a fast test
        app.handle_key(pygame.K_F5)
        assert app.context() is Context.LIVE and app.live_panel is not None
        assert any("not started" in line for line in app.live_panel.lines())
        app.handle_key(pygame.K_RETURN)  # start
        client = app.live.client
        assert client is not None and client.learners == ("monsters",)
        run_until(app, lambda: client.version >= 1, "the first published version")
        controller = app.live.controller
        run_until(app, lambda: controller.version >= 1 and controller.version_of(1) == controller.version,
                  "a turn on the live weights")
        # Every NPC shows the version that drives it: the learning monster the live one, the
        # (spectated) hero, which does not learn, the version it started with.
        assert app.live.tag(1) == f"v{controller.version}" and app.live.tag(0) == "v0"
        view = app.session.view(app.now, False, "", (), {s: app.live.tag(s) for s in range(2)})
        assert view is not None
        app.draw()  # the panel with its curve draws without error
        assert any(line.startswith("Weight version:") for line in app.live_panel.lines())

        # The live game's turns are streamed and used once a full rollout of them is in.
        run_until(app, lambda: any(p.live_samples > 0 for p in client.curve), "an update with game samples")

        app.handle_key(pygame.K_l)  # all NPCs -> the monsters faction -> none
        app.handle_key(pygame.K_l)
        assert client.learners == ()
        run_until(app, lambda: client.status is not None and client.status.state == "idle", "idle")
        app.handle_key(pygame.K_l)
        assert client.learners == ("monsters",)

        app.handle_key(pygame.K_k)  # snapshot
        run_until(app, lambda: len(app.live.snapshots()) >= 2, "the snapshot")
        app.handle_key(pygame.K_SPACE)  # pause, so that the revert is the last thing that happens
        run_until(app, lambda: client.status.state == "paused", "the pause")
        assert app.live_panel.selected == 0  # the first snapshot: the weights the game started with
        old = client.version
        app.handle_key(pygame.K_r)
        run_until(app, lambda: client.status.message.startswith("reverted"), "the revert")
        assert "reverted to snapshot 0" in client.status.message and client.version > old
        app.handle_key(pygame.K_SPACE)

        # A crash: the game plays on with the weights it has and shows the error; Enter restarts.
        run_until(app, lambda: client.status.state == "running", "training again")
        os.kill(client.pid, signal.SIGKILL)
        run_until(app, lambda: client.state == "crashed", "the crash")
        assert any(line.startswith("Learner error") for line in app.live_panel.lines())
        # A version published just before the kill is still good and may be swapped in on
        # the next turn; after that, nothing changes while the learner is down.
        start = app.now
        run_until(app, lambda: app.now > start + 1, "a second of play")
        kept = controller.version
        start = app.now
        run_until(app, lambda: app.now > start + 2, "two seconds of play")  # about eight turns
        assert controller.version == kept and controller.version_of(1) == kept
        app.handle_key(pygame.K_RETURN)
        run_until(app, lambda: client.state == "running" and controller.version > kept, "the restarted learner")

        app.handle_key(pygame.K_ESCAPE)  # close the live panel; the designer panel forwards edits
        assert app.live_panel is None
        app.handle_key(pygame.K_TAB)
        generation = client.generation
        spec = next(f for f in app.panel.fields if f.path == ("rules", "max_turns"))
        app.panel.set_value(spec, 50)
        assert client.generation == generation + 1 and app.live.params.rules.max_turns == 50
        run_until(app, lambda: any(p.generation == client.generation for p in client.curve),
                  "an update on the designer's parameters")
        app.handle_key(pygame.K_TAB)

        process = client.process
        app.quit()
        assert not process.is_alive() and app.live.client is None
    finally:
        app.close()
