"""The key bindings: one table that input handling and the F1 help overlay both read.

Every binding names a :class:`Command`, the keys that trigger it, the contexts it
applies in and a one-line description. The app looks keys up with
:func:`command_for`; the help overlay lists :func:`help_lines` for the current
context, so the help can never disagree with the game.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pygame


class Context(Enum):
    """Where a key press goes."""

    PLAY = "play"  # the player's turn
    SPECTATE = "spectate"  # watching NPCs (and replays)
    PANEL = "panel"  # the designer panel
    LIVE = "live"  # the live-retraining panel (F5)
    SUMMARY = "summary"  # the end-of-run screen


class Command(Enum):
    """Everything a key can ask for."""

    FORWARD = "forward"
    BACK = "back"
    STRAFE_LEFT = "strafe_left"
    STRAFE_RIGHT = "strafe_right"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    FIRE = "fire"
    DRINK = "drink"
    INTERACT = "interact"
    WAIT = "wait"
    TOGGLE_VIEW = "toggle_view"
    HELP = "help"
    PANEL = "panel"
    SAVE = "save"
    LOAD = "load"
    QUIT = "quit"
    PAUSE = "pause"
    STEP = "step"
    FASTER = "faster"
    SLOWER = "slower"
    NEXT_AGENT = "next_agent"
    PREV_AGENT = "prev_agent"
    OMNISCIENT = "omniscient"
    NEW_RUN = "new_run"
    EXAMINE = "examine"
    LOG_OLDER = "log_older"
    LOG_NEWER = "log_newer"
    BIG_MAP = "big_map"
    # Designer panel
    FIELD_UP = "field_up"
    FIELD_DOWN = "field_down"
    SECTION_UP = "section_up"
    SECTION_DOWN = "section_down"
    DECREASE = "decrease"
    INCREASE = "increase"
    EDIT = "edit"
    RESET_FIELD = "reset_field"
    REGENERATE = "regenerate"
    NEW_SEED = "new_seed"
    PREVIEW_FLOOR = "preview_floor"
    SAVE_PARAMS = "save_params"
    PLAY_LEVEL = "play_level"
    # Live-retraining panel
    LIVE_PANEL = "live_panel"
    LIVE_START = "live_start"
    LIVE_PAUSE = "live_pause"
    LIVE_LEARNERS = "live_learners"
    LIVE_SNAPSHOT = "live_snapshot"
    LIVE_UP = "live_up"
    LIVE_DOWN = "live_down"
    LIVE_REVERT = "live_revert"
    LIVE_SAVE = "live_save"


_GAME = (Context.PLAY, Context.SPECTATE)
_ALL = tuple(Context)


@dataclass(frozen=True)
class Binding:
    """Keys that trigger ``command`` in ``contexts``, with the help text."""

    command: Command
    keys: tuple[int, ...]
    contexts: tuple[Context, ...]
    description: str
    ctrl: bool = False  # the Ctrl modifier must be held


BINDINGS: tuple[Binding, ...] = (
    Binding(Command.FORWARD, (pygame.K_w, pygame.K_UP, pygame.K_KP8), (Context.PLAY,),
            "step forward (into an enemy: melee attack)"),
    Binding(Command.BACK, (pygame.K_s, pygame.K_DOWN, pygame.K_KP2), (Context.PLAY,), "step back"),
    Binding(Command.STRAFE_LEFT, (pygame.K_a, pygame.K_KP4), (Context.PLAY,), "strafe left"),
    Binding(Command.STRAFE_RIGHT, (pygame.K_d, pygame.K_KP6), (Context.PLAY,), "strafe right"),
    Binding(Command.TURN_LEFT, (pygame.K_q, pygame.K_LEFT, pygame.K_KP7), (Context.PLAY,),
            "turn left 90 degrees, free (45 with --turn 45)"),
    Binding(Command.TURN_RIGHT, (pygame.K_e, pygame.K_RIGHT, pygame.K_KP9), (Context.PLAY,),
            "turn right 90 degrees, free (45 with --turn 45)"),
    Binding(Command.FIRE, (pygame.K_f,), (Context.PLAY,),
            "attack: fire the bow ahead (else at the first enemy in line), or strike an adjacent enemy"),
    Binding(Command.DRINK, (pygame.K_r,), (Context.PLAY,), "drink the carried potion"),
    Binding(Command.INTERACT, (pygame.K_SPACE, pygame.K_RETURN), (Context.PLAY,),
            "open/close/unlock an adjacent door, or take the stairs you stand on"),
    Binding(Command.WAIT, (pygame.K_PERIOD, pygame.K_z, pygame.K_KP5), (Context.PLAY,), "wait a turn"),
    Binding(Command.PAUSE, (pygame.K_SPACE, pygame.K_p), (Context.SPECTATE,), "pause / resume"),
    Binding(Command.STEP, (pygame.K_PERIOD,), (Context.SPECTATE,), "one turn while paused"),
    Binding(Command.FASTER, (pygame.K_EQUALS, pygame.K_PLUS, pygame.K_KP_PLUS, pygame.K_UP),
            (Context.SPECTATE,), "faster"),
    Binding(Command.SLOWER, (pygame.K_MINUS, pygame.K_KP_MINUS, pygame.K_DOWN), (Context.SPECTATE,),
            "slower"),
    Binding(Command.NEXT_AGENT, (pygame.K_RIGHT, pygame.K_n), (Context.SPECTATE,),
            "camera: follow the next agent"),
    Binding(Command.PREV_AGENT, (pygame.K_LEFT, pygame.K_b), (Context.SPECTATE,),
            "camera: follow the previous agent"),
    Binding(Command.OMNISCIENT, (pygame.K_o,), (Context.SPECTATE,),
            "show the whole floor / only what the followed agent knows"),
    Binding(Command.EXAMINE, (pygame.K_x, pygame.K_l), _GAME,
            "look: describe what you see, nearest first (again: the next one)"),
    Binding(Command.BIG_MAP, (pygame.K_m,), _GAME, "large automap (open / close)"),
    Binding(Command.LOG_OLDER, (pygame.K_PAGEUP,), _GAME, "messages: scroll back"),
    Binding(Command.LOG_NEWER, (pygame.K_PAGEDOWN,), _GAME, "messages: scroll forward"),
    Binding(Command.TOGGLE_VIEW, (pygame.K_v,), _GAME, "switch view: first-person, top-down, isometric"),
    Binding(Command.PANEL, (pygame.K_TAB,), _GAME + (Context.PANEL,), "designer panel (open / close)"),
    Binding(Command.LIVE_PANEL, (pygame.K_F5,), _GAME + (Context.SUMMARY, Context.LIVE),
            "live retraining panel (open / close)"),
    Binding(Command.SAVE, (pygame.K_F6,), (Context.PLAY,), "save the game"),
    Binding(Command.SAVE, (pygame.K_s,), (Context.PLAY,), "save the game", ctrl=True),
    Binding(Command.LOAD, (pygame.K_F9,), _GAME + (Context.SUMMARY,), "load the saved game"),
    Binding(Command.NEW_RUN, (pygame.K_RETURN, pygame.K_SPACE), (Context.SUMMARY,),
            "start a new run (a new seed; a replay starts over)"),
    Binding(Command.HELP, (pygame.K_F1, pygame.K_h), _ALL, "show / hide this help"),
    Binding(Command.QUIT, (pygame.K_ESCAPE,), _GAME + (Context.SUMMARY,),
            "quit, after a Y to confirm (a game in progress is saved first)"),
    # The designer panel (keys while typing a value go to the value instead).
    Binding(Command.FIELD_UP, (pygame.K_UP,), (Context.PANEL,), "previous field"),
    Binding(Command.FIELD_DOWN, (pygame.K_DOWN,), (Context.PANEL,), "next field"),
    Binding(Command.SECTION_UP, (pygame.K_PAGEUP,), (Context.PANEL,), "previous section"),
    Binding(Command.SECTION_DOWN, (pygame.K_PAGEDOWN,), (Context.PANEL,), "next section"),
    Binding(Command.DECREASE, (pygame.K_LEFT, pygame.K_MINUS, pygame.K_KP_MINUS), (Context.PANEL,),
            "decrease the value (slider) or previous choice"),
    Binding(Command.INCREASE, (pygame.K_RIGHT, pygame.K_EQUALS, pygame.K_PLUS, pygame.K_KP_PLUS),
            (Context.PANEL,), "increase the value (slider) or next choice"),
    Binding(Command.EDIT, (pygame.K_RETURN, pygame.K_KP_ENTER), (Context.PANEL,),
            "type a value (Enter accepts, Esc cancels)"),
    Binding(Command.RESET_FIELD, (pygame.K_DELETE, pygame.K_BACKSPACE), (Context.PANEL,),
            "reset the field to the value the panel opened with"),
    Binding(Command.REGENERATE, (pygame.K_r,), (Context.PANEL,), "regenerate the preview (same seed)"),
    Binding(Command.NEW_SEED, (pygame.K_n,), (Context.PANEL,), "regenerate the preview with a new seed"),
    Binding(Command.PREVIEW_FLOOR, (pygame.K_f,), (Context.PANEL,), "preview the next floor"),
    Binding(Command.SAVE_PARAMS, (pygame.K_s,), (Context.PANEL,),
            "save the parameters as TOML (type the file name, Enter saves)"),
    Binding(Command.PLAY_LEVEL, (pygame.K_p,), (Context.PANEL,), "play the previewed level (a new run)"),
    Binding(Command.QUIT, (pygame.K_ESCAPE,), (Context.PANEL,), "close the panel"),
    # Live retraining (F5): the game goes on underneath.
    Binding(Command.LIVE_START, (pygame.K_RETURN, pygame.K_KP_ENTER), (Context.LIVE,),
            "start the learner (restart it after a crash)"),
    Binding(Command.LIVE_PAUSE, (pygame.K_SPACE, pygame.K_p), (Context.LIVE,), "pause / resume the learner"),
    Binding(Command.LIVE_LEARNERS, (pygame.K_l,), (Context.LIVE,), "who learns: all NPCs, one faction, none"),
    Binding(Command.LIVE_SNAPSHOT, (pygame.K_k,), (Context.LIVE,), "take a snapshot of the current weights"),
    Binding(Command.LIVE_UP, (pygame.K_UP,), (Context.LIVE,), "previous snapshot"),
    Binding(Command.LIVE_DOWN, (pygame.K_DOWN,), (Context.LIVE,), "next snapshot"),
    Binding(Command.LIVE_REVERT, (pygame.K_r,), (Context.LIVE,), "revert the NPCs to the selected snapshot"),
    Binding(Command.LIVE_SAVE, (pygame.K_c,), (Context.LIVE,), "save the selected snapshot as a checkpoint"),
    Binding(Command.QUIT, (pygame.K_ESCAPE,), (Context.LIVE,), "close the panel"),
)


def command_for(key: int, context: Context, ctrl: bool = False) -> Command | None:
    """The command ``key`` triggers in ``context`` (None if the key is unbound there)."""
    for binding in BINDINGS:
        if context in binding.contexts and key in binding.keys and binding.ctrl == ctrl:
            return binding.command
    return None


def key_label(key: int) -> str:
    """A short printable name of a pygame key code (``"W"``, ``"Up"``, ``"F1"``)."""
    name = pygame.key.name(key)
    special = {"keypad": "Keypad", "return": "Enter", "space": "Space", "escape": "Esc",
               "page up": "PgUp", "page down": "PgDn", "=": "+", "[+]": "Keypad +",
               "[-]": "Keypad -"}
    if name in special:
        return special[name]
    if name.startswith("[") and name.endswith("]"):
        return "Keypad " + name[1:-1]
    return name.upper() if len(name) == 1 else name.title()


def help_lines(context: Context) -> list[tuple[str, str]]:
    """``(keys, description)`` rows for the help overlay of ``context``, in table order."""
    rows: list[tuple[str, str]] = []
    last: Binding | None = None
    for binding in BINDINGS:
        if context in binding.contexts:
            labels = list(dict.fromkeys(key_label(k) for k in binding.keys))
            prefix = "Ctrl+" if binding.ctrl else ""
            keys = " / ".join(prefix + label for label in labels)
            if last is not None and (last.command, last.description) == (binding.command, binding.description):
                rows[-1] = (f"{rows[-1][0]} / {keys}", binding.description)  # one row for one command
            else:
                rows.append((keys, binding.description))
            last = binding
    return rows


def check_bindings() -> list[str]:
    """Keys bound to two commands in the same context (empty when the table is sound)."""
    clashes = []
    for context in Context:
        seen: dict[tuple[int, bool], Command] = {}
        for binding in BINDINGS:
            if context not in binding.contexts:
                continue
            for key in binding.keys:
                other = seen.setdefault((key, binding.ctrl), binding.command)
                if other is not binding.command:
                    clashes.append(f"{context.value}: {key_label(key)} is {other.value} and "
                                   f"{binding.command.value}")
    return clashes
