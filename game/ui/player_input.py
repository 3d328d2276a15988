"""The player's commands as game actions: moves, turns, shots and strikes, potions, doors, stairs.

:class:`PlayerInput` is mixed into :class:`game.ui.app.App`: it reads the app's
``session``, ``options`` and ``now``, keeps ``hazard_ok`` (a lava step asked about once)
and plays a turn through the app's ``take_turn``. Refusals go to the session log with
the reason, never as a wasted turn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from game.actions import (
    DIRECTIONS,
    INTERACT,
    MOVE_FIRST,
    SHOOT_FIRST,
    USE_POTION,
    WAIT,
)
from game.state import EQ_POTION, EQ_RANGED, FACTION, FLOOR, RULE_LAVA_DAMAGE, WAIT_LEFT, X, Y
from game.ui.controls import Command
from game.ui.session import Session, blocked_reason
from levels.tiles import Tile

if TYPE_CHECKING:
    from game.ui.app import GameOptions


class PlayerInput:
    """Turns a play command of :mod:`game.ui.controls` into the player's action for a turn.

    The app provides the attributes below and ``take_turn(action)`` / ``_say(line)``.
    """

    session: Session
    options: GameOptions
    now: float
    hazard_ok: tuple[int, int, int, int] | None

    def _play_command(self, command: Command) -> None:
        s = self.session
        facing = s.facing[s.player]
        if command in (Command.TURN_LEFT, Command.TURN_RIGHT):
            sign = 1 if command is Command.TURN_RIGHT else -1
            # 90-degree turns keep to the four grid directions (from a diagonal, the next one).
            step = 2 if self.options.turn_degrees == 90 and facing % 2 == 0 else 1
            s.facing[s.player] = (facing + sign * step) % 8
            s.tween.retarget(s.targets(), self.now)
            return
        if s.sim.world.ag[0, s.player, WAIT_LEFT] > 0:
            self._say("You wade through the water.")  # forced to wait: any action passes the turn
            self.take_turn(WAIT)
            return
        offsets = {Command.FORWARD: 0, Command.BACK: 4, Command.STRAFE_LEFT: -2, Command.STRAFE_RIGHT: 2}
        if command in offsets:
            self._player_move((facing + offsets[command]) % 8)
        elif command is Command.FIRE:
            self._player_fire(facing)
        elif command is Command.DRINK:
            self._player_act(USE_POTION, "You carry no potion.")
        elif command is Command.INTERACT:
            self._player_act(INTERACT, "Nothing to open, close or climb here.")
        elif command is Command.WAIT:
            self._player_act(WAIT, "")

    def _player_move(self, direction: int) -> None:
        s = self.session
        action = MOVE_FIRST + direction
        if s.legal(action):
            if not self._hazard_confirmed(direction):
                return
            self.take_turn(action)
            self._stairs_hint()
            return
        self._say(blocked_reason(s.sim, s.player, direction))

    def _hazard_confirmed(self, direction: int) -> bool:
        """Stepping into lava from a safe cell asks first: the same step again goes ahead."""
        s = self.session
        world = s.sim.world
        ag = world.ag[0, s.player]
        y, x = int(ag[Y] + DIRECTIONS[direction][0]), int(ag[X] + DIRECTIONS[direction][1])
        floor = int(ag[FLOOR])
        tiles = world.tiles[0, floor]
        if tiles[y, x] != Tile.LAVA or tiles[ag[Y], ag[X]] == Tile.LAVA or world.occ[0, floor, y, x] >= 0:
            return True
        target = (s.turn, floor, y, x)
        if self.hazard_ok == target:
            self.hazard_ok = None
            return True
        self.hazard_ok = target
        burn = int(s.sim.config.rules[RULE_LAVA_DAMAGE])
        self._say(f"Lava ahead: it burns {burn} HP each turn you end on it. The same step again walks in.")
        return False

    def _stairs_hint(self) -> None:
        """Tell a player who steps onto stairs how to use them."""
        s = self.session
        if s.finished or not s.alive(s.player):
            return
        ag = s.sim.world.ag[0, s.player]
        tile = s.sim.world.tiles[0, ag[FLOOR], ag[Y], ag[X]]
        if tile == Tile.STAIRS_DOWN:
            self._say("Stairs down: Space descends.")
        elif tile == Tile.STAIRS_UP:
            self._say("Stairs up: Space climbs.")

    def _player_fire(self, facing: int) -> None:
        """F: shoot (auto-aimed, facing first), else strike an adjacent enemy (also diagonal ones)."""
        s = self.session
        order = [facing] + [d for d in range(8) if d != facing]
        if s.sim.world.ag[0, s.player, EQ_RANGED] >= 0:
            for d in order:
                if s.legal(SHOOT_FIRST + d):
                    self._face_target(d)
                    self.take_turn(SHOOT_FIRST + d)
                    return
        world = s.sim.world
        me = world.ag[0, s.player]
        for d in order:
            y, x = int(me[Y] + DIRECTIONS[d][0]), int(me[X] + DIRECTIONS[d][1])
            other = int(world.occ[0, me[FLOOR], y, x]) if 0 <= y < world.occ.shape[2] and \
                0 <= x < world.occ.shape[3] else -1
            if other >= 0 and world.ag[0, other, FACTION] != me[FACTION] and s.legal(MOVE_FIRST + d):
                self._face_target(d)
                self.take_turn(MOVE_FIRST + d)
                return
        if s.sim.world.ag[0, s.player, EQ_RANGED] < 0:
            self._say("No enemy next to you, and you have no bow.")
        else:
            self._say("No enemy in a straight line within reach (2 or more cells away), nor next to you.")

    def _face_target(self, direction: int) -> None:
        """Turn towards an auto-aimed target; with 90-degree turns only to a grid direction."""
        if self.options.turn_degrees != 90 or direction % 2 == 0:
            self.session.facing[self.session.player] = direction

    def _player_act(self, action: int, refusal: str) -> None:
        s = self.session
        if action == USE_POTION and s.sim.world.ag[0, s.player, EQ_POTION] < 0:
            self._say(refusal)
        elif s.legal(action):
            self.take_turn(action)
        else:
            self._say(refusal)
