"""What one frame shows: the contract between the game app and the renderers.

The app (``game/ui/app.py``) builds a :class:`ViewState` from the simulation each frame
(with animated, fractional camera and sprite positions); the renderers
(``game/ui/render/``) draw it and know nothing of the simulation. Keeping this plain
data makes renderers testable on hand-made states and the app testable without
looking at pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np


class ViewMode(Enum):
    """The three views of the same world (toggled with a key)."""

    FIRST_PERSON = "first-person"
    TOP_DOWN = "top-down"
    ISOMETRIC = "isometric"


@dataclass(frozen=True)
class Sprite:
    """Something drawn on the map or as a billboard: an agent or an item.

    ``y`` and ``x`` are cell coordinates (cell centres at integers); fractional values
    appear while an agent moves between cells.
    """

    y: float
    x: float
    kind: str  # "agent", "melee", "ranged", "potion", "key"
    faction: str = ""  # agents: their faction name
    is_player: bool = False
    hp_frac: float = 1.0  # agents: HP / max HP, for a health bar
    label: str = ""  # e.g. the NPC's chosen action and weight version, shown in spectate mode
    colour: tuple[int, int, int] = (255, 255, 255)
    flash: float = 0.0  # agents: 1.0 just hit, fading to 0 (drawn as a red tint)
    slot: int = -1  # agents: the simulator slot (examine and hit effects refer to it)


@dataclass(frozen=True)
class Effect:
    """A short-lived mark of a hit: a damage number over a cell, and for the viewer a direction marker.

    ``age`` runs from 0 (just happened) to 1 (gone); ``angle`` (radians, 0 = east) points
    from the viewer towards the attacker when the viewer was hit, else is None.
    """

    y: float
    x: float
    text: str  # e.g. "-4"
    age: float
    on_viewer: bool = False
    angle: float | None = None


@dataclass(frozen=True)
class Hud:
    """Numbers and text around the view."""

    hp: int = 0
    max_hp: int = 0
    atk: int = 0
    defense: int = 0
    dex: int = 0
    melee: str = ""  # e.g. "long sword 3-6"
    ranged: str = ""  # e.g. "bow 0-3, reach 3"
    potion: str = ""  # e.g. "health potion +5"
    keys: int = 0
    buff: str = ""  # e.g. "+2 ATK +3 DEF, 2 turns"
    floor: int = 0
    floors: int = 1
    turn: int = 0
    messages: tuple[str, ...] = ()  # newest last
    title: str = ""  # e.g. "spectating monsters_0" or "paused"
    atk_bonus: int = 0  # the active buff's part of ``atk`` (``atk`` includes it)
    def_bonus: int = 0  # the active buff's part of ``defense`` (``defense`` includes it)
    #: Short status lines under the stats, e.g. "NPCs updated: v17, win rate 0.62" or a goal
    #: with the turns left: each is drawn as a badge; the app decides what goes here.
    status: tuple[str, ...] = ()
    scrollback: str = ""  # "" when the log shows the newest messages, else where the reader is


@dataclass(frozen=True)
class ViewState:
    """Everything a renderer needs for one frame of one floor.

    Attributes:
        tiles: ``(H, W)`` uint8 tile codes (:class:`levels.tiles.Tile`) of the floor as
            the viewer knows it (remembered tiles where not visible now).
        explored: ``(H, W)`` bool, cells ever seen (unexplored cells are drawn dark).
        visible: ``(H, W)`` bool, cells in the field of view now.
        camera_y, camera_x: the eye position in cell coordinates (cell centres at
            integers), fractional while animating a move.
        facing: view direction in radians; 0 looks east (+x), pi/2 south (+y).
        sprites: agents and items to draw (only those the viewer may see).
        hud: the side panel's contents.
        paths: planned paths to draw on the minimap, as lists of (y, x) cells.
        effects: damage numbers and hit markers of recent turns.
        big_map: whether the automap is drawn large over the view.
    """

    tiles: np.ndarray
    explored: np.ndarray
    visible: np.ndarray
    camera_y: float
    camera_x: float
    facing: float
    sprites: tuple[Sprite, ...] = ()
    hud: Hud = field(default_factory=Hud)
    paths: tuple[tuple[tuple[int, int], ...], ...] = ()
    effects: tuple[Effect, ...] = ()  # damage numbers and hit markers
    big_map: bool = False  # draw the automap large over the view (M)
