"""The key table, its help text, and the animation helpers."""

from __future__ import annotations

import math

import pygame
import pytest

from game.ui.animation import Pose, Tween, ease, lerp_angle
from game.ui.controls import BINDINGS, Command, Context, check_bindings, command_for, help_lines


def test_no_key_does_two_things_in_one_context() -> None:
    assert check_bindings() == []


def test_every_play_action_has_a_key_and_a_help_line() -> None:
    wanted = {Command.FORWARD, Command.BACK, Command.STRAFE_LEFT, Command.STRAFE_RIGHT, Command.TURN_LEFT,
              Command.TURN_RIGHT, Command.FIRE, Command.DRINK, Command.INTERACT, Command.WAIT,
              Command.TOGGLE_VIEW, Command.HELP, Command.PANEL, Command.SAVE, Command.LOAD, Command.QUIT}
    bound = {b.command for b in BINDINGS if Context.PLAY in b.contexts}
    assert wanted <= bound
    rows = help_lines(Context.PLAY)
    # One row per command (a command with two bindings, like F6 and Ctrl+S, shares a row).
    assert len(rows) == len({(b.command, b.description) for b in BINDINGS if Context.PLAY in b.contexts})
    assert ("W / Up / Keypad 8", rows[0][1]) == rows[0]
    assert all(keys and text for keys, text in rows)


def test_lookup_depends_on_the_context() -> None:
    assert command_for(pygame.K_w, Context.PLAY) is Command.FORWARD
    assert command_for(pygame.K_SPACE, Context.PLAY) is Command.INTERACT
    assert command_for(pygame.K_SPACE, Context.SPECTATE) is Command.PAUSE
    assert command_for(pygame.K_RIGHT, Context.PANEL) is Command.INCREASE
    assert command_for(pygame.K_w, Context.PANEL) is None


def test_easing_and_angles() -> None:
    assert ease(0) == 0 and ease(1) == 1 and ease(0.5) == pytest.approx(0.5)
    # From just below 2*pi to just above 0 the short way (through 2*pi), not backwards.
    mid = lerp_angle(2 * math.pi - 0.1, 0.1, 0.5) % (2 * math.pi)
    assert mid == pytest.approx(0.0, abs=1e-9) or mid == pytest.approx(2 * math.pi)


def test_tween_retargets_from_where_things_are() -> None:
    tween = Tween(duration=1.0)
    tween.snap({"a": Pose(0.0, 0.0)}, 0.0)
    tween.retarget({"a": Pose(0.0, 2.0)}, 0.0)
    assert tween.busy(0.5)
    halfway = tween.sample("a", 0.5)
    assert halfway is not None and halfway.x == pytest.approx(1.0)
    tween.retarget({"a": Pose(0.0, 0.0)}, 0.5)  # reverse mid-flight: no jump
    assert tween.sample("a", 0.5).x == pytest.approx(1.0)
    assert tween.sample("a", 1.5).x == pytest.approx(0.0)
    assert not tween.busy(1.5)
    assert tween.sample("b", 0.0) is None


def test_f5_is_live_retraining_and_saving_moved_to_f6_and_ctrl_s() -> None:
    for context in (Context.PLAY, Context.SPECTATE, Context.SUMMARY, Context.LIVE):
        assert command_for(pygame.K_F5, context) is Command.LIVE_PANEL
    assert command_for(pygame.K_F5, Context.PANEL) is None  # the designer panel keeps its keys
    assert command_for(pygame.K_F6, Context.PLAY) is Command.SAVE
    assert command_for(pygame.K_s, Context.PLAY, ctrl=True) is Command.SAVE
    assert command_for(pygame.K_s, Context.PLAY) is Command.BACK
    assert command_for(pygame.K_F9, Context.PLAY) is Command.LOAD
    rows = dict(help_lines(Context.PLAY))
    assert rows["F6 / Ctrl+S"] == "save the game" and "live retraining" in rows["F5"]


def test_live_panel_keys_are_listed_in_its_help() -> None:
    wanted = {Command.LIVE_START, Command.LIVE_PAUSE, Command.LIVE_LEARNERS, Command.LIVE_SNAPSHOT,
              Command.LIVE_REVERT, Command.LIVE_SAVE, Command.LIVE_PANEL, Command.QUIT, Command.HELP}
    assert wanted <= {b.command for b in BINDINGS if Context.LIVE in b.contexts}
    assert command_for(pygame.K_r, Context.LIVE) is Command.LIVE_REVERT
    assert command_for(pygame.K_w, Context.LIVE) is None  # no game keys leak into the panel
    assert len(help_lines(Context.LIVE)) == len({(b.command, b.description) for b in BINDINGS
                                                 if Context.LIVE in b.contexts})
