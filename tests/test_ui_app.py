"""Headless end-to-end tests of the game app, driven by scripted key presses.

A hand-built two-floor level keeps every turn predictable: the hero picks up a weapon,
a weak monster walks up and is killed, the hero takes the stairs; then the designer
panel, saves and loads. Keys go through ``App.handle_key`` (what real key events
call) and frames are drawn without text for pixel checks.
"""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from game.handmade import item, make_level, scenario_params, spawn  # noqa: E402
from game.state import ALIVE, EQ_MELEE, FLOOR, HP, X, Y  # noqa: E402
from game.ui.animation import TURN_SECONDS  # noqa: E402
from game.ui.app import App, GameOptions  # noqa: E402
from game.ui.recording import Recording, replay, state_checksum  # noqa: E402
from game.ui.view_state import ViewMode  # noqa: E402
from levels.params import LevelParams, load_params, load_preset  # noqa: E402

SIZE = (640, 400)

FLOOR0 = ["##########",
          "#@!.....>#",
          "#........#",
          "#.......m#",
          "##########"]
# The floor-1 monster is walled in, so it never blocks the stairs and the run goes on.
FLOOR1 = ["##########",
          "#m#.....<#",
          "###......#",
          "#........#",
          "##########"]


def padded(rows: list[str], height: int = 11, width: int = 12) -> list[str]:
    """``rows`` walled up to a size whose parameters pass the schema's checks (saves check them)."""
    rows = [row.ljust(width, "#") for row in rows]
    return rows + ["#" * width] * (height - len(rows))


def scenario_level():
    """Hero at (1, 1) facing east, a sword at (1, 2), a 2-HP monster, stairs at (1, 8)."""
    floors = [padded([row.replace("@", ".").replace("m", ".").replace("!", ".") for row in f])
              for f in (FLOOR0, FLOOR1)]
    return make_level(floors,
                      agents=[spawn("hero", 1, 1), spawn("monsters", 3, 8, hp=2, atk=0, defense=0),
                              spawn("monsters", 1, 1, floor=1, hp=5, atk=0, defense=0)],
                      items=[(0, 1, 2, item("melee", damage_min=2, damage_max=3))], max_turns=200)


def make_app(tmp_path: Path, **options) -> App:
    """An off-screen app on the scenario level, drawing frames without text."""
    level = scenario_level()
    options.setdefault("checkpoint", "scripted")  # the tests pin the scripted NPC's moves
    options.setdefault("turn_degrees", 45)  # face() reaches diagonals too
    app = App(GameOptions(level.params, 0, level=level, data_dir=tmp_path, **options),
              surface=pygame.Surface(SIZE))
    app.text = False
    return app


def frame(app: App) -> np.ndarray:
    """The current frame (animations settled) as an (H, W, 3) array."""
    app.update(TURN_SECONDS)
    surface = pygame.Surface(SIZE)
    app.draw(surface)
    return pygame.surfarray.array3d(surface).transpose(1, 0, 2).astype(int)


def hero(app: App) -> np.ndarray:
    return app.session.sim.world.ag[0, app.session.player]


def face(app: App, direction: int) -> None:
    """Turn the hero with Q/E until it faces ``direction`` (a DIRECTIONS index)."""
    for _ in range(8):
        if app.session.facing[app.session.player] == direction:
            return
        app.handle_key(pygame.K_e)
    raise AssertionError("could not turn")


def test_short_run_move_pickup_fight_stairs(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    s = app.session
    assert s.player == 0 and s.facing[0] == 2  # east, the first open direction
    start = frame(app)

    app.handle_key(pygame.K_w)  # move onto the sword
    assert tuple(hero(app)[[Y, X]]) == (1, 2)
    assert hero(app)[EQ_MELEE] >= 0
    assert any("pick up" in line for line in s.log)
    moved = frame(app)
    # A step along a corridor shifts the floor pattern by one whole tile, so only part of
    # the frame changes: the sword is gone from the floor, the minimap moved.
    assert np.mean(np.any(np.abs(moved - start) > 8, axis=2)) > 0.01

    # Wait for the monster to come next to the hero, then turn towards it and strike.
    monster = 1
    for _ in range(10):
        m = s.sim.world.ag[0, monster]
        dy, dx = int(m[Y] - hero(app)[Y]), int(m[X] - hero(app)[X])
        if max(abs(dy), abs(dx)) == 1:
            break
        app.handle_key(pygame.K_z)
    from game.actions import DIRECTIONS

    direction = [tuple(d) for d in DIRECTIONS.tolist()].index((dy, dx))
    face(app, direction)
    turn = s.turn
    app.handle_key(pygame.K_w)  # melee by moving into the enemy
    assert s.turn == turn + 1
    assert not s.sim.world.ag[0, monster, ALIVE]
    assert any("dies" in line for line in s.log)
    assert tuple(hero(app)[[Y, X]]) == (1, 2)  # attacking does not move

    # Walk east to the stairs and take them.
    face(app, 2)
    for _ in range(6):
        app.handle_key(pygame.K_w)
    assert tuple(hero(app)[[FLOOR, Y, X]]) == (0, 1, 8)
    app.handle_key(pygame.K_SPACE)
    assert hero(app)[FLOOR] == 1
    assert any("floor 2" in line for line in s.log)
    view = s.view(app.now, False, "")
    assert view.hud.floor == 1 and view.hud.hp == hero(app)[HP]
    assert not s.finished


def test_blocked_moves_and_free_turns_cost_no_turn(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    s = app.session
    face(app, 0)  # north: a wall
    assert s.turn == 0
    app.handle_key(pygame.K_w)
    assert s.turn == 0 and s.log[-1] == "A wall blocks the way."
    app.handle_key(pygame.K_r)  # no potion
    app.handle_key(pygame.K_f)  # no bow
    assert s.turn == 0
    app.handle_key(pygame.K_PERIOD)  # wait
    assert s.turn == 1


def test_frames_are_deterministic_and_views_differ(tmp_path: Path) -> None:
    runs = []
    for k in range(2):
        app = make_app(tmp_path / str(k))
        app.run(frames=30, headless=True, script=[pygame.K_w, pygame.K_z])
        runs.append((frame(app), state_checksum(app.session.sim)))
    assert np.array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    frames = {}
    for mode in ViewMode:
        app.mode = mode
        frames[mode] = frame(app)
    first, top = frames[ViewMode.FIRST_PERSON], frames[ViewMode.TOP_DOWN]
    assert np.mean(np.any(np.abs(first - top) > 8, axis=2)) > 0.1
    app.mode = ViewMode.FIRST_PERSON
    app.handle_key(pygame.K_v)
    assert app.mode is ViewMode.TOP_DOWN
    app.handle_key(pygame.K_v)
    app.handle_key(pygame.K_v)
    assert app.mode is ViewMode.FIRST_PERSON


def test_animation_glides_between_cells(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.handle_key(pygame.K_w)
    app.update(TURN_SECONDS / 2)
    mid = app.session.view(app.now, False, "")
    assert 1.0 < mid.camera_x < 2.0  # halfway from x=1 to x=2
    app.update(TURN_SECONDS)
    end = app.session.view(app.now, False, "")
    assert end.camera_x == pytest.approx(2.0)


def test_save_load_continues_identically(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.handle_key(pygame.K_w)
    app.handle_key(pygame.K_F6)
    assert (tmp_path / "save.mcsave").exists()
    keys = [pygame.K_z, pygame.K_z, pygame.K_d]
    for key in keys:
        app.handle_key(key)
    after = (app.session.turn, state_checksum(app.session.sim))
    app.handle_key(pygame.K_F9)
    assert app.session.turn == 1 and tuple(hero(app)[[Y, X]]) == (1, 2)
    for key in keys:
        app.handle_key(key)
    assert (app.session.turn, state_checksum(app.session.sim)) == after
    # The recording of the loaded run covers the turns before the save too and replays exactly.
    app.handle_key(pygame.K_ESCAPE)
    app.handle_key(pygame.K_y)  # confirm
    recordings = sorted((tmp_path / "recordings").glob("*.json"), key=lambda p: p.stat().st_mtime)
    *_, sim = replay(Recording.load(recordings[-1]))
    assert state_checksum(sim) == after[1]


def test_quit_saves_and_continue_loads(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.handle_key(pygame.K_w)
    app.handle_key(pygame.K_ESCAPE)
    assert app.running and app.confirm_quit  # Esc asks first
    app.handle_key(pygame.K_y)
    assert not app.running
    assert list((tmp_path / "recordings").glob("*.json"))
    again = make_app(tmp_path, load=True)
    assert again.session.turn == 1 and tuple(hero(again)[[Y, X]]) == (1, 2)


def test_help_overlay_lists_the_keys_and_closes(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    plain = frame(app)
    app.handle_key(pygame.K_F1)
    assert app.help_open
    app.handle_key(pygame.K_w)  # ignored while the help is open
    assert app.session.turn == 0
    shown = frame(app)
    assert np.mean(np.any(np.abs(shown - plain) > 8, axis=2)) > 0.2  # dimmed with a box
    app.handle_key(pygame.K_F1)
    assert not app.help_open


def test_death_ends_the_run_and_deletes_its_save(tmp_path: Path) -> None:
    # Parameters with spawn groups, so that Enter can generate a new run afterwards.
    params = dataclasses.replace(scenario_params((1, 11, 12)), spawns=LevelParams().spawns)
    level = make_level(padded(["########", "#......#"]), params=params,
                       agents=[spawn("hero", 1, 1, hp=1, defense=0), spawn("monsters", 1, 3, atk=10)])
    app = App(GameOptions(level.params, 0, level=level, data_dir=tmp_path, checkpoint="scripted"),
              surface=pygame.Surface(SIZE))
    app.text = False
    app.handle_key(pygame.K_F6)
    for _ in range(5):
        if app.session.finished:
            break
        app.handle_key(pygame.K_z)
    assert app.session.outcome == "You died."
    assert not (tmp_path / "save.mcsave").exists()
    assert app.session.summary()[0] == "You died."
    frame(app)  # the summary screen draws
    app.handle_key(pygame.K_RETURN)  # a new run
    assert not app.session.finished and app.session.turn == 0


def test_panel_edit_validate_regenerate_save_and_play(tmp_path: Path) -> None:
    params = load_preset("arena")
    app = App(GameOptions(params, 1, data_dir=tmp_path, checkpoint="scripted"), surface=pygame.Surface(SIZE))
    app.text = False
    app.handle_key(pygame.K_TAB)
    panel = app.panel
    assert panel is not None and panel.level is not None
    names = [f.name for f in panel.fields]
    assert "floors.width" in names and "generation.generator.caves" in names
    assert any(n.startswith("spawns[") for n in names) and any(n.startswith("loot.kinds.") for n in names)

    panel.index = names.index("floors.width")
    width = panel.value(panel.selected)
    app.handle_key(pygame.K_RIGHT)
    app.handle_key(pygame.K_RIGHT)
    assert panel.value(panel.selected) == width + 2 and panel.stale and panel.error is None

    # Typing a bad value shows the schema's message next to the field.
    app.handle_key(pygame.K_RETURN)
    assert panel.editing
    for _ in range(5):
        app.handle_key(pygame.K_BACKSPACE)
    for char in "999":
        app.handle_key(pygame.key.key_code(char), text=char)
    app.handle_key(pygame.K_RETURN)
    assert panel.error is not None and "maximum" in panel.error_for(panel.selected)
    app.handle_key(pygame.K_DELETE)  # back to the opening value
    assert panel.error is None and panel.value(panel.selected) == width

    seed = panel.seed
    app.handle_key(pygame.K_n)
    assert panel.seed == seed + 1 and not panel.stale
    first = panel.level
    app.handle_key(pygame.K_r)
    assert panel.level == first  # same seed, same level
    shown = frame(app)
    assert shown.std() > 5  # a preview thumbnail is drawn

    app.handle_key(pygame.K_s)  # asks for the file name, starting from the default
    assert panel.editing_path
    for _ in range(len(panel.buffer)):
        app.handle_key(pygame.K_BACKSPACE)
    target = str(tmp_path / "edited.toml")
    for char in target:
        app.handle_key(0, text=char)
    app.handle_key(pygame.K_RETURN)
    assert panel.save_to == Path(target) and not panel.editing
    saved = load_params(panel.save_to)
    assert saved.floors.width == width

    app.handle_key(pygame.K_p)
    assert app.panel is None
    assert app.session.level == first and app.session.turn == 0


def test_spectate_pause_speed_follow_and_labels(tmp_path: Path) -> None:
    app = App(GameOptions(load_preset("arena"), 2, spectate=True, data_dir=tmp_path, checkpoint="scripted"),
              surface=pygame.Surface(SIZE))
    app.text = False
    s = app.session
    assert s.player == -1
    app.run(frames=60, headless=True)  # 4 turns per second: 4 turns in one second
    assert s.turn == 4
    view = s.view(app.now, False, "")
    assert any(sprite.label for sprite in view.sprites if sprite.kind == "agent")
    app.handle_key(pygame.K_SPACE)  # pause
    app.run(frames=60, headless=True)
    assert s.turn == 4 and "paused" in app.title()
    app.handle_key(pygame.K_PERIOD)  # one turn while paused
    assert s.turn == 5
    app.handle_key(pygame.K_SPACE)
    app.handle_key(pygame.K_UP)  # faster: 8 turns per second
    app.run(frames=60, headless=True)
    assert s.turn in (12, 13)
    viewer = s.viewer
    app.handle_key(pygame.K_n)
    assert s.viewer != viewer or not s.alive(viewer)
    app.handle_key(pygame.K_o)
    omniscient = s.view(app.now, app.omniscient, "")
    assert omniscient.explored.all()
    assert not any(line.startswith("You ") for line in s.log)  # watched agents are named
    # A controller that plans routes shows them to spectators.
    app.controller.planned_paths = lambda floor: {1: [(1, 1), (1, 2)]}
    assert app.planned_paths() == (((1, 1), (1, 2)),)
    frame(app)


def test_view_shows_only_what_the_hero_knows(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    view = app.session.view(app.now, False, "")
    assert view.visible[1, 1] and view.explored[1, 1]
    assert not view.visible[3, 8] and not view.explored[1, 9]  # beyond the hero's sight
    assert [sp.kind for sp in view.sprites] == ["melee", "agent"]  # the sword and the hero
    assert view.sprites[1].is_player and view.hud.hp == 20 and view.hud.floor == 0


def test_play_command_headless_screenshot(tmp_path: Path) -> None:
    import argparse

    from game.ui import cli

    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers())
    shot = tmp_path / "shot.png"
    args = parser.parse_args(["play", "--preset", "arena", "--seed", "1", "--headless", "--frames", "30",
                              "--keys", "w,e,w", "--screenshot", str(shot), "--data-dir", str(tmp_path)])
    assert args.run(args) == 0
    image = pygame.surfarray.array3d(pygame.image.load(str(shot)))
    assert image.shape[:2] == (960, 600) and image.std() > 10


def test_npcs_from_a_policy_checkpoint(tmp_path: Path) -> None:
    from npc.checkpoint import build_policy, save_checkpoint

    checkpoint = tmp_path / "policy.safetensors"
    save_checkpoint(checkpoint, build_policy("transformer", 19))  # untrained, but a real checkpoint
    app = App(GameOptions(load_preset("arena"), 1, checkpoint=checkpoint, spectate=True, data_dir=tmp_path),
              surface=pygame.Surface(SIZE))
    assert "transformer policy" in app.session.log[0]
    for _ in range(3):
        app.take_turn()
    assert app.session.turn == 3 and app.session.labels
    state = app.controller.get_state()
    app.controller.set_state(state)
    assert app.controller.get_state() == state


def test_the_shipped_checkpoint_drives_npcs_by_default_and_scripted_is_a_choice() -> None:
    from npc.checkpoint import SHIPPED_CHECKPOINT
    from npc.controllers import load_controller
    from npc.policy import PolicyNet
    from npc.scripted import ScriptedNPC

    assert SHIPPED_CHECKPOINT.exists()
    controller, note = load_controller(None)
    assert isinstance(controller.policy, PolicyNet) and "default.safetensors" in note
    controller, note = load_controller("scripted")
    assert isinstance(controller.policy, ScriptedNPC) and controller.net is None and note == "NPCs: scripted"

